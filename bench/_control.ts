/**
 * The machine's own steadiness, measured beside the channels: a one-thread
 * loop that shares nothing (128-byte copies into a 256 kB ring of plain
 * memory, like a producer without the atomics), timed when a channel
 * scenario opens and again when it closes.
 *
 * Why: on these virtual machines a loop like this runs at one speed for
 * seconds, then at about half of it, then back (other tenants share the
 * physical cores; a C version of the loop swings 1.5× too), and code that
 * is bound by instruction throughput (V8 calls out for every `Atomics`
 * operation) swings with it. Timing this loop next to each channel lets the
 * report tell the machine's swings from the channel's own.
 *
 * @module
 */

import { do_not_optimize } from "mitata";

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

// Compiled before the first measurement counts.
for (let k = 0; k < 20; k++) once();

/** The machine's speed right now: the median of a few timings of the loop, in ns per copy. */
export function machineNow(): number {
  const times: number[] = [];
  for (let k = 0; k < TIMINGS; k++) times.push(once());
  times.sort((a, b) => a - b);
  return times[TIMINGS >> 1];
}
