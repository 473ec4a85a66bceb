/**
 * The runtime side of the typecodes: how each code is stored, checked and
 * read back, plus the checks every shared-data constructor shares (sizes,
 * indices, the `lock` option). Everything here validates before it writes,
 * so a rejected input never changes shared memory.
 *
 * @module
 */

import { describe } from "./_describe.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import type { AnyElementArray, Typecode } from "./typecodes.ts";

/** A typed array constructor with a typecode. */
export type ElementArrayConstructor = new (
  buffer: ArrayBufferLike | number,
  byteOffset?: number,
  length?: number,
) => AnyElementArray;

/** How one typecode is stored. */
export interface Spec {
  /** The one-letter code. */
  readonly code: Typecode;
  /** The typed array that holds the elements. */
  readonly Array: ElementArrayConstructor;
  /** Bytes per element. */
  readonly bytes: number;
  /** How an element is checked and shown. */
  readonly kind: "int" | "bigint" | "float" | "char" | "wchar" | "bool";
  /** The smallest raw element (integers only). */
  readonly min: number | bigint;
  /** The largest raw element (integers only). */
  readonly max: number | bigint;
}

function spec(
  code: Typecode,
  Array: ElementArrayConstructor,
  kind: Spec["kind"],
  min: number | bigint = 0,
  max: number | bigint = 0,
): Spec {
  return { code, Array, bytes: new Array(1).BYTES_PER_ELEMENT, kind, min, max };
}

const I64 = 2n ** 63n;
const SPECS: Record<Typecode, Spec> = {
  b: spec("b", Int8Array, "int", -128, 127),
  B: spec("B", Uint8Array, "int", 0, 255),
  h: spec("h", Int16Array, "int", -32768, 32767),
  H: spec("H", Uint16Array, "int", 0, 65535),
  i: spec("i", Int32Array, "int", -(2 ** 31), 2 ** 31 - 1),
  I: spec("I", Uint32Array, "int", 0, 2 ** 32 - 1),
  l: spec("l", BigInt64Array, "bigint", -I64, I64 - 1n),
  L: spec("L", BigUint64Array, "bigint", 0n, 2n * I64 - 1n),
  q: spec("q", BigInt64Array, "bigint", -I64, I64 - 1n),
  Q: spec("Q", BigUint64Array, "bigint", 0n, 2n * I64 - 1n),
  f: spec("f", Float32Array, "float"),
  d: spec("d", Float64Array, "float"),
  c: spec("c", Uint8Array, "char", 0, 255),
  u: spec("u", Uint16Array, "wchar", 0, 65535),
  "?": spec("?", Uint8Array, "bool", 0, 1),
};

const CTYPES = "b c_byte c_int8 B c_ubyte c_uint8 h c_short c_int16 H c_ushort c_uint16 i c_int c_int32 " +
  "I c_uint c_uint32 l c_long L c_ulong q c_longlong c_int64 Q c_ulonglong c_uint64 f c_float d c_double " +
  "c c_char u c_wchar ? c_bool";
const ELEMENTS =
  "b int8 B uint8 h int16 H uint16 i int32 I uint32 q bigint64 Q biguint64 f float32 d float64";

const NAMES = new Map<string, Typecode>();
for (const table of [CTYPES, ELEMENTS]) {
  let code: Typecode = "b";
  for (const word of table.split(" ")) {
    if (word.length === 1) code = word as Typecode;
    NAMES.set(word, code);
  }
}
const VALID = `one of ${Object.keys(SPECS).join(" ")}, a ctypes name (${
  [...NAMES.keys()].filter((n) => n.startsWith("c_")).join(", ")
}) or an element name (${ELEMENTS.split(" ").filter((n) => n.length > 1).join(", ")})`;

/** The spec of a typecode in any spelling; a `TypeError` listing the valid ones otherwise. */
export function specOf(name: unknown): Spec {
  const code = typeof name === "string" ? NAMES.get(name) : undefined;
  if (code === undefined) throw new TypeError(`Unknown typecode ${describe(name)}: expected ${VALID}`);
  return SPECS[code];
}

/** The spec a typed array is synchronized as (by its class), or `undefined`. */
export function specOfArray(a: unknown): Spec | undefined {
  for (const code of ARRAY_CODES) if (a instanceof SPECS[code].Array) return SPECS[code];
  return undefined;
}

const ARRAY_CODES: readonly Typecode[] = ["b", "B", "h", "H", "i", "I", "q", "Q", "f", "d"];

/** A received handle whose kind-specific part does not check out. */
export function forgedMeta(why: string): never {
  throw new TypeError(`Cannot revive a sabkit object: ${why}`);
}

/** Checks one element and returns what is stored; throws before anything is written. */
export function encode(s: Spec, x: unknown, what: string): number | bigint {
  switch (s.kind) {
    case "int":
      if (typeof x !== "number" || !Number.isInteger(x)) {
        throw new TypeError(`${what} must be an integer number, got ${describe(x)}`);
      }
      if (x < (s.min as number) || x > (s.max as number)) {
        throw new RangeError(`${what} must be between ${s.min} and ${s.max}, got ${x}`);
      }
      return x;
    case "bigint":
      if (typeof x !== "bigint") throw new TypeError(`${what} must be a bigint, got ${describe(x)}`);
      if (x < (s.min as bigint) || x > (s.max as bigint)) {
        throw new RangeError(`${what} must be between ${s.min}n and ${s.max}n, got ${x}n`);
      }
      return x;
    case "float":
      if (typeof x !== "number") throw new TypeError(`${what} must be a number, got ${describe(x)}`);
      return x;
    case "bool":
      if (typeof x !== "boolean") throw new TypeError(`${what} must be a boolean, got ${describe(x)}`);
      return x ? 1 : 0;
    default: {
      const limit = s.kind === "char" ? 256 : 65536;
      if (typeof x !== "string" || x.length !== 1 || x.charCodeAt(0) >= limit) {
        throw new TypeError(
          `${what} must be a 1-character string with a char code below ${limit}, got ${describe(x)}`,
        );
      }
      return x.charCodeAt(0);
    }
  }
}

/** Turns a stored element back into its JavaScript value. */
export function decode(s: Spec, raw: number | bigint): number | bigint | string | boolean {
  if (s.kind === "char" || s.kind === "wchar") return String.fromCharCode(raw as number);
  if (s.kind === "bool") return raw !== 0;
  return raw;
}

/** The initial value of a fresh element: `0`, `0n`, `"\0"` or `false`. */
export function zero(s: Spec): number | bigint | string | boolean {
  return decode(s, s.kind === "bigint" ? 0n : 0);
}

/** The most elements one shared array may have. */
export const MAX_LENGTH: number = 2 ** 32 - 1;

/** Checks an array size. */
export function checkLength(size: unknown, what: string): number {
  if (typeof size !== "number") throw new TypeError(`${what} must be a number, got ${describe(size)}`);
  if (!Number.isInteger(size) || size < 0 || size > MAX_LENGTH) {
    throw new RangeError(`${what} must be an integer from 0 to ${MAX_LENGTH}, got ${size}`);
  }
  return size;
}

/** Zeroed shared memory for `length` elements of `what`; a `RangeError` when it cannot be had. */
export function allocShared(s: Spec, length: number, what: string): AnyElementArray {
  checkLength(length, `The size of ${what}`);
  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(length * s.bytes);
  } catch (cause) {
    throw new RangeError(`Cannot allocate ${length * s.bytes} bytes of shared memory for ${what}`, { cause });
  }
  return new s.Array(buffer);
}

/** Checks an index (negative counts from the end) and returns it in `0..length-1`. */
export function checkIndex(index: unknown, length: number, what: string): number {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(`The index into ${what} must be an integer, got ${describe(index)}`);
  }
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) {
    throw new RangeError(`Index ${index} is out of range for ${what} of length ${length}`);
  }
  return i;
}

/**
 * Checks every element of `source` and returns them stored: `source` itself
 * when it is a typed array of the element class (raw, valid by construction),
 * else a new array from `alloc`.
 */
export function toElements(
  s: Spec,
  source: unknown,
  what: string,
  alloc: (length: number) => AnyElementArray,
): AnyElementArray {
  if (source instanceof s.Array) return source;
  if (typeof source === "string") {
    if (s.kind === "char") return copied(new TextEncoder().encode(source), alloc);
    if (s.kind !== "wchar") throw new TypeError(`${what} cannot be made from a string`);
  }
  let items: ArrayLike<unknown>;
  const obj = source as { length?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  if (
    typeof source === "string" || (typeof obj === "object" && obj !== null && typeof obj.length === "number")
  ) {
    items = source as ArrayLike<unknown>;
  } else if (typeof obj === "object" && obj !== null && typeof obj[Symbol.iterator] === "function") {
    items = globalThis.Array.from(source as Iterable<unknown>);
  } else {
    throw new TypeError(`${what} must be made from an array-like or an iterable, got ${describe(source)}`);
  }
  const n = checkLength(items.length, `The length of the contents of ${what}`);
  const out = alloc(n);
  if (typeof source === "string") {
    for (let i = 0; i < n; i++) out[i] = source.charCodeAt(i);
    return out;
  }
  for (let i = 0; i < n; i++) {
    (out as { [i: number]: number | bigint })[i] = encode(s, items[i], `Element ${i} of ${what}`);
  }
  return out;
}

function copied(bytes: Uint8Array, alloc: (length: number) => AnyElementArray): AnyElementArray {
  const out = alloc(bytes.length) as Uint8Array;
  out.set(bytes);
  return out;
}

/** The `lock` option: a new `RLock` for `true`/`undefined`, `null` for `false` (where allowed), else a `Lock`/`RLock`. */
export function lockOption(option: unknown, what: string, allowFalse = true): Lock | RLock | null {
  if (option === undefined || option === true) return new RLock();
  if (option === false && allowFalse) return null;
  if (option instanceof Lock || option instanceof RLock) return option;
  const expected = allowFalse ? "a boolean, a Lock or an RLock" : "a Lock or an RLock";
  throw new TypeError(`The lock of ${what} must be ${expected}, got ${describe(option)}`);
}

/** Calls `body` holding `lock`; trying first lets an uncontended call skip the blocking path. */
export function locked<T>(lock: Lock | RLock, body: () => T): T {
  if (!lock.acquire({ blocking: false })) lock.acquire();
  try {
    return body();
  } finally {
    lock.release();
  }
}

/** An options argument: `undefined` or an object. */
export function optionsOf<T extends object>(options: T | undefined, what: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`The options of ${what} must be an object, got ${describe(options)}`);
  }
  return options;
}

/** Shared memory for `sizeOrInit`: a size (zero-filled) or the contents, checked before anything is shared. */
export function newShared(spec: Spec, sizeOrInit: unknown, what: string): AnyElementArray {
  if (typeof sizeOrInit === "number") return allocShared(spec, sizeOrInit, what);
  if (sizeOrInit === undefined || sizeOrInit === null) {
    throw new TypeError(`${what} needs a size or initial contents, got ${describe(sizeOrInit)}`);
  }
  const elements = toElements(spec, sizeOrInit, what, (n) => allocShared(spec, n, what));
  if (elements !== sizeOrInit) return elements;
  // A typed array of the element class is copied raw into new memory.
  const out = allocShared(spec, elements.length, what);
  (out as Uint8Array).set(elements as Uint8Array);
  return out;
}
