/**
 * `LockWrapper`: the lock protocol of an object that wraps a `Lock` or an
 * `RLock` (a `Condition`, synchronized data), written once.
 *
 * @module
 */

import type { Lock } from "../lock/lock.ts";
import type { RLock } from "../lock/rlock.ts";
import { acquireDeadline, afterAcquire } from "./_guard.ts";
import { KIND_NAMES_BY_PROTOTYPE } from "./_names.ts";
import { canBlock, deadlineOf, waitOptions } from "./_wait.ts";
import { Lockable, type RobustAcquireOptions, type RobustAsyncOptions } from "./protocol.ts";

/**
 * An object that speaks the lock protocol through the `Lock` or `RLock` it
 * wraps: `acquire`, `acquireAsync` and `release` act on that lock (so
 * holding the wrapper is holding the lock), and `guard`/`guardAsync` come
 * from {@linkcode Lockable}. `Condition` and synchronized data extend it.
 *
 * @example Holding a shared value's lock for a whole update
 * ```ts
 * import { Value } from "@sabkit/sabkit";
 * const v = Value("i", 1);
 * {
 *   using _ = v.guard();
 *   v.value = v.value * 2 + 1;
 * }
 * console.assert(v.value === 3 && !v.getLock().locked());
 * ```
 */
export abstract class LockWrapper extends Lockable {
  #lock: Lock | RLock;

  /**
   * Wraps `lock`, which the subclass has checked.
   *
   * @example A class of your own guarded by a Lock
   * ```ts
   * import { Lock, LockWrapper } from "@sabkit/sabkit";
   * class Account extends LockWrapper {
   *   balance = 0;
   *   constructor() {
   *     super(new Lock());
   *   }
   * }
   * const account = new Account();
   * {
   *   using _ = account.guard();
   *   account.balance += 10;
   * }
   * console.assert(account.balance === 10 && !account.getLock().locked());
   * ```
   */
  protected constructor(lock: Lock | RLock) {
    super();
    this.#lock = lock;
  }

  /**
   * The wrapped lock.
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
   * Acquires the wrapped lock.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` takes over a lock whose holder's worker has exited.
   * @returns `true` once held, `false` if it timed out or would have blocked.
   * @throws {TypeError} On bad options, or where this thread may not block (use `acquireAsync()`).
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
    // Checked here first so that an error names what the caller called (`Condition.acquire`),
    // not the wrapped lock; the common call (no options, may block) costs nothing.
    if (options !== undefined || !canBlock()) acquireDeadline(options, `${kindName(this)}.acquire`);
    if (!this.#lock.acquire(options)) return false;
    afterAcquire.get(this)?.();
    return true;
  }

  /**
   * Acquires the wrapped lock without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} If the lock's holder exited without releasing it.
   *
   * @example In an async function
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * if (await cond.acquireAsync({ timeout: 100 })) cond.release();
   * ```
   */
  async acquireAsync(options?: RobustAsyncOptions): Promise<boolean> {
    if (options !== undefined) deadlineOf(waitOptions(options, `${kindName(this)}.acquireAsync`).timeout);
    if (!await this.#lock.acquireAsync(options)) return false;
    afterAcquire.get(this)?.();
    return true;
  }

  /**
   * Releases the wrapped lock once.
   *
   * @throws {Error} If it is not held (by this thread, for an `RLock`).
   *
   * @example Releasing
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * cond.acquire();
   * cond.release();
   * ```
   */
  release(): void {
    this.#lock.release();
  }
}

/** The kind name of a wrapper (its nearest prototype with a kind: a user's subclass names its base). */
function kindName(wrapper: object): string {
  for (let p = Object.getPrototypeOf(wrapper); p !== null; p = Object.getPrototypeOf(p)) {
    const name = KIND_NAMES_BY_PROTOTYPE.get(p);
    if (name !== undefined) return name;
  }
  return "LockWrapper";
}
