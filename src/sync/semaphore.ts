/**
 * `Semaphore`: Python's `multiprocessing.Semaphore` for workers.
 *
 * @module
 */

import { checkCount } from "./_count.ts";
import { acquireDeadline } from "../core/_guard.ts";
import { attach, defineKind, kindOf, takePreset } from "../core/_handle.ts";
import { BYTES, give, LIMIT, MAX_VALUE, takeAsync, takeSync, tryTake, VALUE } from "./_semaphore.ts";
import { checkStop, deadlineOf, waitOptions } from "../core/_wait.ts";
import { type AcquireOptions, type AsyncWaitOptions, Lockable } from "../core/protocol.ts";

/**
 * A counter that `acquire` decrements, waiting while it is 0, and `release`
 * increments, shared by every worker it is posted to.
 *
 * A semaphore has no owner: a permit taken by a worker that then exits stays
 * taken (waiters time out, or wait on). Any thread may `release` it on the
 * dead worker's behalf. A worker terminated while it waits takes nothing.
 * One killed inside `acquire` or `release` has taken (or given back) its
 * permit or not, never half: the count stays exact, and a wake-up it never
 * sent is made up for within 100 ms (sleepers retry that often).
 *
 * @example Letting at most two workers into a section
 * ```ts
 * import { Semaphore } from "@sabkit/sabkit";
 * const sem = new Semaphore(2);
 * {
 *   using _ = sem.guard();
 *   console.assert(sem.getValue() === 1);
 * }
 * console.assert(sem.getValue() === 2);
 * ```
 */
export class Semaphore extends Lockable {
  static {
    defineKind(this, "Semaphore", { bytes: BYTES });
  }

  #i32: Int32Array;
  #kind: string;

  /**
   * Creates a semaphore.
   *
   * @param value The initial count. Default 1.
   * @throws {TypeError} If `value` is not a number.
   * @throws {RangeError} If `value` is negative, not an integer or above 2147483647.
   *
   * @example Two permits
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(2);
   * console.assert(sem.acquire() && sem.acquire() && !sem.acquire({ blocking: false }));
   * sem.release(2);
   * console.assert(sem.getValue() === 2);
   * ```
   */
  constructor(value: number = 1) {
    super();
    const { handle } = takePreset();
    // BoundedSemaphore (and a user's subclass) share this constructor: new.target names the kind.
    this.#kind = kindOf(new.target).name;
    if (!handle) checkCount(value, `The ${this.#kind} initial value`, 0, MAX_VALUE);
    this.#i32 = attach(this, Semaphore, BYTES, handle);
    if (!handle) {
      this.#i32[VALUE] = value;
      this.#i32[LIMIT] = this.#kind === "Semaphore" ? MAX_VALUE : value;
    }
  }

  /**
   * Decrements the count, waiting while it is 0.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0).
   * @returns `true` once decremented, `false` if it timed out or would have blocked.
   * @throws {TypeError} On bad options, or where this thread may not block (use `acquireAsync()`).
   *
   * @example Trying without blocking
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(1);
   * console.assert(sem.acquire({ blocking: false }));
   * console.assert(!sem.acquire({ timeout: 5 }));
   * ```
   */
  acquire(options: AcquireOptions = {}): boolean {
    const deadline = acquireDeadline(options, `${this.#kind}.acquire`);
    if (deadline === undefined) return tryTake(this.#i32);
    return takeSync(this.#i32, deadline);
  }

  /**
   * Decrements the count without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason.
   * @returns `true` once decremented, `false` on timeout.
   * @throws {TypeError} On a bad timeout (as a rejection).
   *
   * @example Waiting in an async function
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(0);
   * console.assert(!(await sem.acquireAsync({ timeout: 10 })));
   * ```
   */
  acquireAsync(options?: AsyncWaitOptions): Promise<boolean> {
    try {
      const { timeout, signal } = waitOptions(options, `${this.#kind}.acquireAsync`);
      return takeAsync(this.#i32, deadlineOf(timeout), signal);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Increments the count by `n` and wakes at most `n` waiters.
   *
   * @param n How much to add. Default 1.
   * @throws {TypeError} If `n` is not a number.
   * @throws {RangeError} If `n` is not a positive integer, or the count would pass its
   * limit (the initial value of a `BoundedSemaphore`, else 2147483647); the count is unchanged.
   *
   * @example Releasing two waiters at once
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * const sem = new Semaphore(0);
   * sem.release(2);
   * console.assert(sem.getValue() === 2);
   * ```
   */
  release(n: number = 1): void {
    checkCount(n, `The ${this.#kind} release count`, 1, MAX_VALUE);
    if (give(this.#i32, n)) return;
    const limit = Atomics.load(this.#i32, LIMIT);
    const what = limit === MAX_VALUE ? "its maximum" : "its initial value";
    throw new RangeError(
      `Cannot release the ${this.#kind} by ${n}: the count ${this.getValue()} would pass ${what} ${limit}`,
    );
  }

  /**
   * The current count.
   *
   * @returns The count, at least 0.
   *
   * @example Reading the count
   * ```ts
   * import { Semaphore } from "@sabkit/sabkit";
   * console.assert(new Semaphore(3).getValue() === 3);
   * ```
   */
  getValue(): number {
    // A terminated worker (Deno runs on after terminate()) stops at its next call, even a read.
    checkStop();
    return Atomics.load(this.#i32, VALUE);
  }
}
