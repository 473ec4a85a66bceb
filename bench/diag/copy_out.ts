/**
 * Which way of allocating a message and copying it out of shared memory is
 * fastest on this runtime (what `Channel.recv` does per message). A worker
 * copies 800 kB messages out of a SharedArrayBuffer with each way in turn
 * while the main thread copies into another slot of the same buffer, as a
 * sender does (and once with the main thread idle); 30 rounds of 50 ms per
 * way, medians. `allocCopy` is the way `src/runtime/mod.ts` chose.
 *
 *   deno run --allow-read bench/diag/copy_out.ts | bun bench/diag/copy_out.ts | node bench/diag/copy_out.ts
 */
import { Process } from "../../mod.ts";
import { runtime } from "../_port.ts";

const SIZE = 100_000;
const flags = new Int32Array(new SharedArrayBuffer(64));
// Two slots: the main thread writes slot 0, the worker copies out of slot 1.
const sab = new SharedArrayBuffer(2 * SIZE * 8 + 128);
const src = new Float64Array(SIZE).fill(2.5);
const slot0 = new Float64Array(sab, 0, SIZE);
const results = new Float64Array(new SharedArrayBuffer(8 * 64));

const worker = new Process(new URL("./copy_out_worker.ts", import.meta.url), {
  args: [flags, sab, SIZE, results],
}).start();
try {
  for (const busy of [true, false]) {
    Atomics.store(flags, 1, busy ? 1 : 0);
    Atomics.add(flags, 0, 1);
    Atomics.notify(flags, 0);
    // The worker sets word 2 once done with this pass.
    const pass = Atomics.load(flags, 0);
    while (Atomics.load(flags, 2) !== pass) {
      if (busy) {
        for (let i = 0; i < 8; i++) slot0.set(src);
      } else await new Promise((r) => setTimeout(r, 5));
    }
    const names = [
      "new Float64Array(view)",
      "view.slice()",
      "new Float64Array(n) + set(view)",
      "data.slice(at, at + n)",
      "allocCopy(view)",
    ];
    console.log(
      `${runtime} ${busy ? "beside a sender" : "alone"}: ` +
        names.map((n, i) => `${n} ${results[i].toFixed(1)}`).join(", ") + " GB/s",
    );
  }
} finally {
  Atomics.store(flags, 3, 1);
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  await worker.join();
}
