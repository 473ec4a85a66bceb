import type { Lock, RLock } from "../../mod.ts";

/** Acquires `lock` (twice for an RLock) and ends without releasing it. */
export default function exitHolding(lock: Lock | RLock, depth = 1): void {
  for (let i = 0; i < depth; i++) lock.acquire();
}
