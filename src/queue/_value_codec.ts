/**
 * The value codec of Queue and Pipe: what `structuredClone` accepts, as bytes
 * a worker decodes into what `structuredClone` would have given it.
 *
 * One pass over the value into a scratch `Uint8Array` reused across calls
 * (grown as needed, shrunk back after a huge value), so a put costs no
 * allocation but the identity map's entries. Why not a library: measured in
 * bench/diag/value_codec.ts (its header has the figures).
 *
 * The format, one tag byte per value (little-endian numbers, LEB128 varints):
 * - `0x80 | n`: the integer n (0..127). Integers of int32 range: INT, zigzag varint.
 *   Other numbers (and -0): F64, 8 bytes.
 * - Strings: UTF8 (byte length, bytes), or UTF16 (unit count, 2 bytes a unit)
 *   for one with a lone surrogate, which UTF-8 cannot carry, and on Node and
 *   Bun for a long one that is not ASCII (Buffer copies UTF-16 as the engine
 *   holds it: 4-6 times faster than UTF-8 there, measured). Property keys
 *   are decoded through a cache of recent ones.
 * - Buffers (ArrayBuffer, typed arrays' and DataViews' own) of 64 bytes or
 *   more start 8-byte aligned from the value's start (a pad count, zeros).
 * - Objects get an index in meeting order; meeting one again writes REF index,
 *   so cycles and shared references keep their structure. Plain objects whose
 *   key list was seen before in the same value (arrays of records) write
 *   SHAPE index instead of their keys; the first one of a key list writes
 *   SHAPE_DEF: its keys as one block, copied from the encoder's cache of
 *   recent key lists (a queue carries the same records again and again), and
 *   recognized by the decoder's cache by its bytes.
 * - A `SharedArrayBuffer` is SAB i: its index in the `shared` list, so it
 *   arrives as the same memory; views on one arrive as views on it.
 *
 * Deliberate differences from `structuredClone` (each one measured or
 * impossible to do otherwise in plain JavaScript):
 * - A Proxy is read through its traps (JavaScript cannot tell a Proxy apart);
 *   `structuredClone` refuses it.
 * - An `arguments` object travels as an ordinary object (`structuredClone`
 *   refuses it): telling it apart costs every plain object a `toString` call.
 * - Non-index properties of an array longer than `ARRAY_PROPS_MAX` (64)
 *   elements are not sent: finding them needs `Object.keys`, which costs
 *   30-170 ns per element (a million elements: 0.3 s on Node).
 * - Error `cause` travels on every runtime (Bun's `structuredClone` drops it);
 *   Bun's `line`, `column` and `sourceURL` do not.
 * - A length-tracking view on a resizable `ArrayBuffer` arrives with a fixed length.
 * - Platform objects (`Blob`, `MessagePort`, streams, ...) and builtins with a
 *   `Symbol.toStringTag` of their own (generators, iterators, `Intl` objects) are a
 *   `TypeError`: a `Blob`'s bytes cannot be read synchronously.
 *
 * @module
 */

import { describe } from "../core/_describe.ts";
import {
  ALIGN_MIN,
  ARRAY_PROPS_MAX,
  BUFFER_WRITES,
  DATAVIEW_CODE,
  DOMExceptionClass,
  ERROR_CODES,
  HasSAB,
  LINEAR_OBJECTS,
  type NodeBuffer,
  REFUSED,
  RuntimeBuffer,
  SCRATCH_INITIAL,
  SCRATCH_KEEP,
  SHAPE_CACHE,
  SHAPE_DEF_CHARS,
  SHAPE_DEFS,
  SHAPE_MAX_KEYS,
  SHORT_STRING,
  SMALL_INT,
  T_ARRAY,
  T_ARRAYBUFFER,
  T_ASCII,
  T_BIGINT,
  T_BIGINT64,
  T_BIGINT_OBJECT,
  T_BOOLEAN_OBJECT,
  T_DATE,
  T_DOMEXCEPTION,
  T_END,
  T_ERROR,
  T_F64,
  T_FALSE,
  T_HOLE,
  T_INT,
  T_MAP,
  T_NULL,
  T_NUMBER_OBJECT,
  T_OBJECT,
  T_REF,
  T_REGEXP,
  T_RESIZABLE,
  T_SAB,
  T_SET,
  T_SHAPE,
  T_SHAPE_DEF,
  T_SHAPE_NEW,
  T_STRING_OBJECT,
  T_TRUE,
  T_UNDEFINED,
  T_UTF16,
  T_UTF8,
  T_VIEW,
  textEncoder,
  TYPED_ARRAY_NAME,
  VIEW_CODES,
} from "./_value_codec_format.ts";

/** Up to this many objects (and shapes) of a value, the encoder keeps its arrays' room for the next value. */
const KEEP_ENTRIES = 1024;
/** What #shared holds between calls (no allocation per call). */
const NONE: SharedArrayBuffer[] = [];

/** Thrown inside the encoder; each container on the way out adds its step to `path`. */
class Refused extends Error {
  readonly what: string;
  path: string = "";
  constructor(what: string) {
    super(what);
    this.what = what;
  }
}

function refuse(x: unknown): never {
  const what = typeof x === "symbol"
    ? "a symbol"
    : typeof x === "function"
    ? `a function (${describe(x)})`
    : describe(x);
  throw new Refused(what);
}

/** The path step for key `key`: `.name` when it reads as an identifier, `["..."]` otherwise. */
function step(key: unknown): string {
  if (typeof key === "number") return `[${key}]`;
  if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`;
  return `[${typeof key === "string" ? JSON.stringify(key) : describe(key)}]`;
}

/**
 * Encodes values into a reusable scratch buffer. One per queue end or agent;
 * not reentrant (a getter that puts on the same end from inside `encode`
 * would overwrite the scratch memory in use).
 *
 * @example Encoding and decoding a record
 * ```ts ignore
 * const encoder = new ValueEncoder();
 * const shared: SharedArrayBuffer[] = [];
 * const bytes = encoder.encode({ id: 1, tags: new Set(["a"]) }, shared);
 * const copy = decodeValue(bytes, shared); // { id: 1, tags: Set { "a" } }
 * ```
 */
export class ValueEncoder {
  #buf: Uint8Array = new Uint8Array(SCRATCH_INITIAL);
  #view: DataView = new DataView(this.#buf.buffer);
  /** A Buffer over #buf where Buffer.utf8Write is native (Node, Bun). */
  #nodeBuf: NodeBuffer | undefined = BUFFER_WRITES ? RuntimeBuffer!.from(this.#buf.buffer) : undefined;
  #pos = 0;
  #busy = false;
  /**
   * Objects met in this value; an object's index is its place here. Searched
   * in place while short: a Map needs the object's identity hash, and the
   * first one an object gets costs 30-90 ns (measured), more than the encoding
   * of a small record's other parts.
   */
  #objects: (object | undefined)[] = [];
  /**
   * How many of `#objects` (and of `#shapes`) this value has met: the arrays
   * keep their length between values (emptying one by `length = 0` gives up
   * its backing store, which the next value's first push allocates again).
   */
  #nObjects = 0;
  #nShapes = 0;
  /** The index of each object met, once there are more than LINEAR_OBJECTS. */
  #index: Map<object, number> = new Map();
  #shared: SharedArrayBuffer[] = [];
  /** Key lists remembered in this value (their index is their place here). */
  #shapes: string[][] = [];
  /** Key lists met in earlier values with their SHAPE_DEF block (most recent last). */
  #defs: { keys: string[]; block: Uint8Array }[] = [];

  /**
   * Encodes `value`. Returns a view on scratch memory, valid until the next
   * `encode` call. Every `SharedArrayBuffer` met is pushed to `shared` (once
   * per distinct buffer) and referred to by its index there.
   *
   * @param value Anything `structuredClone` accepts.
   * @param shared Where shared buffers go; entries already there are reused.
   * @returns The encoded bytes (scratch memory: copy them before the next call).
   * @throws {TypeError} For what `structuredClone` refuses, naming its kind and
   *   path; `shared` is left as it was and the encoder stays usable.
   */
  encode(value: unknown, shared: SharedArrayBuffer[]): Uint8Array {
    if (this.#busy) {
      // A getter inside the value that sends on the same queue end: its bytes would
      // overwrite the ones being written.
      throw new Error("ValueEncoder.encode was called again while encoding (from a getter of the value?)");
    }
    this.#busy = true;
    if (this.#buf.length > SCRATCH_KEEP) this.#grow(0, SCRATCH_INITIAL);
    this.#pos = 0;
    this.#shared = shared;
    const sharedBefore = shared.length;
    try {
      this.#value(value);
    } catch (e) {
      shared.length = sharedBefore;
      if (e instanceof Refused) {
        throw new TypeError(
          `${e.what} at value${e.path} cannot be sent: structuredClone refuses it ` +
            "(send plain data, or a sabkit object or SharedArrayBuffer for shared state)",
        );
      }
      throw e;
    } finally {
      // Nothing of this value stays reachable from here; a huge value's arrays are given up.
      const objects = this.#objects;
      const n = this.#nObjects;
      if (n > KEEP_ENTRIES) objects.length = 0;
      else for (let i = 0; i < n; i++) objects[i] = undefined;
      this.#nObjects = 0;
      // Map.clear allocates a new table even when empty.
      if (this.#index.size > 0) this.#index.clear();
      if (this.#nShapes > KEEP_ENTRIES) this.#shapes.length = 0;
      this.#nShapes = 0;
      this.#shared = NONE;
      this.#busy = false;
    }
    return this.#buf.subarray(0, this.#pos);
  }

  /** The index of an object met before in this value, or undefined. */
  #refOf(x: object): number | undefined {
    const n = this.#nObjects;
    if (n <= LINEAR_OBJECTS) {
      const objects = this.#objects;
      for (let i = 0; i < n; i++) if (objects[i] === x) return i;
      return undefined;
    }
    return this.#index.get(x);
  }

  /** Gives `x` the next index. */
  #remember(x: object): void {
    const objects = this.#objects;
    objects[this.#nObjects] = x;
    const n = ++this.#nObjects;
    if (n === LINEAR_OBJECTS + 1) {
      for (let i = 0; i < n; i++) this.#index.set(objects[i]!, i);
    } else if (n > LINEAR_OBJECTS) this.#index.set(x, n - 1);
  }

  /** Makes room for `n` more bytes. */
  #ensure(n: number): void {
    if (this.#pos + n > this.#buf.length) this.#grow(this.#pos, this.#pos + n);
  }

  #grow(keep: number, need: number): void {
    let size = Math.max(SCRATCH_INITIAL, this.#buf.length);
    while (size < need) size *= 2;
    if (keep === 0) size = need;
    const next = new Uint8Array(size);
    if (keep > 0) next.set(this.#buf.subarray(0, keep));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
    if (BUFFER_WRITES) this.#nodeBuf = RuntimeBuffer!.from(next.buffer);
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = b;
  }

  /** An unsigned LEB128 varint (up to 2^53). */
  #varint(n: number): void {
    this.#ensure(10);
    const buf = this.#buf;
    let p = this.#pos;
    while (n >= 0x80) {
      buf[p++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[p++] = n;
    this.#pos = p;
  }

  #value(x: unknown): void {
    switch (typeof x) {
      case "number":
        return this.#number(x);
      case "string":
        return this.#string(x);
      case "boolean":
        return this.#byte(x ? T_TRUE : T_FALSE);
      case "undefined":
        return this.#byte(T_UNDEFINED);
      case "bigint":
        return this.#bigint(x);
      case "object":
        if (x === null) return this.#byte(T_NULL);
        return this.#object(x);
      default:
        refuse(x);
    }
  }

  #number(x: number): void {
    if ((x | 0) === x && (x !== 0 || 1 / x > 0)) {
      if (x >= 0 && x < 0x80) return this.#byte(SMALL_INT | x);
      this.#byte(T_INT);
      return this.#varint(x >= 0 ? x * 2 : -x * 2 - 1);
    }
    this.#ensure(9);
    this.#buf[this.#pos] = T_F64;
    this.#view.setFloat64(this.#pos + 1, x, true);
    this.#pos += 9;
  }

  #string(s: string): void {
    const n = s.length;
    if (n < SHORT_STRING) {
      // UTF-8 by hand: worst case 3 bytes a unit, length in one byte below 128.
      this.#ensure(3 + n * 3);
      const buf = this.#buf;
      const start = this.#pos;
      const wide = n * 3 >= 0x80;
      let p = start + (wide ? 3 : 2);
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) buf[p++] = c;
        else if (c < 0x800) {
          buf[p++] = 0xc0 | (c >> 6);
          buf[p++] = 0x80 | (c & 0x3f);
        } else if (c >= 0xd800 && c < 0xe000) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c >= 0xdc00 || d < 0xdc00 || d >= 0xe000) return this.#utf16(s);
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[p++] = 0xf0 | (cp >> 18);
          buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          buf[p++] = 0xe0 | (c >> 12);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        }
      }
      const len = p - start - (wide ? 3 : 2);
      buf[start] = T_UTF8;
      if (wide) {
        // A two-byte varint padded to its reserved width (len < 192 < 2^14).
        buf[start + 1] = (len & 0x7f) | 0x80;
        buf[start + 2] = len >> 7;
      } else buf[start + 1] = len;
      this.#pos = p;
      return;
    }
    if (BUFFER_WRITES) {
      // Eight samples: text that is not ASCII mostly shows it there, and skips a UTF-8 pass
      // that would be thrown away (see below).
      for (let i = 0; i < n; i += n >> 3) if (s.charCodeAt(i) >= 0x80) return this.#utf16(s);
    } else if (!s.isWellFormed()) return this.#utf16(s);
    // Long: Buffer.utf8Write or TextEncoder, into room for the worst case; the length is a varint
    // padded to the width the worst case needs.
    const max = n * 3;
    const width = varintWidth(max);
    this.#ensure(1 + width + max);
    const start = this.#pos;
    const at = start + 1 + width;
    let written: number;
    // Read after #ensure, which may have replaced the scratch buffer.
    const nodeBuf = this.#nodeBuf;
    if (nodeBuf !== undefined) {
      written = nodeBuf.utf8Write(s, at, max);
      // Not ASCII (one byte a unit): UTF-16 instead, which Buffer copies as it is held
      // (2000 mixed characters: 4-5x faster both ways than UTF-8, measured), lone surrogates
      // included, so no isWellFormed scan is needed here.
      if (written !== n) return this.#utf16(s);
    } else written = textEncoder.encodeInto(s, this.#buf.subarray(at)).written;
    // As many bytes as units: every one ASCII, which the decoder reads as Latin-1 (see T_ASCII).
    this.#buf[start] = written === n ? T_ASCII : T_UTF8;
    writePaddedVarint(this.#buf, start + 1, width, written);
    this.#pos = start + 1 + width + written;
  }

  /** A string with a lone surrogate: its UTF-16 units as they are. */
  #utf16(s: string): void {
    const n = s.length;
    this.#byte(T_UTF16);
    this.#varint(n);
    this.#ensure(n * 2);
    if (this.#nodeBuf !== undefined) {
      this.#pos += this.#nodeBuf.ucs2Write(s, this.#pos, n * 2);
      return;
    }
    const buf = this.#buf;
    let p = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      buf[p++] = c & 0xff;
      buf[p++] = c >> 8;
    }
    this.#pos = p;
  }

  #bigint(x: bigint): void {
    if (BigInt.asIntN(64, x) === x) {
      this.#ensure(9);
      this.#buf[this.#pos] = T_BIGINT64;
      this.#view.setBigInt64(this.#pos + 1, x, true);
      this.#pos += 9;
      return;
    }
    this.#byte(T_BIGINT);
    this.#string(x.toString(16));
  }

  #object(x: object): void {
    const ref = this.#refOf(x);
    if (ref !== undefined) {
      this.#byte(T_REF);
      return this.#varint(ref);
    }
    if (Array.isArray(x)) {
      this.#remember(x);
      return this.#array(x);
    }
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) {
      this.#remember(x);
      return this.#plain(x as Record<string, unknown>);
    }
    return this.#special(x);
  }

  #array(a: unknown[]): void {
    const n = a.length;
    this.#byte(T_ARRAY);
    this.#varint(n);
    let holes = 0;
    let i = 0;
    // Only own elements travel (structuredClone's rule): an index that the prototype chain supplies is a
    // hole. An array whose prototype is not Array.prototype (`arr.__proto__ = [1, 2]`) is checked element
    // by element; Array.prototype has no indexed properties, so there a value that is there is own.
    const own = Object.getPrototypeOf(a) !== Array.prototype;
    try {
      for (; i < n; i++) {
        const v = a[i];
        if ((v === undefined || own) && !Object.hasOwn(a, i)) {
          holes++;
          this.#byte(T_HOLE);
        } else this.#value(v);
      }
    } catch (e) {
      if (e instanceof Refused) e.path = step(i) + e.path;
      throw e;
    }
    if (n > ARRAY_PROPS_MAX) return this.#byte(0);
    const keys = Object.keys(a);
    const indexes = n - holes;
    if (keys.length === indexes) return this.#byte(0);
    this.#varint(keys.length - indexes);
    this.#props(a as unknown as Record<string, unknown>, keys, indexes);
  }

  /** Writes keys[from..] and their values. */
  #props(o: Record<string, unknown>, keys: readonly string[], from: number): void {
    let k = from;
    try {
      for (; k < keys.length; k++) {
        this.#string(keys[k]);
        this.#value(o[keys[k]]);
      }
    } catch (e) {
      if (e instanceof Refused) e.path = step(keys[k]) + e.path;
      throw e;
    }
  }

  #plain(o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    const n = keys.length;
    if (n === 0 || n > SHAPE_MAX_KEYS) {
      this.#byte(T_OBJECT);
      this.#varint(n);
      return this.#props(o, keys, 0);
    }
    const shape = this.#findShape(keys);
    if (shape >= 0) {
      this.#byte(T_SHAPE);
      this.#varint(shape);
      const known = this.#shapes[shape];
      let k = 0;
      try {
        for (; k < n; k++) this.#value(o[known[k]]);
      } catch (e) {
        if (e instanceof Refused) e.path = step(known[k]) + e.path;
        throw e;
      }
      return;
    }
    const block = this.#defBlock(keys);
    if (block === undefined) {
      this.#byte(T_SHAPE_NEW);
      this.#varint(n);
      return this.#props(o, keys, 0);
    }
    const len = block.length;
    this.#ensure(4 + len);
    const buf = this.#buf;
    let p = this.#pos;
    buf[p++] = T_SHAPE_DEF;
    // Block lengths stay below 2^14 (SHAPE_DEF_CHARS): a varint of one or two bytes.
    if (len < 0x80) buf[p++] = len;
    else {
      buf[p++] = (len & 0x7f) | 0x80;
      buf[p++] = len >> 7;
    }
    for (let i = 0; i < len; i++) buf[p + i] = block[i];
    this.#pos = p + len;
    let k = 0;
    try {
      for (; k < n; k++) this.#value(o[keys[k]]);
    } catch (e) {
      if (e instanceof Refused) e.path = step(keys[k]) + e.path;
      throw e;
    }
  }

  /**
   * The SHAPE_DEF block of `keys` (key count, keys): from the cache when an
   * earlier value had the same list, else written once and kept; `undefined`
   * when their keys are too long to keep.
   */
  #defBlock(keys: string[]): Uint8Array | undefined {
    const defs = this.#defs;
    const n = keys.length;
    search: for (let i = defs.length - 1; i >= 0; i--) {
      const known = defs[i].keys;
      if (known.length !== n) continue;
      for (let k = 0; k < n; k++) if (known[k] !== keys[k]) continue search;
      return defs[i].block;
    }
    let chars = 0;
    for (let k = 0; k < n; k++) chars += keys[k].length;
    if (chars > SHAPE_DEF_CHARS) return undefined;
    // Written at the end of the scratch in use, then copied out: the value being written stays as it is.
    const start = this.#pos;
    this.#varint(n);
    for (let k = 0; k < n; k++) this.#string(keys[k]);
    const block = this.#buf.slice(start, this.#pos);
    this.#pos = start;
    if (defs.length >= SHAPE_DEFS) defs.shift();
    defs.push({ keys, block });
    return block;
  }

  /** The index of a remembered shape with these keys, or -1 after remembering them as a new one. */
  #findShape(keys: string[]): number {
    const shapes = this.#shapes;
    const n = keys.length;
    const count = this.#nShapes;
    // The latest SHAPE_CACHE shapes, newest first: records of a few kinds mixed in one
    // array are found, and a value of many one-off shapes costs a bounded search.
    const stop = Math.max(0, count - SHAPE_CACHE);
    search: for (let i = count - 1; i >= stop; i--) {
      const known = shapes[i];
      if (known.length !== n) continue;
      for (let k = 0; k < n; k++) if (known[k] !== keys[k]) continue search;
      return i;
    }
    shapes[count] = keys;
    this.#nShapes = count + 1;
    return -1;
  }

  /** Everything but arrays and plain objects. */
  #special(x: object): void {
    if (ArrayBuffer.isView(x)) return this.#arrayView(x);
    if (HasSAB && x instanceof SharedArrayBuffer) return this.#sab(x);
    if (x instanceof ArrayBuffer) {
      this.#remember(x);
      return this.#arrayBuffer(x);
    }
    if (x instanceof Map) {
      this.#remember(x);
      this.#byte(T_MAP);
      let at: unknown;
      try {
        for (const [k, v] of x) {
          at = k;
          this.#value(k);
          this.#value(v);
        }
      } catch (e) {
        if (e instanceof Refused) e.path = `.get(${describe(at)})` + e.path;
        throw e;
      }
      return this.#byte(T_END);
    }
    if (x instanceof Set) {
      this.#remember(x);
      this.#byte(T_SET);
      try {
        for (const v of x) this.#value(v);
      } catch (e) {
        if (e instanceof Refused) e.path = " (a Set element)" + e.path;
        throw e;
      }
      return this.#byte(T_END);
    }
    if (x instanceof Date) {
      this.#remember(x);
      this.#ensure(9);
      this.#buf[this.#pos] = T_DATE;
      this.#view.setFloat64(this.#pos + 1, x.getTime(), true);
      this.#pos += 9;
      return;
    }
    if (x instanceof RegExp) {
      this.#remember(x);
      this.#byte(T_REGEXP);
      this.#string(x.source);
      return this.#string(x.flags);
    }
    if (DOMExceptionClass !== undefined && x instanceof DOMExceptionClass) {
      this.#remember(x);
      this.#byte(T_DOMEXCEPTION);
      this.#string(String(x.name));
      this.#string(String(x.message));
      // Node's structuredClone keeps a DOMException's stack; browsers' have none to keep.
      const stack = x.stack;
      if (typeof stack !== "string") return this.#byte(T_UNDEFINED);
      return this.#string(stack);
    }
    if (Error.isError(x)) return this.#error(x as Error);
    if (x instanceof Number) {
      this.#remember(x);
      this.#ensure(9);
      this.#buf[this.#pos] = T_NUMBER_OBJECT;
      this.#view.setFloat64(this.#pos + 1, x.valueOf(), true);
      this.#pos += 9;
      return;
    }
    if (x instanceof String) {
      this.#remember(x);
      this.#byte(T_STRING_OBJECT);
      return this.#string(x.valueOf());
    }
    if (x instanceof Boolean) {
      this.#remember(x);
      this.#byte(T_BOOLEAN_OBJECT);
      return this.#byte(x.valueOf() ? 1 : 0);
    }
    if (x instanceof BigInt) {
      this.#remember(x);
      this.#byte(T_BIGINT_OBJECT);
      return this.#bigint(x.valueOf());
    }
    for (const C of REFUSED) if (x instanceof C) refuse(x);
    // A class instance travels as its own enumerable properties, as with
    // structuredClone, unless it is a builtin with a kind of its own.
    const tag = Object.prototype.toString.call(x);
    if (tag !== "[object Object]") throw new Refused(`${describe(x)} (${tag.slice(8, -1)})`);
    this.#remember(x);
    return this.#plain(x as Record<string, unknown>);
  }

  #arrayBuffer(b: ArrayBuffer): void {
    const n = b.byteLength;
    if (b.resizable) {
      this.#byte(T_RESIZABLE);
      this.#varint(n);
      this.#varint(b.maxByteLength);
    } else {
      this.#byte(T_ARRAYBUFFER);
      this.#varint(n);
    }
    if (n >= ALIGN_MIN) this.#align();
    this.#ensure(n);
    this.#buf.set(new Uint8Array(b), this.#pos);
    this.#pos += n;
  }

  /**
   * Pads to a multiple of 8 bytes from the start of the value (a count byte,
   * then zeros): a transport that places values at 8-byte boundaries lets the
   * decoder copy the bytes out of shared memory as float64s, 2-5 times faster
   * than bytes on V8 (measured in bench/diag/value_codec.ts).
   */
  #align(): void {
    const pad = (8 - ((this.#pos + 1) & 7)) & 7;
    this.#ensure(1 + pad);
    this.#buf[this.#pos++] = pad;
    this.#buf.fill(0, this.#pos, this.#pos + pad);
    this.#pos += pad;
  }

  #sab(b: SharedArrayBuffer): void {
    let i = this.#shared.indexOf(b);
    if (i < 0) i = this.#shared.push(b) - 1;
    this.#byte(T_SAB);
    this.#varint(i);
  }

  #arrayView(v: ArrayBufferView): void {
    this.#remember(v);
    const name = TYPED_ARRAY_NAME.call(v);
    const code = name === undefined ? DATAVIEW_CODE : VIEW_CODES.get(name);
    if (code === undefined) throw new Refused(describe(v));
    this.#byte(T_VIEW);
    this.#byte(code);
    const buffer = v.buffer;
    if (HasSAB && buffer instanceof SharedArrayBuffer) this.#sab(buffer);
    else this.#object(buffer);
    this.#varint(v.byteOffset);
    this.#varint(code === DATAVIEW_CODE ? v.byteLength : (v as Uint8Array).length);
  }

  #error(e: Error): void {
    this.#remember(e);
    // As the HTML spec's StructuredSerialize: name read with Get, kept only
    // when it is one of the standard ones; message an own data property, as a string.
    const code = ERROR_CODES.get(e.name) ?? 0;
    const message = Object.getOwnPropertyDescriptor(e, "message");
    const hasMessage = message !== undefined && "value" in message;
    const stack = e.stack;
    const hasStack = typeof stack === "string";
    const hasCause = Object.hasOwn(e, "cause");
    this.#byte(T_ERROR);
    this.#byte(code | (hasMessage ? 8 : 0) | (hasStack ? 16 : 0) | (hasCause ? 32 : 0));
    if (hasMessage) this.#string(String(message.value));
    if (hasStack) this.#string(stack);
    if (hasCause) {
      try {
        this.#value(e.cause);
      } catch (err) {
        if (err instanceof Refused) err.path = ".cause" + err.path;
        throw err;
      }
    }
  }
}

function varintWidth(n: number): number {
  let w = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    w++;
  }
  return w;
}

/** Writes `n` as a varint of exactly `width` bytes (continuation bits on all but the last). */
function writePaddedVarint(buf: Uint8Array, at: number, width: number, n: number): void {
  for (let i = 0; i < width - 1; i++) {
    buf[at + i] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[at + width - 1] = n;
}

export { decodeValue } from "./_value_codec_decode.ts";
