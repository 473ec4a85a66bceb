/**
 * The lock protocol every lock-like sabkit object speaks: `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Condition` and synchronized data.
 *
 * @module
 */

/** Options of the blocking forms of the lock protocol. */
export interface AcquireOptions {
  /** `false` tries once and never waits. Default `true`. */
  blocking?: boolean;
  /** Milliseconds to wait at most; negative counts as 0. Default `Infinity`. */
  timeout?: number;
}

/** Options of the async forms of the lock protocol. */
export interface AsyncWaitOptions {
  /** Milliseconds to wait at most; negative counts as 0. Default `Infinity`. */
  timeout?: number;
  /** Aborting it rejects the pending wait with `signal.reason`. */
  signal?: AbortSignal;
}

/** Options of `guard()` and `guardAsync()`. */
export interface GuardOptions {
  /** Milliseconds to wait at most before throwing `TimeoutError`. Default `Infinity`. */
  timeout?: number;
  /** Aborting it rejects `guardAsync()` with `signal.reason` (ignored by `guard()`). */
  signal?: AbortSignal;
}

/**
 * The lock protocol: what `Lock`, `RLock`, `Semaphore`, `Condition`, a
 * synchronized `Value` and the other lock-like objects all offer.
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
export interface Lockable {
  /** Acquires, blocking up to `timeout` ms; `false` when it timed out (or would block with `blocking: false`). */
  acquire(options?: AcquireOptions): boolean;
  /** Acquires without blocking the thread; resolves `false` on timeout. */
  acquireAsync(options?: AsyncWaitOptions): Promise<boolean>;
  /** Releases once. */
  release(): void;
  /** Acquires (blocking) and returns a `Disposable` that releases: `using _ = lock.guard()`. */
  guard(options?: GuardOptions): Disposable;
  /** Acquires asynchronously and resolves to a `Disposable` that releases. */
  guardAsync(options?: GuardOptions): Promise<Disposable>;
}

/** Acquire options of `Lock` and `RLock`, which detect a holder whose worker exited. */
export interface RobustAcquireOptions extends AcquireOptions {
  /**
   * Take the lock over when its holder's worker has exited, instead of
   * throwing `OwnerDiedError`. Repair the state it guards first. Default `false`.
   */
  recover?: boolean;
}

/** Async acquire options of `Lock` and `RLock`. */
export interface RobustAsyncOptions extends AsyncWaitOptions {
  /** As {@linkcode RobustAcquireOptions.recover}. Default `false`. */
  recover?: boolean;
}
