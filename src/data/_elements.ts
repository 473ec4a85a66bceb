/**
 * Sizes, indices and contents of shared arrays, all checked before any
 * shared memory is written: a rejected input changes nothing.
 *
 * @module
 */

import { encode, type Spec } from "../core/_codec.ts";
import { describe } from "../core/_describe.ts";
import { typedArrayName } from "../core/_handle.ts";
import { firstWideChar, notBytes } from "../core/_text.ts";
import type { AnyElementArray } from "../core/typecodes.ts";

/** The most elements one shared array may have. */
export const MAX_LENGTH: number = 2 ** 32 - 1;

/** Checks an array size. */
export function checkLength(size: unknown, what: string): number {
  if (typeof size !== "number") throw new TypeError(`${what} must be a number, got ${describe(size)}`);
  if (!Number.isInteger(size) || size < 0 || size > MAX_LENGTH) {
    throw new RangeError(`${what} must be an integer from 0 to ${MAX_LENGTH}, got ${size}`);
  }
  return size;
}

/** Zeroed shared memory for `length` elements of `what`; a `RangeError` when it cannot be had. */
export function allocShared(s: Spec, length: number, what: string): AnyElementArray {
  checkLength(length, `The size of ${what}`);
  let buffer: SharedArrayBuffer;
  try {
    buffer = new SharedArrayBuffer(length * s.bytes);
  } catch (cause) {
    throw new RangeError(`Cannot allocate ${length * s.bytes} bytes of shared memory for ${what}`, { cause });
  }
  return new s.Array(buffer);
}

/** Checks an index (negative counts from the end) and returns it in `0..length-1`. */
export function checkIndex(index: unknown, length: number, what: string): number {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(`The index into ${what} must be an integer, got ${describe(index)}`);
  }
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) {
    throw new RangeError(`Index ${index} is out of range for ${what} of length ${length}`);
  }
  return i;
}

/**
 * Checks every element of `source` and returns them stored: `source` itself
 * when it is a typed array of the element class (raw, valid by construction;
 * known by its internal slots, so a Proxy or look-alike is checked element by
 * element), else a new array from `alloc`. A string gives `c` elements
 * (characters U+0000..U+00FF, one byte each) or `u` elements (UTF-16 code
 * units). Each property of `source` is read once.
 */
export function toElements(
  s: Spec,
  source: unknown,
  what: string,
  alloc: (length: number) => AnyElementArray,
): AnyElementArray {
  if (typedArrayName(source) === s.Array.name) return source as AnyElementArray;
  if (typeof source === "string") {
    if (s.kind === "char") {
      const bad = firstWideChar(source);
      if (bad >= 0) throw new TypeError(notBytes(`The contents of ${what}`, source, bad));
    } else if (s.kind !== "wchar") {
      throw new TypeError(
        `${sentence(what)} cannot be made from a string (only c and u arrays can), got ${describe(source)}`,
      );
    }
    const n = checkLength(source.length, `The length of the contents of ${what}`);
    const out = alloc(n);
    for (let i = 0; i < n; i++) out[i] = source.charCodeAt(i);
    return out;
  }
  if (typeof source !== "object" || source === null) throw notElements(what, source);
  const obj = source as { length?: unknown; [Symbol.iterator]?: unknown };
  const length = obj.length;
  let items: ArrayLike<unknown>;
  let n: number;
  if (typeof length === "number") {
    n = checkLength(length, `The length of the contents of ${what}`);
    items = obj as ArrayLike<unknown>;
  } else if (typeof obj[Symbol.iterator] === "function") {
    items = Array.from(obj as Iterable<unknown>);
    n = checkLength(items.length, `The length of the contents of ${what}`);
  } else {
    throw notElements(what, source);
  }
  const out = alloc(n);
  for (let i = 0; i < n; i++) {
    (out as { [i: number]: number | bigint })[i] = encode(s, items[i], `Element ${i} of ${what}`);
  }
  return out;
}

function notElements(what: string, source: unknown): TypeError {
  return new TypeError(
    `${sentence(what)} must be made from an array-like or an iterable, got ${describe(source)}`,
  );
}

/** `what` at the start of a sentence. */
function sentence(what: string): string {
  return what.charAt(0).toUpperCase() + what.slice(1);
}

/** Shared memory for `sizeOrInit`: a size (zero-filled) or the contents, checked before anything is shared. */
export function newShared(spec: Spec, sizeOrInit: unknown, what: string): AnyElementArray {
  if (typeof sizeOrInit === "number") return allocShared(spec, sizeOrInit, what);
  if (sizeOrInit === undefined || sizeOrInit === null) {
    throw new TypeError(`${what} needs a size or initial contents, got ${describe(sizeOrInit)}`);
  }
  const elements = toElements(spec, sizeOrInit, what, (n) => allocShared(spec, n, what));
  if (elements !== sizeOrInit) return elements;
  // A typed array of the element class is copied raw into new memory.
  const out = allocShared(spec, elements.length, what);
  (out as Uint8Array).set(elements as Uint8Array);
  return out;
}
