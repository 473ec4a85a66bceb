/**
 * The lock protocol every lock-like sabkit object speaks: `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Condition` and synchronized data.
 *
 * @module
 */

import { guard, guardAsync } from "./_guard.ts";

/**
 * Options of the blocking forms of the lock protocol.
 *
 * @example Trying once, then waiting a little
 * ```ts
 * import { Semaphore } from "@sabkit/sabkit";
 * const sem = new Semaphore(0);
 * console.assert(!sem.acquire({ blocking: false }));
 * console.assert(!sem.acquire({ timeout: 5 }));
 * ```
 */
export interface AcquireOptions {
  /** `false` tries once and never waits. Default `true`. */
  blocking?: boolean;
  /** Milliseconds to wait at most; negative counts as 0. Default `Infinity`. */
  timeout?: number;
}

/**
 * Options of the async forms of the lock protocol.
 *
 * @example A wait that gives up
 * ```ts
 * import { Semaphore } from "@sabkit/sabkit";
 * const sem = new Semaphore(0);
 * console.assert(!(await sem.acquireAsync({ timeout: 5 })));
 * const ac = new AbortController();
 * ac.abort(new Error("cancelled"));
 * await sem.acquireAsync({ signal: ac.signal }).catch((e) => console.assert(e.message === "cancelled"));
 * ```
 */
export interface AsyncWaitOptions {
  /** Milliseconds to wait at most; negative counts as 0. Default `Infinity`. */
  timeout?: number;
  /** Aborting it rejects the pending wait with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Options of `guard()` and `guardAsync()`.
 *
 * @example A guard that throws after 10 ms
 * ```ts
 * import { Lock, TimeoutError } from "@sabkit/sabkit";
 * const lock = new Lock();
 * lock.acquire();
 * try {
 *   using _ = lock.guard({ timeout: 10 });
 * } catch (e) {
 *   console.assert(e instanceof TimeoutError);
 * }
 * ```
 */
export interface GuardOptions {
  /** Milliseconds to wait at most before throwing `TimeoutError`. Default `Infinity`. */
  timeout?: number;
  /** Aborting it rejects `guardAsync()` with `signal.reason` (ignored by `guard()`). */
  signal?: AbortSignal;
}

/**
 * The lock protocol: what `Lock`, `RLock`, `Semaphore`, `Condition`, a
 * synchronized `Value` and the other lock-like objects all offer. Each of
 * them extends this class, which builds `guard` and `guardAsync` on their
 * `acquire`, `acquireAsync` and `release`; as a type it takes any object
 * with these five methods.
 *
 * @example Writing code that takes any sabkit lock
 * ```ts
 * import { Lock, type Lockable } from "@sabkit/sabkit";
 * function critical(lock: Lockable, work: () => void): void {
 *   using _ = lock.guard();
 *   work();
 * }
 * critical(new Lock(), () => {});
 * ```
 */
export abstract class Lockable {
  /**
   * Acquires, blocking up to `timeout` ms.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0).
   * @returns `true` once acquired, `false` if it timed out or would have blocked.
   * @throws {TypeError} On bad options, or where this thread may not block (use `acquireAsync()`).
   *
   * @example Trying without blocking
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * console.assert(lock.acquire({ blocking: false }) && !lock.acquire({ timeout: 5 }));
   * ```
   */
  abstract acquire(options?: AcquireOptions): boolean;

  /**
   * Acquires without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason.
   * @returns `true` once acquired, `false` on timeout.
   *
   * @example Waiting in an async function
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(0);
   * console.assert(!(await sem.acquireAsync({ timeout: 10 })));
   * ```
   */
  abstract acquireAsync(options?: AsyncWaitOptions): Promise<boolean>;

  /**
   * Releases once.
   *
   * @example Releasing after a manual acquire
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * lock.acquire();
   * lock.release();
   * ```
   */
  abstract release(): void;

  /**
   * Acquires (blocking) and returns a `Disposable` that releases once:
   * `using _ = lock.guard()`. Disposing it twice releases once.
   *
   * @param options `timeout` in ms.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout`.
   * @throws {TypeError} On bad options, or where this thread may not block (use `guardAsync()`).
   *
   * @example A critical section with a deadline
   * ```ts
   * import { Lock } from "@sabkit/sabkit";
   * const lock = new Lock();
   * {
   *   using _ = lock.guard({ timeout: 1000 });
   *   console.assert(lock.locked());
   * }
   * console.assert(!lock.locked());
   * ```
   */
  guard(options?: GuardOptions): Disposable {
    return guard(this, options);
  }

  /**
   * Acquires without blocking the thread and resolves to a `Disposable`
   * that releases once.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout` (as a rejection).
   *
   * @example An async critical section
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(1);
   * {
   *   using _ = await sem.guardAsync();
   *   console.assert(sem.getValue() === 0);
   * }
   * console.assert(sem.getValue() === 1);
   * ```
   */
  guardAsync(options?: GuardOptions): Promise<Disposable> {
    return guardAsync(this, options);
  }
}

/**
 * Acquire options of `Lock` and `RLock`, which detect a holder whose worker exited.
 *
 * @example Taking over a dead holder's lock
 * ```ts
 * import { Lock, OwnerDiedError } from "@sabkit/sabkit";
 * const lock = new Lock();
 * try {
 *   lock.acquire({ timeout: 1000 });
 * } catch (e) {
 *   if (!(e instanceof OwnerDiedError)) throw e;
 *   lock.acquire({ recover: true }); // after repairing what it guards
 * }
 * lock.release();
 * ```
 */
export interface RobustAcquireOptions extends AcquireOptions {
  /**
   * Take the lock over when its holder's worker has exited, instead of
   * throwing `OwnerDiedError`. Repair the state it guards first. Default `false`.
   */
  recover?: boolean;
}

/**
 * Async acquire options of `Lock` and `RLock`.
 *
 * @example The async takeover
 * ```ts
 * import { Lock } from "@sabkit/sabkit";
 * const lock = new Lock();
 * console.assert(await lock.acquireAsync({ timeout: 1000, recover: true }));
 * lock.release();
 * ```
 */
export interface RobustAsyncOptions extends AsyncWaitOptions {
  /** As {@linkcode RobustAcquireOptions.recover}. Default `false`. */
  recover?: boolean;
}
