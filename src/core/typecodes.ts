/**
 * The typecodes of shared data, as Python's `multiprocessing.sharedctypes`
 * knows them: the one-letter codes, the ctypes names and the element names
 * of JavaScript's typed arrays. TypeScript maps each spelling to the type a
 * `Value` holds and to the typed array a `RawArray` returns.
 *
 * @module
 */

/**
 * Python's one-letter typecodes. `l L q Q` are 64-bit (LP64, as on Linux and
 * macOS) and hold `bigint`; `c` is one byte (a 1-character string from
 * U+0000 to U+00FF, Latin-1); `u` is one UTF-16 code unit; `?` is a boolean
 * stored in one byte.
 */
export type Typecode =
  | "b"
  | "B"
  | "h"
  | "H"
  | "i"
  | "I"
  | "l"
  | "L"
  | "q"
  | "Q"
  | "f"
  | "d"
  | "c"
  | "u"
  | "?";

/** Every spelling a typecode accepts, mapped to its one-letter code. */
export type TypeNames = {
  b: "b";
  B: "B";
  h: "h";
  H: "H";
  i: "i";
  I: "I";
  l: "l";
  L: "L";
  q: "q";
  Q: "Q";
  f: "f";
  d: "d";
  c: "c";
  u: "u";
  "?": "?";
  c_byte: "b";
  c_ubyte: "B";
  c_short: "h";
  c_ushort: "H";
  c_int: "i";
  c_uint: "I";
  c_long: "l";
  c_ulong: "L";
  c_longlong: "q";
  c_ulonglong: "Q";
  c_float: "f";
  c_double: "d";
  c_char: "c";
  c_wchar: "u";
  c_bool: "?";
  c_int8: "b";
  c_uint8: "B";
  c_int16: "h";
  c_uint16: "H";
  c_int32: "i";
  c_uint32: "I";
  c_int64: "q";
  c_uint64: "Q";
  int8: "b";
  uint8: "B";
  int16: "h";
  uint16: "H";
  int32: "i";
  uint32: "I";
  bigint64: "q";
  biguint64: "Q";
  float32: "f";
  float64: "d";
};

/** A typecode in any spelling: `"d"`, `"c_double"` or `"float64"`. */
export type TypeName = keyof TypeNames;

/** The one-letter code of a spelling: `CodeOf<"c_double">` is `"d"`. */
export type CodeOf<N extends TypeName> = TypeNames[N];

/** What one element of each typecode holds in JavaScript. */
export type TypecodeValues = {
  b: number;
  B: number;
  h: number;
  H: number;
  i: number;
  I: number;
  l: bigint;
  L: bigint;
  q: bigint;
  Q: bigint;
  f: number;
  d: number;
  c: string;
  u: string;
  "?": boolean;
};

/** The JavaScript type of one element: `ElementValue<"q">` is `bigint`. */
export type ElementValue<N extends TypeName> = TypecodeValues[CodeOf<N>];

/** The typed array that holds each typecode's elements, on buffer `B`. */
export type TypecodeArrays<B extends ArrayBufferLike> = {
  b: Int8Array<B>;
  B: Uint8Array<B>;
  h: Int16Array<B>;
  H: Uint16Array<B>;
  i: Int32Array<B>;
  I: Uint32Array<B>;
  l: BigInt64Array<B>;
  L: BigUint64Array<B>;
  q: BigInt64Array<B>;
  Q: BigUint64Array<B>;
  f: Float32Array<B>;
  d: Float64Array<B>;
  c: Uint8Array<B>;
  u: Uint16Array<B>;
  "?": Uint8Array<B>;
};

/** The typed array a `RawArray` of this typecode is: `ElementArray<"d">` is a shared `Float64Array`. */
export type ElementArray<N extends TypeName, B extends ArrayBufferLike = SharedArrayBuffer> = TypecodeArrays<
  B
>[CodeOf<N>];

/** A typed array that has a typecode (every kind but `Uint8ClampedArray` and `Float16Array`). */
export type AnyElementArray<B extends ArrayBufferLike = ArrayBufferLike> = TypecodeArrays<B>[Typecode];

/** The typecode a typed array is synchronized as: `CodeOfArray<Float64Array>` is `"d"`. */
export type CodeOfArray<A extends AnyElementArray> = A extends Int8Array ? "b"
  : A extends Uint8Array ? "B"
  : A extends Int16Array ? "h"
  : A extends Uint16Array ? "H"
  : A extends Int32Array ? "i"
  : A extends Uint32Array ? "I"
  : A extends BigInt64Array ? "q"
  : A extends BigUint64Array ? "Q"
  : A extends Float32Array ? "f"
  : "d";

/**
 * Contents for an array: an array-like or iterable of elements, a typed array
 * of the array's own class (copied as raw elements), or, for `c` and `u`, a
 * string (`c`: one byte per character, U+0000 to U+00FF; `u`: its UTF-16 code
 * units).
 */
export type ArrayInit<N extends TypeName> =
  | ArrayLike<ElementValue<N>>
  | Iterable<ElementValue<N>>
  | TypecodeArrays<ArrayBufferLike>[CodeOf<N>]
  | (CodeOf<N> extends "c" | "u" ? string : never);
