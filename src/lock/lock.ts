/**
 * `Lock`: Python's `multiprocessing.Lock` for workers.
 *
 * @module
 */

import { acquireDeadline } from "../core/_guard.ts";
import { defineKind } from "../core/_handle.ts";
import { lockRobust, lockRobustAsync, openMutex, tryLock, unlock } from "../core/_mutex.ts";
import { canBlock, deadlineOf, waitOptions } from "../core/_wait.ts";
import { Lockable, type RobustAcquireOptions, type RobustAsyncOptions } from "../core/protocol.ts";

const STATE = 1;
/** Words: magic, the mutex word (it names the holder, see `_mutex.ts`), two spare. */
const BYTES = 16;

/**
 * A non-recursive lock shared by every worker it is posted to. Any thread may
 * release it, as with Python's `multiprocessing.Lock`.
 *
 * If the worker holding it exits (a terminated `Process`, or a target that
 * returned or threw without releasing), the lock stays locked and every
 * `acquire` reports `OwnerDiedError` (a waiter learns within about 100 ms);
 * repair what it guards, then take it over with `acquire({ recover: true })`.
 * A terminated worker releases nothing, even if its code was unwinding.
 *
 * @example Guarding a shared counter across a worker
 * ```ts
 * import { Lock } from "@sabkit/sabkit";
 * const lock = new Lock();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * {
 *   using _ = lock.guard();
 *   counter[0] += 1;
 * }
 * console.assert(!lock.locked());
 * ```
 */
export class Lock extends Lockable {
  static {
    defineKind(this, "Lock", { bytes: BYTES });
  }

  // A new lock is unlocked. The initializer is the constructor's first step (Lockable's does nothing).
  #i32: Int32Array = openMutex(this, Lock, BYTES, {
    owned: () => this.locked(),
    releaseAll: () => (this.release(), 1),
    restore: () => {},
  });

  /**
   * Acquires the lock.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` takes over a lock whose holder's worker has exited.
   * @returns `true` once acquired, `false` if it timed out or would have blocked.
   * @throws {TypeError} Where this thread may not block; use `acquireAsync()`.
   * @throws {OwnerDiedError} If the holder's worker exited without releasing it.
   *
   * @example Trying without blocking
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * console.assert(lock.acquire({ blocking: false }));
   * console.assert(!lock.acquire({ timeout: 5 }));
   * ```
   */
  acquire(options?: RobustAcquireOptions): boolean {
    // Free and no options: one CAS, nothing to validate or allocate (a window's main
    // thread still gets the error below: acquire() there is refused, free or not).
    if (options === undefined && canBlock() && tryLock(this.#i32, STATE)) return true;
    const deadline = acquireDeadline(options, "Lock.acquire");
    if (deadline === undefined) return tryLock(this.#i32, STATE);
    return lockRobust(this.#i32, STATE, deadline, options?.recover === true, "Lock");
  }

  /**
   * Acquires the lock without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once acquired, `false` on timeout.
   * @throws {OwnerDiedError} If the holder's worker exited without releasing it.
   *
   * @example Waiting in an async function
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * if (await lock.acquireAsync({ timeout: 100 })) lock.release();
   * ```
   */
  acquireAsync(options?: RobustAsyncOptions): Promise<boolean> {
    try {
      const { timeout, signal, recover } = waitOptions(options, "Lock.acquireAsync");
      return lockRobustAsync(this.#i32, STATE, deadlineOf(timeout), signal, recover === true, "Lock");
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Releases the lock; any thread may release it.
   *
   * @throws {Error} If the lock is not locked.
   *
   * @example Releasing
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * lock.acquire();
   * lock.release();
   * ```
   */
  release(): void {
    if (!unlock(this.#i32, STATE)) throw new Error("Cannot release an unlocked Lock");
  }

  /**
   * Whether some thread holds the lock right now.
   *
   * @returns `true` while held.
   *
   * @example Checking
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * console.assert(!new Lock().locked());
   * ```
   */
  locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== 0;
  }
}
