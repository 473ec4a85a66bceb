/**
 * `BoundedSemaphore`: Python's `multiprocessing.BoundedSemaphore` for workers.
 *
 * @module
 */

import { defineKind } from "../core/_handle.ts";
import { BYTES } from "./_semaphore.ts";
import { Semaphore } from "./semaphore.ts";

/**
 * A {@linkcode Semaphore} whose count may never pass its initial value: a
 * release too many is a bug, caught as a `RangeError` that leaves the count
 * unchanged.
 *
 * @example Catching one release too many
 * ```ts
 * import { BoundedSemaphore } from "@sabkit/sabkit";
 * const sem = new BoundedSemaphore(2);
 * sem.acquire();
 * sem.release();
 * try {
 *   sem.release();
 * } catch (e) {
 *   console.assert(e instanceof RangeError && sem.getValue() === 2);
 * }
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  static {
    defineKind(this, "BoundedSemaphore", { bytes: BYTES });
  }

  /**
   * Creates a bounded semaphore.
   *
   * @param value The initial count, which is also the largest. Default 1.
   * @throws {TypeError} If `value` is not a number.
   * @throws {RangeError} If `value` is negative, not an integer or above 2147483647.
   *
   * @example A pool of three connections
   * ```ts
   * import { BoundedSemaphore } from "@sabkit/sabkit";
   * const pool = new BoundedSemaphore(3);
   * console.assert(pool.getValue() === 3);
   * ```
   */
  constructor(value: number = 1) {
    super(value);
  }
}
