/**
 * The runtime side of the typecodes: how each code is stored, checked and
 * read back. `encode` throws before anything is written, so a rejected value
 * never changes shared memory.
 *
 * @module
 */

import { describe } from "./_describe.ts";
import { typedArrayName } from "./_handle.ts";
import { MAX_BYTE_CHAR, notOneByte } from "./_text.ts";
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

/** A typecode whose elements are numbers or bigints: every code but `c u ?`. */
export type NumericTypecode = Exclude<Typecode, "c" | "u" | "?">;

/** The spec of a {@linkcode NumericTypecode}. */
export interface NumericSpec extends Spec {
  readonly code: NumericTypecode;
  readonly kind: "int" | "bigint" | "float";
}

/** Whether a spec's elements are numbers or bigints (not `c u ?`). */
export function isNumeric(s: Spec): s is NumericSpec {
  return s.kind === "int" || s.kind === "bigint" || s.kind === "float";
}

/**
 * The numeric codes, in table order: `b B h H i I l L q Q f d`. A channel
 * stores a code's index here in its memory, so this order is part of the
 * shared layout: append, never reorder.
 */
export const NUMERIC_CODES: readonly NumericTypecode[] = Object.values(SPECS).filter(isNumeric).map((s) =>
  s.code
);

/** The valid spellings, as the errors list them: every code, or the numeric ones only. */
function validList(numeric: boolean): string {
  const ok = (name: string) => !numeric || isNumeric(SPECS[NAMES.get(name)!]);
  const names = [...NAMES.keys()].filter(ok);
  return `one of ${Object.keys(SPECS).filter(ok).join(" ")}, a ctypes name (${
    names.filter((n) => n.startsWith("c_")).join(", ")
  }) or an element name (${names.filter((n) => n.length > 1 && !n.startsWith("c_")).join(", ")})`;
}
const VALID = validList(false);
const VALID_NUMERIC = validList(true);

/** The spec of a typecode in any spelling; a `TypeError` listing the valid ones otherwise. */
export function specOf(name: unknown): Spec {
  const code = typeof name === "string" ? NAMES.get(name) : undefined;
  if (code === undefined) throw new TypeError(`Unknown typecode ${describe(name)}: expected ${VALID}`);
  return SPECS[code];
}

/**
 * The spec of a numeric typecode in any spelling, for a primitive (`who`,
 * e.g. "a Channel") that carries numbers only. An unknown name gets
 * {@linkcode specOf}'s error listing the numeric spellings; `c u ?` (in any
 * spelling) one that says they are not numbers. Both are `TypeError`s.
 */
export function numericSpecOf(name: unknown, who: string): NumericSpec {
  const code = typeof name === "string" ? NAMES.get(name) : undefined;
  if (code === undefined) {
    throw new TypeError(`Unknown typecode ${describe(name)}: expected ${VALID_NUMERIC}`);
  }
  const s = SPECS[code];
  if (!isNumeric(s)) {
    throw new TypeError(
      `Typecode ${describe(name)} is not numeric (${who} carries numbers only): expected ${VALID_NUMERIC}`,
    );
  }
  return s;
}

/**
 * The spec a typed array is synchronized as (by its class, read from its
 * internal slots: a Proxy or a look-alike with a typed array prototype is
 * none), or `undefined`.
 */
export function specOfArray(a: unknown): Spec | undefined {
  const name = typedArrayName(a);
  return name === undefined ? undefined : BY_CLASS.get(name);
}

const BY_CLASS = new Map<string, Spec>(
  (["b", "B", "h", "H", "i", "I", "q", "Q", "f", "d"] as const).map((
    code,
  ) => [SPECS[code].Array.name, SPECS[code]]),
);

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
      // `c`: one byte, a character U+0000..U+00FF (Latin-1); `u`: one UTF-16 code unit.
      const wide = s.kind === "wchar";
      if (typeof x !== "string" || x.length !== 1) {
        const unit = wide ? "one UTF-16 code unit" : "one byte, U+0000 to U+00FF";
        throw new TypeError(`${what} must be a 1-character string (${unit}), got ${describe(x)}`);
      }
      const code = x.charCodeAt(0);
      if (!wide && code > MAX_BYTE_CHAR) throw new TypeError(notOneByte(what, x));
      return code;
    }
  }
}

/** Turns a stored element back into its JavaScript value. */
export function decode(s: Spec, raw: number | bigint): number | bigint | string | boolean {
  if (s.kind === "char" || s.kind === "wchar") return String.fromCharCode(raw as number);
  if (s.kind === "bool") return raw !== 0;
  return raw;
}
