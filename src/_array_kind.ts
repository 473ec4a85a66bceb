/**
 * How a `SynchronizedArray` (tag 10) survives `postMessage`. The handle's
 * meta is `{ typecode, obj, lock }`: the typed array crosses by structured
 * clone on the same `SharedArrayBuffer`, the lock is revived first. The class
 * to build (`SynchronizedArray` or `SynchronizedString`) is chosen by the
 * factory `synchronized_string.ts` installs, which keeps the modules acyclic.
 *
 * @module
 */

import { type Spec, specOf } from "./_codec.ts";
import { forgedMeta } from "./_options.ts";
import { describe } from "./_describe.ts";
import { defineKind, type Handle, type Kind } from "./_handle.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import type { AnyElementArray } from "./typecodes.ts";

/** The memory of the wrapper itself: the magic word and the typecode word. */
export const ARRAY_BYTES = 8;
/** The header's second word: the typecode's char code, so a handle cannot re-type the elements. */
export const ARRAY_TYPECODE = 1;

/** Everything a synchronized array is made of. */
export interface ArrayParts {
  /** The typecode (`c`, `u` and `?` share their typed array class with `B` and `H`). */
  spec: Spec;
  /** The shared typed array. */
  obj: AnyElementArray;
  /** Its lock. */
  lock: Lock | RLock;
  /** The received handle, when reviving. */
  handle?: Handle;
}

let preset: ArrayParts | undefined;
let factory: ((parts: ArrayParts) => object) | undefined;

/** Installs the constructor call `build` uses. */
export function setArrayFactory(make: (parts: ArrayParts) => object): void {
  factory = make;
}

/** Builds a synchronized array from known parts (the typecode cannot always be read off the class). */
export function buildArray(parts: ArrayParts): object {
  preset = parts;
  try {
    return factory!(parts);
  } finally {
    preset = undefined;
  }
}

/** The parts `buildArray` set, for the constructor that runs now; `undefined` for a plain `new`. */
export function takeArrayParts(): ArrayParts | undefined {
  const parts = preset;
  preset = undefined;
  return parts;
}

/** Whether a constructor call is already supplied with parts. */
export function hasArrayParts(): boolean {
  return preset !== undefined;
}

/** Supplies parts to the next constructor call (a subclass before `super()`). */
export function presetArrayParts(parts: ArrayParts): void {
  preset = parts;
}

function partsOf(meta: unknown): ArrayParts {
  const { typecode, obj, lock } = (meta ?? {}) as { typecode?: unknown; obj?: unknown; lock?: unknown };
  let spec: Spec;
  try {
    spec = specOf(typecode);
  } catch {
    return forgedMeta(`the SynchronizedArray typecode is ${describe(typecode)}`);
  }
  if (!(obj instanceof spec.Array && obj.buffer instanceof SharedArrayBuffer)) {
    forgedMeta(`the SynchronizedArray("${spec.code}") holds ${describe(obj)}`);
  }
  if (!(lock instanceof Lock || lock instanceof RLock)) {
    forgedMeta(`the SynchronizedArray lock is ${describe(lock)}`);
  }
  return { spec, obj, lock };
}

/** The registered kind of every synchronized array. */
export const ARRAY_KIND: Kind<object> = defineKind({
  name: "SynchronizedArray",
  tag: 10,
  byteLength: (meta: unknown) => (partsOf(meta), ARRAY_BYTES),
  revive: (handle: Handle) => {
    const parts = partsOf(handle.meta);
    const stored = Atomics.load(new Int32Array(handle.buffer, handle.byteOffset, 2), ARRAY_TYPECODE);
    if (stored !== parts.spec.code.charCodeAt(0)) {
      forgedMeta(
        `the SynchronizedArray typecode is "${parts.spec.code}", but its memory holds ${
          describe(String.fromCharCode(stored))
        }`,
      );
    }
    return buildArray({ ...parts, handle });
  },
});
