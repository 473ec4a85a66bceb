/**
 * `SynchronizedString`: what `SharedArray("c", …)` and `SharedArray("u", …)`
 * return (Python's `SynchronizedString`), a synchronized array with text.
 *
 * @module
 */

import { setTextClass } from "./_array_kind.ts";
import { specOf } from "../core/_codec.ts";
import { toElements } from "./_elements.ts";
import { locked } from "./_options.ts";
import { describe } from "../core/_describe.ts";
import { sharedLength, viewOf } from "../core/_handle.ts";
import { encodeText, readText, writeText } from "../core/_text.ts";
import type { Lock } from "../lock/lock.ts";
import type { RLock } from "../lock/rlock.ts";
import { SynchronizedArray } from "./synchronized_array.ts";
import type { TypecodeArrays } from "../core/typecodes.ts";

/**
 * What `.raw` is: the bytes of a `c` array; `never` on a `u` array, which has none.
 *
 * @example The bytes of a c array
 * ```ts
 * import { type BytesOf, SharedArray } from "@sabkit/sabkit";
 * const raw: BytesOf<"c"> = SharedArray("c", "ab").raw;
 * console.assert(raw.join() === "97,98");
 * ```
 */
export type BytesOf<T extends "c" | "u"> = T extends "c" ? Uint8Array<ArrayBuffer> : never;

/**
 * A synchronized `c` array (bytes) or `u` array (UTF-16 code units) with the
 * text views of ctypes: `.value` is the text up to the first NUL, and a `c`
 * array's `.raw` is all of its bytes.
 *
 * A `c` element is one byte, read and written everywhere (`get`, `set`,
 * `.value`, contents given as a string) as one character from U+0000 to
 * U+00FF (Latin-1), so what is written reads back the same; a character
 * above U+00FF is a `TypeError`. For UTF-8 text, write its bytes to `.raw`
 * (`new TextEncoder().encode(text)`) and decode a copy of them to read it.
 *
 * @example A shared name
 * ```ts
 * import { SharedArray } from "@sabkit/sabkit";
 * const name = SharedArray("c", 16);
 * name.value = "héllo";
 * console.assert(name.value === "héllo" && name.get(1) === "é" && name.raw[1] === 0xe9);
 * const wide = SharedArray("u", "日本");
 * console.assert(wide.value === "日本" && wide.length === 2);
 * const utf8 = SharedArray("c", 16);
 * utf8.raw = new TextEncoder().encode("日本");
 * console.assert(new TextDecoder().decode(utf8.raw.subarray(0, 6)) === "日本");
 * ```
 */
export class SynchronizedString<T extends "c" | "u" = "c" | "u"> extends SynchronizedArray<T> {
  static {
    setTextClass(this);
  }

  /**
   * Wraps a shared `Uint8Array` (as `c`) or `Uint16Array` (as `u`) with a lock.
   *
   * @param obj A `Uint8Array` or `Uint16Array` on a `SharedArrayBuffer`.
   * @param lock The lock to use; default a new `RLock`.
   * @throws {TypeError} If `obj` is not such an array or `lock` not a `Lock`/`RLock`.
   *
   * @example Text on a shared Uint8Array
   * ```ts
   * import { SynchronizedString } from "@sabkit/sabkit";
   * const s = new SynchronizedString(new Uint8Array(new SharedArrayBuffer(8)));
   * s.value = "hi";
   * console.assert(s.typecode === "c" && s.value === "hi");
   * ```
   */
  constructor(obj: TypecodeArrays<SharedArrayBuffer>[T], lock?: Lock | RLock) {
    // The class is read from the internal slots (a Proxy or look-alike is neither);
    // the SynchronizedArray constructor then checks the memory and the lock.
    const view = viewOf(obj);
    if (
      !(view?.name === "Uint16Array" || view?.name === "Uint8Array") ||
      sharedLength(view.buffer) === undefined
    ) {
      throw new TypeError(
        `A SynchronizedString wraps a Uint8Array or Uint16Array on a SharedArrayBuffer, got ${describe(obj)}`,
      );
    }
    super(obj, lock);
  }

  #what(): string {
    return `a SynchronizedString("${this.typecode}")`;
  }

  /**
   * The text up to the first NUL, one character per element: for `c` one
   * byte each (U+0000 to U+00FF, Latin-1), for `u` one UTF-16 code unit each.
   * Setting writes the text and a NUL if there is room, as ctypes does; text
   * that does not fit changes nothing.
   *
   * @throws {RangeError} When set to text longer than the array.
   * @throws {TypeError} When set to something other than a string, or, on a
   * `c` array, to text with a character above U+00FF (use `.raw` for UTF-8).
   *
   * @example Setting and reading
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const s = SharedArray("c", "hello");
   * s.value = "hi";
   * console.assert(s.value === "hi" && s.raw.join() === "104,105,0,108,111");
   * ```
   */
  get value(): string {
    const units = this.getObj();
    return locked(this.getLock(), () => readText(units));
  }

  /**
   * Writes the text, then a NUL if there is room, under the lock.
   *
   * @example Shorter text ends at its NUL
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const s = SharedArray("u", 8);
   * s.value = "déjà vu";
   * s.value = "ok";
   * console.assert(s.value === "ok");
   * ```
   */
  set value(text: string) {
    const units = this.getObj();
    const encoded = encodeText(text, this.typecode === "u", units.length, this.#what());
    locked(this.getLock(), () => writeText(units, encoded));
  }

  /**
   * A copy of every byte of a `c` array; setting writes bytes from the start
   * (no NUL added), all checked first.
   *
   * @throws {RangeError} When set to more bytes than the array holds, or a byte above 255.
   * @throws {TypeError} On a `u` array, or when a byte is not an integer.
   *
   * @example Raw bytes
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const buf = SharedArray("c", 4);
   * buf.raw = new Uint8Array([104, 105]);
   * console.assert(buf.value === "hi" && buf.raw.join() === "104,105,0,0");
   * ```
   */
  get raw(): BytesOf<T> {
    const bytes = this.#bytes();
    return locked(this.getLock(), () => bytes.slice()) as BytesOf<T>;
  }

  /**
   * Writes bytes from the start (no NUL added), under the lock.
   *
   * @example UTF-8 text
   * ```ts
   * import { SharedArray } from "@sabkit/sabkit";
   * const buf = SharedArray("c", 8);
   * buf.raw = new TextEncoder().encode("né");
   * console.assert(new TextDecoder().decode(buf.raw.subarray(0, 3)) === "né");
   * ```
   */
  set raw(bytes: BytesOf<T>) {
    const target = this.#bytes();
    const what = `the raw bytes of ${this.#what()}`;
    const source = toElements(specOf("B"), bytes, what, (n) => new Uint8Array(n)) as Uint8Array;
    if (source.length > target.length) {
      throw new RangeError(
        `The raw bytes of ${this.#what()} are at most ${target.length}, got ${source.length}`,
      );
    }
    locked(this.getLock(), () => target.set(source));
  }

  #bytes(): Uint8Array {
    if (this.typecode !== "c") throw new TypeError(`Only c arrays have raw bytes, not ${this.#what()}`);
    return this.getObj() as Uint8Array;
  }
}
