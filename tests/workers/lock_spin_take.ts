import type { Lock } from "../../mod.ts";

/**
 * Spins on non-blocking acquires of `lock` until one succeeds (it never
 * sleeps, so it takes a released lock before a sleeper can wake), holds it
 * `ms` milliseconds, then stores `Date.now()` in `at[0]` and releases.
 * `flags[0]`: 1 once it spins, 2 once it holds.
 */
export default function lockSpinTake(lock: Lock, flags: Int32Array, at: Float64Array, ms: number): void {
  Atomics.store(flags, 0, 1);
  const end = performance.now() + 10000;
  while (!lock.acquire({ blocking: false })) {
    if (performance.now() > end) throw new Error("the lock was never free");
  }
  Atomics.store(flags, 0, 2);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  at[0] = Date.now();
  lock.release();
}
