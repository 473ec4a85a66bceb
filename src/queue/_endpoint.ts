/**
 * One queue object's end of an item ring: values in (encoded outside the
 * locks, their shared buffers posted beside them), values out (decoded
 * outside the locks, sabkit objects revived), bytes in and out for `Pipe`,
 * and the two drivers (blocking and async) of the ring's waits.
 *
 * @module
 */

import { ChannelClosedError } from "../channel/channel.ts";
import { describe } from "../core/_describe.ts";
import { QueueEmptyError, QueueFullError, TimeoutError } from "../core/errors.ts";
import { assertCanBlock, checkStop, deadlineOf, waitAsync, waitOptions, waitSync } from "../core/_wait.ts";
import {
  ANY,
  BUSY,
  DATA,
  ENDED,
  Items,
  OWN_LOCK,
  OWN_STREAM,
  RAW,
  SHARED_WAIT,
  TIMED_OUT,
  TOO_LONG,
  WAITING,
} from "./_items.ts";
import { reviveInPlace } from "./_revive_in_place.ts";
import { SharedPort, sharedSupported, sharedUnsupported } from "./_shared.ts";
import { decodeValue, ValueEncoder } from "./_value_codec.ts";

const NO_BUFFERS: readonly SharedArrayBuffer[] = Object.freeze([]) as readonly SharedArrayBuffer[];

/** A value get's decoder for large items decoded where they lie in the ring (they carry no shared buffers). */
const decodeHere = (bytes: Uint8Array): unknown => decodeValue(bytes, NO_BUFFERS);

/**
 * The options of a blocking put or get (`Queue.put`, `Queue.get`).
 *
 * @example Waiting a little, or not at all
 * ```ts
 * import { Queue, QueueEmptyError } from "@sabkit/sabkit";
 * const q = new Queue<number>();
 * try {
 *   q.get({ timeout: 5 });
 * } catch (e) {
 *   console.assert(e instanceof QueueEmptyError);
 * }
 * q.put(1, { blocking: false });
 * console.assert(q.get({ blocking: false }) === 1);
 * ```
 */
export interface BlockingOptions {
  /** Whether to wait at all (default `true`); `false` fails at once, as Python's `block=False`. */
  blocking?: boolean;
  /** Milliseconds to wait at most (default: no limit); negative counts as 0. */
  timeout?: number;
}

/**
 * The options of an async put or get.
 *
 * @example An async get with a timeout, and one cancelled
 * ```ts
 * import { Queue, QueueEmptyError } from "@sabkit/sabkit";
 * const q = new Queue<number>();
 * await q.getAsync({ timeout: 5 }).catch((e) => console.assert(e instanceof QueueEmptyError));
 * const ac = new AbortController();
 * const pending = q.getAsync({ signal: ac.signal });
 * ac.abort(new Error("stop"));
 * await pending.catch((e) => console.assert(e.message === "stop"));
 * ```
 */
export interface AsyncOptions {
  /** Milliseconds to wait at most (default: no limit); negative counts as 0. */
  timeout?: number;
  /** Aborting it rejects the pending call with `signal.reason`; nothing is put or taken. */
  signal?: AbortSignal;
}

/** The deadline and timeout of a call's options (`blocking: false` is a timeout of 0). */
export function deadlineFrom(
  options: BlockingOptions | AsyncOptions | undefined,
  what: string,
): { deadline: number; timeout: number | undefined; signal: AbortSignal | undefined } {
  const o = waitOptions(options as BlockingOptions & AsyncOptions, what);
  const { blocking, timeout, signal } = o;
  if (blocking !== undefined && typeof blocking !== "boolean") {
    throw new TypeError(`The blocking option of ${what}() must be a boolean, got ${describe(blocking)}`);
  }
  if (blocking === false) return { deadline: -Infinity, timeout: 0, signal };
  return { deadline: deadlineOf(timeout), timeout, signal };
}

/** Drives one of the ring's generators to its end, blocking the thread (see `Items.put`). */
function runSync<T>(
  items: Items,
  gen: Generator<number, T, boolean>,
  deadline: number,
  onShared: () => boolean,
): T {
  for (let step = gen.next();;) {
    if (step.done) return step.value;
    let ok: boolean;
    try {
      ok = step.value === SHARED_WAIT
        ? onShared()
        : waitSync(items.i32, step.value, items.expect, items.endless ? Infinity : deadline, Items.SLICE_MS);
    } catch (e) {
      gen.throw(e);
      throw e;
    }
    step = gen.next(ok);
  }
}

/**
 * The async form of {@linkcode runSync}: the signal aborts waits, but never a
 * stream being read. `onDone` runs on the result in the very step that
 * produced it: an item taken is read out of the ring's scratch before any
 * other call of this thread can take the next one into it.
 */
async function runAsync<T>(
  items: Items,
  gen: Generator<number, T, boolean>,
  deadline: number,
  signal: AbortSignal | undefined,
  onShared: () => Promise<boolean>,
  onDone?: (result: T) => void,
): Promise<T> {
  for (let step = gen.next();;) {
    if (step.done) {
      onDone?.(step.value);
      return step.value;
    }
    let ok: boolean;
    try {
      ok = step.value === SHARED_WAIT ? await onShared() : await waitAsync(
        items.i32,
        step.value,
        items.expect,
        items.endless ? Infinity : deadline,
        items.endless ? undefined : signal,
        Items.SLICE_MS,
      );
    } catch (e) {
      gen.throw(e);
      throw e;
    }
    step = gen.next(ok);
  }
}

/** The words the errors use: the class (`"Queue"`) and its verbs. */
export interface Names {
  readonly kind: string;
  readonly put: string;
  readonly get: string;
  /** Timeouts throw `TimeoutError` (a `Connection`), not `QueueFullError`/`QueueEmptyError`. */
  readonly timeouts?: boolean;
}

/** Each queue object's endpoint (for `JoinableQueue`, which extends `Queue`). */
export const endpoints: WeakMap<object, Endpoint> = new WeakMap();

/** A queue object's end of one ring. */
export class Endpoint {
  readonly items: Items;
  readonly #port: SharedPort | undefined;
  readonly #encoder = new ValueEncoder();
  /** Reused for every encode: the buffers met, copied only when there are any. */
  readonly #shared: SharedArrayBuffer[] = [];
  readonly #names: Names;

  /** Wraps the ring `items` for `owner` (its queue object). */
  constructor(owner: object, items: Items, names: Names) {
    this.items = items;
    this.#names = names;
    if (sharedSupported) {
      this.#port = new SharedPort(owner, items.i32, items.name());
      items.hooks = this.#port;
    }
  }

  /** Encodes `value` (a `TypeError` for what structuredClone refuses: nothing sent); its buffers, if any. */
  #encode(value: unknown): { bytes: Uint8Array; shared: SharedArrayBuffer[] | undefined } {
    const list = this.#shared;
    list.length = 0;
    const bytes = this.#encoder.encode(value, list);
    if (list.length === 0) return { bytes, shared: undefined };
    if (this.#port === undefined) {
      throw new TypeError(
        `${this.#names.kind}.${this.#names.put}() cannot carry shared memory (a SharedArrayBuffer or a sabkit ` +
          `object) on this runtime: ${sharedUnsupported}`,
      );
    }
    const shared = list.slice();
    list.length = 0;
    return { bytes, shared };
  }

  #full(timeout: number | undefined, what: string): Error {
    const n = this.#names;
    return new (n.timeouts ? TimeoutError : QueueFullError)(
      timeout === 0
        ? `${n.kind}.${what}() found the ${n.kind} full`
        : `${n.kind}.${what}() timed out after ${timeout} ms: the ${n.kind} stayed full`,
    );
  }

  #putOutcome(r: number, timeout: number | undefined, what: string, asyncWhat = ""): void {
    if (r === 0) return;
    if (r === ENDED) {
      throw new ChannelClosedError(`Cannot ${this.#names.put} on a closed ${this.#names.kind}`);
    }
    if (r === OWN_LOCK) throw this.#ownLock(what, asyncWhat, "put", "writes");
    throw this.#full(timeout, what);
  }

  /**
   * A blocking call that would wait for its side's lock while an async call
   * of this very thread holds it across awaits (a large item streamed in
   * parts): that call cannot go on while this thread blocks, so the wait
   * would never end. Nothing was put or taken.
   */
  #ownLock(what: string, asyncWhat: string, side: "put" | "get", verb: string): TypeError {
    const n = this.#names;
    const other = side === "put" ? n.put : n.get;
    return new TypeError(
      `${n.kind}.${what}() cannot block: an async ${other} of this very thread holds the ${n.kind}'s ${side} lock ` +
        `while it ${verb} a large item in parts, and cannot go on while this thread blocks (the wait would never ` +
        `end); await it first, or use ${n.kind}.${asyncWhat}()`,
    );
  }

  /** Puts `value` (or, when `raw`, the bytes `value` as they are), blocking until `deadline`. */
  putSync(
    value: unknown,
    raw: Uint8Array | undefined,
    deadline: number,
    timeout: number | undefined,
    what: string,
    asyncWhat: string,
  ): void {
    checkStop();
    this.#port?.idle();
    const { bytes, shared } = raw === undefined ? this.#encode(value) : { bytes: raw, shared: undefined };
    const items = this.items;
    const len = bytes.length;
    if (items.fitsOne(len)) {
      const r = items.tryPutOne(bytes, len, raw !== undefined, shared);
      if (r === 0 || r === ENDED || (deadline !== Infinity && deadline <= performance.now())) {
        return this.#putOutcome(r, timeout, what);
      }
    }
    assertCanBlock(`${this.#names.kind}.${what}`, `${this.#names.kind}.${asyncWhat}`);
    const r = runSync(
      items,
      items.put(bytes, len, raw !== undefined, shared, deadline, Infinity, true),
      deadline,
      () => true,
    );
    this.#putOutcome(r, timeout, what, asyncWhat);
  }

  /** The async form of {@linkcode Endpoint.putSync}. */
  async putAsync(
    value: unknown,
    raw: Uint8Array | undefined,
    deadline: number,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<void> {
    checkStop();
    this.#port?.idle();
    const encoded = raw === undefined ? this.#encode(value) : { bytes: raw, shared: undefined };
    let bytes = encoded.bytes;
    const shared = encoded.shared;
    if (signal?.aborted) throw signal.reason;
    const items = this.items;
    const len = bytes.length;
    if (items.fitsOne(len)) {
      const r = items.tryPutOne(bytes, len, raw !== undefined, shared);
      if (r === 0 || r === ENDED || deadline <= performance.now()) return this.#putOutcome(r, timeout, what);
    }
    // Other calls of this thread may encode (or change the bytes) while this waits.
    bytes = bytes.slice();
    const r = await runAsync(
      items,
      items.put(bytes, len, raw !== undefined, shared, deadline, Items.ASYNC_SPIN_MS, false),
      deadline,
      signal,
      () => Promise.resolve(true),
    );
    this.#putOutcome(r, timeout, what);
  }

  #empty(timeout: number | undefined, what: string, shared: boolean): Error {
    const n = this.#names;
    const why = shared
      ? "the shared memory (SharedArrayBuffer or sabkit object) of the next item did not arrive"
      : `the ${n.kind} stayed empty`;
    return new (n.timeouts ? TimeoutError : QueueEmptyError)(
      timeout === 0 && !shared
        ? `${n.kind}.${what}() found the ${n.kind} empty`
        : `${n.kind}.${what}() timed out after ${timeout} ms: ${why}`,
    );
  }

  /** The value of the item just taken (of `len` bytes); raw bytes arrive as a `Uint8Array`. */
  #value(len: number): unknown {
    const items = this.items;
    if (items.inPlace) {
      // Decoded in the ring as it was taken (see Items.tryGet's decode).
      items.inPlace = false;
      const value = items.inPlaceValue;
      const error = items.inPlaceError;
      items.inPlaceValue = items.inPlaceError = undefined;
      if (error !== undefined) throw error;
      return value;
    }
    const bytes = items.scratch.subarray(0, len);
    if ((items.flags & RAW) !== 0) return bytes.slice();
    const buffers = items.buffers;
    if (buffers === undefined) return decodeValue(bytes, NO_BUFFERS);
    items.buffers = undefined;
    this.#port!.consumed(items.ticket);
    return reviveInPlace(decodeValue(bytes, buffers));
  }

  #getOutcome(
    r: number,
    timeout: number | undefined,
    what: string,
    sharedWait: boolean,
    limit: number,
  ): number {
    if (r >= 0) return r;
    if (r === ENDED) throw new ChannelClosedError(`The ${this.#names.kind} is closed and drained`);
    if (r === OWN_STREAM) {
      const n = this.#names;
      throw new TypeError(
        `${n.kind}.${what}() cannot block for the next item: an async ${n.put} of this very thread is still ` +
          `writing it in parts; use ${n.kind}.${n.get}Async() (the item stays in the ${n.kind})`,
      );
    }
    if (r === TOO_LONG) {
      throw new RangeError(`The next message does not fit a buffer of ${limit} bytes; it stays in the pipe`);
    }
    throw this.#empty(timeout, what, sharedWait);
  }

  /**
   * Takes the next item, blocking until `deadline`: its length (the
   * payload in `items.scratch`). `limit`: the most bytes it may have
   * (`ANY`); a longer one stays and is a `RangeError`.
   */
  takeSync(
    deadline: number,
    timeout: number | undefined,
    what: string,
    asyncWhat: string,
    limit: number = ANY,
    decode?: (bytes: Uint8Array) => unknown,
  ): number {
    checkStop();
    const port = this.#port;
    port?.idle();
    const items = this.items;
    const r = items.tryGet(limit, true, decode);
    if (r >= 0 || r === ENDED || r === TOO_LONG || r === OWN_STREAM) {
      return this.#getOutcome(r, timeout, what, false, limit);
    }
    // No clock read for a get without a timeout (a read costs 50-160 ns here, a good part of a hand-off).
    const expired = deadline !== Infinity && deadline <= performance.now();
    if (expired && (r === BUSY || r === WAITING)) {
      return this.#getOutcome(TIMED_OUT, timeout, what, false, limit);
    }
    if (!expired) assertCanBlock(`${this.#names.kind}.${what}`, `${this.#names.kind}.${asyncWhat}`);
    let sharedWait = false;
    const got = runSync(items, items.get(limit, deadline, Infinity, true, r, decode), deadline, () => {
      if (!port!.canWaitSync) {
        const n = this.#names;
        throw new TypeError(
          `${n.kind}.${what}() cannot take the next item on this thread: it carries shared memory (a SharedArrayBuffer ` +
            `or a sabkit object) that has not reached this thread, and a blocked thread receives it on Node only; ` +
            `use ${n.kind}.${asyncWhat}() (the item stays in the ${n.kind})`,
        );
      }
      sharedWait = true;
      return port!.waitSync(items.ticket, deadline);
    });
    if (got === OWN_LOCK) throw this.#ownLock(what, asyncWhat, "get", "reads");
    return this.#getOutcome(got, timeout, what, sharedWait && got === TIMED_OUT, limit);
  }

  /**
   * The async form of {@linkcode Endpoint.takeSync}: `finish` reads the item
   * (its length given) in the same synchronous step that takes it, since
   * another async take of this thread may take the next item into the same
   * scratch before this call's caller resumes (measured: three `getAsync`s
   * at once decoded each other's bytes).
   */
  async takeAsync<T>(
    deadline: number,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    what: string,
    limit: number,
    finish: (len: number) => T,
    decode?: (bytes: Uint8Array) => unknown,
  ): Promise<T> {
    checkStop();
    const port = this.#port;
    port?.idle();
    if (signal?.aborted) throw signal.reason;
    const items = this.items;
    const r = items.tryGet(limit, false, decode);
    if (r >= 0) return finish(r);
    if (r === ENDED || r === TOO_LONG) this.#getOutcome(r, timeout, what, false, limit);
    let sharedWait = false;
    let value: T | undefined;
    const got = await runAsync(
      items,
      items.get(limit, deadline, Items.ASYNC_SPIN_MS, false, r, decode),
      deadline,
      signal,
      () => {
        sharedWait = true;
        return port!.waitAsync(items.ticket, deadline, signal);
      },
      (n) => {
        if (n >= 0) value = finish(n);
      },
    );
    this.#getOutcome(got, timeout, what, sharedWait && got === TIMED_OUT, limit);
    return value as T;
  }

  /** Takes and decodes the next value, blocking. */
  getSync(deadline: number, timeout: number | undefined, what: string, asyncWhat: string): unknown {
    return this.#value(this.takeSync(deadline, timeout, what, asyncWhat, ANY, decodeHere));
  }

  /** Takes and decodes the next value, async. */
  async getAsync(
    deadline: number,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<unknown> {
    return await this.takeAsync(deadline, timeout, signal, what, ANY, (n) => this.#value(n), decodeHere);
  }

  /** A copy of the bytes of the item just taken (`len` long). */
  bytesOf(len: number): Uint8Array {
    this.#dropBuffers();
    return this.items.scratch.slice(0, len);
  }

  /** Copies the bytes of the item just taken (`len` long) into `target` (long enough), allocating nothing. */
  copyBytes(len: number, target: Uint8Array): void {
    this.#dropBuffers();
    target.set(this.items.scratch.subarray(0, len));
  }

  #dropBuffers(): void {
    const items = this.items;
    if (items.buffers !== undefined) {
      this.#port!.consumed(items.ticket);
      items.buffers = undefined;
    }
  }

  /** A poll's answer: whether an item (or the end) is there; a wake-up it took is passed on. */
  #polled(): boolean {
    const ready = this.items.ready(true);
    if (ready) this.items.passOn();
    return ready;
  }

  /** Waits until an item (or the end) is there: `true`, or `false` at the deadline. */
  pollSync(deadline: number): boolean {
    checkStop();
    const items = this.items;
    const i32 = items.i32;
    for (;;) {
      if (items.ready(true)) return this.#polled();
      const epoch = Atomics.load(i32, DATA + 1);
      Atomics.add(i32, DATA, 1);
      let woken: boolean;
      try {
        if (items.ready(true)) return this.#polled();
        woken = waitSync(i32, DATA + 1, epoch, deadline, Items.SLICE_MS);
      } finally {
        Atomics.sub(i32, DATA, 1);
      }
      if (!woken) return this.#polled();
      this.#port?.idle();
    }
  }

  /** The async form of {@linkcode Endpoint.pollSync}. */
  async pollAsync(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    checkStop();
    if (signal?.aborted) throw signal.reason;
    const items = this.items;
    const i32 = items.i32;
    for (;;) {
      if (items.ready(true)) return this.#polled();
      const epoch = Atomics.load(i32, DATA + 1);
      Atomics.add(i32, DATA, 1);
      let woken: boolean;
      try {
        if (items.ready(true)) return this.#polled();
        woken = await waitAsync(i32, DATA + 1, epoch, deadline, signal, Items.SLICE_MS);
      } finally {
        Atomics.sub(i32, DATA, 1);
      }
      if (!woken) return this.#polled();
      this.#port?.idle();
    }
  }

  /** Waits until every item put is done (`JoinableQueue.join`): `false` at the deadline. */
  joinSync(deadline: number): boolean {
    checkStop();
    if (this.items.allDone()) return true;
    if (deadline > performance.now()) {
      assertCanBlock(`${this.#names.kind}.join`, `${this.#names.kind}.joinAsync`);
    }
    return runSync(this.items, this.items.join(deadline), deadline, () => true);
  }

  /** The async form of {@linkcode Endpoint.joinSync}. */
  joinAsync(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    checkStop();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return runAsync(this.items, this.items.join(deadline), deadline, signal, () => Promise.resolve(true));
  }
}
