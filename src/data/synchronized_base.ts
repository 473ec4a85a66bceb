/**
 * `SynchronizedBase`: the lock protocol of synchronized data (Python's
 * `multiprocessing.sharedctypes.SynchronizedBase`), shared by
 * `SynchronizedValue` and `SynchronizedArray`.
 *
 * @module
 */

import { LockWrapper } from "../core/lock_wrapper.ts";
import type { Lock } from "../lock/lock.ts";
import type { RLock } from "../lock/rlock.ts";

/**
 * Shared data with a lock: every method of the lock protocol delegates to
 * that lock, so `using _ = v.guard()` makes a whole sequence of reads and
 * writes atomic. Made by `Value()`, `SharedArray()` and `synchronized()`.
 *
 * @example Holding the lock of a shared array for a whole update
 * ```ts
 * import { SharedArray } from "@sabkit/sabkit";
 * const xs = SharedArray("i", [1, 2, 3]);
 * {
 *   using _ = xs.guard();
 *   for (let i = 1; i < xs.length; i++) xs.set(i, xs.get(i) + xs.get(i - 1));
 * }
 * console.assert(xs.get(2) === 6);
 * ```
 */
export class SynchronizedBase extends LockWrapper {
  /**
   * Keeps the (already checked) lock.
   *
   * @example Made by Value(), SharedArray() and synchronized()
   * ```ts
   * import { RawArray, SharedArray, synchronized, SynchronizedBase, Value } from "@sabkit/sabkit";
   * console.assert(Value("i") instanceof SynchronizedBase);
   * console.assert(SharedArray("d", 2) instanceof SynchronizedBase);
   * console.assert(synchronized(RawArray("i", 2)) instanceof SynchronizedBase);
   * ```
   */
  protected constructor(lock: Lock | RLock) {
    super(lock);
  }
}
