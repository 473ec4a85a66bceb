import type { Lock } from "../../mod.ts";

/** Takes `lock`, raises `flags[0]`, releases it after `ms` milliseconds. */
export default async function holdFor(lock: Lock, flags: Int32Array, ms: number): Promise<void> {
  lock.acquire();
  Atomics.store(flags, 0, 1);
  await new Promise((r) => setTimeout(r, ms));
  lock.release();
}
