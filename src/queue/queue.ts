/**
 * `Queue`: Python's `multiprocessing.Queue` for workers, any value, over
 * shared memory.
 *
 * @module
 */

import { attach, defineKind, type Handle, liveKind, takePreset } from "../core/_handle.ts";
import { type AsyncOptions, type BlockingOptions, deadlineFrom, Endpoint, endpoints } from "./_endpoint.ts";
import { Items, ringBytes } from "./_items.ts";
import { checkShape, queueBytes, type QueueMeta, queueOptions } from "./_queue_options.ts";

export type { AsyncOptions, BlockingOptions } from "./_endpoint.ts";

/**
 * Options of the {@linkcode Queue} and {@linkcode JoinableQueue} constructors.
 *
 * @example A bounded queue with 1 MiB of shared memory
 * ```ts
 * import { Queue } from "@sabkit/sabkit";
 * const q = new Queue<string>({ maxsize: 100, bytes: 1 << 20 });
 * q.put("a");
 * console.assert(q.maxsize === 100 && q.get() === "a");
 * ```
 */
export interface QueueOptions {
  /** The most items the queue holds (0, the default: no limit but `bytes`). */
  maxsize?: number;
  /**
   * Shared memory for items in flight, in bytes (default 65,536; 64 to 2²⁸).
   * A larger item still goes through, streamed in parts.
   */
  bytes?: number;
}

/**
 * A queue of any values between workers, as Python's
 * `multiprocessing.Queue`: what `structuredClone` accepts arrives as
 * `structuredClone` would give it, a `SharedArrayBuffer` or a sabkit object
 * inside a value arrives live on the same memory, and what `structuredClone`
 * refuses is a `TypeError` (nothing is put). Any number of threads may put
 * and get at once; each item is taken exactly once, each producer's items in
 * order. Post it to workers, or pass it to `Process`.
 *
 * Items travel encoded through `bytes` of shared memory; an item larger
 * than that is streamed in parts while a consumer reads it. A worker
 * terminated mid-put puts nothing; one terminated mid-get leaves the item to
 * the next consumer, unless it had taken it (then the item is lost with it).
 *
 * Shared memory inside a value (a `SharedArrayBuffer`, a sabkit object)
 * travels beside the item through a `BroadcastChannel`: a blocking `get` on
 * Deno or Bun of such an item whose memory has not reached its thread yet
 * throws a `TypeError` naming `getAsync` and takes nothing.
 *
 * @example A worker's results, collected by the main thread
 * ```ts ignore
 * import { Process, Queue } from "@sabkit/sabkit";
 * const q = new Queue<{ id: number; sum: number }>();
 * const p = new Process(new URL("./work.ts", import.meta.url), { args: [q] }).start();
 * console.log(await q.getAsync({ timeout: 5000 }));
 * await p.join();
 * // work.ts: export default (q: Queue) => q.put({ id: 1, sum: 42 });
 * ```
 */
export class Queue<T = unknown> {
  static {
    defineKind(this, "Queue", {
      bytes: queueBytes,
      create: (h: Handle) => new Queue(h.meta as QueueMeta),
    });
  }

  readonly #end: Endpoint;
  readonly #kind: string;

  /**
   * Creates an empty queue.
   *
   * @param options `maxsize` (items, default 0: no limit) and `bytes` (shared memory, default 64 KiB).
   * @throws {TypeError} If `options` is not an object or an option not a number.
   * @throws {RangeError} If `maxsize` is outside 0…2³¹−1 or `bytes` outside 64…2²⁸.
   *
   * @example A queue of at most 100 items
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue({ maxsize: 100 });
   * console.assert(q.maxsize === 100);
   * ```
   */
  constructor(options?: QueueOptions) {
    const { handle } = takePreset();
    // JoinableQueue (and a user's subclass) share this constructor: new.target names the kind.
    const meta = queueOptions(options, `new ${new.target.name}()`, true);
    const i32 = attach(this, Queue, ringBytes(meta.bytes), handle, meta);
    this.#kind = liveKind(this) ?? "Queue";
    const items = new Items(i32, meta.bytes, meta.maxsize);
    if (handle === undefined) items.init();
    else checkShape(i32, meta, this.#kind);
    this.#end = new Endpoint(this, items, { kind: this.#kind, put: "put", get: "get" });
    endpoints.set(this, this.#end);
  }

  /**
   * The most items the queue holds (0: no limit but its bytes).
   *
   * @example Unbounded by default
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * console.assert(new Queue().maxsize === 0);
   * ```
   */
  get maxsize(): number {
    return this.#end.items.maxsize;
  }

  /**
   * Puts `value`, waiting while the queue is full.
   *
   * @param value Anything `structuredClone` accepts.
   * @param options `blocking` (default `true`) and `timeout` in ms.
   * @throws {TypeError} If `structuredClone` refuses `value` (nothing is put).
   * @throws {QueueFullError} If it could not put in time.
   * @throws {ChannelClosedError} If the queue is closed, or closes while this waits.
   *
   * @example Putting with a timeout
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue();
   * q.put({ id: 1, tags: ["a"] }, { timeout: 100 });
   * ```
   */
  put(value: T, options?: BlockingOptions): void {
    // Without options, nothing to check or build (as SimpleQueue.put): a string and an object less per put.
    if (options === undefined) {
      return this.#end.putSync(value, undefined, Infinity, undefined, "put", "putAsync");
    }
    const { deadline, timeout } = deadlineFrom(options, `${this.#kind}.put`);
    this.#end.putSync(value, undefined, deadline, timeout, "put", "putAsync");
  }

  /**
   * The async form of {@linkcode Queue.put}: waits without blocking the thread.
   *
   * @param value Anything `structuredClone` accepts (encoded when called).
   * @param options `timeout` in ms and `signal`.
   * @returns A promise that resolves once the value is in the queue.
   * @throws {TypeError} If `structuredClone` refuses `value`.
   * @throws {QueueFullError} If it could not put in time.
   * @throws {ChannelClosedError} If the queue is closed, or closes while this waits.
   *
   * @example From an async function
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue();
   * await q.putAsync(new Map([[1, "one"]]));
   * ```
   */
  async putAsync(value: T, options?: AsyncOptions): Promise<void> {
    const { deadline, timeout, signal } = deadlineFrom(options, `${this.#kind}.putAsync`);
    await this.#end.putAsync(value, undefined, deadline, timeout, signal, "putAsync");
  }

  /**
   * Puts `value` only if there is room now (`put(value, { blocking: false })`).
   *
   * @param value Anything `structuredClone` accepts.
   * @throws {QueueFullError} If the queue is full.
   *
   * @example Dropping what does not fit
   * ```ts
   * import { Queue, QueueFullError } from "@sabkit/sabkit";
   * const q = new Queue({ maxsize: 1 });
   * q.putNowait(1);
   * try {
   *   q.putNowait(2);
   * } catch (e) {
   *   console.assert(e instanceof QueueFullError);
   * }
   * ```
   */
  putNowait(value: T): void {
    this.#end.putSync(value, undefined, -Infinity, 0, "putNowait", "putAsync");
  }

  /**
   * Takes the next value, waiting while the queue is empty.
   *
   * @param options `blocking` (default `true`) and `timeout` in ms.
   * @returns The value, as `structuredClone` would give it.
   * @throws {QueueEmptyError} If nothing came in time.
   * @throws {ChannelClosedError} Once the queue is closed and drained.
   * @throws {TypeError} On Deno and Bun, for an item carrying shared memory that has not reached this
   * thread (use `getAsync`; the item stays).
   *
   * @example Taking what was put
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue<number[]>();
   * q.put([1, 2]);
   * console.assert(q.get({ timeout: 100 })[1] === 2);
   * ```
   */
  get(options?: BlockingOptions): T {
    if (options === undefined) return this.#end.getSync(Infinity, undefined, "get", "getAsync") as T;
    const { deadline, timeout } = deadlineFrom(options, `${this.#kind}.get`);
    return this.#end.getSync(deadline, timeout, "get", "getAsync") as T;
  }

  /**
   * The async form of {@linkcode Queue.get}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A promise of the value.
   * @throws {QueueEmptyError} If nothing came in time.
   * @throws {ChannelClosedError} Once the queue is closed and drained.
   *
   * @example Awaiting the next value
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue<string>();
   * q.put("hi");
   * console.assert((await q.getAsync({ timeout: 100 })) === "hi");
   * ```
   */
  async getAsync(options?: AsyncOptions): Promise<T> {
    const { deadline, timeout, signal } = deadlineFrom(options, `${this.#kind}.getAsync`);
    return await this.#end.getAsync(deadline, timeout, signal, "getAsync") as T;
  }

  /**
   * Takes the next value only if there is one now (`get({ blocking: false })`).
   *
   * @returns The value.
   * @throws {QueueEmptyError} If the queue is empty.
   * @throws {ChannelClosedError} Once the queue is closed and drained.
   *
   * @example Polling
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
  getNowait(): T {
    return this.#end.getSync(-Infinity, 0, "getNowait", "getAsync") as T;
  }

  /**
   * How many items are in the queue (a snapshot: others may put and get meanwhile).
   *
   * @example Counting
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue();
   * q.put(1);
   * q.put(2);
   * console.assert(q.qsize() === 2);
   * ```
   */
  qsize(): number {
    return this.#end.items.size();
  }

  /**
   * Whether the queue holds no item (a snapshot).
   *
   * @example A new queue is empty
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * console.assert(new Queue().empty());
   * ```
   */
  empty(): boolean {
    return this.#end.items.size() === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (never, without a `maxsize`).
   *
   * @example Full at maxsize
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue({ maxsize: 1 });
   * q.put("x");
   * console.assert(q.full());
   * ```
   */
  full(): boolean {
    const max = this.#end.items.maxsize;
    return max > 0 && this.#end.items.size() >= max;
  }

  /**
   * Whether `close()` was called (items put before may still be waiting).
   *
   * @example Closed, not yet drained
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue();
   * q.put(1);
   * q.close();
   * console.assert(q.closed && q.get() === 1);
   * ```
   */
  get closed(): boolean {
    return this.#end.items.closed();
  }

  /**
   * Closes the queue in every thread: puts throw `ChannelClosedError` from
   * now on, gets drain what was put, then throw it; every waiting call wakes.
   * Closing twice is harmless.
   *
   * @example Ending a stream of work
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue();
   * q.put("last");
   * q.close();
   * console.assert([...q].length === 1);
   * ```
   */
  close(): void {
    this.#end.items.close();
  }

  /**
   * Takes values (as `get`) until the queue is closed and drained.
   *
   * @example A consumer loop
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue<number>();
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
   * @example An async consumer loop
   * ```ts
   * import { Queue } from "@sabkit/sabkit";
   * const q = new Queue<number>();
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
