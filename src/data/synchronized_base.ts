/**
 * `SynchronizedBase`: the lock protocol of synchronized data (Python's
 * `multiprocessing.sharedctypes.SynchronizedBase`), shared by
 * `SynchronizedValue` and `SynchronizedArray`.
 *
 * @module
 */

import { guard, guardAsync } from "../core/_guard.ts";
import type { Lock } from "../lock/lock.ts";
import type { GuardOptions, Lockable, RobustAcquireOptions, RobustAsyncOptions } from "../core/protocol.ts";
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
export class SynchronizedBase implements Lockable {
  #lock: Lock | RLock;

  /** Keeps the (already checked) lock. */
  protected constructor(lock: Lock | RLock) {
    this.#lock = lock;
  }

  /**
   * The lock that guards the data.
   *
   * @returns The `Lock` or `RLock` (a new `RLock` unless one was given).
   *
   * @example Sharing one lock between two values
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const a = Value("i");
   * const b = Value("i", 0, { lock: a.getLock() });
   * console.assert(a.getLock() === b.getLock());
   * ```
   */
  getLock(): Lock | RLock {
    return this.#lock;
  }

  /**
   * Acquires the lock.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` takes over a lock whose holder's worker has exited.
   * @returns `true` once held, `false` on timeout (or if it would block with `blocking: false`).
   * @throws {TypeError} Where this thread may not block; use `acquireAsync()`.
   * @throws {OwnerDiedError} If the lock's holder exited without releasing it.
   *
   * @example Manual acquire and release
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("i", 1);
   * if (v.acquire({ timeout: 100 })) {
   *   try {
   *     v.value *= 2;
   *   } finally {
   *     v.release();
   *   }
   * }
   * ```
   */
  acquire(options?: RobustAcquireOptions): boolean {
    return this.#lock.acquire(options);
  }

  /**
   * Acquires the lock without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} If the lock's holder exited without releasing it.
   *
   * @example In an async function
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("i");
   * if (await v.acquireAsync({ timeout: 100 })) v.release();
   * ```
   */
  acquireAsync(options?: RobustAsyncOptions): Promise<boolean> {
    return this.#lock.acquireAsync(options);
  }

  /**
   * Releases the lock.
   *
   * @throws {Error} If the lock is not held (by this thread, for an `RLock`).
   *
   * @example Releasing
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("i");
   * v.acquire();
   * v.release();
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquires the lock and returns a `Disposable` that releases it.
   *
   * @param options `timeout` in ms.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout`.
   *
   * @example An atomic increment
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("i");
   * {
   *   using _ = v.guard();
   *   v.value += 1;
   * }
   * console.assert(v.value === 1);
   * ```
   */
  guard(options?: GuardOptions): Disposable {
    return guard(this, options);
  }

  /**
   * Acquires the lock asynchronously and resolves to a `Disposable` that releases it.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout`.
   *
   * @example An async critical section
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("d");
   * {
   *   using _ = await v.guardAsync();
   *   v.value = 2.5;
   * }
   * ```
   */
  guardAsync(options?: GuardOptions): Promise<Disposable> {
    return guardAsync(this, options);
  }
}
