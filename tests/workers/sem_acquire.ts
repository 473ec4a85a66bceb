import type { Semaphore } from "../../mod.ts";

/**
 * Raises `flags[0]`, then records in `out[slot]` whether a timed acquire
 * succeeded (1) or timed out (2), and adds 1 to `flags[1]` when done.
 */
export default function acquire(
  sem: Semaphore,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  Atomics.add(flags, 0, 1);
  const ok = sem.acquire({ timeout });
  Atomics.store(out, slot, ok ? 1 : 2);
  Atomics.add(flags, 1, 1);
}
