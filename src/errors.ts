/**
 * Errors shared by every primitive.
 *
 * @module
 */

/**
 * Thrown when a guard cannot acquire within its timeout, and by channel
 * operations that time out.
 *
 * @example Catching a timed-out guard
 * ```ts
 * import { Lock, TimeoutError } from "@sabkit/sabkit";
 * const lock = new Lock();
 * lock.acquire();
 * try {
 *   lock.guard({ timeout: 10 });
 * } catch (e) {
 *   console.assert(e instanceof TimeoutError);
 * }
 * ```
 */
export class TimeoutError extends Error {
  /** Creates the error with an explanatory message. */
  constructor(message = "The operation timed out") {
    super(message);
    this.name = "TimeoutError";
  }
}
