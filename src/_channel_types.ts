/**
 * The numeric element types a `Channel` carries, and the copies in and out of
 * its slots. Private to the channel until the shared typecode table lands.
 *
 * @module
 */

import { describe } from "./_describe.ts";
import { CONTROL_BYTES, LINE, MAX_SLOTS } from "./_ring.ts";

/** Every typed array a channel can hand out. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A constructor of one of the {@linkcode NumericArray} types. */
export interface NumericArrayConstructor {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** One element type: its canonical Python code, view and value kind. */
export interface Element {
  /** The canonical one-letter Python typecode. */
  readonly code: string;
  /** Its index in {@linkcode CODES}; stored in the channel's memory. */
  readonly id: number;
  /** The typed array that views it. */
  readonly view: NumericArrayConstructor;
  /** Whether values are `bigint` (`l L q Q`: 64-bit, as on LP64). */
  readonly bigint: boolean;
}

/** The canonical codes, in id order. */
export const CODES = "bBhHiIlLqQfd";
const VIEWS: NumericArrayConstructor[] = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
];
const ALIASES: Record<string, string> = {
  int8: "b",
  uint8: "B",
  int16: "h",
  uint16: "H",
  int32: "i",
  uint32: "I",
  bigint64: "q",
  biguint64: "Q",
  float32: "f",
  float64: "d",
  c_byte: "b",
  c_ubyte: "B",
  c_short: "h",
  c_ushort: "H",
  c_int: "i",
  c_uint: "I",
  c_long: "l",
  c_ulong: "L",
  c_longlong: "q",
  c_ulonglong: "Q",
  c_float: "f",
  c_double: "d",
  c_int8: "b",
  c_uint8: "B",
  c_int16: "h",
  c_uint16: "H",
  c_int32: "i",
  c_uint32: "I",
  c_int64: "q",
  c_uint64: "Q",
};

/** Maps each accepted typecode to the typed array a channel of it hands out. */
export interface ChannelArrays {
  /** `b`: signed 8-bit integers. */
  b: Int8Array;
  /** `B`: unsigned 8-bit integers. */
  B: Uint8Array;
  /** `h`: signed 16-bit integers. */
  h: Int16Array;
  /** `H`: unsigned 16-bit integers. */
  H: Uint16Array;
  /** `i`: signed 32-bit integers. */
  i: Int32Array;
  /** `I`: unsigned 32-bit integers. */
  I: Uint32Array;
  /** `l`: signed 64-bit integers, as bigint. */
  l: BigInt64Array;
  /** `L`: unsigned 64-bit integers, as bigint. */
  L: BigUint64Array;
  /** `q`: signed 64-bit integers, as bigint. */
  q: BigInt64Array;
  /** `Q`: unsigned 64-bit integers, as bigint. */
  Q: BigUint64Array;
  /** `f`: 32-bit floats. */
  f: Float32Array;
  /** `d`: 64-bit floats. */
  d: Float64Array;
  /** `int8`: signed 8-bit integers. */
  int8: Int8Array;
  /** `uint8`: unsigned 8-bit integers. */
  uint8: Uint8Array;
  /** `int16`: signed 16-bit integers. */
  int16: Int16Array;
  /** `uint16`: unsigned 16-bit integers. */
  uint16: Uint16Array;
  /** `int32`: signed 32-bit integers. */
  int32: Int32Array;
  /** `uint32`: unsigned 32-bit integers. */
  uint32: Uint32Array;
  /** `bigint64`: signed 64-bit integers, as bigint. */
  bigint64: BigInt64Array;
  /** `biguint64`: unsigned 64-bit integers, as bigint. */
  biguint64: BigUint64Array;
  /** `float32`: 32-bit floats. */
  float32: Float32Array;
  /** `float64`: 64-bit floats. */
  float64: Float64Array;
  /** `c_byte`: signed 8-bit integers. */
  c_byte: Int8Array;
  /** `c_ubyte`: unsigned 8-bit integers. */
  c_ubyte: Uint8Array;
  /** `c_short`: signed 16-bit integers. */
  c_short: Int16Array;
  /** `c_ushort`: unsigned 16-bit integers. */
  c_ushort: Uint16Array;
  /** `c_int`: signed 32-bit integers. */
  c_int: Int32Array;
  /** `c_uint`: unsigned 32-bit integers. */
  c_uint: Uint32Array;
  /** `c_long`: signed 64-bit integers, as bigint. */
  c_long: BigInt64Array;
  /** `c_ulong`: unsigned 64-bit integers, as bigint. */
  c_ulong: BigUint64Array;
  /** `c_longlong`: signed 64-bit integers, as bigint. */
  c_longlong: BigInt64Array;
  /** `c_ulonglong`: unsigned 64-bit integers, as bigint. */
  c_ulonglong: BigUint64Array;
  /** `c_float`: 32-bit floats. */
  c_float: Float32Array;
  /** `c_double`: 64-bit floats. */
  c_double: Float64Array;
  /** `c_int8`: signed 8-bit integers. */
  c_int8: Int8Array;
  /** `c_uint8`: unsigned 8-bit integers. */
  c_uint8: Uint8Array;
  /** `c_int16`: signed 16-bit integers. */
  c_int16: Int16Array;
  /** `c_uint16`: unsigned 16-bit integers. */
  c_uint16: Uint16Array;
  /** `c_int32`: signed 32-bit integers. */
  c_int32: Int32Array;
  /** `c_uint32`: unsigned 32-bit integers. */
  c_uint32: Uint32Array;
  /** `c_int64`: signed 64-bit integers, as bigint. */
  c_int64: BigInt64Array;
  /** `c_uint64`: unsigned 64-bit integers, as bigint. */
  c_uint64: BigUint64Array;
}

/** A typecode a `Channel` accepts: a numeric Python code, ctypes name or element name. */
export type ChannelTypecode = keyof ChannelArrays;

/** Any typed array a `Channel` hands out or receives into. */
export type ChannelArray = ChannelArrays[ChannelTypecode];

/** The element of the canonical code with index `id`. */
export function elementById(id: number): Element {
  return { code: CODES[id], id, view: VIEWS[id], bigint: id >= 6 && id <= 9 };
}

/** Resolves a user's typecode; unknown ones are a `TypeError` listing the valid ones. */
export function elementOf(typecode: unknown): Element {
  const code = typeof typecode !== "string"
    ? undefined
    : typecode.length === 1
    ? typecode
    : Object.hasOwn(ALIASES, typecode)
    ? ALIASES[typecode]
    : undefined;
  const id = code === undefined ? -1 : CODES.indexOf(code);
  if (id < 0) {
    throw new TypeError(
      `A Channel carries numbers: the typecode must be one of ${[...CODES].join(" ")} or ${
        Object.keys(ALIASES).join(", ")
      }, got ${describe(typecode)}`,
    );
  }
  return elementById(id);
}

function isBigintArray(x: ArrayBufferView): boolean {
  return x instanceof BigInt64Array || x instanceof BigUint64Array;
}

/** A typed array other than a `DataView`, or `undefined`. */
export function typedArrayOf(x: unknown): NumericArray | undefined {
  return ArrayBuffer.isView(x) && !(x instanceof DataView) ? x as NumericArray : undefined;
}

/**
 * Checks that the first `n` values of `source` have the element's kind (number or
 * bigint), before anything is claimed, so a bad message writes nothing.
 * Returns the typed array to copy from with `set`, or `undefined` for a loop.
 */
export function checkSource(el: Element, source: ArrayLike<unknown>, n: number): NumericArray | undefined {
  const typed = typedArrayOf(source);
  if (typed !== undefined) {
    if (isBigintArray(typed) !== el.bigint) {
      throw new TypeError(
        `A "${el.code}" Channel carries ${el.bigint ? "bigint" : "number"}s, got ${describe(typed)}`,
      );
    }
    return typed;
  }
  for (let i = 0; i < n; i++) {
    const x = source[i];
    if (el.bigint ? typeof x !== "bigint" : typeof x !== "number") {
      throw new TypeError(
        `A "${el.code}" Channel carries ${el.bigint ? "bigint" : "number"}s, got ${
          describe(x)
        } at index ${i}`,
      );
    }
  }
  return undefined;
}

/** Checks a receive target's kind: a typed array of the same kind, or an `Array`. */
export function checkTarget(el: Element, target: unknown): void {
  const typed = typedArrayOf(target);
  if (typed !== undefined ? isBigintArray(typed) === el.bigint : Array.isArray(target)) return;
  throw new TypeError(
    `recvInto() needs an Array or a typed array of ${el.bigint ? "bigint" : "number"}s, got ${
      describe(target)
    }`,
  );
}

/**
 * The bytes from one slot's header to the next: a header line, the data in
 * whole lines, and a spare line. SharedArrayBuffer memory is only 16-byte
 * aligned (Deno's pointers read 16, 48, 3440… mod 4096), so "own line"
 * cannot be had by offsets; the spare line keeps a slot's data at least 64
 * bytes from the next slot's header, which the other side writes.
 */
export function strideOf(el: Element, capacity: number): number {
  return LINE + Math.ceil((capacity * el.view.BYTES_PER_ELEMENT) / LINE) * LINE + LINE;
}

/** The bytes a channel of this shape spans. */
export function bytesOf(el: Element, capacity: number, slots: number): number {
  return CONTROL_BYTES + slots * strideOf(el, capacity);
}

/** Checks a capacity and a slot count: `TypeError` if not numbers, `RangeError` if out of range. */
export function checkShape(capacity: unknown, slots: unknown): void {
  for (const [name, x, max] of [["capacity", capacity, 2 ** 31 - 1], ["slots", slots, MAX_SLOTS]] as const) {
    const min = name === "slots" ? 1 : 0;
    if (typeof x !== "number") throw new TypeError(`The ${name} must be a number, got ${describe(x)}`);
    if (!Number.isInteger(x) || x < min || x > max) {
      throw new RangeError(`The ${name} must be an integer from ${min} to ${max}, got ${describe(x)}`);
    }
  }
}

/** What a channel's handle carries besides its memory. */
export interface ChannelMeta {
  /** The canonical typecode. */
  typecode: string;
  /** Elements per message. */
  capacity: number;
  /** Messages in flight. */
  slots: number;
}

/** Checks a received channel description and returns the byte length it implies. */
export function channelBytes(meta: unknown): number {
  const m = (typeof meta === "object" && meta !== null ? meta : {}) as Partial<ChannelMeta>;
  if (typeof m.typecode !== "string" || m.typecode.length !== 1 || !CODES.includes(m.typecode)) {
    throw new TypeError(`Cannot revive a sabkit object: the channel typecode is ${describe(m.typecode)}`);
  }
  try {
    checkShape(m.capacity, m.slots);
  } catch (e) {
    throw new TypeError(`Cannot revive a sabkit object: ${(e as Error).message}`);
  }
  return bytesOf(elementOf(m.typecode), m.capacity!, m.slots!);
}
