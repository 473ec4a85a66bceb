import { type Barrier, BrokenBarrierError } from "../../mod.ts";

/**
 * Counts itself in `counters[0]`, waits once, and records in `out[slot]` the
 * index + 1, or -1 for a `BrokenBarrierError` (-2 for anything else);
 * then counts itself in `counters[1]`.
 */
export default function waitOnce(
  barrier: Barrier,
  counters: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  Atomics.add(counters, 0, 1);
  try {
    Atomics.store(out, slot, barrier.wait(timeout) + 1);
  } catch (e) {
    Atomics.store(out, slot, e instanceof BrokenBarrierError ? -1 : -2);
  }
  Atomics.add(counters, 1, 1);
}
