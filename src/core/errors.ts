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

/**
 * Thrown by `acquire()` of a `Lock` or `RLock` whose holder's worker has
 * exited without releasing it (a robust mutex's "owner died"). The lock stays
 * locked; after repairing the shared state it guards, take it over with
 * `acquire({ recover: true })`.
 *
 * @example Recovering a lock whose holder died
 * ```ts
 * import { Lock, OwnerDiedError } from "@sabkit/sabkit";
 * const lock = new Lock();
 * try {
 *   lock.acquire({ timeout: 100 });
 * } catch (e) {
 *   if (!(e instanceof OwnerDiedError)) throw e;
 *   // …repair what the lock protects, then:
 *   lock.acquire({ recover: true });
 * }
 * lock.release();
 * ```
 */
export class OwnerDiedError extends Error {
  /** The agent id of the exited holder. */
  readonly holder: number;
  /** Creates the error for a lock whose holder `holder` has exited. */
  constructor(kind: string, holder: number) {
    super(
      `The ${kind} is held by a worker that has exited (agent ${holder}); repair the state it guards, then acquire({ recover: true })`,
    );
    this.name = "OwnerDiedError";
    this.holder = holder;
  }
}
