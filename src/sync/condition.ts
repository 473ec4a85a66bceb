/**
 * `Condition`: Python's `multiprocessing.Condition` for workers.
 *
 * @module
 */

import { BYTES, notify, repair, waitNotified, waitNotifiedAsync } from "./_condvar.ts";
import { checkCount } from "./_count.ts";
import { describe } from "../core/_describe.ts";
import { afterAcquire } from "../core/_guard.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import { type Reentry, reentryOf } from "../core/_mutex.ts";
import { assertCanBlock, deadlineOf, remaining, waitOptions } from "../core/_wait.ts";
import type { Lock } from "../lock/lock.ts";
import { LockWrapper } from "../core/lock_wrapper.ts";
import { RLock } from "../lock/rlock.ts";

function checkWaitFor(predicate: unknown, timeout: number | undefined): number {
  if (typeof predicate !== "function") {
    throw new TypeError(`The Condition predicate must be a function, got ${describe(predicate)}`);
  }
  return deadlineOf(timeout);
}

/**
 * Options of {@linkcode Condition.waitAsync} and {@linkcode Condition.waitForAsync}.
 *
 * @example Cancelling a wait
 * ```ts
 * import { Condition } from "@sabkit/sabkit";
 * const cond = new Condition();
 * const ac = new AbortController();
 * using _ = await cond.guardAsync();
 * const waiting = cond.waitAsync(undefined, { signal: ac.signal });
 * ac.abort(new Error("shutdown"));
 * await waiting.catch((e) => console.assert(e.message === "shutdown"));
 * ```
 */
export interface ConditionWaitOptions {
  /** Aborting it ends the wait: the lock is re-acquired, then the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * A condition variable: threads holding its lock `wait` until another
 * `notify`s them. Shared by every worker it is posted to, together with its
 * lock. `notify(n)` wakes exactly `n` of the threads waiting at that moment
 * (fewer only if fewer wait), and a thread that starts waiting later is
 * never woken by it. An `RLock` is owned by a thread, not by an async task:
 * async tasks of one thread that wait on the same condition should use a `Lock`.
 * A `Lock` has no owner, so with one "held by the caller" can only mean "locked".
 *
 * A worker terminated while it waits stops counting as a waiter once its
 * exit is known, so no notification is spent on it (the first 32 waiters at
 * a time are tracked). One terminated while it holds the lock leaves it held:
 * `acquire` reports `OwnerDiedError`, and `acquire({ recover: true })` takes it over.
 * Wherever it was killed, even inside `wait` or `notify`, the condition's own
 * records stay whole: a notify it had made is delivered once the lock is
 * recovered through the condition (or at the next `wait` or `notify`), and a
 * waiter whose `wait` throws `OwnerDiedError` no longer counts as waiting.
 *
 * @example Waiting for a flag another thread sets
 * ```ts
 * import { Condition } from "@sabkit/sabkit";
 * const cond = new Condition();
 * const ready = new Int32Array(new SharedArrayBuffer(4));
 * setTimeout(() => (cond.acquire(), ready[0] = 1, cond.notifyAll(), cond.release()), 5);
 * using _ = await cond.guardAsync();
 * await cond.waitForAsync(() => ready[0] === 1);
 * ```
 */
export class Condition extends LockWrapper {
  static {
    defineKind(this, "Condition", {
      bytes: BYTES,
      create: (h: Handle) => {
        const lock = (h.meta as { lock?: unknown } | null)?.lock;
        if (reentryOf(lock) === undefined) {
          throw new TypeError(`Cannot revive a sabkit object: the Condition lock is ${describe(lock)}`);
        }
        return new Condition(lock as Lock | RLock);
      },
    });
  }

  #i32: Int32Array;
  #reentry: Reentry;

  /**
   * Creates a condition on `lock`.
   *
   * @param lock A `Lock` or `RLock`. Default: a new `RLock`, as in Python.
   * @throws {TypeError} If `lock` is something else.
   *
   * @example On a Lock of your own, or a new RLock
   * ```ts
   * import { Condition, Lock, RLock } from "@sabkit/sabkit";
   * const cond = new Condition(new Lock());
   * {
   *   using _ = cond.guard();
   *   cond.notifyAll(); // nobody waits: nothing happens
   * }
   * const reentrant = new Condition(); // a new RLock, as in Python
   * console.assert(reentrant.getLock() instanceof RLock);
   * ```
   */
  constructor(lock?: Lock | RLock) {
    const { handle } = takePreset();
    const chosen = lock ?? new RLock();
    const reentry = reentryOf(chosen);
    if (reentry === undefined) {
      throw new TypeError(`The Condition lock must be a Lock or an RLock, got ${describe(lock)}`);
    }
    super(chosen);
    this.#reentry = reentry;
    this.#i32 = attach(this, Condition, BYTES, handle, { lock: chosen });
    // A lock recovered from a dead holder: finish the change it committed (one load otherwise).
    afterAcquire.set(this, () => repair(this.#i32));
  }

  /**
   * Releases the lock, sleeps until notified or until `timeout` ms have
   * passed, and re-acquires the lock (to its former depth) before returning,
   * also on timeout.
   *
   * @param timeout Milliseconds to wait at most; negative counts as 0. Default `Infinity`.
   * @returns `true` if notified, `false` on timeout.
   * @throws {Error} If the calling thread does not hold the lock.
   * @throws {TypeError} On a bad timeout, or where this thread may not block (use `waitAsync()`).
   *
   * @example Waiting with a timeout
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * using _ = cond.guard();
   * console.assert(cond.wait(10) === false);
   * ```
   */
  wait(timeout?: number): boolean {
    const deadline = deadlineOf(timeout);
    assertCanBlock("Condition.wait", "Condition.waitAsync");
    return waitNotified(this.#i32, this.getLock(), this.#reentry, deadline);
  }

  /**
   * The async form of {@linkcode Condition.wait}.
   *
   * @param timeout Milliseconds to wait at most; negative counts as 0. Default `Infinity`.
   * @param options `signal` ends the wait: the lock is re-acquired, then it rejects with `signal.reason`.
   * @returns `true` if notified, `false` on timeout.
   * @throws {Error} If the calling thread does not hold the lock.
   *
   * @example Waiting in an async function
   * ```ts
   * import { Condition, Lock } from "@sabkit/sabkit";
   * const cond = new Condition(new Lock());
   * using _ = await cond.guardAsync();
   * console.assert((await cond.waitAsync(10)) === false);
   * ```
   */
  waitAsync(timeout?: number, options?: ConditionWaitOptions): Promise<boolean> {
    try {
      const deadline = deadlineOf(timeout);
      const { signal } = waitOptions(options, "Condition.waitAsync");
      return waitNotifiedAsync(this.#i32, this.getLock(), this.#reentry, deadline, signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Waits until `predicate()` is truthy, as Python's `wait_for`: the
   * predicate is called with the lock held, first before any wait.
   *
   * @param predicate Checked after every wake-up.
   * @param timeout Milliseconds to wait at most, in total. Default `Infinity`.
   * @returns The predicate's last value (falsy only on timeout).
   * @throws {Error} If it must wait and the calling thread does not hold the lock.
   * @throws {TypeError} If `predicate` is not a function, or on a bad timeout.
   *
   * @example Waiting for a shared counter
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * const count = new Int32Array(new SharedArrayBuffer(4));
   * using _ = cond.guard();
   * console.assert(cond.waitFor(() => count[0] > 0, 10) === false);
   * ```
   */
  waitFor<T>(predicate: () => T, timeout?: number): T {
    const deadline = checkWaitFor(predicate, timeout);
    let result = predicate();
    for (let left = remaining(deadline); !result && left > 0; left = remaining(deadline)) {
      this.wait(left);
      result = predicate();
    }
    return result;
  }

  /**
   * The async form of {@linkcode Condition.waitFor}.
   *
   * @param predicate Checked after every wake-up, with the lock held.
   * @param timeout Milliseconds to wait at most, in total. Default `Infinity`.
   * @param options `signal`, as for `waitAsync`.
   * @returns The predicate's last value (falsy only on timeout).
   * @throws {Error} If it must wait and the calling thread does not hold the lock.
   *
   * @example Waiting for a shared counter in an async function
   * ```ts
   * import { Condition, Lock } from "@sabkit/sabkit";
   * const cond = new Condition(new Lock());
   * const count = new Int32Array(new SharedArrayBuffer(4));
   * using _ = await cond.guardAsync();
   * console.assert((await cond.waitForAsync(() => count[0] > 0, 10)) === false);
   * ```
   */
  async waitForAsync<T>(predicate: () => T, timeout?: number, options?: ConditionWaitOptions): Promise<T> {
    const deadline = checkWaitFor(predicate, timeout);
    let result = predicate();
    for (let left = remaining(deadline); !result && left > 0; left = remaining(deadline)) {
      await this.waitAsync(left, options);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes exactly `n` of the threads waiting right now (all of them if fewer wait).
   *
   * @param n How many to wake. Default 1.
   * @throws {Error} If the calling thread does not hold the lock.
   * @throws {RangeError} If `n` is not a non-negative integer or `Infinity`.
   *
   * @example Handing over one item
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * using _ = cond.guard();
   * cond.notify();
   * ```
   */
  notify(n: number = 1): void {
    checkCount(n, "The number of threads to notify", 0, Infinity, true);
    notify(this.#i32, this.#reentry, n);
  }

  /**
   * Wakes every thread waiting right now.
   *
   * @throws {Error} If the calling thread does not hold the lock.
   *
   * @example Broadcasting a change
   * ```ts
   * import { Condition } from "@sabkit/sabkit";
   * const cond = new Condition();
   * using _ = cond.guard();
   * cond.notifyAll();
   * ```
   */
  notifyAll(): void {
    this.notify(Infinity);
  }
}
