import type { Event } from "../../mod.ts";

/** Counts itself in `counters[0]`, waits, records 1 (set) or 2 (timed out) in `out[slot]`, counts in `counters[1]`. */
export default function waitFor(
  event: Event,
  counters: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  Atomics.add(counters, 0, 1);
  Atomics.store(out, slot, event.wait(timeout) ? 1 : 2);
  Atomics.add(counters, 1, 1);
}
