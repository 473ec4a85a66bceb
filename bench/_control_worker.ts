/**
 * The helper of `_control.ts`: times the control loop on its own core each
 * time the main thread asks, at the same moment as the main thread does.
 *
 * @module
 */

import { ASK, DONE, READY, STOP, timeCopies } from "./_control.ts";
import { parentPort } from "./_port.ts";

const port = parentPort();
let started = false;
port.onMessage((data) => {
  if (started) return;
  started = true;
  const { ctl: ctlBuffer, result: resultBuffer } = data as {
    ctl: SharedArrayBuffer;
    result: SharedArrayBuffer;
  };
  const ctl = new Int32Array(ctlBuffer);
  const result = new Float64Array(resultBuffer);
  Atomics.store(ctl, READY, 1);
  for (let done = 0;;) {
    // In slices: Deno's terminate() does not interrupt Atomics.wait.
    while (Atomics.load(ctl, ASK) === done && Atomics.load(ctl, STOP) === 0) {
      Atomics.wait(ctl, ASK, done, 100);
    }
    if (Atomics.load(ctl, STOP) !== 0) return;
    done = Atomics.load(ctl, ASK);
    result[0] = timeCopies();
    Atomics.store(ctl, DONE, done);
    Atomics.notify(ctl, DONE);
  }
});
