import type { Condition } from "../../mod.ts";

/** `counters`: how many entered the wait, were notified, timed out. */
const WAITING = 0;
const NOTIFIED = 1;
const TIMED_OUT = 2;

/**
 * Waits on `cond` once, with its lock held, and
 * records the outcome in `counters`, and in `out[slot]` (1 notified, 2 timed out).
 */
export default function waiter(
  cond: Condition,
  counters: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  using _ = cond.guard();
  Atomics.add(counters, WAITING, 1);
  const notified = cond.wait(timeout);
  Atomics.add(counters, notified ? NOTIFIED : TIMED_OUT, 1);
  Atomics.store(out, slot, notified ? 1 : 2);
}
