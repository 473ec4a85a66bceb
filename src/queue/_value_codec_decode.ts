/**
 * The value codec's decoder (the format is in _value_codec.ts's module doc).
 *
 * The state of one decode lives in module variables rather than an object
 * passed around: the hot paths then read locals and context slots, no
 * property loads (measured: 10-20% on small records). A decode inside a
 * decode (impossible today: no user code runs while decoding) would still
 * work, as `decodeValue` saves and restores that state.
 *
 * @module
 */

import {
  ALIGN_MIN,
  BUFFER_COPIES,
  DECODE_FROM_COPY,
  DOMExceptionClass,
  ERROR_TYPES,
  HasSAB,
  type NodeBuffer,
  RuntimeBuffer,
  SCRATCH_KEEP,
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
  TEXT_DECODER_MIN,
  textDecoder,
  VIEW_NAMES,
  VIEWS,
} from "./_value_codec_format.ts";

/** Up to this many bytes an ASCII string is built in JavaScript (beats TextDecoder and Buffer there, measured). */
const CONCAT_MAX = 12;
/** Whether short strings are built by concatenation (JavaScriptCore) rather than one fromCharCode call (V8). */
const CONCAT_STRINGS: boolean = "Bun" in globalThis;
/** Up to this many bytes without a Buffer, a string is built from code units; TextDecoder above. */
const UNITS_MAX = 64;

let bytes: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;
let view: DataView = new DataView(bytes.buffer);
/** bytes.byteOffset: DataView reads are relative to the whole buffer. */
let base = 0;
let shared: readonly SharedArrayBuffer[] = [];
let refs: unknown[] = [];
/** A key list met in this value, and once used again, the function that fills an object of it. */
interface Shape {
  keys: string[];
  fill: Fill | undefined;
}
type Fill = (o: Record<string, unknown>, next: () => unknown) => void;
let shapes: Shape[] = [];
/** A Buffer over bytes.buffer, made on the first string that wants it. */
let nodeBuffer: NodeBuffer | undefined;
const units: number[] = [];
/** Whether bytes are on a SharedArrayBuffer (V8 copies out of those byte by byte). */
let sharedInput = false;

/** Views of the last shared buffer decoded from: the transport decodes from the same memory each time. */
let lastShared: ArrayBufferLike | undefined;
let lastView: DataView | undefined;
let lastNodeBuffer: NodeBuffer | undefined;

/**
 * Decodes bytes written by `ValueEncoder.encode`; `sharedBuffers[i]` resolves
 * buffer references. Never retains `input` (it may be shared memory reused
 * right after): everything is copied out.
 *
 * @param input What `encode` returned (or a copy of it).
 * @param sharedBuffers The buffers `encode` pushed, in the same order.
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
export function decodeValue(input: Uint8Array, sharedBuffers: readonly SharedArrayBuffer[]): unknown {
  // Nothing a decode runs calls back into a decode; if it ever did, the outer state is saved (the common
  // case allocates no array for it: measured, a tenth of a small record's decode on V8).
  if (decoding) return decodeNested(input, sharedBuffers);
  decoding = true;
  try {
    return decodeTop(input, sharedBuffers);
  } finally {
    decoding = false;
    // Neither the input nor anything decoded stays reachable from here.
    bytes = NO_BYTES;
    view = NO_VIEW;
    nodeBuffer = undefined;
    refs = NO_REFS;
    shapes = NO_SHAPES;
    shared = NO_SHARED;
  }
}

let decoding = false;
const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(NO_BYTES.buffer);
const NO_REFS: unknown[] = [];
const NO_SHAPES: Shape[] = [];
const NO_SHARED: readonly SharedArrayBuffer[] = [];

/** A decode from inside a decode: the outer one's state saved and restored around it. */
function decodeNested(input: Uint8Array, sharedBuffers: readonly SharedArrayBuffer[]): unknown {
  const saved = [bytes, pos, end, view, base, shared, refs, shapes, nodeBuffer, sharedInput] as const;
  try {
    return decodeTop(input, sharedBuffers);
  } finally {
    [bytes, pos, end, view, base, shared, refs, shapes, nodeBuffer, sharedInput] = saved;
  }
}

function decodeTop(input: Uint8Array, sharedBuffers: readonly SharedArrayBuffer[]): unknown {
  const buffer = input.buffer;
  sharedInput = false;
  if (buffer === lastShared && lastView!.byteLength >= input.byteOffset + input.length) {
    sharedInput = true;
    view = lastView!;
    nodeBuffer = lastNodeBuffer;
  } else {
    view = new DataView(buffer);
    nodeBuffer = undefined;
    // Only shared memory is kept: it is the transport's and lives on anyway; a private
    // buffer kept here would pin its memory.
    if (HasSAB && buffer instanceof SharedArrayBuffer) {
      sharedInput = true;
      lastShared = buffer;
      lastView = view;
      lastNodeBuffer = undefined;
    }
  }
  bytes = input;
  pos = 0;
  end = input.length;
  base = input.byteOffset;
  shared = sharedBuffers;
  refs = [];
  shapes = [];
  const value = read();
  if (pos !== end) throw new RangeError(`Value bytes: ${end - pos} bytes left over`);
  return value;
}

function corrupt(what: string): never {
  throw new RangeError(`Value bytes: ${what} at byte ${pos} of ${end}`);
}

function need(n: number): void {
  if (pos + n > end) corrupt("ended early");
}

function readByte(): number {
  if (pos >= end) corrupt("ended early");
  return bytes[pos++];
}

function readVarint(): number {
  let b = readByte();
  if (b < 0x80) return b;
  let n = b & 0x7f;
  let scale = 0x80;
  for (;;) {
    b = readByte();
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n;
    scale *= 0x80;
  }
}

function readF64(): number {
  need(8);
  const x = view.getFloat64(base + pos, true);
  pos += 8;
  return x;
}

/** `n` bytes at the read position (a view: copy before keeping). */
function take(n: number): Uint8Array {
  need(n);
  const out = bytes.subarray(pos, pos + n);
  pos += n;
  return out;
}

/** The Buffer over bytes.buffer (made on first use in a decode). */
function bufferOver(): NodeBuffer {
  if (nodeBuffer === undefined) {
    nodeBuffer = RuntimeBuffer!.from(bytes.buffer);
    if (bytes.buffer === lastShared) lastNodeBuffer = nodeBuffer;
  }
  return nodeBuffer;
}

/**
 * A buffer's `n` bytes (after its alignment padding), copied into a new
 * ArrayBuffer. Out of shared memory V8 copies byte by byte (6 GB/s here);
 * Node's Buffer.copy is a memmove (14 GB/s) and elsewhere float64 elements
 * go 8 bytes at a time (see src/runtime/mod.ts's copy-out figures).
 */
function copyOut(n: number): ArrayBuffer {
  if (n >= ALIGN_MIN) pos += 1 + readPad();
  need(n);
  const at = pos;
  pos += n;
  if (!sharedInput) return bytes.slice(at, at + n).buffer;
  if (BUFFER_COPIES) {
    const out = new Uint8Array(n);
    bufferOver().copy(out, 0, base + at, base + at + n);
    return out.buffer;
  }
  if (((base + at) & 7) === 0 && (n & 7) === 0) {
    return new Float64Array(new Float64Array(bytes.buffer, base + at, n / 8)).buffer;
  }
  return bytes.slice(at, at + n).buffer;
}

function readPad(): number {
  need(1);
  const pad = bytes[pos];
  if (pad > 7) corrupt(`padding ${pad}`);
  return pad;
}

function readUtf8(n: number): string {
  need(n);
  let p = pos;
  const stop = p + n;
  if (n <= CONCAT_MAX) {
    const b = bytes;
    let any = 0;
    for (let i = p; i < stop; i++) any |= b[i];
    if (any >= 0x80) return readUtf8Slow(n);
    pos = stop;
    // On V8 one call with the units as arguments (a flat string at once, as msgpackr does);
    // JavaScriptCore concatenates faster (measured: small-record decode 5.6M/s against 6.4M/s).
    switch (CONCAT_STRINGS ? -1 : n) {
      case 0:
        return "";
      case 1:
        return String.fromCharCode(b[p]);
      case 2:
        return String.fromCharCode(b[p], b[p + 1]);
      case 3:
        return String.fromCharCode(b[p], b[p + 1], b[p + 2]);
      case 4:
        return String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);
      case 5:
        return String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
      case 6:
        return String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
      case 7:
        return String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
      case 8:
        return String.fromCharCode(
          b[p],
          b[p + 1],
          b[p + 2],
          b[p + 3],
          b[p + 4],
          b[p + 5],
          b[p + 6],
          b[p + 7],
        );
      default: {
        let s = "";
        while (p < stop) s += String.fromCharCode(b[p++]);
        return s;
      }
    }
  }
  if (RuntimeBuffer !== undefined && n < TEXT_DECODER_MIN) {
    pos = stop;
    return bufferOver().utf8Slice(base + p, base + stop);
  }
  if (n > UNITS_MAX) {
    pos = stop;
    const raw = bytes.subarray(p, stop);
    return textDecoder.decode(DECODE_FROM_COPY && sharedInput ? privateCopy(raw) : raw);
  }
  return readUtf8Slow(n);
}

/** Where text out of shared memory is copied to be decoded (see `DECODE_FROM_COPY`); kept up to `SCRATCH_KEEP`. */
let textCopy = new Uint8Array(0);

/** `raw` (a view on shared memory) copied into private memory, valid until the next call. */
function privateCopy(raw: Uint8Array): Uint8Array {
  const n = raw.length;
  if (n > SCRATCH_KEEP) return raw.slice();
  if (textCopy.length < n) {
    textCopy = new Uint8Array(Math.min(SCRATCH_KEEP, Math.max(n, 2 * textCopy.length)));
  }
  textCopy.set(raw);
  return textCopy.subarray(0, n);
}

/**
 * A long ASCII string (`T_ASCII`): Latin-1 is ASCII's superset with one
 * byte a unit, the cheapest decode there is (1 MB: Deno 30 GB/s against 3.6
 * by utf8Slice, Bun 41 against 16, Node 19 against 17; measured).
 */
function readAscii(n: number): string {
  if (RuntimeBuffer === undefined || n <= CONCAT_MAX) return readUtf8(n);
  need(n);
  pos += n;
  return bufferOver().latin1Slice(base + pos - n, base + pos);
}

/** UTF-8 by hand, into code units. */
function readUtf8Slow(n: number): string {
  let p = pos;
  const stop = p + n;
  pos = stop;
  units.length = 0;
  while (p < stop) {
    const b = bytes[p++];
    if (b < 0x80) units.push(b);
    else if (b < 0xe0) units.push(((b & 0x1f) << 6) | (bytes[p++] & 0x3f));
    else if (b < 0xf0) units.push(((b & 0x0f) << 12) | ((bytes[p++] & 0x3f) << 6) | (bytes[p++] & 0x3f));
    else {
      const cp = ((b & 0x07) << 18) | ((bytes[p++] & 0x3f) << 12) | ((bytes[p++] & 0x3f) << 6) |
        (bytes[p++] & 0x3f);
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    }
  }
  return String.fromCharCode.apply(null, units);
}

function readUtf16(n: number): string {
  if (RuntimeBuffer !== undefined) {
    need(n * 2);
    pos += n * 2;
    return bufferOver().ucs2Slice(base + pos - n * 2, base + pos);
  }
  // Copied out to an aligned buffer, read as units (little-endian, as every engine's host is).
  const all = new Uint16Array(take(n * 2).slice().buffer);
  let s = "";
  // Chunked: fromCharCode takes its units as arguments, and engines cap those.
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(null, all.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

function readString(): string {
  const tag = readByte();
  if (tag === T_UTF8) return readUtf8(readVarint());
  if (tag === T_ASCII) return readAscii(readVarint());
  if (tag === T_UTF16) return readUtf16(readVarint());
  return corrupt(`a string expected, tag ${tag}`);
}

/** Sets an own data property as structured clone does (a `__proto__` key is a key, not the prototype). */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  } else o[key] = value;
}

/** Property keys decoded before, by a hash of their bytes: records repeat the same few keys. */
const KEYS = 1024;
const KEY_MAX = 32;
const keyBytes: (Uint8Array | undefined)[] = new Array(KEYS).fill(undefined);
const keyStrings: string[] = new Array(KEYS).fill("");

/**
 * A property key. Short UTF-8 keys come from a cache, as msgpackr does: the
 * same string again costs a byte compare instead of building a string, and
 * stores under a key the engine has already interned are faster (measured:
 * 5-10% on a small record).
 */
function readKey(): string {
  need(2);
  const n = bytes[pos + 1];
  if (bytes[pos] !== T_UTF8 || n > KEY_MAX || n === 0) return readString();
  const p = pos + 2;
  if (p + n > end) corrupt("ended early");
  const h = (n * 7 + bytes[p] * 31 + bytes[p + n - 1] * 131 + bytes[p + (n >> 1)]) & (KEYS - 1);
  const known = keyBytes[h];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known[i] === bytes[p + i]) i++;
    if (i === n) {
      pos = p + n;
      return keyStrings[h];
    }
  }
  pos = p;
  const key = readUtf8(n);
  keyBytes[h] = bytes.slice(p, p + n);
  keyStrings[h] = key;
  return key;
}

function readProps(o: Record<string, unknown>, n: number, keep?: string[]): void {
  for (let i = 0; i < n; i++) {
    const key = readKey();
    keep?.push(key);
    put(o, key, read());
  }
}

function read(): unknown {
  if (pos >= end) corrupt("ended early");
  const tag = bytes[pos++];
  if (tag >= SMALL_INT) return tag - SMALL_INT;
  switch (tag) {
    case T_UTF8:
      return readUtf8(readVarint());
    case T_SHAPE: {
      const i = readVarint();
      if (i >= shapes.length) corrupt(`shape ${i} unknown`);
      const shape = shapes[i];
      const o: Record<string, unknown> = {};
      refs.push(o);
      (shape.fill ??= fillFor(shape.keys))(o, read);
      return o;
    }
    case T_INT: {
      const z = readVarint();
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    case T_F64:
      return readF64();
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    case T_UNDEFINED:
      return undefined;
    case T_ARRAY:
      return readArray();
    case T_SHAPE_DEF: {
      const shape = readShapeDef();
      shapes.push(shape);
      const o: Record<string, unknown> = {};
      refs.push(o);
      (shape.fill ??= fillFor(shape.keys))(o, read);
      return o;
    }
    case T_SHAPE_NEW: {
      const o: Record<string, unknown> = {};
      refs.push(o);
      const keys: string[] = [];
      shapes.push({ keys, fill: undefined });
      readProps(o, readVarint(), keys);
      return o;
    }
    case T_OBJECT: {
      const o: Record<string, unknown> = {};
      refs.push(o);
      readProps(o, readVarint());
      return o;
    }
    case T_UTF16:
      return readUtf16(readVarint());
    case T_ASCII:
      return readAscii(readVarint());
    case T_BIGINT64: {
      need(8);
      const x = view.getBigInt64(base + pos, true);
      pos += 8;
      return x;
    }
    case T_BIGINT: {
      const hex = readString();
      return hex.startsWith("-") ? -BigInt("0x" + hex.slice(1)) : BigInt("0x" + hex);
    }
    case T_REF: {
      const i = readVarint();
      if (i >= refs.length) corrupt(`reference ${i} to nothing`);
      return refs[i];
    }
    case T_MAP: {
      const m = new Map();
      refs.push(m);
      while (bytes[pos] !== T_END) m.set(read(), read());
      pos++;
      return m;
    }
    case T_SET: {
      const s = new Set();
      refs.push(s);
      while (bytes[pos] !== T_END) s.add(read());
      pos++;
      return s;
    }
    case T_DATE: {
      const d = new Date(readF64());
      refs.push(d);
      return d;
    }
    case T_REGEXP: {
      const at = refs.push(undefined) - 1;
      const source = readString();
      const re = new RegExp(source, readString());
      refs[at] = re;
      return re;
    }
    case T_ARRAYBUFFER: {
      const b = copyOut(readVarint());
      refs.push(b);
      return b;
    }
    case T_RESIZABLE: {
      const n = readVarint();
      const b = new ArrayBuffer(n, { maxByteLength: readVarint() });
      new Uint8Array(b).set(new Uint8Array(copyOut(n)));
      refs.push(b);
      return b;
    }
    case T_SAB: {
      const i = readVarint();
      if (i >= shared.length) corrupt(`shared buffer ${i} of ${shared.length}`);
      return shared[i];
    }
    case T_VIEW:
      return readView();
    case T_ERROR:
      return readError();
    case T_DOMEXCEPTION: {
      const at = refs.push(undefined) - 1;
      const name = readString();
      const e = new DOMExceptionClass!(readString(), name);
      refs[at] = e;
      if (bytes[pos] === T_UNDEFINED) pos++;
      else Object.defineProperty(e, "stack", { value: readString(), writable: true, configurable: true });
      return e;
    }
    case T_BOOLEAN_OBJECT: {
      const o = Object(readByte() === 1);
      refs.push(o);
      return o;
    }
    case T_NUMBER_OBJECT: {
      const o = Object(readF64());
      refs.push(o);
      return o;
    }
    case T_STRING_OBJECT: {
      const at = refs.push(undefined) - 1;
      const o = Object(readString());
      refs[at] = o;
      return o;
    }
    case T_BIGINT_OBJECT: {
      const at = refs.push(undefined) - 1;
      const o = Object(read() as bigint);
      refs[at] = o;
      return o;
    }
    default:
      return corrupt(`unknown tag ${tag}`);
  }
}

/** Key lists read from SHAPE_DEF blocks, by a hash of the block: their bytes and shape (kept across values). */
const DEFS = 256;
const defBytes: (Uint8Array | undefined)[] = new Array(DEFS).fill(undefined);
const defShapes: (Shape | undefined)[] = new Array(DEFS).fill(undefined);

/**
 * A SHAPE_DEF block (its length, then key count and keys): the shape read
 * from the same bytes before, found by a byte compare, else read and kept.
 */
function readShapeDef(): Shape {
  const len = readVarint();
  need(len);
  const at = pos;
  const stop = at + len;
  const b = bytes;
  let h = len;
  // A few bytes spread over the block: key lists differ in their lengths and first and last keys.
  for (let i = at; i < stop; i += 1 + (len >> 3)) h = (h * 31 + b[i]) | 0;
  h = (h + b[stop - 1] * 131) & (DEFS - 1);
  const known = defBytes[h];
  if (known !== undefined && known.length === len) {
    let i = 0;
    while (i < len && known[i] === b[at + i]) i++;
    if (i === len) {
      pos = stop;
      return defShapes[h]!;
    }
  }
  const n = readVarint();
  const keys: string[] = [];
  for (let k = 0; k < n; k++) keys.push(readKey());
  if (pos !== stop) corrupt(`a key list of ${len} bytes read as ${pos - at}`);
  const shape: Shape = { keys, fill: undefined };
  defBytes[h] = b.slice(at, stop);
  defShapes[h] = shape;
  return shape;
}

/** Fill functions by key list (JSON), across values: a queue carries the same records again and again. */
const fills = new Map<string, Fill>();
const FILLS_MAX = 512;
/** Whether `new Function` works here (a Content-Security-Policy without 'unsafe-eval' forbids it). */
let canGenerate = true;

/**
 * The function that fills an object with `keys`, reading each value in turn.
 * Generated (`o["id"] = next(); o["kind"] = next(); ...`) where the runtime
 * allows it: a store with a constant key is 2-3 times faster than `o[key] = v`
 * with the key varying (measured on V8 and JavaScriptCore), as msgpackr does
 * for its records. Keys are embedded as JSON string literals, which are valid
 * JavaScript for any string; a `__proto__` key takes the generic way, as
 * `o["__proto__"] = v` would set the prototype.
 */
function fillFor(keys: string[]): Fill {
  const id = JSON.stringify(keys);
  let fill = fills.get(id);
  if (fill !== undefined) return fill;
  if (canGenerate && !keys.includes("__proto__")) {
    try {
      fill = new Function(
        "o",
        "next",
        keys.map((k) => `o[${JSON.stringify(k)}] = next();`).join("\n"),
      ) as Fill;
    } catch {
      canGenerate = false;
    }
  }
  fill ??= (o, next) => {
    for (let k = 0; k < keys.length; k++) put(o, keys[k], next());
  };
  if (fills.size >= FILLS_MAX) fills.clear();
  fills.set(id, fill);
  return fill;
}

function readArray(): unknown[] {
  const n = readVarint();
  const a: unknown[] = [];
  refs.push(a);
  for (let i = 0; i < n; i++) {
    if (bytes[pos] === T_HOLE) {
      pos++;
      a.length = i + 1;
    } else a.push(read());
  }
  const extra = readVarint();
  if (extra > 0) readProps(a as unknown as Record<string, unknown>, extra);
  return a;
}

function readView(): ArrayBufferView {
  const at = refs.push(undefined) - 1;
  const code = readByte();
  const View = VIEWS[code];
  if (View === undefined) {
    corrupt(code < VIEW_NAMES.length ? `${VIEW_NAMES[code]} is missing here` : `view code ${code}`);
  }
  const buffer = read() as ArrayBufferLike;
  const v = new View(buffer, readVarint(), readVarint());
  refs[at] = v;
  return v;
}

function readError(): Error {
  const flags = readByte();
  const E = ERROR_TYPES[flags & 7] ?? Error;
  const message = flags & 8 ? readString() : undefined;
  const stack = flags & 16 ? readString() : undefined;
  // No stack trace of our own: it is replaced by the sender's, and capturing one costs microseconds.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let e: Error;
  try {
    e = new E();
  } finally {
    Error.stackTraceLimit = limit;
  }
  refs.push(e);
  const own = { writable: true, enumerable: false, configurable: true };
  if (message !== undefined) Object.defineProperty(e, "message", { value: message, ...own });
  if (stack !== undefined) Object.defineProperty(e, "stack", { value: stack, ...own });
  else delete e.stack;
  if (flags & 32) Object.defineProperty(e, "cause", { value: read(), ...own });
  return e;
}
