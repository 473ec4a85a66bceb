/**
 * `Channel`: moves arrays of numbers between workers through shared memory.
 *
 * @module
 */

import {
  bytesOf,
  type ChannelArray,
  type ChannelArrays,
  channelBytes,
  type ChannelMeta,
  type ChannelTypecode,
  checkShape,
  checkTarget,
  copyChecked,
  type Element,
  elementOf,
  fitsAsIs,
  type NumericArray,
  strideOf,
  typedLength,
  typedSet,
  typedTag,
  usable,
} from "./_channel_types.ts";
import { describe } from "../core/_describe.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import {
  ANY_LENGTH,
  CAPACITY,
  CONTROL_BYTES,
  ENDED,
  LINE,
  RECV,
  Ring,
  SEND,
  SLOTS,
  TIMED_OUT,
  TOO_LONG,
  TYPE,
} from "./_ring.ts";
import { assertCanBlock, checkStop, deadlineOf, waitOptions } from "../core/_wait.ts";
import { TimeoutError } from "../core/errors.ts";
import { allocCopy } from "../runtime/mod.ts";

export type { ChannelArray, ChannelArrays, ChannelTypecode } from "./_channel_types.ts";

/**
 * Options of the {@linkcode Channel} constructor.
 *
 * @example Messages of up to 1024 floats, four in flight
 * ```ts
 * import { Channel } from "@sabkit/sabkit";
 * const ch = new Channel("float32", { capacity: 1024, slots: 4 });
 * console.assert(ch.capacity === 1024 && ch.slots === 4);
 * ```
 */
export interface ChannelOptions {
  /** The most elements one message may have. */
  capacity: number;
  /** How many messages may wait in the channel; more lets copy-in overlap copy-out. Default 1. */
  slots?: number;
}

/**
 * Options of the blocking `send`, `recv` and `recvInto`.
 *
 * @example A receive that gives up
 * ```ts
 * import { Channel, TimeoutError } from "@sabkit/sabkit";
 * const ch = new Channel("i", { capacity: 4 });
 * try {
 *   ch.recv({ timeout: 5 });
 * } catch (e) {
 *   console.assert(e instanceof TimeoutError);
 * }
 * ```
 */
export interface ChannelWaitOptions {
  /** Milliseconds to wait at most before throwing `TimeoutError`; negative counts as 0. Default `Infinity`. */
  timeout?: number;
}

/**
 * Options of `sendAsync`, `recvAsync` and `recvIntoAsync`.
 *
 * @example A receive that can be cancelled
 * ```ts
 * import { Channel } from "@sabkit/sabkit";
 * const ch = new Channel("d", { capacity: 4 });
 * const ac = new AbortController();
 * const pending = ch.recvAsync({ signal: ac.signal });
 * ac.abort(new Error("done"));
 * await pending.catch((e) => console.assert(e.message === "done"));
 * ```
 */
export interface ChannelAsyncOptions extends ChannelWaitOptions {
  /** Aborting it rejects the pending call with `signal.reason`; nothing is sent or taken. */
  signal?: AbortSignal;
}

/**
 * Thrown by `send` on a closed channel (including a send that was waiting
 * for room when the channel closed).
 *
 * @example Telling a closed channel from other failures
 * ```ts
 * import { Channel, ChannelClosedError } from "@sabkit/sabkit";
 * const ch = new Channel("d", { capacity: 4 });
 * ch.close();
 * try {
 *   ch.send([1]);
 * } catch (e) {
 *   console.assert(e instanceof ChannelClosedError);
 * }
 * ```
 */
export class ChannelClosedError extends Error {
  /**
   * Creates the error.
   *
   * @example The error a send on a closed channel throws
   * ```ts
   * import { ChannelClosedError } from "@sabkit/sabkit";
   * const e = new ChannelClosedError();
   * console.assert(e.name === "ChannelClosedError" && e.message === "Cannot send on a closed Channel");
   * ```
   */
  constructor(message = "Cannot send on a closed Channel") {
    super(message);
    this.name = "ChannelClosedError";
  }
}

/** Throws unless `fn` can be called. */
function checkCallback(fn: unknown, method: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(`Channel.${method}() needs a function to call with the message, got ${describe(fn)}`);
  }
}

/**
 * A bounded queue of numeric arrays in shared memory: `send` copies a
 * message into a free slot, `recv` copies it out, and nothing is serialized.
 * Post it to workers (or pass it to `Process`); any number of threads may
 * send and receive at once, and each sender's messages arrive in order.
 *
 * A worker terminated while it waits in `send` or `recv` sends or takes
 * nothing. One terminated at any other instruction does not stall the
 * channel: once its `Process` has seen it exit, a waiting peer (within
 * about 100 ms) or a polling one (at once) withdraws its half-sent message
 * (receivers never see it), frees the slot of its half-received one (that
 * message is lost with its receiver), or clears a claim it had only begun.
 * A terminated worker's next sabkit call throws, so on Deno, where
 * `terminate()` does not stop running code, it takes nothing more either.
 *
 * @example A worker sums what the main thread sends
 * ```ts ignore
 * import { Channel, Process } from "@sabkit/sabkit";
 * const ch = new Channel("d", { capacity: 100_000, slots: 4 });
 * const p = new Process(new URL("../sum.ts", import.meta.url), { args: [ch] }).start();
 * for (let i = 0; i < 1000; i++) ch.send(new Float64Array(100_000).fill(i));
 * ch.close();
 * await p.join();
 * // sum.ts: export default (ch: Channel<"d">) => { for (const m of ch) total += m[0]; };
 * ```
 */
export class Channel<C extends ChannelTypecode = ChannelTypecode> {
  static {
    defineKind(this, "Channel", {
      bytes: channelBytes,
      create: (h: Handle) => {
        const { typecode, capacity, slots } = h.meta as ChannelMeta;
        return new Channel(typecode as ChannelTypecode, { capacity, slots });
      },
    });
  }

  #ring: Ring;
  #el: Element;
  #capacity: number;
  /** Every element of the memory, so a slot's data is `#data[#first + slot·#stride …]`. */
  #data: NumericArray;
  #first: number;
  #stride: number;
  /** Per slot, the last exact-length view of its data: steady lengths allocate nothing. */
  #views: (NumericArray | undefined)[];
  /** Scratch space that `send` checks a message into (see `#copyIn`); taken while in use. */
  #scratch: NumericArray | undefined;
  /** Scratch space that `recvInto` copies a message out to before writing an `Array`; taken while in use. */
  #outbox: NumericArray | undefined;
  /**
   * A message this handle took but could not deliver (its receive target
   * failed after the claim): the next receive on this handle returns it
   * before taking anything from the channel.
   */
  #pending: NumericArray | undefined;
  /**
   * The last typed array found fit to send as it is, and the last typed
   * receive target found of the right kind: a typed array's kind never
   * changes, so a loop that reuses one buffer looks it up once. (Their
   * lengths, which can change, are read every time.)
   */
  #sendable: unknown;
  #writable: unknown;

  /**
   * Creates an open, empty channel.
   *
   * @param typecode A numeric typecode: `b B h H i I l L q Q f d`, a ctypes name or an element name.
   * @param options `capacity` (elements per message) and `slots` (messages in flight, default 1).
   * @throws {TypeError} For a non-numeric typecode or non-number options.
   * @throws {RangeError} For a negative or fractional capacity, or slots outside 1…2²⁰.
   *
   * @example A four-slot channel of float64 messages up to 1,000 long
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 1000, slots: 4 });
   * ```
   */
  constructor(typecode: C, options: ChannelOptions) {
    const { handle } = takePreset();
    const el = elementOf(typecode);
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`The Channel options must be an object with a capacity, got ${describe(options)}`);
    }
    const { capacity, slots = 1 } = options;
    checkShape(capacity, slots);
    const bytes = bytesOf(el, capacity, slots);
    const meta: ChannelMeta = { typecode: el.code, capacity, slots };
    const i32 = attach(this, Channel, bytes, handle, meta);
    if (handle === undefined) {
      i32[TYPE] = el.id;
      i32[CAPACITY] = capacity;
      i32[SLOTS] = slots;
    } else if (i32[TYPE] !== el.id || i32[CAPACITY] !== capacity || i32[SLOTS] !== slots) {
      throw new TypeError(`Cannot revive a sabkit object: the memory does not hold this ${handle.kind}`);
    }
    this.#el = el;
    this.#capacity = capacity;
    this.#ring = new Ring(i32, slots, strideOf(el, capacity));
    if (handle === undefined) this.#ring.init();
    const bpe = el.view.BYTES_PER_ELEMENT;
    this.#data = new el.view(i32.buffer, i32.byteOffset, bytes / bpe);
    this.#first = (CONTROL_BYTES + LINE) / bpe;
    this.#stride = strideOf(el, capacity) / bpe;
    this.#views = new Array(slots);
  }

  /**
   * The canonical one-letter typecode (`"d"` for a `"float64"` channel).
   *
   * @example Element names resolve to Python codes
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * console.assert(new Channel("float64", { capacity: 1 }).typecode === "d");
   * ```
   */
  get typecode(): string {
    return this.#el.code;
  }

  /**
   * The most elements one message may have.
   *
   * @example Sizing a receive buffer
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("i", { capacity: 64 });
   * const buf = new Int32Array(ch.capacity);
   * ```
   */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * How many messages may wait in the channel.
   *
   * @example The default is one slot
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * console.assert(new Channel("d", { capacity: 8 }).slots === 1);
   * ```
   */
  get slots(): number {
    return this.#ring.slots;
  }

  /**
   * Whether `close()` was called (messages sent before may still be waiting).
   *
   * @example Closed, yet not drained
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 1 });
   * ch.send([1]);
   * ch.close();
   * console.assert(ch.closed && ch.recv() !== null);
   * ```
   */
  get closed(): boolean {
    return this.#ring.closed();
  }

  /** The slot data's first element index for `pos`. */
  #at(pos: number): number {
    return this.#first + (pos % this.#ring.slots) * this.#stride;
  }

  /** The message as something to copy from: a sabkit array is read through its raw view. */
  #source(values: ArrayLike<number | bigint>): ArrayLike<unknown> {
    const obj = values as { getObj?: () => unknown };
    const source =
      (!ArrayBuffer.isView(values) && typeof obj?.getObj === "function" ? obj.getObj() : values) as ArrayLike<
        unknown
      >;
    if (typeof source !== "object" || source === null) {
      throw new TypeError(`A Channel sends an array of numbers, got ${describe(values)}`);
    }
    return source;
  }

  /** Throws unless a message of `n` elements fits a slot. */
  #fits(n: number): number {
    if (n > this.#capacity) {
      throw new RangeError(`The message has ${n} elements, more than the Channel capacity ${this.#capacity}`);
    }
    return n;
  }

  /**
   * A typed array `send` may copy from as it is (see `fitsAsIs`), or
   * `undefined`: then the message goes through {@linkcode Channel.#copyIn}.
   */
  #direct(source: ArrayLike<unknown>): NumericArray | undefined {
    if (source === this.#sendable) return source as NumericArray;
    const tag = typedTag(source);
    if (tag === undefined || !fitsAsIs(this.#el, tag)) return undefined;
    this.#sendable = source;
    return source as NumericArray;
  }

  /**
   * Reads every element of `source` once into scratch memory of the
   * channel's kind, checking each (see `copyChecked`): what is sent is this
   * copy, so a getter or another thread cannot change the message between
   * the check and the copy. The scratch array is taken from this handle
   * (re-entrant calls get their own) and given back by the caller.
   */
  #copyIn(source: ArrayLike<unknown>): NumericArray {
    let n: number;
    if (typedTag(source) !== undefined) {
      n = typedLength(source as NumericArray) || usable(source as NumericArray, "send", "send");
    } else {
      // The length is read once: everything after trusts this number, not the source.
      n = source.length;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        throw new TypeError(`A Channel sends an array of numbers; this one has length ${describe(n)}`);
      }
    }
    this.#fits(n);
    let scratch = this.#scratch;
    this.#scratch = undefined;
    if (scratch === undefined || scratch.length !== n) scratch = new this.#el.view(n);
    copyChecked(this.#el, source, n, scratch);
    return scratch;
  }

  /**
   * Copies the message `typed` of `n` elements into the slot claimed at `pos`
   * and publishes it. `resized`: whether `typed` may have been resized since
   * `n` was read (sendAsync waited meanwhile).
   */
  #write(pos: number, typed: NumericArray, n: number, resized: boolean, timeout?: number): void {
    if (pos === ENDED) throw new ChannelClosedError();
    if (pos === TIMED_OUT) {
      throw new TimeoutError(`Channel send timed out after ${timeout} ms: every slot stayed full`);
    }
    try {
      // A typed array sent as it is may have been resized while sendAsync waited. The view is
      // exactly n long, so even one another thread grows under the copy never writes past the slot.
      if (resized && typedLength(typed) !== n) {
        throw new RangeError("The message changed length before it could be copied");
      }
      this.#view(pos, n).set(typed as never);
    } catch (e) {
      // Nothing half-copied is ever seen: the slot is withdrawn.
      this.#ring.withdraw(pos);
      throw e;
    }
    this.#ring.publish(pos, n);
  }

  /**
   * Sends a copy of `values`, waiting while every slot is full. The message
   * is either sent whole or, on any error, not at all.
   *
   * Every element must fit the typecode, as for shared data (`Value`): a
   * number for `f d`, an integer in range for `b B h H i I`, a bigint in
   * range for `l L q Q`. Each element is read once and checked before a slot
   * is claimed. A typed array of the channel's own kind is copied as it is
   * (bit for bit, NaN payloads included), as is one of a kind whose every
   * value fits (any number kind into `f d`, a narrower integer kind).
   *
   * @param values The elements: a typed array (the fast path), an `Array`, any `ArrayLike`, or a sabkit array.
   * @param options `timeout` in ms.
   * @throws {RangeError} If `values` has more than `capacity` elements, or an integer element is out of range.
   * @throws {TypeError} If an element is not a number (a bigint for `l L q Q`), or not an integer for an integer typecode.
   * @throws {TimeoutError} If no slot came free within `timeout`.
   * @throws {ChannelClosedError} If the channel is closed, or closes while this waits.
   *
   * @example Sending from a typed array and from an array
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 3, slots: 2 });
   * ch.send(new Float64Array([1, 2, 3]));
   * ch.send([4, 5], { timeout: 100 });
   * ```
   */
  send(values: ArrayLike<number | bigint>, options?: ChannelWaitOptions): void {
    const { timeout } = waitOptions(options, "Channel.send");
    const deadline = deadlineOf(timeout);
    const source = this.#source(values);
    const typed = this.#direct(source);
    if (typed !== undefined) {
      const n = this.#fits(typedLength(typed) || usable(typed, "send", "send"));
      assertCanBlock("Channel.send", "Channel.sendAsync");
      this.#write(this.#ring.claimSync(SEND, 0, deadline), typed, n, false, timeout);
      return;
    }
    const copy = this.#copyIn(source);
    try {
      assertCanBlock("Channel.send", "Channel.sendAsync");
      this.#write(this.#ring.claimSync(SEND, 0, deadline), copy, copy.length, false, timeout);
    } finally {
      this.#scratch = copy;
    }
  }

  /**
   * The async form of {@linkcode Channel.send}: waits for a free slot
   * without blocking the thread. An `Array` or other array-like is read
   * (and checked) when called; a typed array sent as it is (see `send`) is
   * copied once a slot is free, so do not change it until the promise settles.
   *
   * @param values The elements, as for `send`.
   * @param options `timeout` in ms and `signal`.
   * @returns A promise that resolves once the message is in the channel.
   * @throws {RangeError} If `values` has more than `capacity` elements, or an integer element is out of range.
   * @throws {TypeError} If an element does not fit the typecode (see `send`).
   * @throws {TimeoutError} If no slot came free within `timeout`.
   * @throws {ChannelClosedError} If the channel is closed, or closes while this waits.
   *
   * @example Sending from an async function
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("i", { capacity: 2 });
   * await ch.sendAsync([1, 2], { timeout: 100 });
   * ```
   */
  async sendAsync(values: ArrayLike<number | bigint>, options?: ChannelAsyncOptions): Promise<void> {
    const { timeout, signal } = waitOptions(options, "Channel.sendAsync");
    const deadline = deadlineOf(timeout);
    const source = this.#source(values);
    const typed = this.#direct(source);
    if (typed !== undefined) {
      const n = this.#fits(typedLength(typed) || usable(typed, "sendAsync", "send"));
      if (signal?.aborted) throw signal.reason;
      this.#write(await this.#ring.claimAsync(SEND, 0, deadline, signal), typed, n, true, timeout);
      return;
    }
    const copy = this.#copyIn(source);
    try {
      if (signal?.aborted) throw signal.reason;
      this.#write(await this.#ring.claimAsync(SEND, 0, deadline, signal), copy, copy.length, false, timeout);
    } finally {
      this.#scratch = copy;
    }
  }

  /**
   * Sends a message written in place: claims a free slot (waiting while
   * every slot is full), calls `fill` with a view of exactly `length`
   * elements of that slot, then publishes it. Nothing is copied on the
   * sending side; with {@linkcode Channel.recvWith} on the other, nothing at
   * all. The message is sent whole or not at all: if `fill` throws, the slot
   * is withdrawn (receivers never see it) and the error is rethrown; a
   * timeout sends nothing; a worker terminated inside `fill` does not stall
   * the channel (its slot is withdrawn, as for `send`).
   *
   * `fill` must write synchronously and must not keep the view: once it
   * returns, the slot belongs to the receivers (a callback that returns a
   * promise is a `TypeError` and sends nothing).
   *
   * @param length How many elements the message has, from 0 to `capacity`.
   * @param fill Called once with the view to write the message into (its elements start as whatever the slot held).
   * @param options `timeout` in ms.
   * @throws {RangeError} If `length` is negative, fractional or above `capacity`.
   * @throws {TypeError} If `fill` is not a function or returns a promise, or where this thread may not block.
   * @throws {TimeoutError} If no slot came free within `timeout`.
   * @throws {ChannelClosedError} If the channel is closed, or closes while this waits.
   *
   * @example Writing a message where it will be read
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 4, slots: 2 });
   * ch.sendWith(3, (m) => {
   *   for (let i = 0; i < m.length; i++) m[i] = i * 1.5;
   * });
   * ch.recvWith((m) => console.assert(m.length === 3 && m[2] === 3));
   * ```
   */
  sendWith(length: number, fill: (view: ChannelArrays[C]) => void, options?: ChannelWaitOptions): void {
    const { timeout } = waitOptions(options, "Channel.sendWith");
    const deadline = deadlineOf(timeout);
    const n = this.#lengthOf(length, "sendWith");
    checkCallback(fill, "sendWith");
    assertCanBlock("Channel.sendWith", "Channel.sendWithAsync");
    this.#fillSlot(this.#ring.claimSync(SEND, 0, deadline), n, fill, "sendWith", timeout);
  }

  /**
   * The async form of {@linkcode Channel.sendWith}: waits for a free slot
   * without blocking the thread; `fill` still writes synchronously.
   *
   * @param length How many elements the message has, from 0 to `capacity`.
   * @param fill Called once with the view to write the message into.
   * @param options `timeout` in ms and `signal`.
   * @returns A promise that resolves once the message is in the channel.
   * @throws {RangeError} If `length` is negative, fractional or above `capacity`.
   * @throws {TypeError} If `fill` is not a function or returns a promise.
   * @throws {TimeoutError} If no slot came free within `timeout`.
   * @throws {ChannelClosedError} If the channel is closed, or closes while this waits.
   *
   * @example Filling a slot from an async function
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("i", { capacity: 8 });
   * await ch.sendWithAsync(2, (m) => m.set([4, 2]), { timeout: 100 });
   * console.assert(ch.recv()?.join() === "4,2");
   * ```
   */
  async sendWithAsync(
    length: number,
    fill: (view: ChannelArrays[C]) => void,
    options?: ChannelAsyncOptions,
  ): Promise<void> {
    const { timeout, signal } = waitOptions(options, "Channel.sendWithAsync");
    const deadline = deadlineOf(timeout);
    const n = this.#lengthOf(length, "sendWithAsync");
    checkCallback(fill, "sendWithAsync");
    if (signal?.aborted) throw signal.reason;
    const pos = await this.#ring.claimAsync(SEND, 0, deadline, signal);
    this.#fillSlot(pos, n, fill, "sendWithAsync", timeout);
  }

  /** A message length given by the caller: an integer from 0 to `capacity`. */
  #lengthOf(length: unknown, method: string): number {
    if (typeof length !== "number") {
      throw new TypeError(`Channel.${method}() needs a message length, got ${describe(length)}`);
    }
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(
        `The length of a Channel message must be an integer from 0, got ${describe(length)}`,
      );
    }
    return this.#fits(length);
  }

  /** Lets `fill` write the message of `n` elements into the slot claimed at `pos`, then publishes it. */
  #fillSlot(
    pos: number,
    n: number,
    fill: (view: ChannelArrays[C]) => void,
    method: string,
    timeout?: number,
  ): void {
    if (pos === ENDED) throw new ChannelClosedError();
    if (pos === TIMED_OUT) {
      throw new TimeoutError(`Channel ${method} timed out after ${timeout} ms: every slot stayed full`);
    }
    try {
      const result: unknown = fill(this.#view(pos, n) as ChannelArrays[C]);
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        throw new TypeError(
          `Channel.${method}() fills its message synchronously, but the callback returned a promise: nothing was sent`,
        );
      }
    } catch (e) {
      // Nothing half-written is ever seen: the slot is withdrawn.
      this.#ring.withdraw(pos);
      throw e;
    }
    this.#ring.publish(pos, n);
  }

  /** `null` once closed and drained; throws on a timeout. */
  #ended(pos: number, what: string, timeout?: number): null {
    if (pos === TIMED_OUT) {
      throw new TimeoutError(`Channel ${what} timed out after ${timeout} ms: no message arrived`);
    }
    return null;
  }

  /** Takes the message this handle kept back (see `#pending`). */
  #takePending(): NumericArray {
    const m = this.#pending!;
    this.#pending = undefined;
    return m;
  }

  #read(pos: number): ChannelArrays[C] | null {
    try {
      // A new array of the message, allocated and copied the way this runtime does fastest.
      return allocCopy(this.#view(pos, this.#ring.length(pos))) as ChannelArrays[C];
    } finally {
      // Even if the copy failed (out of memory), the slot must go back to the senders.
      this.#ring.release(pos);
    }
  }

  /**
   * Receives the next message as a new typed array of the channel's type,
   * waiting while the channel is empty.
   *
   * @param options `timeout` in ms.
   * @returns A copy of the message, or `null` once the channel is closed and drained.
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Receiving what was sent
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("float64", { capacity: 3 });
   * ch.send([1, 2, 3]);
   * console.assert(ch.recv({ timeout: 100 })?.[2] === 3);
   * ```
   */
  recv(options?: ChannelWaitOptions): ChannelArrays[C] | null {
    const { timeout } = waitOptions(options, "Channel.recv");
    const deadline = deadlineOf(timeout);
    assertCanBlock("Channel.recv", "Channel.recvAsync");
    if (this.#pending !== undefined) return this.#takePending() as ChannelArrays[C];
    const pos = this.#ring.claimSync(RECV, ANY_LENGTH, deadline);
    return pos < 0 ? this.#ended(pos, "recv", timeout) : this.#read(pos);
  }

  /**
   * The async form of {@linkcode Channel.recv}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A copy of the message, or `null` once the channel is closed and drained.
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Receiving in an async function
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 1 });
   * ch.send([7]);
   * console.assert((await ch.recvAsync())?.[0] === 7);
   * ```
   */
  async recvAsync(options?: ChannelAsyncOptions): Promise<ChannelArrays[C] | null> {
    const { timeout, signal } = waitOptions(options, "Channel.recvAsync");
    const deadline = deadlineOf(timeout);
    if (signal?.aborted) throw signal.reason;
    if (this.#pending !== undefined) return this.#takePending() as ChannelArrays[C];
    const pos = await this.#ring.claimAsync(RECV, ANY_LENGTH, deadline, signal);
    return pos < 0 ? this.#ended(pos, "recvAsync", timeout) : this.#read(pos);
  }

  /** Checks `target` (see `checkTarget`): the longest message it takes, or {@linkcode ANY_LENGTH}. */
  #limit(target: ChannelArray | Array<number | bigint>, method: string): number {
    const n = checkTarget(this.#el, target, method, this.#writable);
    if (!Array.isArray(target)) this.#writable = target;
    return n >= this.#capacity ? ANY_LENGTH : n;
  }

  #tooLong(length: number): RangeError {
    return new RangeError(`The next message does not fit a target of ${length} elements`);
  }

  /**
   * Writes the message `m` (not in a slot: nothing is held) into an `Array`
   * target; if that fails part-way (a read-only index, a setter or a Proxy
   * that throws), this handle keeps `m` for its next receive.
   */
  #deliver(target: Array<number | bigint>, m: NumericArray): void {
    const n = m.length;
    try {
      for (let i = 0; i < n; i++) target[i] = m[i];
    } catch (e) {
      this.#pending = m;
      throw e;
    }
  }

  /** `recvInto` of the message this handle kept back; it stays kept if it still does not fit. */
  #intoPending(target: ChannelArray | Array<number | bigint>, limit: number): number {
    const m = this.#pending!;
    if (limit !== ANY_LENGTH && m.length > limit) throw this.#tooLong(limit);
    this.#pending = undefined;
    if (Array.isArray(target)) {
      this.#deliver(target, m);
    } else {
      try {
        typedSet(target, m);
      } catch (e) {
        this.#pending = m;
        throw e;
      }
    }
    return m.length;
  }

  #readInto(
    pos: number,
    target: ChannelArray | Array<number | bigint>,
    limit: number,
    what: string,
    timeout?: number,
  ): number | null {
    if (pos === TOO_LONG) {
      // This call may have taken the wake-up meant for a receiver the message fits.
      this.#ring.wakeReceiver();
      throw this.#tooLong(limit);
    }
    if (pos < 0) return this.#ended(pos, what, timeout);
    const n = this.#ring.length(pos);
    if (!Array.isArray(target)) {
      // The target was checked right before the claim, with no code run since: this cannot
      // fail. Should it anyway, the message is kept, not lost.
      const view = this.#view(pos, n);
      try {
        typedSet(target, view);
      } catch (e) {
        this.#pending = view.slice();
        throw e;
      } finally {
        this.#ring.release(pos);
      }
      return n;
    }
    // An Array is written from a copy, after the slot is freed: no user code (a setter, a
    // Proxy) runs while a slot is held, and a write that fails keeps the message.
    let copy = this.#outbox;
    this.#outbox = undefined;
    try {
      if (copy === undefined || copy.length !== n) copy = this.#data.slice(this.#at(pos), this.#at(pos) + n);
      else copy.set(this.#view(pos, n) as never);
    } finally {
      this.#ring.release(pos);
    }
    this.#deliver(target, copy);
    this.#outbox = copy;
    return n;
  }

  /** The claimed message at `pos` in place; steady lengths reuse one view per slot. */
  #view(pos: number, n: number): NumericArray {
    const s = pos % this.#ring.slots;
    const view = this.#views[s];
    if (view !== undefined && view.length === n) return view;
    const at = this.#at(pos);
    return this.#views[s] = this.#data.subarray(at, at + n);
  }

  /**
   * Receives the next message into `target` without allocating: the fast
   * way to drain a channel.
   *
   * `target` is checked before anything is taken. An `Array` is written
   * after the message is taken: if a write fails (a read-only index, a
   * setter or a Proxy that throws), the error propagates and this Channel
   * object keeps the message, which its next receive (of any kind) returns
   * before anything else; the `Array` may be partly written.
   *
   * @param target A typed array of the channel's kind (number or bigint), or an `Array`.
   * @param options `timeout` in ms.
   * @returns The message length (elements written from index 0), or `null` once closed and drained.
   * @throws {RangeError} If the next message is longer than `target`; it stays in the channel.
   * @throws {TypeError} If `target` holds the wrong kind of element, is a frozen `Array`, or a typed array
   * whose buffer is detached (or shrank below it).
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Reusing one buffer for every message
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 4 });
   * const buf = new Float64Array(ch.capacity);
   * ch.send([1, 2]);
   * const n = ch.recvInto(buf);
   * console.assert(n === 2 && buf[1] === 2);
   * ```
   */
  recvInto(target: ChannelArray | Array<number | bigint>, options?: ChannelWaitOptions): number | null {
    const { timeout } = waitOptions(options, "Channel.recvInto");
    const deadline = deadlineOf(timeout);
    const limit = this.#limit(target, "recvInto");
    assertCanBlock("Channel.recvInto", "Channel.recvIntoAsync");
    if (this.#pending !== undefined) return this.#intoPending(target, limit);
    return this.#readInto(this.#ring.claimSync(RECV, limit, deadline), target, limit, "recvInto", timeout);
  }

  /**
   * The async form of {@linkcode Channel.recvInto}. Do not use `target`
   * until it settles. A target that changes while this waits (detached,
   * shrunk, frozen) is checked again right before the message is taken: the
   * call rejects and the message stays in the channel.
   *
   * @param target A typed array of the channel's kind, or an `Array`.
   * @param options `timeout` in ms and `signal`.
   * @returns The message length, or `null` once closed and drained.
   * @throws {RangeError} If the next message is longer than `target`; it stays in the channel.
   * @throws {TypeError} If `target` holds the wrong kind of element, or cannot be written (see `recvInto`).
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Draining into one buffer
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("i", { capacity: 8 });
   * ch.send([1, 2, 3]);
   * ch.close();
   * const buf = new Int32Array(8);
   * for (let n; (n = await ch.recvIntoAsync(buf)) !== null;) console.log(buf.subarray(0, n));
   * ```
   */
  async recvIntoAsync(
    target: ChannelArray | Array<number | bigint>,
    options?: ChannelAsyncOptions,
  ): Promise<number | null> {
    const { timeout, signal } = waitOptions(options, "Channel.recvIntoAsync");
    const deadline = deadlineOf(timeout);
    let limit = this.#limit(target, "recvIntoAsync");
    if (signal?.aborted) throw signal.reason;
    if (this.#pending !== undefined) return this.#intoPending(target, limit);
    // The target may change while this waits: it is checked again right before each claim.
    const refresh = () => (limit = this.#limit(target, "recvIntoAsync"));
    const pos = await this.#ring.claimAsync(RECV, limit, deadline, signal, refresh);
    return this.#readInto(pos, target, limit, "recvIntoAsync", timeout);
  }

  /** `recvWith` of the message this handle kept back: consumed, as always, even if `fn` throws. */
  #withPending(fn: (message: ChannelArrays[C]) => void): number {
    const m = this.#takePending();
    fn(m as ChannelArrays[C]);
    return m.length;
  }

  #readWith(
    pos: number,
    fn: (message: ChannelArrays[C]) => void,
    what: string,
    timeout?: number,
  ): number | null {
    if (pos < 0) return this.#ended(pos, what, timeout);
    const n = this.#ring.length(pos);
    try {
      fn(this.#view(pos, n) as ChannelArrays[C]);
    } finally {
      // The message is consumed even if `fn` threw: the slot must go back to the senders.
      this.#ring.release(pos);
    }
    return n;
  }

  /**
   * Receives the next message in place, without copying it: calls `fn` with
   * a view of the message in the channel's shared memory, then frees the
   * slot when `fn` returns. The fastest way to read large messages.
   *
   * The view is valid only during the call: a sender reuses the slot as
   * soon as `fn` returns, so copy out whatever you keep. `fn` must be
   * synchronous (an `async` function's awaits run after the slot is freed).
   * The message is consumed even if `fn` throws; the error propagates. The
   * slot stays taken while `fn` runs, so `fn` must not wait to send on the
   * same channel: with every other slot full, that waits forever.
   *
   * @param fn Called once with the message, a typed array of the channel's kind.
   * @param options `timeout` in ms.
   * @returns The message length, or `null` once the channel is closed and drained (`fn` is not called).
   * @throws {TypeError} If `fn` is not a function.
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Summing a message where it lies
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 3 });
   * ch.send([1, 2, 3]);
   * let sum = 0;
   * ch.recvWith((m) => {
   *   for (const x of m) sum += x;
   * });
   * console.assert(sum === 6);
   * ```
   */
  recvWith(fn: (message: ChannelArrays[C]) => void, options?: ChannelWaitOptions): number | null {
    const { timeout } = waitOptions(options, "Channel.recvWith");
    const deadline = deadlineOf(timeout);
    checkCallback(fn, "recvWith");
    assertCanBlock("Channel.recvWith", "Channel.recvWithAsync");
    if (this.#pending !== undefined) return this.#withPending(fn);
    return this.#readWith(this.#ring.claimSync(RECV, ANY_LENGTH, deadline), fn, "recvWith", timeout);
  }

  /**
   * The async form of {@linkcode Channel.recvWith}: waits without blocking
   * the thread, then calls `fn` synchronously with the message in place.
   *
   * @param fn Called once with the message; valid only during the call.
   * @param options `timeout` in ms and `signal`.
   * @returns The message length, or `null` once the channel is closed and drained.
   * @throws {TypeError} If `fn` is not a function.
   * @throws {TimeoutError} If nothing arrived within `timeout`.
   *
   * @example Draining in place from an async function
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("i", { capacity: 2 });
   * ch.send([4, 5]);
   * ch.close();
   * const firsts: number[] = [];
   * while ((await ch.recvWithAsync((m) => firsts.push(m[0]))) !== null);
   * console.assert(firsts.length === 1 && firsts[0] === 4);
   * ```
   */
  async recvWithAsync(
    fn: (message: ChannelArrays[C]) => void,
    options?: ChannelAsyncOptions,
  ): Promise<number | null> {
    const { timeout, signal } = waitOptions(options, "Channel.recvWithAsync");
    const deadline = deadlineOf(timeout);
    checkCallback(fn, "recvWithAsync");
    if (signal?.aborted) throw signal.reason;
    if (this.#pending !== undefined) return this.#withPending(fn);
    const pos = await this.#ring.claimAsync(RECV, ANY_LENGTH, deadline, signal);
    return this.#readWith(pos, fn, "recvWithAsync", timeout);
  }

  /**
   * Closes the channel: every waiting call wakes, later sends throw, and
   * receivers get the messages already sent, then `null`. Closing twice is
   * harmless.
   *
   * @example Ending a stream
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 1 });
   * ch.send([1]);
   * ch.close();
   * console.assert(ch.recv()?.[0] === 1 && ch.recv() === null && ch.closed);
   * ```
   */
  close(): void {
    // A terminated worker (Deno runs on after terminate()) changes nothing more.
    checkStop();
    this.#ring.close();
  }

  /**
   * Receives messages (as `recv`) until the channel is closed and drained.
   *
   * @returns An iterator of message copies.
   *
   * @example A consumer loop
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 2, slots: 2 });
   * ch.send([1, 2]);
   * ch.close();
   * for (const m of ch) console.log(m);
   * ```
   */
  *[Symbol.iterator](): Generator<ChannelArrays[C], void, undefined> {
    for (let m = this.recv(); m !== null; m = this.recv()) yield m;
  }

  /**
   * Receives messages (as `recvAsync`) until the channel is closed and drained.
   *
   * @returns An async iterator of message copies.
   *
   * @example An async consumer loop
   * ```ts
   * import { Channel } from "@sabkit/sabkit";
   * const ch = new Channel("d", { capacity: 2 });
   * ch.send([1, 2]);
   * ch.close();
   * for await (const m of ch) console.log(m);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<ChannelArrays[C], void, undefined> {
    for (let m = await this.recvAsync(); m !== null; m = await this.recvAsync()) yield m;
  }
}
