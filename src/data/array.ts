/**
 * `SharedArray` (exported as `Array` too): Python's `multiprocessing.Array`,
 * a shared typed array with a lock.
 *
 * @module
 */

import { buildArray } from "./_build_array.ts";
import { specOf } from "../core/_codec.ts";
import { newShared } from "./_elements.ts";
import { lockOption, optionsOf } from "./_options.ts";
import { describe } from "../core/_describe.ts";
import type { Lock } from "../lock/lock.ts";
import type { RLock } from "../lock/rlock.ts";
import type { SynchronizedArray } from "./synchronized_array.ts";
import type { SynchronizedString } from "./synchronized_string.ts";
import type { ArrayInit, CodeOf, ElementArray, Typecode, TypeName } from "../core/typecodes.ts";
import type { SharedDataOptions } from "./value.ts";

/**
 * What `SharedArray()` returns for a typecode: a `SynchronizedString` for `c` and `u`, else a `SynchronizedArray`.
 *
 * @example Text codes give strings
 * ```ts
 * import { SharedArray, type SynchronizedArrayOf } from "@sabkit/sabkit";
 * const text: SynchronizedArrayOf<"c"> = SharedArray("c", "hi");
 * const nums: SynchronizedArrayOf<"i"> = SharedArray("i", 2);
 * console.assert(text.value === "hi" && nums.get(1) === 0);
 * ```
 */
export type SynchronizedArrayOf<C extends Typecode> = C extends "c" | "u" ? SynchronizedString<C>
  : SynchronizedArray<C>;

/**
 * Makes a shared typed array with a lock (Python's `multiprocessing.Array`;
 * `import * as mp` users call it `mp.Array`). Post it to workers or pass it
 * in `Process` args: it arrives live, with its lock.
 *
 * @param typecode `"i"`, `"d"`, `"q"`, `"c"`, … or a ctypes or element name (see {@linkcode Typecode}).
 * @param sizeOrInit A length (zero-filled), or the contents: an array-like or
 * iterable of elements, a typed array of the element class (copied raw), or
 * for `c` a string (one byte per character, U+0000 to U+00FF) and for `u` a string (UTF-16 code units).
 * @param options `lock`: `true` (default) a new `RLock`, a `Lock`/`RLock` to share, or `false` for a `RawArray`.
 * @returns A {@linkcode SynchronizedArray} ({@linkcode SynchronizedString} for `c` and `u`), or with
 * `lock: false` the shared typed array itself.
 * @throws {TypeError} For an unknown typecode, an element of the wrong kind or a `lock` that is not a sabkit lock.
 * @throws {RangeError} For a negative, fractional or too large size, or an integer element out of range.
 *
 * @example Python's `Array('i', range(10))`
 * ```ts
 * import * as mp from "@sabkit/sabkit";
 * const a = mp.Array("i", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * {
 *   using _ = a.guard();
 *   for (let i = 0; i < a.length; i++) a.set(i, a.get(i) * 2);
 * }
 * console.assert(a.get(-1) === 18);
 * const zeros = mp.Array("d", 1000); // zero-filled
 * console.assert(zeros.get(999) === 0);
 * ```
 */
export function SharedArray<N extends TypeName>(
  typecode: N,
  sizeOrInit: number | ArrayInit<N>,
  options?: { lock?: true | Lock | RLock },
): SynchronizedArrayOf<CodeOf<N>>;
/**
 * With `lock: false`: the shared typed array itself (a `RawArray`), as in Python.
 *
 * @example A RawArray, as Python's Array('d', 4, lock=False)
 * ```ts
 * import { SharedArray } from "@sabkit/sabkit";
 * const xs = SharedArray("d", [1, 2, 3, 4], { lock: false });
 * console.assert(xs instanceof Float64Array && xs.buffer instanceof SharedArrayBuffer);
 * ```
 */
export function SharedArray<N extends TypeName>(
  typecode: N,
  sizeOrInit: number | ArrayInit<N>,
  options: { lock: false },
): ElementArray<N>;
/**
 * With a `lock` option known only at run time: either kind.
 *
 * @example A lock chosen at run time
 * ```ts
 * import { SharedArray } from "@sabkit/sabkit";
 * function table(locked: boolean) {
 *   return SharedArray("i", 3, { lock: locked }); // a SynchronizedArray or an Int32Array
 * }
 * console.assert(table(true).length === 3 && table(false).length === 3);
 * ```
 */
export function SharedArray<N extends TypeName>(
  typecode: N,
  sizeOrInit: number | ArrayInit<N>,
  options?: SharedDataOptions,
): SynchronizedArrayOf<CodeOf<N>> | ElementArray<N>;
export function SharedArray<N extends TypeName>(
  typecode: N,
  sizeOrInit: number | ArrayInit<N>,
  options?: SharedDataOptions,
): SynchronizedArrayOf<CodeOf<N>> | ElementArray<N> {
  const spec = specOf(typecode);
  const what = `SharedArray(${describe(typecode)})`;
  const { lock } = optionsOf(options, what);
  if (lock !== undefined && typeof lock !== "boolean") lockOption(lock, what);
  const obj = newShared(spec, sizeOrInit, what);
  const chosen = lockOption(lock, what);
  if (chosen === null) return obj as ElementArray<N>;
  return buildArray({ spec, obj, lock: chosen }) as SynchronizedArrayOf<CodeOf<N>>;
}

export { SharedArray as Array };
