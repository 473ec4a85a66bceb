/**
 * The numeric element types a `Channel` carries, and the copies in and out of
 * its slots. The codes, views, ranges and spellings are the shared typecode
 * table's (src/core/typecodes.ts, src/core/_codec.ts): this module only takes
 * its numeric subset, once per element type, in the shape the hot paths want.
 *
 * @module
 */

import { describe, withArticle } from "../core/_describe.ts";
import { typedArrayName } from "../core/_handle.ts";
import {
  NUMERIC_CODES,
  type NumericSpec,
  numericSpecOf,
  type NumericTypecode,
  specOf,
} from "../core/_codec.ts";
import type { CodeOf, Typecode, TypecodeArrays, TypeName } from "../core/typecodes.ts";
import { CONTROL_BYTES, LINE, MAX_SLOTS } from "./_ring.ts";

/** Every typed array a channel can hand out. */
export type NumericArray = TypecodeArrays<ArrayBufferLike>[NumericTypecode];

/** A constructor of one of the {@linkcode NumericArray} types. */
export interface NumericArrayConstructor {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * One element type, as the channel's hot paths read it: the table's spec
 * with its kind turned into flags, built once per code at load.
 */
export interface Element {
  /** The canonical one-letter Python typecode. */
  readonly code: NumericTypecode;
  /** Its index in {@linkcode NUMERIC_CODES}; stored in the channel's memory. */
  readonly id: number;
  /** The typed array that views it. */
  readonly view: NumericArrayConstructor;
  /** Whether values are `bigint` (`l L q Q`: 64-bit, as on LP64). */
  readonly bigint: boolean;
  /** Whether values are floats (`f d`): any number fits. */
  readonly float: boolean;
  /** The name of its typed array class, as the class's own `Symbol.toStringTag` reports it. */
  readonly tag: string;
  /** The smallest and largest value of an integer kind (bigints for `l L q Q`). */
  readonly min: number | bigint;
  readonly max: number | bigint;
}

/**
 * A typecode a `Channel` accepts: a numeric Python code, ctypes name or
 * element name (every spelling of `Typecode` but those of `c u ?`).
 *
 * @example Numeric spellings only
 * ```ts
 * import { Channel, type ChannelTypecode } from "@sabkit/sabkit";
 * const code: ChannelTypecode = "c_int16";
 * console.assert(new Channel(code, { capacity: 2 }).typecode === "h");
 * ```
 */
export type ChannelTypecode = {
  [N in TypeName]: CodeOf<N> extends Exclude<Typecode, "c" | "u" | "?"> ? N : never;
}[TypeName];

/**
 * Maps each accepted typecode to the typed array a channel of it hands out:
 * `ChannelArrays["float64"]` is a `Float64Array`, `ChannelArrays["q"]` a
 * `BigInt64Array`.
 *
 * @example The array a channel hands out
 * ```ts
 * import { Channel, type ChannelArrays } from "@sabkit/sabkit";
 * const ch = new Channel("q", { capacity: 2 });
 * ch.send([1n, 2n]);
 * const m: ChannelArrays["q"] | null = ch.recv();
 * console.assert(m instanceof BigInt64Array && m[1] === 2n);
 * ```
 */
export type ChannelArrays = { [N in ChannelTypecode]: TypecodeArrays<ArrayBufferLike>[CodeOf<N>] };

/**
 * Any typed array a `Channel` hands out or receives into.
 *
 * @example A buffer for any channel
 * ```ts
 * import { Channel, type ChannelArray } from "@sabkit/sabkit";
 * const ch = new Channel("i", { capacity: 3 });
 * ch.send([7, 8, 9]);
 * const into: ChannelArray = new Int32Array(3);
 * console.assert(ch.recvInto(into) === 3 && into[2] === 9);
 * ```
 */
export type ChannelArray = ChannelArrays[ChannelTypecode];

function element(s: NumericSpec, id: number): Element {
  const view = s.Array as unknown as NumericArrayConstructor;
  const float = s.kind === "float";
  return {
    code: s.code,
    id,
    view,
    bigint: s.kind === "bigint",
    float,
    tag: view.name,
    min: s.min,
    max: s.max,
  };
}

/** The elements, by id. */
const ELEMENTS: readonly Element[] = NUMERIC_CODES.map((code, id) =>
  element(specOf(code) as NumericSpec, id)
);

/**
 * The range of each integer typed array class (for sources of another kind
 * than the channel's), from the table, plus `Uint8ClampedArray`, which has
 * no typecode.
 */
const INT_RANGES: Record<string, readonly [number, number]> = { Uint8ClampedArray: [0, 255] };
for (const el of ELEMENTS) {
  if (!el.bigint && !el.float) INT_RANGES[el.tag] = [el.min as number, el.max as number];
}

/**
 * Resolves a user's typecode, in any spelling of the shared table. An unknown
 * one, or `c u ?`, is a `TypeError` listing the numeric ones (as `Value` does
 * for its own).
 */
export function elementOf(typecode: unknown): Element {
  return ELEMENTS[NUMERIC_CODES.indexOf(numericSpecOf(typecode, "a Channel").code)];
}

/*
 * The typed array intrinsics, called directly: a typed array's class, length
 * and buffer are read from its internal slots, so neither a prototype fake
 * (`Object.create(Float64Array.prototype)`), a swapped prototype nor an own
 * `length` property can pass for something it is not.
 */
const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as object;
function intrinsic(key: PropertyKey): (this: unknown) => unknown {
  return Object.getOwnPropertyDescriptor(TypedArrayPrototype, key)!.get! as (this: unknown) => unknown;
}
const LENGTH = intrinsic("length");
const BUFFER = intrinsic("buffer");
const SET = (TypedArrayPrototype as { set: (this: unknown, source: unknown, offset?: number) => void }).set;
const DETACHED = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "detached")?.get;
const EMPTY_NUMBERS = new Float64Array(0);
const EMPTY_BIGINTS = new BigInt64Array(0);

/** The class name of a real typed array (`"Float64Array"`…), `undefined` for anything else. */
export const typedTag: (x: unknown) => string | undefined = typedArrayName;

/** A real typed array's length, from its internal slots (0 once detached or out of bounds). */
export function typedLength(x: NumericArray): number {
  return LENGTH.call(x) as number;
}

/** `TypedArray.prototype.set` on a real typed array, whatever its own `set` says. */
export function typedSet(target: NumericArray, source: ArrayLike<unknown>): void {
  SET.call(target, source);
}

function isBigTag(tag: string): boolean {
  return tag === "BigInt64Array" || tag === "BigUint64Array";
}

function carries(el: Element): string {
  return el.bigint ? "bigints" : el.float ? "numbers" : "integers";
}

/**
 * Whether `set` may copy a typed array of class `tag` into a channel of `el`
 * as it is: its own kind, or a kind whose every value fits (any number kind
 * into a float channel, a narrower integer kind into an integer one). Other
 * typed arrays of numbers (bigints) are checked element by element; one of
 * the other kind is a `TypeError`.
 */
export function fitsAsIs(el: Element, tag: string): boolean {
  if (tag === el.tag) return true;
  if (isBigTag(tag) !== el.bigint) {
    throw new TypeError(`A "${el.code}" Channel carries ${carries(el)}, got ${withArticle(tag)}`);
  }
  if (el.float) return true;
  const range = INT_RANGES[tag];
  return !el.bigint && range !== undefined && range[0] >= (el.min as number) &&
    range[1] <= (el.max as number);
}

/** The error for element `i`, `x`, that does not fit `el`: as `Value` would throw for it. */
function unfit(el: Element, i: number, x: unknown): Error {
  const got = `got ${describe(x)} at index ${i}`;
  if (el.bigint ? typeof x !== "bigint" : typeof x !== "number" || !(el.float || Number.isInteger(x))) {
    return new TypeError(`A "${el.code}" Channel carries ${carries(el)}, ${got}`);
  }
  const unit = el.bigint ? "n" : "";
  return new RangeError(
    `A "${el.code}" Channel carries integers from ${el.min}${unit} to ${el.max}${unit}, ${got}`,
  );
}

/**
 * Copies the first `n` elements of `source` into `into`, reading each once
 * and checking it as shared data is checked: a number for a float channel,
 * an integer in range for an integer one, a bigint in range for a 64-bit
 * one. Throws (`TypeError`, or `RangeError` out of range) at the first
 * element that does not fit, naming its index; `into` is scratch space, so
 * the channel is untouched.
 */
export function copyChecked(el: Element, source: ArrayLike<unknown>, n: number, into: NumericArray): void {
  if (el.float) {
    const out = into as Float64Array;
    for (let i = 0; i < n; i++) {
      const x = source[i];
      if (typeof x !== "number") throw unfit(el, i, x);
      out[i] = x;
    }
  } else if (el.bigint) {
    const out = into as BigInt64Array;
    const min = el.min as bigint;
    const max = el.max as bigint;
    for (let i = 0; i < n; i++) {
      const x = source[i];
      if (typeof x !== "bigint" || x < min || x > max) throw unfit(el, i, x);
      out[i] = x;
    }
  } else {
    const out = into as Int32Array;
    const min = el.min as number;
    const max = el.max as number;
    for (let i = 0; i < n; i++) {
      const x = source[i];
      // NaN fails the range test; a fraction fails the last one.
      if (typeof x !== "number" || !(x >= min && x <= max) || Math.trunc(x) !== x) throw unfit(el, i, x);
      out[i] = x;
    }
  }
}

/**
 * Checks a receive target before anything is taken: a typed array of the
 * same kind of values (number or bigint) that can be written, or an `Array`.
 * Returns its length. `known`, if given, is a typed array already found to
 * be of the right kind (a typed array's kind never changes), to skip that look.
 */
export function checkTarget(el: Element, target: unknown, method: string, known?: unknown): number {
  if (known !== undefined && target === known) {
    return typedLength(target as NumericArray) || usable(target as NumericArray, method);
  }
  const tag = typedTag(target);
  if (tag !== undefined) {
    if (isBigTag(tag) === el.bigint) {
      return typedLength(target as NumericArray) || usable(target as NumericArray, method);
    }
  } else if (Array.isArray(target)) {
    if (Object.isFrozen(target) && target.length > 0) {
      throw new TypeError(`${method}() cannot write into a frozen Array`);
    }
    return target.length;
  }
  throw new TypeError(
    `${method}() needs an Array or a typed array of ${el.bigint ? "bigint" : "number"}s, got ${
      describe(target)
    }`,
  );
}

/**
 * 0 for a typed array of length 0 that can be used; a `TypeError` for one
 * that cannot (its buffer was detached, or shrank below it).
 */
export function usable(x: NumericArray, method: string, verb = "write into"): number {
  unusable(x, typedTag(x)!, method, verb);
  return 0;
}

/** Throws if a typed array of length 0 cannot be written at all: its buffer was detached, or shrank under it. */
function unusable(target: NumericArray, tag: string, method: string, verb: string): void {
  try {
    // Writing nothing succeeds on any usable typed array, and throws on a detached or out-of-bounds one.
    SET.call(target, isBigTag(tag) ? EMPTY_BIGINTS : EMPTY_NUMBERS);
    return;
  } catch {
    // Below.
  }
  const buffer = BUFFER.call(target);
  let detached: boolean;
  try {
    detached = DETACHED !== undefined
      ? DETACHED.call(buffer) === true
      : (new Uint8Array(buffer as ArrayBuffer), false);
  } catch {
    detached = DETACHED === undefined;
  }
  throw new TypeError(
    `${method}() cannot ${verb} ${withArticle(tag)} whose buffer ${
      detached ? "is detached" : "shrank below it (out of bounds)"
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
  if (typeof m.typecode !== "string" || !NUMERIC_CODES.includes(m.typecode as NumericTypecode)) {
    throw new TypeError(`Cannot revive a sabkit object: the channel typecode is ${describe(m.typecode)}`);
  }
  try {
    checkShape(m.capacity, m.slots);
  } catch (e) {
    throw new TypeError(`Cannot revive a sabkit object: ${(e as Error).message}`);
  }
  return bytesOf(elementOf(m.typecode), m.capacity!, m.slots!);
}
