/**
 * `SynchronizedArray`: what `SharedArray()` (Python's `multiprocessing.Array`)
 * returns, a shared typed array with a lock.
 *
 * @module
 */

import { ARRAY_BYTES, ARRAY_TYPECODE, dataFault, getTextClass, isText, partsOf } from "./_array_kind.ts";
import { decode, encode, type Spec, specOf, specOfArray } from "../core/_codec.ts";
import { checkIndex, toElements } from "./_elements.ts";
import { forgedMeta, locked, lockOption } from "./_options.ts";
import { describe, withArticle } from "../core/_describe.ts";
import { attach, defineKind, type Handle, takePreset, viewOf } from "../core/_handle.ts";
import type { Lock } from "../lock/lock.ts";
import type { RLock } from "../lock/rlock.ts";
import { SynchronizedBase } from "./synchronized_base.ts";
import type {
  AnyElementArray,
  ArrayInit,
  Typecode,
  TypecodeArrays,
  TypecodeValues,
} from "../core/typecodes.ts";

/**
 * A shared typed array with a lock (Python's `SynchronizedArray`). Every
 * method takes the lock once; `slice()` and `setFrom()` copy a whole range
 * under one acquisition. Indices may be negative (counted from the end).
 *
 * @example A shared array of doubles
 * ```ts
 * import { SharedArray } from "@sabkit/sabkit";
 * const xs = SharedArray("d", [1, 2, 3]);
 * xs.set(-1, 30);
 * console.assert(xs.get(2) === 30 && xs.length === 3);
 * console.assert([...xs].join() === "1,2,30");
 * ```
 */
export class SynchronizedArray<T extends Typecode = Typecode> extends SynchronizedBase {
  static {
    defineKind(this, "SynchronizedArray", {
      bytes: ARRAY_BYTES,
      create: (handle: Handle) => {
        const { spec, obj, lock } = partsOf(handle.meta);
        const stored = Atomics.load(new Int32Array(handle.buffer, handle.byteOffset, 2), ARRAY_TYPECODE);
        if (stored !== spec.code.charCodeAt(0)) {
          forgedMeta(
            `the SynchronizedArray typecode is "${spec.code}", but its memory holds ${
              describe(String.fromCharCode(stored))
            }`,
          );
        }
        // The constructor reads the typecode off the handle: `c` and `?` share Uint8Array.
        const text = isText(spec) ? getTextClass() : undefined;
        return text
          ? new text(obj, lock)
          : new SynchronizedArray(obj as Float64Array<SharedArrayBuffer>, lock);
      },
    });
  }

  #spec: Spec;
  #obj: AnyElementArray;

  /**
   * Wraps a shared typed array with a lock; `synchronized(obj, lock)` does the
   * same. The typecode follows the array's class (`Uint8Array` is `B`).
   *
   * @param obj A typed array on a `SharedArrayBuffer`.
   * @param lock The lock to use; default a new `RLock`.
   * @throws {TypeError} If `obj` is not such an array or `lock` not a `Lock`/`RLock`.
   *
   * @example Wrapping a Float64Array on shared memory
   * ```ts
   * import { SynchronizedArray } from "@sabkit/sabkit";
   * const xs = new SynchronizedArray(new Float64Array(new SharedArrayBuffer(32)));
   * xs.set(3, 1.5);
   * console.assert(xs.typecode === "d" && xs.length === 4 && xs.get(3) === 1.5);
   * ```
   */
  constructor(obj: TypecodeArrays<SharedArrayBuffer>[T], lock?: Lock | RLock) {
    const { handle, typecode } = takePreset();
    const text = getTextClass();
    const textual = text !== undefined && (new.target === text || new.target.prototype instanceof text);
    const name = textual ? "SynchronizedString" : "SynchronizedArray";
    // What the class cannot say (`?` and `c` arrays are Uint8Arrays) comes with the call or the handle.
    const code = typecode ?? (handle?.meta as { typecode?: string } | undefined)?.typecode;
    const spec = code !== undefined
      ? specOf(code)
      : textual
      ? specOf(viewOf(obj)?.name === "Uint16Array" ? "u" : "c")
      : specOfArray(obj);
    const fault = spec === undefined ? describe(obj) : dataFault(obj, spec);
    if (spec === undefined || fault !== undefined) {
      throw new TypeError(`A ${name} wraps a typed array on a SharedArrayBuffer, got ${fault}`);
    }
    super(lockOption(lock, withArticle(name), false)!);
    this.#spec = spec;
    this.#obj = obj;
    const meta = { typecode: spec.code, obj, lock: this.getLock() };
    const header = attach(this, SynchronizedArray, ARRAY_BYTES, handle, meta);
    if (!handle) header[ARRAY_TYPECODE] = spec.code.charCodeAt(0);
  }

  #what(): string {
    return `a SynchronizedArray("${this.#spec.code}")`;
  }

  /**
   * How many elements the array has.
   *
   * @example The element count
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * console.assert(SharedArray("i", 10).length === 10);
   * ```
   */
  get length(): number {
    return this.#obj.length;
  }

  /**
   * The one-letter typecode.
   *
   * @example Any spelling, one letter
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * console.assert(SharedArray("c_int", 3).typecode === "i");
   * ```
   */
  get typecode(): T {
    return this.#spec.code as T;
  }

  /**
   * Reads one element under the lock.
   *
   * @param index From `-length` to `length - 1`; negative counts from the end.
   * @returns The element.
   * @throws {RangeError} If `index` is out of range.
   * @throws {TypeError} If `index` is not an integer.
   *
   * @example Reading
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const xs = SharedArray("i", [1, 2, 3]);
   * console.assert(xs.get(0) === 1 && xs.get(-1) === 3);
   * ```
   */
  get(index: number): TypecodeValues[T] {
    const i = checkIndex(index, this.#obj.length, this.#what());
    return locked(this.getLock(), () => decode(this.#spec, this.#obj[i]) as TypecodeValues[T]);
  }

  /**
   * Reads one element under the lock, as `Array.prototype.at` does but
   * throwing for an index out of range (Python's `IndexError`).
   *
   * @param index From `-length` to `length - 1`.
   * @returns The element.
   * @throws {RangeError} If `index` is out of range.
   *
   * @example The last element
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * console.assert(SharedArray("q", [1n, 2n]).at(-1) === 2n);
   * ```
   */
  at(index: number): TypecodeValues[T] {
    return this.get(index);
  }

  /**
   * Writes one element under the lock; the value is checked first.
   *
   * @param index From `-length` to `length - 1`.
   * @param value The new element.
   * @throws {RangeError} If `index` (or an integer `value`) is out of range.
   * @throws {TypeError} If `value` is of the wrong kind (a number for `q`, …).
   *
   * @example Writing
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const flags = SharedArray("?", 2);
   * flags.set(1, true);
   * console.assert(flags.get(1) === true);
   * ```
   */
  set(index: number, value: TypecodeValues[T]): void {
    const i = checkIndex(index, this.#obj.length, this.#what());
    const raw = encode(this.#spec, value, `Element ${index} of ${this.#what()}`);
    locked(this.getLock(), () => ((this.#obj as { [i: number]: number | bigint })[i] = raw));
  }

  /**
   * Copies a range under one lock acquisition, with `TypedArray.slice` rules
   * (negative bounds count from the end). The copy is not shared.
   *
   * @param start First index; default 0.
   * @param end Index after the last; default `length`.
   * @returns A new typed array of the element class (`Uint8Array` bytes for `c`).
   *
   * @example A consistent snapshot
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const xs = SharedArray("d", [1, 2, 3, 4]);
   * console.assert(xs.slice(1, -1).join() === "2,3");
   * ```
   */
  slice(start?: number, end?: number): TypecodeArrays<ArrayBuffer>[T] {
    for (const bound of [start, end]) {
      if (bound !== undefined && typeof bound !== "number") {
        throw new TypeError(`A slice bound of ${this.#what()} must be a number, got ${describe(bound)}`);
      }
    }
    return locked(this.getLock(), () => this.#obj.slice(start, end) as TypecodeArrays<ArrayBuffer>[T]);
  }

  /**
   * Writes many elements under one lock acquisition. Every element is checked
   * before anything is written: a refused source changes nothing.
   *
   * @param source Elements (array-like or iterable), a typed array of the
   * element class (copied raw), or a string for `c` (one byte per character,
   * U+0000 to U+00FF) and `u` arrays (UTF-16 code units).
   * @param offset Where the first one goes; default 0.
   * @throws {RangeError} If the elements do not fit from `offset`, or one is out of range.
   * @throws {TypeError} If an element is of the wrong kind.
   *
   * @example Filling a range
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const xs = SharedArray("i", 4);
   * xs.setFrom([7, 8], 2);
   * console.assert(xs.slice().join() === "0,0,7,8");
   * ```
   */
  setFrom(source: ArrayInit<T>, offset: number = 0): void {
    if (typeof offset !== "number" || !Number.isInteger(offset)) {
      throw new TypeError(`The offset into ${this.#what()} must be an integer, got ${describe(offset)}`);
    }
    const what = this.#what();
    const elements = toElements(this.#spec, source, what, (n) => new this.#spec.Array(n));
    if (offset < 0 || offset + elements.length > this.#obj.length) {
      throw new RangeError(
        `Cannot write ${elements.length} elements at offset ${offset} of ${what} of length ${this.#obj.length}`,
      );
    }
    locked(this.getLock(), () => (this.#obj as Uint8Array).set(elements as Uint8Array, offset));
  }

  /**
   * Iterates over a snapshot taken under one lock acquisition.
   *
   * @returns The elements, in order.
   *
   * @example Summing
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * let sum = 0;
   * for (const x of SharedArray("d", [0.5, 1.5])) sum += x;
   * console.assert(sum === 2);
   * ```
   */
  *[Symbol.iterator](): Generator<TypecodeValues[T], void, undefined> {
    for (const raw of this.slice()) yield decode(this.#spec, raw) as TypecodeValues[T];
  }

  /**
   * The unlocked typed array underneath (same shared memory).
   *
   * @returns A `Float64Array` for `d`, a `Uint8Array` for `c`, …
   *
   * @example Bulk work while holding the lock
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const xs = SharedArray("d", 1000);
   * {
   *   using _ = xs.guard();
   *   xs.getObj().fill(1);
   * }
   * console.assert(xs.get(999) === 1);
   * ```
   */
  getObj(): TypecodeArrays<SharedArrayBuffer>[T] {
    return this.#obj as TypecodeArrays<SharedArrayBuffer>[T];
  }
}
