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
  /**
   * Creates the error with an explanatory message.
   *
   * @example A timeout of your own
   * ```ts
   * import { TimeoutError } from "@sabkit/sabkit";
   * const e = new TimeoutError("The job took too long");
   * console.assert(e.name === "TimeoutError" && e.message === "The job took too long");
   * ```
   */
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
  /**
   * The agent id of the exited holder.
   *
   * @example Naming the dead holder
   * ```ts
   * import { OwnerDiedError } from "@sabkit/sabkit";
   * const e = new OwnerDiedError("Lock", 7);
   * console.assert(e.holder === 7);
   * ```
   */
  readonly holder: number;
  /**
   * Creates the error for a lock whose holder `holder` has exited.
   *
   * @example The error a dead holder leaves
   * ```ts
   * import { OwnerDiedError } from "@sabkit/sabkit";
   * const e = new OwnerDiedError("Lock", 7);
   * console.assert(e.name === "OwnerDiedError" && e.message.includes("agent 7"));
   * ```
   */
  constructor(kind: string, holder: number) {
    super(
      `The ${kind} is held by a worker that has exited (agent ${holder}); repair the state it guards, then acquire({ recover: true })`,
    );
    this.name = "OwnerDiedError";
    this.holder = holder;
  }
}

/**
 * Thrown by a `Queue` put that could not put in time: a non-blocking put
 * (`putNowait`, `{ blocking: false }`) on a full queue, or a put whose
 * `timeout` passed while the queue stayed full (Python's `queue.Full`).
 * Nothing was put.
 *
 * @example A non-blocking put on a full queue
 * ```ts
 * import { Queue, QueueFullError } from "@sabkit/sabkit";
 * const q = new Queue({ maxsize: 1 });
 * q.put(1);
 * try {
 *   q.putNowait(2);
 * } catch (e) {
 *   console.assert(e instanceof QueueFullError);
 * }
 * ```
 */
export class QueueFullError extends Error {
  /**
   * Creates the error.
   *
   * @example Refusing an item
   * ```ts
   * import { QueueFullError } from "@sabkit/sabkit";
   * const e = new QueueFullError();
   * console.assert(e.name === "QueueFullError" && e.message === "The queue is full");
   * ```
   */
  constructor(message = "The queue is full") {
    super(message);
    this.name = "QueueFullError";
  }
}

/**
 * Thrown by a `Queue` get that found nothing in time: a non-blocking get
 * (`getNowait`, `{ blocking: false }`) on an empty queue, or a get whose
 * `timeout` passed while the queue stayed empty (Python's `queue.Empty`).
 *
 * @example A non-blocking get on an empty queue
 * ```ts
 * import { Queue, QueueEmptyError } from "@sabkit/sabkit";
 * const q = new Queue();
 * try {
 *   q.getNowait();
 * } catch (e) {
 *   console.assert(e instanceof QueueEmptyError);
 * }
 * ```
 */
export class QueueEmptyError extends Error {
  /**
   * Creates the error.
   *
   * @example Reporting an empty queue
   * ```ts
   * import { QueueEmptyError } from "@sabkit/sabkit";
   * const e = new QueueEmptyError();
   * console.assert(e.name === "QueueEmptyError" && e.message === "The queue is empty");
   * ```
   */
  constructor(message = "The queue is empty") {
    super(message);
    this.name = "QueueEmptyError";
  }
}
