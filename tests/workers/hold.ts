import type { Lock, RLock } from "../../mod.ts";

/**
 * Takes `lock`, raises `flags[0]`, keeps the lock until `flags[1]` is raised
 * (polled, so the worker stays terminable), then releases it.
 */
export default async function hold(lock: Lock | RLock, flags: Int32Array): Promise<void> {
  lock.acquire();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) await new Promise((r) => setTimeout(r, 2));
  lock.release();
}
