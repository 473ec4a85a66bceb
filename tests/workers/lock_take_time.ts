import type { Lock } from "../../mod.ts";

/**
 * A timed acquire of `lock`: raises `flags[0]` first; once it has the lock,
 * stores `Date.now()` in `at[0]` and 1 in `flags[1]` (2 if it timed out),
 * then releases.
 */
export default function lockTakeTime(lock: Lock, flags: Int32Array, at: Float64Array, timeout: number): void {
  Atomics.store(flags, 0, 1);
  const ok = lock.acquire({ timeout });
  at[0] = Date.now();
  Atomics.store(flags, 1, ok ? 1 : 2);
  if (ok) lock.release();
}
