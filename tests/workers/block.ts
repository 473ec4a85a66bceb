import type { Lock } from "../../mod.ts";

/** Raises `flags[0]`, then blocks in `acquire()` on a lock that someone else holds. */
export default function block(lock: Lock, flags: Int32Array): void {
  Atomics.store(flags, 0, 1);
  lock.acquire();
  Atomics.store(flags, 0, 2);
}
