import type { Lock, RLock } from "../../mod.ts";

/** Records in `out[0]` whether a timed acquire succeeded (1) or timed out (2). */
export default function tryAcquire(lock: Lock | RLock, out: Int32Array, timeout: number): void {
  const ok = lock.acquire({ timeout });
  Atomics.store(out, 0, ok ? 1 : 2);
  if (ok) lock.release();
}
