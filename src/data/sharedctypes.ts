/**
 * `copy` and `synchronized`: Python's `multiprocessing.sharedctypes.copy` and
 * `synchronized`.
 *
 * @module
 */

import { buildArray } from "./_build_array.ts";
import { specOf, specOfArray } from "../core/_codec.ts";
import { newShared } from "./_elements.ts";
import { describe } from "../core/_describe.ts";
import type { Lock } from "../lock/lock.ts";
import { RawValue } from "./raw_value.ts";
import { RLock } from "../lock/rlock.ts";
import { SynchronizedArray } from "./synchronized_array.ts";
import type { SynchronizedString } from "./synchronized_string.ts";
import type { AnyElementArray, CodeOfArray, Typecode, TypecodeArrays } from "../core/typecodes.ts";
import { SynchronizedValue } from "./value.ts";

/**
 * Makes a new shared object with the same contents (Python's
 * `sharedctypes.copy`): a `RawValue` from a `RawValue`, a shared typed array
 * (a `RawArray`) from any typed array, and from synchronized data a new
 * synchronized object with a new `RLock` (its contents read under the old
 * lock, in one acquisition).
 *
 * @param obj What to copy.
 * @returns The copy, on new shared memory.
 * @throws {TypeError} If `obj` is not shared data or a typed array with a typecode.
 *
 * @example Copying a RawArray and a Value
 * ```ts
 * import { copy, RawArray, Value } from "@sabkit/sabkit";
 * const xs = RawArray("d", [1, 2]);
 * const ys = copy(xs);
 * ys[0] = 5;
 * console.assert(xs[0] === 1 && ys.buffer instanceof SharedArrayBuffer);
 * const v = copy(Value("i", 3));
 * console.assert(v.value === 3);
 * ```
 */
export function copy<T extends "c" | "u">(obj: SynchronizedString<T>): SynchronizedString<T>;
/**
 * A synchronized array: a new one with the same elements and a new `RLock`.
 *
 * @example Copying a synchronized array
 * ```ts
 * import { copy, SharedArray } from "@sabkit/sabkit";
 * const xs = SharedArray("i", [1, 2, 3]);
 * const ys = copy(xs);
 * ys.set(0, 9);
 * console.assert(xs.get(0) === 1 && ys.get(0) === 9 && ys.getLock() !== xs.getLock());
 * ```
 */
export function copy<T extends Typecode>(obj: SynchronizedArray<T>): SynchronizedArray<T>;
/**
 * A synchronized value: a new one with the same value and a new `RLock`.
 *
 * @example Copying a Value
 * ```ts
 * import { copy, Value } from "@sabkit/sabkit";
 * const v = Value("d", 0.5);
 * const w = copy(v);
 * w.value = 2;
 * console.assert(v.value === 0.5 && w.value === 2);
 * ```
 */
export function copy<T extends Typecode>(obj: SynchronizedValue<T>): SynchronizedValue<T>;
/**
 * A `RawValue`: a new one with the same value.
 *
 * @example Copying a RawValue
 * ```ts
 * import { copy, RawValue } from "@sabkit/sabkit";
 * const v = RawValue("q", 5n);
 * console.assert(copy(v).value === 5n);
 * ```
 */
export function copy<T extends Typecode>(obj: RawValue<T>): RawValue<T>;
/**
 * A typed array (shared or not): a shared one of the same class with the same elements.
 *
 * @example A shared copy of a plain typed array
 * ```ts
 * import { copy } from "@sabkit/sabkit";
 * const shared = copy(new Int16Array([1, -1]));
 * console.assert(shared.buffer instanceof SharedArrayBuffer && shared[1] === -1);
 * ```
 */
export function copy<A extends AnyElementArray>(obj: A): TypecodeArrays<SharedArrayBuffer>[CodeOfArray<A>];
export function copy(obj: unknown): unknown {
  if (obj instanceof SynchronizedArray) {
    const spec = specOf(obj.typecode);
    return buildArray({ spec, obj: newShared(spec, obj.slice(), "copy()"), lock: new RLock() });
  }
  if (obj instanceof SynchronizedValue) return new SynchronizedValue(RawValue(obj.typecode, obj.value));
  if (obj instanceof RawValue) return RawValue(obj.typecode, obj.value);
  const spec = specOfArray(obj);
  if (spec === undefined) {
    throw new TypeError(`copy() takes shared data or a typed array with a typecode, got ${describe(obj)}`);
  }
  return newShared(spec, obj, "copy()");
}

/**
 * Wraps a `RawValue` or a shared typed array with a lock (Python's
 * `sharedctypes.synchronized`). A typed array is synchronized as the typecode
 * of its class (`Uint8Array` as `B`; use `SharedArray("c", …)` for text).
 *
 * @param obj A `RawValue`, or a typed array on a `SharedArrayBuffer` (a `RawArray`).
 * @param lock The lock to use; default a new `RLock`.
 * @returns A {@linkcode SynchronizedValue} or {@linkcode SynchronizedArray} on the same memory.
 * @throws {TypeError} If `obj` is not a `RawValue` or shared typed array (or is synchronized already), or
 * `lock` is not a `Lock`/`RLock`.
 *
 * @example Adding a lock to a RawArray
 * ```ts
 * import { RawArray, synchronized } from "@sabkit/sabkit";
 * const raw = RawArray("i", 4);
 * const xs = synchronized(raw);
 * xs.set(0, 7);
 * console.assert(raw[0] === 7 && xs.getObj() === raw);
 * ```
 */
export function synchronized<T extends Typecode>(obj: RawValue<T>, lock?: Lock | RLock): SynchronizedValue<T>;
/**
 * A typed array on a `SharedArrayBuffer`: a {@linkcode SynchronizedArray} of its class's typecode.
 *
 * @example A shared Uint8Array is synchronized as B
 * ```ts
 * import { Lock, RawArray, synchronized } from "@sabkit/sabkit";
 * const xs = synchronized(RawArray("B", 4), new Lock());
 * xs.set(0, 255);
 * console.assert(xs.typecode === "B" && xs.get(0) === 255);
 * ```
 */
export function synchronized<A extends AnyElementArray<SharedArrayBuffer>>(
  obj: A,
  lock?: Lock | RLock,
): SynchronizedArray<CodeOfArray<A>>;
export function synchronized(obj: unknown, lock?: Lock | RLock): unknown {
  if (obj instanceof RawValue) return new SynchronizedValue(obj, lock);
  if (specOfArray(obj) !== undefined) {
    return new SynchronizedArray(obj as Float64Array<SharedArrayBuffer>, lock);
  }
  const why = obj instanceof SynchronizedValue || obj instanceof SynchronizedArray
    ? " (synchronized already)"
    : "";
  throw new TypeError(
    `synchronized() takes a RawValue or a typed array on a SharedArrayBuffer, got ${describe(obj)}${why}`,
  );
}
