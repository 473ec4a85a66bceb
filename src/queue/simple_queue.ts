/**
 * `SimpleQueue`: Python's `multiprocessing.SimpleQueue` for workers.
 *
 * @module
 */

import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import { type AsyncOptions, deadlineFrom, Endpoint } from "./_endpoint.ts";
import { Items, ringBytes } from "./_items.ts";
import { checkShape, queueBytes, type QueueMeta, queueOptions } from "./_queue_options.ts";

/**
 * Options of the {@linkcode SimpleQueue} constructor.
 *
 * @example More room for large values
 * ```ts
 * import { SimpleQueue } from "@sabkit/sabkit";
 * const q = new SimpleQueue<Uint8Array>({ bytes: 1 << 20 });
 * q.put(new Uint8Array(4096));
 * console.assert(q.get().length === 4096);
 * ```
 */
export interface SimpleQueueOptions {
  /** Shared memory for items in flight, in bytes (default 65,536; 64 to 2²⁸). */
  bytes?: number;
}

/**
 * An unbounded queue of any values with only `put`, `get`, `empty` and
 * `close`, as Python's `SimpleQueue`; values travel as in
 * {@linkcode Queue}.
 *
 * @example Handing values to a worker
 * ```ts
 * import { SimpleQueue } from "@sabkit/sabkit";
 * const q = new SimpleQueue<string>();
 * q.put("task");
 * console.assert(q.get() === "task" && q.empty());
 * ```
 */
export class SimpleQueue<T = unknown> {
  static {
    defineKind(this, "SimpleQueue", {
      bytes: queueBytes,
      create: (h: Handle) => new SimpleQueue({ bytes: (h.meta as QueueMeta).bytes }),
    });
  }

  readonly #end: Endpoint;

  /**
   * Creates an empty queue.
   *
   * @param options `bytes` (shared memory, default 64 KiB).
   * @throws {TypeError} If `options` is not an object or `bytes` not a number.
   * @throws {RangeError} If `bytes` is outside 64…2²⁸.
   *
   * @example With more room for items in flight
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue({ bytes: 1 << 20 });
   * ```
   */
  constructor(options?: SimpleQueueOptions) {
    const { handle } = takePreset();
    const meta = queueOptions(options, "new SimpleQueue()", false);
    if (handle !== undefined && (handle.meta as QueueMeta).maxsize !== 0) {
      throw new TypeError("Cannot revive a sabkit object: a SimpleQueue has no maxsize");
    }
    const i32 = attach(this, SimpleQueue, ringBytes(meta.bytes), handle, meta);
    const items = new Items(i32, meta.bytes, 0);
    if (handle === undefined) items.init();
    else checkShape(i32, meta, "SimpleQueue");
    this.#end = new Endpoint(this, items, { kind: "SimpleQueue", put: "put", get: "get" });
  }

  /**
   * Puts `value`, waiting while its bytes do not fit.
   *
   * @param value Anything `structuredClone` accepts.
   * @throws {TypeError} If `structuredClone` refuses `value` (nothing is put).
   * @throws {ChannelClosedError} If the queue is closed.
   *
   * @example Putting a record
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * new SimpleQueue().put({ id: 1 });
   * ```
   */
  put(value: T): void {
    this.#end.putSync(value, undefined, Infinity, undefined, "put", "putAsync");
  }

  /**
   * The async form of {@linkcode SimpleQueue.put}.
   *
   * @param value Anything `structuredClone` accepts.
   * @param options `timeout` in ms and `signal`.
   * @throws {QueueFullError} If its bytes did not fit in time.
   *
   * @example From an async function
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * await new SimpleQueue().putAsync([1, 2, 3]);
   * ```
   */
  async putAsync(value: T, options?: AsyncOptions): Promise<void> {
    const { deadline, timeout, signal } = deadlineFrom(options, "SimpleQueue.putAsync");
    await this.#end.putAsync(value, undefined, deadline, timeout, signal, "putAsync");
  }

  /**
   * Takes the next value, waiting while the queue is empty.
   *
   * @returns The value.
   * @throws {ChannelClosedError} Once the queue is closed and drained.
   *
   * @example Taking what was put
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue<number>();
   * q.put(7);
   * console.assert(q.get() === 7);
   * ```
   */
  get(): T {
    return this.#end.getSync(Infinity, undefined, "get", "getAsync") as T;
  }

  /**
   * The async form of {@linkcode SimpleQueue.get}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A promise of the value.
   * @throws {QueueEmptyError} If nothing came in time.
   * @throws {ChannelClosedError} Once the queue is closed and drained.
   *
   * @example Awaiting a value
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue();
   * q.put("x");
   * console.assert((await q.getAsync()) === "x");
   * ```
   */
  async getAsync(options?: AsyncOptions): Promise<T> {
    const { deadline, timeout, signal } = deadlineFrom(options, "SimpleQueue.getAsync");
    return await this.#end.getAsync(deadline, timeout, signal, "getAsync") as T;
  }

  /**
   * Whether the queue holds no item (a snapshot).
   *
   * @example A new queue is empty
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * console.assert(new SimpleQueue().empty());
   * ```
   */
  empty(): boolean {
    return this.#end.items.size() === 0;
  }

  /**
   * Closes the queue: puts throw from now on, gets drain then throw
   * `ChannelClosedError`; every waiting call wakes.
   *
   * @example Closing
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue();
   * q.close();
   * console.assert(q.closed);
   * ```
   */
  close(): void {
    this.#end.items.close();
  }

  /**
   * Whether `close()` was called.
   *
   * @example Open at first
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * console.assert(!new SimpleQueue().closed);
   * ```
   */
  get closed(): boolean {
    return this.#end.items.closed();
  }

  /**
   * Takes values (as `get`) until the queue is closed and drained.
   *
   * @example Draining
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue<number>();
   * q.put(1);
   * q.close();
   * for (const v of q) console.log(v);
   * ```
   */
  *[Symbol.iterator](): Generator<T, void, undefined> {
    for (;;) {
      let v: T;
      try {
        v = this.get();
      } catch (e) {
        if (this.closed && (e as Error).name === "ChannelClosedError") return;
        throw e;
      }
      yield v;
    }
  }

  /**
   * Takes values (as `getAsync`) until the queue is closed and drained.
   *
   * @example Draining asynchronously
   * ```ts
   * import { SimpleQueue } from "@sabkit/sabkit";
   * const q = new SimpleQueue<number>();
   * q.put(1);
   * q.close();
   * for await (const v of q) console.log(v);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let v: T;
      try {
        v = await this.getAsync();
      } catch (e) {
        if (this.closed && (e as Error).name === "ChannelClosedError") return;
        throw e;
      }
      yield v;
    }
  }
}
