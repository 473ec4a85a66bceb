import type { Lock, RLock } from "../../mod.ts";

/** Releases a lock it did not acquire. */
export default function release(lock: Lock | RLock): void {
  lock.release();
}
