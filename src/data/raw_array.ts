/**
 * `RawArray`: Python's `multiprocessing.RawArray`, a plain typed array on a
 * `SharedArrayBuffer`.
 *
 * @module
 */

import { specOf } from "../core/_codec.ts";
import { newShared } from "./_elements.ts";
import { describe } from "../core/_describe.ts";
import type { ArrayInit, ElementArray, TypeName } from "../core/typecodes.ts";

/**
 * Makes a typed array on a `SharedArrayBuffer` (Python's
 * `multiprocessing.RawArray`): a `Float64Array` for `"d"`, a `BigInt64Array`
 * for `"q"`, a `Uint8Array` for `"c"` and `"?"`, a `Uint16Array` for `"u"`…
 * It is a plain typed array: `postMessage` shares it with no `revive`, and
 * nothing locks it.
 *
 * @param typecode `"i"`, `"d"`, `"q"`, … or a ctypes or element name (see {@linkcode Typecode}).
 * @param sizeOrInit A length (zero-filled), or the contents: an array-like or
 * iterable of elements, a typed array of the same class (copied raw), or for
 * `c` a string (one byte per character, U+0000 to U+00FF) and for `u` a
 * string (its UTF-16 code units).
 * @returns The shared typed array.
 * @throws {TypeError} For an unknown typecode or an element of the wrong kind.
 * @throws {RangeError} For a negative, fractional or too large size, or an integer element out of range.
 *
 * @example Sharing doubles with a worker, no revive needed
 * ```ts
 * import { RawArray } from "@sabkit/sabkit";
 * const xs = RawArray("d", [1, 2, 3]);
 * console.assert(xs instanceof Float64Array && xs.buffer instanceof SharedArrayBuffer);
 * const zeros = RawArray("q", 4); // BigInt64Array [0n, 0n, 0n, 0n]
 * console.assert(zeros[3] === 0n);
 * ```
 */
export function RawArray<N extends TypeName>(
  typecode: N,
  sizeOrInit: number | ArrayInit<N>,
): ElementArray<N> {
  const spec = specOf(typecode);
  return newShared(spec, sizeOrInit, `RawArray(${describe(typecode)})`) as ElementArray<N>;
}
