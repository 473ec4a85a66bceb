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
 * - Strings: UTF8 (byte length, bytes) when well-formed; UTF16 (unit count,
 *   2 bytes a unit) when they hold a lone surrogate, which UTF-8 cannot carry.
 * - Objects get an index in meeting order; meeting one again writes REF index,
 *   so cycles and shared references keep their structure. Plain objects whose
 *   key list was seen before in the same value (arrays of records) write
 *   SHAPE index instead of their keys.
 * - A `SharedArrayBuffer` is SAB i: its index in the `shared` list, so it
 *   arrives as the same memory; views on one arrive as views on it.
 *
 * Deliberate differences from `structuredClone` (each one measured or
 * impossible to do otherwise in plain JavaScript):
 * - A Proxy is read through its traps (JavaScript cannot tell a Proxy apart);
 *   `structuredClone` refuses it.
 * - An `arguments` object travels as an ordinary object (`structuredClone`
 *   refuses it): telling it apart costs every plain object a `toString` call.
 * - Non-index properties of an array longer than {@link ARRAY_PROPS_MAX}
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

// Tags. 0x80..0xff are the small integers 0..127.
const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_F64 = 5;
const T_UTF8 = 6;
const T_UTF16 = 7;
const T_BIGINT64 = 8;
const T_BIGINT = 9;
const T_REF = 10;
const T_ARRAY = 11;
const T_HOLE = 12;
const T_OBJECT = 13;
const T_SHAPE_NEW = 14;
const T_SHAPE = 15;
const T_MAP = 16;
const T_SET = 17;
const T_END = 18;
const T_DATE = 19;
const T_REGEXP = 20;
const T_ARRAYBUFFER = 21;
const T_RESIZABLE = 22;
const T_SAB = 23;
const T_VIEW = 24;
const T_ERROR = 25;
const T_DOMEXCEPTION = 26;
const T_BOOLEAN_OBJECT = 27;
const T_NUMBER_OBJECT = 28;
const T_STRING_OBJECT = 29;
const T_BIGINT_OBJECT = 30;
const SMALL_INT = 0x80;

/** Arrays up to this length are checked for non-index properties (see the module doc). */
export const ARRAY_PROPS_MAX = 64;
/** Plain objects with more keys than this are not remembered as shapes. */
const SHAPE_MAX_KEYS = 64;
/** Shapes compared before a new one is defined (most recent first). */
const SHAPE_CACHE = 8;
/** Strings shorter than this are encoded and decoded by a loop; longer ones by TextEncoder/TextDecoder. */
const SHORT_STRING = 64;
/** A scratch buffer larger than this is dropped at the next encode, so one huge value does not pin memory. */
const SCRATCH_KEEP = 1 << 22;
const SCRATCH_INITIAL = 1 << 12;

/** Error constructors by the name structured clone keeps (any other name arrives as "Error"). */
const ERROR_TYPES: readonly ErrorConstructor[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
];
const ERROR_CODES: ReadonlyMap<unknown, number> = new Map(ERROR_TYPES.map((E, i) => [E.name, i]));

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
const g = globalThis as Record<string, unknown>;
/** Typed array names by code; the code is the index. DataView last. */
const VIEW_NAMES: readonly string[] = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
  "DataView",
];
const VIEW_CODES: ReadonlyMap<string, number> = new Map(VIEW_NAMES.map((n, i) => [n, i]));
const DATAVIEW_CODE = VIEW_NAMES.length - 1;
const VIEWS: readonly (ViewConstructor | undefined)[] = VIEW_NAMES.map((n) =>
  g[n] as ViewConstructor | undefined
);

/** %TypedArray%.prototype's `Symbol.toStringTag` getter: a typed array's own kind, whatever its class. */
const TYPED_ARRAY_NAME = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)!.get as (this: unknown) => string | undefined;

const HasSAB = typeof SharedArrayBuffer === "function";
const DOMExceptionClass = g.DOMException as (new (message?: string, name?: string) => Error) | undefined;

/** Classes structured clone refuses (or that we cannot read synchronously), where the runtime has them. */
const REFUSED: readonly (abstract new (...args: never[]) => unknown)[] = [
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "FinalizationRegistry",
  "Promise",
  "Symbol",
  "Blob",
  "MessagePort",
  "ReadableStream",
  "WritableStream",
  "TransformStream",
].map((n) => g[n]).filter((c): c is abstract new (...args: never[]) => unknown => typeof c === "function");

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

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
/** Browsers' TextDecoder refuses views on shared memory; those are copied first there. */
const DECODER_TAKES_SHARED: boolean = (() => {
  if (!HasSAB) return true;
  try {
    textDecoder.decode(new Uint8Array(new SharedArrayBuffer(1)));
    return true;
  } catch {
    return false;
  }
})();

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
  #pos = 0;
  /** Objects met in this value, with their index. */
  #seen: Map<object, number> = new Map();
  #shared: SharedArrayBuffer[] = [];
  /** Key lists remembered in this value (their index is their place here). */
  #shapes: string[][] = [];
  /** Indexes into #shapes of the most recent ones, newest first. */
  #recent: number[] = [];

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
      this.#seen.clear();
      this.#shapes.length = 0;
      this.#recent.length = 0;
      this.#shared = [];
    }
    return this.#buf.subarray(0, this.#pos);
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
    if (!s.isWellFormed()) return this.#utf16(s);
    // Long: TextEncoder, into room for the worst case; the length is a varint
    // padded to the width the worst case needs.
    const max = n * 3;
    const width = varintWidth(max);
    this.#ensure(1 + width + max);
    const start = this.#pos;
    const { written } = textEncoder.encodeInto(s, this.#buf.subarray(start + 1 + width));
    this.#buf[start] = T_UTF8;
    writePaddedVarint(this.#buf, start + 1, width, written);
    this.#pos = start + 1 + width + written;
  }

  /** A string with a lone surrogate: its UTF-16 units as they are. */
  #utf16(s: string): void {
    const n = s.length;
    this.#byte(T_UTF16);
    this.#varint(n);
    this.#ensure(n * 2);
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
    const seen = this.#seen;
    const ref = seen.get(x);
    if (ref !== undefined) {
      this.#byte(T_REF);
      return this.#varint(ref);
    }
    if (Array.isArray(x)) {
      seen.set(x, seen.size);
      return this.#array(x);
    }
    const proto = Object.getPrototypeOf(x);
    if (proto === Object.prototype || proto === null) {
      seen.set(x, seen.size);
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
    try {
      for (; i < n; i++) {
        const v = a[i];
        if (v === undefined && !(i in a)) {
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
    this.#byte(T_SHAPE_NEW);
    this.#varint(n);
    this.#props(o, keys, 0);
  }

  /** The index of a remembered shape with these keys, or -1 after remembering them as a new one. */
  #findShape(keys: string[]): number {
    const recent = this.#recent;
    const shapes = this.#shapes;
    const n = keys.length;
    search: for (let r = 0; r < recent.length; r++) {
      const known = shapes[recent[r]];
      if (known.length !== n) continue;
      for (let k = 0; k < n; k++) if (known[k] !== keys[k]) continue search;
      const index = recent[r];
      if (r > 0) {
        recent.splice(r, 1);
        recent.unshift(index);
      }
      return index;
    }
    shapes.push(keys);
    recent.unshift(shapes.length - 1);
    if (recent.length > SHAPE_CACHE) recent.length = SHAPE_CACHE;
    return -1;
  }

  /** Everything but arrays and plain objects. */
  #special(x: object): void {
    if (ArrayBuffer.isView(x)) return this.#arrayView(x);
    if (HasSAB && x instanceof SharedArrayBuffer) return this.#sab(x);
    const seen = this.#seen;
    if (x instanceof ArrayBuffer) {
      seen.set(x, seen.size);
      return this.#arrayBuffer(x);
    }
    if (x instanceof Map) {
      seen.set(x, seen.size);
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
      seen.set(x, seen.size);
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
      seen.set(x, seen.size);
      this.#ensure(9);
      this.#buf[this.#pos] = T_DATE;
      this.#view.setFloat64(this.#pos + 1, x.getTime(), true);
      this.#pos += 9;
      return;
    }
    if (x instanceof RegExp) {
      seen.set(x, seen.size);
      this.#byte(T_REGEXP);
      this.#string(x.source);
      return this.#string(x.flags);
    }
    if (DOMExceptionClass !== undefined && x instanceof DOMExceptionClass) {
      seen.set(x, seen.size);
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
      seen.set(x, seen.size);
      this.#ensure(9);
      this.#buf[this.#pos] = T_NUMBER_OBJECT;
      this.#view.setFloat64(this.#pos + 1, x.valueOf(), true);
      this.#pos += 9;
      return;
    }
    if (x instanceof String) {
      seen.set(x, seen.size);
      this.#byte(T_STRING_OBJECT);
      return this.#string(x.valueOf());
    }
    if (x instanceof Boolean) {
      seen.set(x, seen.size);
      this.#byte(T_BOOLEAN_OBJECT);
      return this.#byte(x.valueOf() ? 1 : 0);
    }
    if (x instanceof BigInt) {
      seen.set(x, seen.size);
      this.#byte(T_BIGINT_OBJECT);
      return this.#bigint(x.valueOf());
    }
    for (const C of REFUSED) if (x instanceof C) refuse(x);
    // A class instance travels as its own enumerable properties, as with
    // structuredClone, unless it is a builtin with a kind of its own.
    const tag = Object.prototype.toString.call(x);
    if (tag !== "[object Object]") throw new Refused(`${describe(x)} (${tag.slice(8, -1)})`);
    seen.set(x, seen.size);
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
    this.#ensure(n);
    this.#buf.set(new Uint8Array(b), this.#pos);
    this.#pos += n;
  }

  #sab(b: SharedArrayBuffer): void {
    let i = this.#shared.indexOf(b);
    if (i < 0) i = this.#shared.push(b) - 1;
    this.#byte(T_SAB);
    this.#varint(i);
  }

  #arrayView(v: ArrayBufferView): void {
    const seen = this.#seen;
    seen.set(v, seen.size);
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
    const seen = this.#seen;
    seen.set(e, seen.size);
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

/** Decoding state for one call. */
interface Reader {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
  shared: readonly SharedArrayBuffer[];
  refs: unknown[];
  shapes: string[][];
}

/** The DataView over the last buffer decoded from: the transport decodes from the same memory each time. */
let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

/**
 * Decodes bytes written by {@link ValueEncoder.encode}; `shared[i]` resolves
 * buffer references. Never retains `bytes` (it may be shared memory reused
 * right after): everything is copied out.
 *
 * @param bytes What `encode` returned (or a copy of it).
 * @param shared The buffers `encode` pushed, in the same order.
 * @returns The value, as `structuredClone` would have given it.
 * @throws {RangeError} If the bytes end early or hold an unknown tag.
 *
 * @example Decoding what an encoder wrote
 * ```ts ignore
 * const shared: SharedArrayBuffer[] = [];
 * const bytes = new ValueEncoder().encode([1, "two", 3n], shared);
 * decodeValue(bytes, shared); // [1, "two", 3n]
 * ```
 */
export function decodeValue(bytes: Uint8Array, shared: readonly SharedArrayBuffer[]): unknown {
  const buffer = bytes.buffer;
  let view: DataView;
  if (buffer === lastBuffer && lastView!.byteLength >= bytes.byteOffset + bytes.length) view = lastView!;
  else {
    view = new DataView(buffer);
    // Only shared memory is kept: it is the transport's and lives on anyway; a private
    // buffer kept here would pin its memory.
    if (HasSAB && buffer instanceof SharedArrayBuffer) {
      lastBuffer = buffer;
      lastView = view;
    }
  }
  const r: Reader = { bytes, view, pos: 0, shared, refs: [], shapes: [] };
  const value = read(r);
  if (r.pos !== bytes.length) throw new RangeError(`Value bytes: ${bytes.length - r.pos} bytes left over`);
  return value;
}

function corrupt(r: Reader, what: string): never {
  throw new RangeError(`Value bytes: ${what} at byte ${r.pos} of ${r.bytes.length}`);
}

function readByte(r: Reader): number {
  if (r.pos >= r.bytes.length) corrupt(r, "ended early");
  return r.bytes[r.pos++];
}

function readVarint(r: Reader): number {
  const bytes = r.bytes;
  let n = 0;
  let scale = 1;
  for (;;) {
    if (r.pos >= bytes.length) corrupt(r, "ended early");
    const b = bytes[r.pos++];
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 0x80;
  }
}

function readF64(r: Reader): number {
  if (r.pos + 8 > r.bytes.length) corrupt(r, "ended early");
  const x = r.view.getFloat64(r.bytes.byteOffset + r.pos, true);
  r.pos += 8;
  return x;
}

/** `n` bytes at the read position (a view: copy before keeping). */
function take(r: Reader, n: number): Uint8Array {
  if (r.pos + n > r.bytes.length) corrupt(r, "ended early");
  const out = r.bytes.subarray(r.pos, r.pos + n);
  r.pos += n;
  return out;
}

function readUtf8(r: Reader, n: number): string {
  if (n >= SHORT_STRING) {
    const raw = take(r, n);
    return textDecoder.decode(DECODER_TAKES_SHARED ? raw : raw.slice());
  }
  if (r.pos + n > r.bytes.length) corrupt(r, "ended early");
  const bytes = r.bytes;
  let p = r.pos;
  const end = p + n;
  r.pos = end;
  let s = "";
  while (p < end) {
    const b = bytes[p++];
    if (b < 0x80) s += String.fromCharCode(b);
    else if (b < 0xe0) s += String.fromCharCode(((b & 0x1f) << 6) | (bytes[p++] & 0x3f));
    else if (b < 0xf0) {
      s += String.fromCharCode(((b & 0x0f) << 12) | ((bytes[p++] & 0x3f) << 6) | (bytes[p++] & 0x3f));
    } else {
      const cp = ((b & 0x07) << 18) | ((bytes[p++] & 0x3f) << 12) | ((bytes[p++] & 0x3f) << 6) |
        (bytes[p++] & 0x3f);
      s += String.fromCodePoint(cp);
    }
  }
  return s;
}

function readUtf16(r: Reader, n: number): string {
  const raw = take(r, n * 2);
  let s = "";
  const chunk: number[] = [];
  for (let i = 0; i < n; i++) {
    chunk.push(raw[2 * i] | (raw[2 * i + 1] << 8));
    if (chunk.length === 4096 || i === n - 1) {
      s += String.fromCharCode.apply(null, chunk);
      chunk.length = 0;
    }
  }
  return s;
}

function readString(r: Reader): string {
  const tag = readByte(r);
  if (tag === T_UTF8) return readUtf8(r, readVarint(r));
  if (tag === T_UTF16) return readUtf16(r, readVarint(r));
  return corrupt(r, `a string expected, tag ${tag}`);
}

/** Sets an own data property as structured clone does (a `__proto__` key is a key, not the prototype). */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else o[key] = value;
}

function readProps(r: Reader, o: Record<string, unknown>, n: number, keep?: string[]): void {
  for (let i = 0; i < n; i++) {
    const key = readString(r);
    keep?.push(key);
    put(o, key, read(r));
  }
}

function read(r: Reader): unknown {
  const tag = readByte(r);
  if (tag >= SMALL_INT) return tag - SMALL_INT;
  switch (tag) {
    case T_UNDEFINED:
      return undefined;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_INT: {
      const z = readVarint(r);
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    case T_F64:
      return readF64(r);
    case T_UTF8:
      return readUtf8(r, readVarint(r));
    case T_UTF16:
      return readUtf16(r, readVarint(r));
    case T_BIGINT64: {
      if (r.pos + 8 > r.bytes.length) corrupt(r, "ended early");
      const x = r.view.getBigInt64(r.bytes.byteOffset + r.pos, true);
      r.pos += 8;
      return x;
    }
    case T_BIGINT: {
      const hex = readString(r);
      return hex.startsWith("-") ? -BigInt("0x" + hex.slice(1)) : BigInt("0x" + hex);
    }
    case T_REF: {
      const i = readVarint(r);
      if (i >= r.refs.length) corrupt(r, `reference ${i} to nothing`);
      return r.refs[i];
    }
    case T_ARRAY:
      return readArray(r);
    case T_OBJECT: {
      const o: Record<string, unknown> = {};
      r.refs.push(o);
      readProps(r, o, readVarint(r));
      return o;
    }
    case T_SHAPE_NEW: {
      const o: Record<string, unknown> = {};
      r.refs.push(o);
      const keys: string[] = [];
      r.shapes.push(keys);
      readProps(r, o, readVarint(r), keys);
      return o;
    }
    case T_SHAPE: {
      const i = readVarint(r);
      if (i >= r.shapes.length) corrupt(r, `shape ${i} unknown`);
      const keys = r.shapes[i];
      const o: Record<string, unknown> = {};
      r.refs.push(o);
      for (let k = 0; k < keys.length; k++) put(o, keys[k], read(r));
      return o;
    }
    case T_MAP: {
      const m = new Map();
      r.refs.push(m);
      while (r.bytes[r.pos] !== T_END) m.set(read(r), read(r));
      r.pos++;
      return m;
    }
    case T_SET: {
      const s = new Set();
      r.refs.push(s);
      while (r.bytes[r.pos] !== T_END) s.add(read(r));
      r.pos++;
      return s;
    }
    case T_DATE: {
      const d = new Date(readF64(r));
      r.refs.push(d);
      return d;
    }
    case T_REGEXP: {
      const at = r.refs.push(undefined) - 1;
      const source = readString(r);
      const re = new RegExp(source, readString(r));
      r.refs[at] = re;
      return re;
    }
    case T_ARRAYBUFFER: {
      const b = take(r, readVarint(r)).slice().buffer;
      r.refs.push(b);
      return b;
    }
    case T_RESIZABLE: {
      const n = readVarint(r);
      const b = new ArrayBuffer(n, { maxByteLength: readVarint(r) });
      new Uint8Array(b).set(take(r, n));
      r.refs.push(b);
      return b;
    }
    case T_SAB: {
      const i = readVarint(r);
      if (i >= r.shared.length) corrupt(r, `shared buffer ${i} of ${r.shared.length}`);
      return r.shared[i];
    }
    case T_VIEW:
      return readView(r);
    case T_ERROR:
      return readError(r);
    case T_DOMEXCEPTION: {
      const at = r.refs.push(undefined) - 1;
      const name = readString(r);
      const e = new DOMExceptionClass!(readString(r), name);
      r.refs[at] = e;
      if (r.bytes[r.pos] === T_UNDEFINED) r.pos++;
      else Object.defineProperty(e, "stack", { value: readString(r), writable: true, configurable: true });
      return e;
    }
    case T_BOOLEAN_OBJECT: {
      const o = Object(readByte(r) === 1);
      r.refs.push(o);
      return o;
    }
    case T_NUMBER_OBJECT: {
      const o = Object(readF64(r));
      r.refs.push(o);
      return o;
    }
    case T_STRING_OBJECT: {
      const at = r.refs.push(undefined) - 1;
      const o = Object(readString(r));
      r.refs[at] = o;
      return o;
    }
    case T_BIGINT_OBJECT: {
      const at = r.refs.push(undefined) - 1;
      const o = Object(read(r) as bigint);
      r.refs[at] = o;
      return o;
    }
    default:
      return corrupt(r, `unknown tag ${tag}`);
  }
}

function readArray(r: Reader): unknown[] {
  const n = readVarint(r);
  const a: unknown[] = [];
  r.refs.push(a);
  const bytes = r.bytes;
  for (let i = 0; i < n; i++) {
    if (bytes[r.pos] === T_HOLE) {
      r.pos++;
      a.length = i + 1;
    } else a.push(read(r));
  }
  const extra = readVarint(r);
  if (extra > 0) readProps(r, a as unknown as Record<string, unknown>, extra);
  return a;
}

function readView(r: Reader): ArrayBufferView {
  const at = r.refs.push(undefined) - 1;
  const code = readByte(r);
  const View = VIEWS[code];
  if (View === undefined) {
    corrupt(r, code < VIEW_NAMES.length ? `${VIEW_NAMES[code]} is missing here` : `view code ${code}`);
  }
  const buffer = read(r) as ArrayBufferLike;
  const view = new View(buffer, readVarint(r), readVarint(r));
  r.refs[at] = view;
  return view;
}

function readError(r: Reader): Error {
  const flags = readByte(r);
  const E = ERROR_TYPES[flags & 7] ?? Error;
  const message = flags & 8 ? readString(r) : undefined;
  const stack = flags & 16 ? readString(r) : undefined;
  // No stack trace of our own: it is replaced by the sender's, and capturing one costs microseconds.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let e: Error;
  try {
    e = new E();
  } finally {
    Error.stackTraceLimit = limit;
  }
  r.refs.push(e);
  const own = { writable: true, enumerable: false, configurable: true };
  if (message !== undefined) Object.defineProperty(e, "message", { value: message, ...own });
  if (stack !== undefined) Object.defineProperty(e, "stack", { value: stack, ...own });
  else delete e.stack;
  if (flags & 32) Object.defineProperty(e, "cause", { value: read(r), ...own });
  return e;
}
