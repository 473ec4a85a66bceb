/**
 * `Pipe` and `Connection`: Python's `multiprocessing.Pipe` for workers.
 *
 * @module
 */

import { ChannelClosedError } from "../channel/channel.ts";
import { describe } from "../core/_describe.ts";
import { attach, construct, defineKind, type Handle, handleOf, takePreset } from "../core/_handle.ts";
import { deadlineOf, waitOptions } from "../core/_wait.ts";
import { type AsyncOptions, deadlineFrom, Endpoint } from "./_endpoint.ts";
import { ANY, Items, ringBytes } from "./_items.ts";
import { checkBytes, DEFAULT_BYTES } from "./_queue_options.ts";

/**
 * Options of {@linkcode Pipe}.
 *
 * @example A pipe with 1 MiB each way
 * ```ts
 * import { Pipe } from "@sabkit/sabkit";
 * const [a, b] = Pipe<number[]>(true, { bytes: 1 << 20 });
 * a.send([1, 2, 3]);
 * console.assert(b.recv().length === 3);
 * ```
 */
export interface PipeOptions {
  /** Shared memory per direction for messages in flight, in bytes (default 65,536; 64 to 2²⁸). */
  bytes?: number;
}

/** What a Connection's handle carries besides its memory. */
interface ConnectionMeta {
  end: 0 | 1;
  duplex: boolean;
  bytes: number;
}

/** Ring 0's group-0 words where each end records that it was closed. */
const END_CLOSED = 8;

function pipeBytes(meta: unknown): number {
  const m = (typeof meta === "object" && meta !== null ? meta : {}) as Partial<ConnectionMeta>;
  if ((m.end !== 0 && m.end !== 1) || typeof m.duplex !== "boolean") {
    throw new TypeError(`Cannot revive a sabkit object: the Connection meta is ${describe(meta)}`);
  }
  let bytes: number;
  try {
    bytes = checkBytes(m.bytes, "a Connection");
  } catch (e) {
    throw new TypeError(`Cannot revive a sabkit object: ${(e as Error).message}`);
  }
  if (bytes !== m.bytes) {
    throw new TypeError(`Cannot revive a sabkit object: the Connection bytes are ${m.bytes}`);
  }
  return (m.duplex ? 2 : 1) * ringBytes(bytes);
}

/** A byte view of what `sendBytes` was given. */
function bytesView(buf: unknown, offset: unknown, size: unknown): Uint8Array {
  let all: Uint8Array;
  if (buf instanceof ArrayBuffer || buf instanceof SharedArrayBuffer) all = new Uint8Array(buf);
  else if (ArrayBuffer.isView(buf)) all = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  else {
    throw new TypeError(
      `Connection.sendBytes() needs an ArrayBuffer, a SharedArrayBuffer or a typed array or DataView, got ${
        describe(buf)
      }`,
    );
  }
  const o = offset ?? 0;
  if (typeof o !== "number") throw new TypeError(`The offset must be a number of bytes, got ${describe(o)}`);
  if (!Number.isInteger(o) || o < 0 || o > all.length) {
    throw new RangeError(`The offset must be an integer from 0 to ${all.length}, got ${describe(o)}`);
  }
  const s = size ?? all.length - o;
  if (typeof s !== "number") throw new TypeError(`The size must be a number of bytes, got ${describe(s)}`);
  if (!Number.isInteger(s) || s < 0 || o + s > all.length) {
    throw new RangeError(`The size must be an integer from 0 to ${all.length - o}, got ${describe(s)}`);
  }
  return all.subarray(o, o + s);
}

/** Set by `Pipe` while it makes a new pair. */
let making = false;

/**
 * One end of a {@linkcode Pipe}: sends any value (or raw bytes) to the
 * other end and receives what it sent, in order. Post it to a worker, or pass
 * it to `Process`; each end should be used by one thread at a time, as in
 * Python. Values travel as in `Queue`.
 *
 * @example A worker answers on its end
 * ```ts ignore
 * import { Pipe, Process } from "@sabkit/sabkit";
 * const [here, there] = Pipe();
 * const p = new Process(new URL("./echo.ts", import.meta.url), { args: [there] }).start();
 * here.send({ ping: 1 });
 * console.log(await here.recvAsync());
 * // echo.ts: export default (c: Connection) => c.send(c.recv());
 * ```
 */
export class Connection<T = unknown> {
  static {
    defineKind(this, "Connection", {
      bytes: pipeBytes,
      create: (h: Handle) => new Connection(h.meta as ConnectionMeta),
    });
  }

  readonly #i32: Int32Array;
  readonly #end: 0 | 1;
  readonly #in: Endpoint | undefined;
  readonly #out: Endpoint | undefined;
  readonly #rings: Items[] = [];

  /**
   * Not called directly: {@linkcode Pipe} makes connections in pairs (and
   * `revive` rebuilds a received one).
   *
   * @param meta Which end, whether duplex, the bytes per direction.
   * @throws {TypeError} When called directly.
   *
   * @example Made by Pipe
   * ```ts
   * import { Connection, Pipe } from "@sabkit/sabkit";
   * const [a] = Pipe();
   * console.assert(a instanceof Connection);
   * ```
   */
  constructor(meta: ConnectionMeta) {
    const { handle } = takePreset();
    if (handle === undefined && !making) throw new TypeError("Connections are made in pairs by Pipe()");
    const total = pipeBytes(meta);
    const { end, duplex, bytes } = meta;
    const i32 = attach(this, Connection, total, handle, { end, duplex, bytes });
    this.#i32 = i32;
    this.#end = end;
    const names = { kind: "Connection", put: "send", get: "recv", timeouts: true };
    const rings: Items[] = [];
    for (let r = 0; r < (duplex ? 2 : 1); r++) {
      const words = new Int32Array(i32.buffer, r * ringBytes(bytes), ringBytes(bytes) / 4);
      const items = new Items(words, bytes, 0);
      if (handle === undefined && end === 0) items.init();
      rings.push(items);
    }
    this.#rings = rings;
    // Ring r carries messages to end r (one ring: to end 0, the reader).
    const inRing = duplex || end === 0 ? rings[end] : undefined;
    const outRing = duplex ? rings[1 - end] : end === 1 ? rings[0] : undefined;
    this.#in = inRing && new Endpoint(this, inRing, names);
    this.#out = outRing && new Endpoint(this, outRing, names);
  }

  #open(which: Endpoint | undefined, what: string): Endpoint {
    if (Atomics.load(this.#i32, END_CLOSED + this.#end) !== 0) {
      throw new ChannelClosedError(`Connection.${what}() on a closed Connection`);
    }
    if (which === undefined) {
      throw new TypeError(
        `Connection.${what}(): this end of a one-way Pipe(false) is ${this.#in ? "read" : "write"}-only`,
      );
    }
    return which;
  }

  /**
   * Whether this end can receive (`false` for the sending end of `Pipe(false)`).
   *
   * @example Both ends of a duplex pipe can
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * console.assert(a.readable && b.readable);
   * ```
   */
  get readable(): boolean {
    return this.#in !== undefined;
  }

  /**
   * Whether this end can send (`false` for the receiving end of `Pipe(false)`).
   *
   * @example A one-way pipe
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [r, w] = Pipe(false);
   * console.assert(!r.writable && w.writable);
   * ```
   */
  get writable(): boolean {
    return this.#out !== undefined;
  }

  /**
   * Whether this end was closed.
   *
   * @example After close
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a] = Pipe();
   * a.close();
   * console.assert(a.closed);
   * ```
   */
  get closed(): boolean {
    return Atomics.load(this.#i32, END_CLOSED + this.#end) !== 0;
  }

  /**
   * Sends `value` to the other end, waiting while its bytes do not fit.
   *
   * @param value Anything `structuredClone` accepts.
   * @throws {TypeError} If `structuredClone` refuses it (nothing sent), or this end is read-only.
   * @throws {ChannelClosedError} If either end was closed.
   *
   * @example Sending a record
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * a.send({ id: 1 });
   * console.assert((b.recv() as { id: number }).id === 1);
   * ```
   */
  send(value: T): void {
    this.#open(this.#out, "send").putSync(value, undefined, Infinity, undefined, "send", "sendAsync");
  }

  /**
   * The async form of {@linkcode Connection.send}.
   *
   * @param value Anything `structuredClone` accepts.
   * @param options `timeout` in ms and `signal`.
   * @throws {TimeoutError} If its bytes did not fit in time (nothing sent).
   *
   * @example From an async function
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * await a.sendAsync("hi");
   * console.assert(b.recv() === "hi");
   * ```
   */
  async sendAsync(value: T, options?: AsyncOptions): Promise<void> {
    const end = this.#open(this.#out, "sendAsync");
    const { deadline, timeout, signal } = deadlineFrom(options, "Connection.sendAsync");
    await end.putAsync(value, undefined, deadline, timeout, signal, "sendAsync");
  }

  /**
   * Receives the next value the other end sent, waiting for one.
   *
   * @returns The value (raw bytes from `sendBytes` arrive as a `Uint8Array`).
   * @throws {ChannelClosedError} Once either end was closed and nothing is left to receive.
   *
   * @example Receiving
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.send([1, 2]);
   * console.assert((a.recv() as number[])[1] === 2);
   * ```
   */
  recv(): T {
    return this.#open(this.#in, "recv").getSync(Infinity, undefined, "recv", "recvAsync") as T;
  }

  /**
   * The async form of {@linkcode Connection.recv}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A promise of the value.
   * @throws {TimeoutError} If nothing came in time.
   *
   * @example Awaiting a message
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.send(1);
   * console.assert((await a.recvAsync({ timeout: 100 })) === 1);
   * ```
   */
  async recvAsync(options?: AsyncOptions): Promise<T> {
    const end = this.#open(this.#in, "recvAsync");
    const { deadline, timeout, signal } = deadlineFrom(options, "Connection.recvAsync");
    return await end.getAsync(deadline, timeout, signal, "recvAsync") as T;
  }

  /**
   * Whether a message (or the end of the pipe) is waiting: `recv` would not block.
   *
   * @param timeout Milliseconds to wait for one (default 0: look only).
   * @returns `true` if `recv` would return or throw at once.
   *
   * @example Looking before receiving
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * console.assert(!a.poll());
   * b.send("x");
   * console.assert(a.poll(100));
   * ```
   */
  poll(timeout = 0): boolean {
    return this.#open(this.#in, "poll").pollSync(deadlineOf(timeout));
  }

  /**
   * The async form of {@linkcode Connection.poll}.
   *
   * @param options `timeout` in ms (default 0) and `signal`.
   * @returns A promise of whether a message (or the end) is waiting.
   *
   * @example Waiting for a message without taking it
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.send(1);
   * console.assert(await a.pollAsync({ timeout: 100 }));
   * ```
   */
  pollAsync(options?: AsyncOptions): Promise<boolean> {
    const end = this.#open(this.#in, "pollAsync");
    const { timeout = 0, signal } = waitOptions(options, "Connection.pollAsync");
    return end.pollAsync(deadlineOf(timeout), signal);
  }

  /**
   * Sends bytes as they are (no encoding): `size` bytes of `buf` from byte `offset`.
   *
   * @param buf An `ArrayBuffer`, `SharedArrayBuffer`, typed array or `DataView` (copied).
   * @param offset The first byte (default 0).
   * @param size How many bytes (default: the rest).
   * @throws {TypeError} If `buf` holds no bytes, or this end is read-only.
   * @throws {RangeError} If `offset` or `size` is outside `buf`.
   *
   * @example Sending part of a buffer
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * a.sendBytes(new Uint8Array([1, 2, 3, 4]), 1, 2);
   * console.assert(b.recvBytes().join() === "2,3");
   * ```
   */
  sendBytes(buf: ArrayBufferLike | ArrayBufferView, offset?: number, size?: number): void {
    const end = this.#open(this.#out, "sendBytes");
    end.putSync(undefined, bytesView(buf, offset, size), Infinity, undefined, "sendBytes", "sendBytesAsync");
  }

  /**
   * The async form of {@linkcode Connection.sendBytes} (the bytes are copied when called).
   *
   * @param buf The bytes, as for `sendBytes`.
   * @param offset The first byte (default 0).
   * @param size How many bytes (default: the rest).
   * @param options `timeout` in ms and `signal`.
   *
   * @example Sending bytes from an async function
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * await a.sendBytesAsync(new Uint8Array([9]));
   * console.assert(b.recvBytes()[0] === 9);
   * ```
   */
  async sendBytesAsync(
    buf: ArrayBufferLike | ArrayBufferView,
    offset?: number,
    size?: number,
    options?: AsyncOptions,
  ): Promise<void> {
    const end = this.#open(this.#out, "sendBytesAsync");
    const bytes = bytesView(buf, offset, size).slice();
    const { deadline, timeout, signal } = deadlineFrom(options, "Connection.sendBytesAsync");
    await end.putAsync(undefined, bytes, deadline, timeout, signal, "sendBytesAsync");
  }

  /**
   * Receives the next message's bytes (what `sendBytes` sent; for a value
   * sent with `send`, its encoding).
   *
   * @returns A new `Uint8Array`.
   * @throws {ChannelClosedError} Once either end was closed and nothing is left.
   *
   * @example Receiving bytes
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.sendBytes(new Uint8Array([5, 6]));
   * console.assert(a.recvBytes().length === 2);
   * ```
   */
  recvBytes(): Uint8Array {
    const end = this.#open(this.#in, "recvBytes");
    return end.bytesOf(end.takeSync(Infinity, undefined, "recvBytes", "recvBytesAsync"));
  }

  /**
   * The async form of {@linkcode Connection.recvBytes}.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns A promise of a new `Uint8Array`.
   *
   * @example Awaiting bytes
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.sendBytes(new Uint8Array([5]));
   * console.assert((await a.recvBytesAsync())[0] === 5);
   * ```
   */
  async recvBytesAsync(options?: AsyncOptions): Promise<Uint8Array> {
    const end = this.#open(this.#in, "recvBytesAsync");
    const { deadline, timeout, signal } = deadlineFrom(options, "Connection.recvBytesAsync");
    return await end.takeAsync(deadline, timeout, signal, "recvBytesAsync", ANY, (n) => end.bytesOf(n));
  }

  /**
   * Receives the next message's bytes into `buf` from byte `offset`, without allocating.
   *
   * @param buf An `ArrayBuffer`, `SharedArrayBuffer`, typed array or `DataView`.
   * @param offset Where to write, in bytes (default 0).
   * @returns How many bytes were written.
   * @throws {RangeError} If the message does not fit (it stays in the pipe), or `offset` is outside `buf`.
   * @throws {TypeError} If `buf` holds no bytes.
   *
   * @example Receiving into a buffer
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * b.sendBytes(new Uint8Array([1, 2]));
   * const buf = new Uint8Array(8);
   * console.assert(a.recvBytesInto(buf, 4) === 2 && buf[5] === 2);
   * ```
   */
  recvBytesInto(buf: ArrayBufferLike | ArrayBufferView, offset?: number): number {
    const end = this.#open(this.#in, "recvBytesInto");
    const target = bytesView(buf, offset, undefined);
    const n = end.takeSync(Infinity, undefined, "recvBytesInto", "recvBytesAsync", target.length);
    end.copyBytes(n, target);
    return n;
  }

  /**
   * Closes this end: the other end's sends throw `ChannelClosedError`, its
   * receives drain what was sent, then throw it; this end's calls throw it
   * at once. Closing twice is harmless.
   *
   * @example Closing one end
   * ```ts
   * import { Pipe } from "@sabkit/sabkit";
   * const [a, b] = Pipe();
   * a.send(1);
   * a.close();
   * console.assert(b.recv() === 1);
   * ```
   */
  close(): void {
    Atomics.store(this.#i32, END_CLOSED + this.#end, 1);
    for (const ring of this.#rings) ring.close();
  }
}

/**
 * Makes a pipe: two connected {@linkcode Connection}s, as Python's
 * `multiprocessing.Pipe`. Duplex (the default): each end sends and
 * receives. `Pipe(false)`: the first end only receives, the second only sends.
 *
 * @param duplex Whether both ends send (default `true`).
 * @param options `bytes` per direction (default 64 KiB).
 * @returns The two ends.
 * @throws {TypeError} If `duplex` is not a boolean or `bytes` not a number.
 * @throws {RangeError} If `bytes` is outside 64…2²⁸.
 *
 * @example A round trip on one thread
 * ```ts
 * import { Pipe } from "@sabkit/sabkit";
 * const [a, b] = Pipe();
 * a.send("ping");
 * b.send(b.recv() === "ping" ? "pong" : "?");
 * console.assert(a.recv() === "pong");
 * ```
 */
export function Pipe<T = unknown>(
  duplex: boolean = true,
  options?: PipeOptions,
): [Connection<T>, Connection<T>] {
  if (typeof duplex !== "boolean") {
    throw new TypeError(`Pipe(duplex) takes a boolean, got ${describe(duplex)}`);
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`The options of Pipe() must be an object, got ${describe(options)}`);
  }
  const bytes = checkBytes(options?.bytes ?? DEFAULT_BYTES, "Pipe()");
  making = true;
  let first: Connection<T>;
  try {
    first = new Connection<T>({ end: 0, duplex, bytes });
  } finally {
    making = false;
  }
  // The second end: the same memory, the other end.
  const h = handleOf(first)!;
  const meta: ConnectionMeta = { end: 1, duplex, bytes };
  return [first, construct({ handle: { ...h, meta } }, () => new Connection<T>(meta))];
}
