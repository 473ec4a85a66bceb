/**
 * `JoinableQueue`: Python's `multiprocessing.JoinableQueue` for workers.
 *
 * @module
 */

import { defineKind, type Handle } from "../core/_handle.ts";
import { deadlineOf, waitOptions } from "../core/_wait.ts";
import { type AsyncOptions, type Endpoint, endpoints } from "./_endpoint.ts";
import { queueBytes, type QueueMeta } from "./_queue_options.ts";
import { Queue, type QueueOptions } from "./queue.ts";

/**
 * A {@linkcode Queue} that counts unfinished tasks: every item put is one
 * more, `taskDone()` one less, and `join()` waits until none is left, as
 * Python's `JoinableQueue`. An item dropped because its consumer was
 * terminated mid-stream counts as done; one a consumer took and then died
 * with (before `taskDone`) stays unfinished, as in Python.
 *
 * @example Waiting until workers processed everything
 * ```ts ignore
 * import { JoinableQueue } from "@sabkit/sabkit";
 * const q = new JoinableQueue<string>();
 * for (const url of urls) q.put(url);
 * await q.joinAsync(); // each worker: for (const u of q) { fetch(u); q.taskDone(); }
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  static {
    defineKind(this, "JoinableQueue", {
      bytes: queueBytes,
      create: (h: Handle) => new JoinableQueue(h.meta as QueueMeta),
    });
  }

  /**
   * Creates an empty joinable queue (options as {@linkcode Queue}'s).
   *
   * @param options `maxsize` and `bytes`.
   * @throws {TypeError} If `options` is not an object or an option not a number.
   * @throws {RangeError} If an option is out of range.
   *
   * @example A joinable queue
   * ```ts
   * import { JoinableQueue } from "@sabkit/sabkit";
   * const q = new JoinableQueue({ maxsize: 10 });
   * console.assert(q.maxsize === 10);
   * ```
   */
  constructor(options?: QueueOptions) {
    super(options);
  }

  #end(): Endpoint {
    return endpoints.get(this)!;
  }

  /**
   * Marks one task done: a consumer calls it once per item it got, when it
   * has finished with it.
   *
   * @throws {RangeError} If called more times than items were put (nothing changes).
   *
   * @example Finishing a task
   * ```ts
   * import { JoinableQueue } from "@sabkit/sabkit";
   * const q = new JoinableQueue();
   * q.put("job");
   * q.get();
   * q.taskDone();
   * console.assert(q.join(0));
   * ```
   */
  taskDone(): void {
    if (!this.#end().items.taskDone()) {
      throw new RangeError("JoinableQueue.taskDone() was called more times than there were items put");
    }
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   *
   * @param timeout Milliseconds to wait at most (default: no limit).
   * @returns `true` once all are done, `false` if `timeout` passed first.
   * @throws {TypeError} If `timeout` is not a number.
   *
   * @example Nothing put: done at once
   * ```ts
   * import { JoinableQueue } from "@sabkit/sabkit";
   * console.assert(new JoinableQueue().join(0));
   * ```
   */
  join(timeout?: number): boolean {
    return this.#end().joinSync(deadlineOf(timeout));
  }

  /**
   * The async form of {@linkcode JoinableQueue.join}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A promise of `true` once all are done, `false` if `timeout` passed first.
   *
   * @example Joining from an async function
   * ```ts
   * import { JoinableQueue } from "@sabkit/sabkit";
   * const q = new JoinableQueue();
   * q.put(1);
   * console.assert((await q.joinAsync({ timeout: 10 })) === false);
   * ```
   */
  joinAsync(options?: AsyncOptions): Promise<boolean> {
    const { timeout, signal } = waitOptions(options, "JoinableQueue.joinAsync");
    return this.#end().joinAsync(deadlineOf(timeout), signal);
  }
}
