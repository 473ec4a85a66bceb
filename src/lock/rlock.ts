/**
 * `RLock`: Python's `multiprocessing.RLock` for workers.
 *
 * @module
 */

import { agentId } from "../core/_agent.ts";
import { acquireDeadline } from "../core/_guard.ts";
import { defineKind } from "../core/_handle.ts";
import { holder, lockRobust, lockRobustAsync, openMutex, tryLock, unlock } from "../core/_mutex.ts";
import { canBlock, deadlineOf, waitOptions } from "../core/_wait.ts";
import { Lockable, type RobustAcquireOptions, type RobustAsyncOptions } from "../core/protocol.ts";

/** The mutex word, which names the owning agent (see `_mutex.ts`). */
const STATE = 1;
/** How many times the owner holds it; touched only by the holder. */
const COUNT = 3;
/** The deepest re-entry: the count is an Int32. */
const MAX_DEPTH = 2 ** 31 - 1;
const BYTES = 16;

/**
 * A re-entrant lock: the thread (agent) that holds it may acquire it again,
 * and must release it as many times. Ownership is exact across every worker
 * of the program. If the owning worker exits holding it, `acquire` reports
 * `OwnerDiedError`, and `acquire({ recover: true })` takes it over at depth 1,
 * as for a `Lock`.
 *
 * @example Re-entering from nested calls
 * ```ts
 * import { RLock } from "@sabkit/sabkit";
 * const lock = new RLock();
 * using outer = lock.guard();
 * using inner = lock.guard();
 * console.assert(lock.locked());
 * ```
 */
export class RLock extends Lockable {
  static {
    defineKind(this, "RLock", { bytes: BYTES });
  }

  // A new RLock is unowned. The initializer is the constructor's first step (Lockable's does nothing).
  #i32: Int32Array = openMutex(this, RLock, BYTES, {
    owned: () => this.#owned(),
    releaseAll: () => {
      const depth = this.#checkOwner();
      this.#i32[COUNT] = 1;
      this.release();
      return depth;
    },
    // Added, not set: an async re-acquire completes a few microtasks after its
    // compare-and-swap, and this thread may have re-entered in between.
    restore: (depth) => {
      this.#i32[COUNT] += depth - 1;
    },
  });

  #owned(): boolean {
    return holder(this.#i32, STATE) === agentId();
  }

  /** Returns the depth held by the caller, or throws if it is not the owner. */
  #checkOwner(): number {
    if (!this.#owned()) {
      throw new Error(
        holder(this.#i32, STATE) === 0
          ? "Cannot release an RLock that is not held"
          : "Cannot release an RLock held by another thread",
      );
    }
    return this.#i32[COUNT];
  }

  /**
   * The first level after taking the lock. The depth is 0 whenever the lock
   * is free (release clears it first) and after a takeover (`#reset`), so
   * this adds one (added rather than set, so nothing a re-entry counted is
   * ever overwritten).
   */
  #enter = (): void => {
    this.#i32[COUNT] += 1;
  };

  /** Clears the depth a dead owner left, right as its lock is taken over. */
  #reset = (): void => {
    this.#i32[COUNT] = 0;
  };

  /** One more level for the owner; at the Int32 limit a `RangeError`, nothing changed. */
  #reenter(): true {
    const depth = this.#i32[COUNT];
    if (depth >= MAX_DEPTH) {
      throw new RangeError(`An RLock cannot be acquired more than ${MAX_DEPTH} times by its owner`);
    }
    this.#i32[COUNT] = depth + 1;
    return true;
  }

  /**
   * Acquires the lock, or adds one level if this thread already holds it.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` takes over a lock whose holder's worker has exited (at depth 1).
   * @returns `true` once held, `false` if it timed out or would have blocked.
   * @throws {TypeError} Where this thread may not block; use `acquireAsync()`.
   * @throws {OwnerDiedError} If the holder's worker exited without releasing it.
   *
   * @example Acquiring twice, releasing twice
   * ```ts
   * import { RLock } from "@sabkit/sabkit";
   * const lock = new RLock();
   * lock.acquire();
   * lock.acquire();
   * lock.release();
   * lock.release();
   * console.assert(!lock.locked());
   * ```
   */
  acquire(options?: RobustAcquireOptions): boolean {
    // Free and no options: one CAS, nothing to validate or allocate (a window's main
    // thread still gets the error below: acquire() there is refused, free or not).
    if (options === undefined && canBlock() && tryLock(this.#i32, STATE)) {
      this.#enter();
      return true;
    }
    const deadline = acquireDeadline(options, "RLock.acquire");
    if (this.#owned()) return this.#reenter();
    const ok = deadline === undefined
      ? tryLock(this.#i32, STATE)
      : lockRobust(this.#i32, STATE, deadline, options?.recover === true, "RLock", this.#reset);
    if (ok) this.#enter();
    return ok;
  }

  /**
   * Acquires without blocking the thread, or adds one level if already held.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} If the holder's worker exited without releasing it.
   *
   * @example Waiting in an async function
   * ```ts
   * import { RLock } from "@sabkit/sabkit";
   * const lock = new RLock();
   * if (await lock.acquireAsync({ timeout: 100 })) lock.release();
   * ```
   */
  async acquireAsync(options?: RobustAsyncOptions): Promise<boolean> {
    const { timeout, signal, recover } = waitOptions(options, "RLock.acquireAsync");
    const deadline = deadlineOf(timeout);
    if (signal?.aborted) throw signal.reason;
    if (this.#owned()) return this.#reenter();
    // The first level is counted as the lock is taken, not once this promise settles.
    return await lockRobustAsync(
      this.#i32,
      STATE,
      deadline,
      signal,
      recover === true,
      "RLock",
      this.#enter,
      this.#reset,
    );
  }

  /**
   * Releases one level; the last release frees the lock for other threads.
   *
   * @throws {Error} If the calling thread does not hold the lock.
   *
   * @example Releasing
   * ```ts
   * import { RLock } from "@sabkit/sabkit";
   * const lock = new RLock();
   * lock.acquire();
   * lock.release();
   * ```
   */
  release(): void {
    const depth = this.#checkOwner();
    if (depth > 1) {
      this.#i32[COUNT] = depth - 1;
      return;
    }
    this.#i32[COUNT] = 0;
    unlock(this.#i32, STATE);
  }

  /**
   * Whether some thread holds the lock right now.
   *
   * @returns `true` while held by anyone.
   *
   * @example Checking
   * ```ts
   * import { RLock } from "@sabkit/sabkit";
   * console.assert(!new RLock().locked());
   * ```
   */
  locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== 0;
  }
}
