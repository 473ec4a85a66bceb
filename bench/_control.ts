/**
 * The machine's own speed, measured beside the channels on both cores: a
 * one-thread loop that shares nothing (128-byte copies into a 256 kB ring
 * of plain memory, like a producer without the atomics), timed on the main
 * thread and, at the same moment, in a helper worker (which the OS puts on
 * the other core), as each channel scenario opens and again as it closes.
 *
 * Why: on these virtual machines each core runs such a loop at one speed for
 * seconds, then at about half of it, then back (other tenants of the host; a
 * C version swings up to 1.75×, `diag/native/machine.c`), and code bound by
 * instruction throughput swings with it; V8 calls out to a builtin for every
 * `Atomics` operation, so its channel code is such code. Measured on Node
 * with 16-element messages (148 batches of 100,000): both cores fast, 7–8.4
 * M msg/s; one slow, 5–6; both slow, about 4; over the middle half of the
 * batches the rate spread 1.54×, the rate times the sum of the two cores' ns
 * per copy 1.16×. So the report divides by that sum to tell the machine's
 * swings from the channel's (roughly: the loop is timed only as a scenario
 * opens and closes).
 *
 * @module
 */

import { do_not_optimize } from "mitata";
import { type BenchWorker, startWorker } from "./_port.ts";

const RING_SLOTS = 2048;
const SLOT = 16;
/** Copies per timing: about 0.3–1 ms here. */
const COPIES = 20_000;
/** Timings per measurement; the median is kept. */
const TIMINGS = 7;

const ring = new Float64Array(RING_SLOTS * SLOT);
const message = new Float64Array(SLOT);

/** One timing of the loop: ns per copy. */
function once(): number {
  const t0 = performance.now();
  for (let i = 0; i < COPIES; i++) {
    message[0] = i;
    const at = (i & (RING_SLOTS - 1)) * SLOT;
    ring.set(message, at);
    ring[at + SLOT - 1] = i;
  }
  const ns = ((performance.now() - t0) * 1e6) / COPIES;
  do_not_optimize(ring);
  return ns;
}

/** This thread's speed right now: the median of a few timings of the loop, in ns per copy. */
export function timeCopies(): number {
  const times: number[] = [];
  for (let k = 0; k < TIMINGS; k++) times.push(once());
  times.sort((a, b) => a - b);
  return times[TIMINGS >> 1];
}

// Compiled before the first measurement counts.
for (let k = 0; k < 20; k++) once();

/** Words of the control block shared with the helper: its state, the round asked for, the round done. */
export const READY = 0;
export const ASK = 1;
export const DONE = 2;
export const STOP = 3;

/** How long to wait for the helper's timing (ms) before reporting it as missing. */
const ANSWER_MS = 5_000;

let helper: BenchWorker | undefined;
let ctl: Int32Array<SharedArrayBuffer> | undefined;
let result: Float64Array<SharedArrayBuffer> | undefined;

/** Starts the helper worker that times the loop on the other core; resolves once it is ready. */
export async function startMachineProbe(): Promise<void> {
  ctl = new Int32Array(new SharedArrayBuffer(16));
  result = new Float64Array(new SharedArrayBuffer(8));
  helper = startWorker(new URL("./_control_worker.ts", import.meta.url), "machine probe");
  // Posted until answered: a worker's first message is now and then lost on Deno.
  for (let waited = 0; Atomics.load(ctl, READY) === 0; waited += 10) {
    if (helper.error !== undefined) throw helper.error;
    if (waited >= 30_000) throw new Error("The machine probe worker did not start within 30 s");
    if (waited % 500 === 0) helper.post({ ctl: ctl.buffer, result: result.buffer });
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Stops the helper. */
export function stopMachineProbe(): void {
  if (ctl !== undefined) {
    Atomics.store(ctl, STOP, 1);
    Atomics.notify(ctl, ASK);
  }
  helper?.terminate();
  helper = undefined;
}

/**
 * Both cores' speed right now, in ns per copy: this thread's and the
 * helper's, timed at the same moment (the helper's is `NaN` if it did not
 * answer).
 */
export function machineNow(): [number, number] {
  if (ctl === undefined || result === undefined) return [timeCopies(), NaN];
  const round = Atomics.load(ctl, ASK) + 1;
  Atomics.store(ctl, ASK, round);
  Atomics.notify(ctl, ASK);
  const here = timeCopies();
  const deadline = performance.now() + ANSWER_MS;
  while (Atomics.load(ctl, DONE) < round && performance.now() < deadline) {
    Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 50);
  }
  return [here, Atomics.load(ctl, DONE) >= round ? result[0] : NaN];
}
