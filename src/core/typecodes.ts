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
 *
 * @example Every spelling has one
 * ```ts
 * import { RawValue, type Typecode } from "@sabkit/sabkit";
 * const code: Typecode = RawValue("float64").typecode;
 * console.assert(code === "d");
 * ```
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

/**
 * Every spelling a typecode accepts, mapped to its one-letter code.
 *
 * @example Spellings of one code
 * ```ts
 * import type { TypeNames } from "@sabkit/sabkit";
 * const codes: TypeNames["c_int"][] = ["i"];
 * const bigs: TypeNames["bigint64"] = "q";
 * console.assert(codes[0] === "i" && bigs === "q");
 * ```
 */
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

/**
 * A typecode in any spelling: `"d"`, `"c_double"` or `"float64"`.
 *
 * @example Taking any spelling
 * ```ts
 * import { RawValue, type TypeName } from "@sabkit/sabkit";
 * function zero(code: TypeName) {
 *   return RawValue(code).value;
 * }
 * console.assert(zero("c_int") === 0 && zero("q") === 0n);
 * ```
 */
export type TypeName = keyof TypeNames;

/**
 * The one-letter code of a spelling: `CodeOf<"c_double">` is `"d"`.
 *
 * @example The code of a ctypes name
 * ```ts
 * import type { CodeOf } from "@sabkit/sabkit";
 * const d: CodeOf<"c_double"> = "d";
 * console.assert(d === "d");
 * ```
 */
export type CodeOf<N extends TypeName> = TypeNames[N];

/**
 * What one element of each typecode holds in JavaScript.
 *
 * @example The value of a 64-bit code
 * ```ts
 * import type { TypecodeValues } from "@sabkit/sabkit";
 * const big: TypecodeValues["q"] = 2n ** 40n;
 * const flag: TypecodeValues["?"] = true;
 * console.assert(big > 0n && flag);
 * ```
 */
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

/**
 * The JavaScript type of one element: `ElementValue<"q">` is `bigint`.
 *
 * @example Typing an initial value
 * ```ts
 * import { type ElementValue, Value } from "@sabkit/sabkit";
 * const init: ElementValue<"c_longlong"> = 5n;
 * console.assert(Value("c_longlong", init).value === 5n);
 * ```
 */
export type ElementValue<N extends TypeName> = TypecodeValues[CodeOf<N>];

/**
 * The typed array that holds each typecode's elements, on buffer `B`.
 *
 * @example The array of a code
 * ```ts
 * import { RawArray, type TypecodeArrays } from "@sabkit/sabkit";
 * const xs: TypecodeArrays<SharedArrayBuffer>["h"] = RawArray("h", 4);
 * console.assert(xs instanceof Int16Array);
 * ```
 */
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

/**
 * The typed array a `RawArray` of this typecode is: `ElementArray<"d">` is a shared `Float64Array`.
 *
 * @example What RawArray returns
 * ```ts
 * import { type ElementArray, RawArray } from "@sabkit/sabkit";
 * const xs: ElementArray<"float64"> = RawArray("float64", 8);
 * console.assert(xs instanceof Float64Array && xs.buffer instanceof SharedArrayBuffer);
 * ```
 */
export type ElementArray<N extends TypeName, B extends ArrayBufferLike = SharedArrayBuffer> = TypecodeArrays<
  B
>[CodeOf<N>];

/**
 * A typed array that has a typecode (every kind but `Uint8ClampedArray` and `Float16Array`).
 *
 * @example Accepting any array with a typecode
 * ```ts
 * import type { AnyElementArray } from "@sabkit/sabkit";
 * function bytes(a: AnyElementArray): number {
 *   return a.byteLength;
 * }
 * console.assert(bytes(new Float32Array(2)) === 8 && bytes(new BigInt64Array(1)) === 8);
 * ```
 */
export type AnyElementArray<B extends ArrayBufferLike = ArrayBufferLike> = TypecodeArrays<B>[Typecode];

/**
 * The typecode a typed array is synchronized as: `CodeOfArray<Float64Array>` is `"d"`.
 *
 * @example The code of an array class
 * ```ts
 * import type { CodeOfArray } from "@sabkit/sabkit";
 * const d: CodeOfArray<Float64Array> = "d";
 * const B: CodeOfArray<Uint8Array> = "B";
 * console.assert(d === "d" && B === "B");
 * ```
 */
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
 *
 * @example Contents of several shapes
 * ```ts
 * import { type ArrayInit, SharedArray } from "@sabkit/sabkit";
 * const list: ArrayInit<"i"> = [1, 2, 3];
 * const text: ArrayInit<"c"> = "abc";
 * console.assert(SharedArray("i", list).get(2) === 3 && SharedArray("c", text).value === "abc");
 * ```
 */
export type ArrayInit<N extends TypeName> =
  | ArrayLike<ElementValue<N>>
  | Iterable<ElementValue<N>>
  | TypecodeArrays<ArrayBufferLike>[CodeOf<N>]
  | (CodeOf<N> extends "c" | "u" ? string : never);
