/**
 * How a `SynchronizedArray` (tag 10) survives `postMessage`. The handle's
 * meta is `{ typecode, obj, lock }`: the typed array crosses by structured
 * clone on the same `SharedArrayBuffer`, the lock is revived first. The class
 * to build (`SynchronizedArray` or `SynchronizedString`) is chosen by the
 * factory `synchronized_string.ts` installs, which keeps the modules acyclic.
 *
 * @module
 */

import { type Spec, specOf } from "../core/_codec.ts";
import { forgedMeta } from "./_options.ts";
import { describe, withArticle } from "../core/_describe.ts";
import {
  defineKind,
  type Handle,
  isLive,
  type Kind,
  objectMemory,
  sharedLength,
  viewOf,
} from "../core/_handle.ts";
import { Lock } from "../lock/lock.ts";
import { RLock } from "../lock/rlock.ts";
import type { AnyElementArray } from "../core/typecodes.ts";

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

/**
 * Why `obj` cannot be the data of a synchronized array of `spec` (`undefined`
 * when it can): it must be a genuine typed array of the spec's class (read
 * from its internal slots, so neither a Proxy nor a look-alike passes) on a
 * `SharedArrayBuffer` that is not a sabkit object's own memory (a view on a
 * Lock's words would lock it when written).
 */
export function dataFault(obj: unknown, spec: Spec): string | undefined {
  const view = viewOf(obj);
  if (view === undefined || view.name !== spec.Array.name) {
    return `${describe(obj)}, not ${withArticle(spec.Array.name)}`;
  }
  if (sharedLength(view.buffer) === undefined) {
    return `${withArticle(view.name)} that is not on a SharedArrayBuffer`;
  }
  const owner = objectMemory(view.buffer as SharedArrayBuffer);
  if (owner !== undefined) return `${withArticle(view.name)} on the memory of ${owner}`;
  return undefined;
}

function partsOf(meta: unknown): ArrayParts {
  // `meta` is the copy `revive` made: plain data read once, nothing that can change under the checks.
  const { typecode, obj, lock } = (meta ?? {}) as { typecode?: unknown; obj?: unknown; lock?: unknown };
  let spec: Spec;
  try {
    spec = specOf(typecode);
  } catch {
    return forgedMeta(`the SynchronizedArray typecode is ${describe(typecode)}`);
  }
  const fault = dataFault(obj, spec);
  if (fault !== undefined) forgedMeta(`the SynchronizedArray("${spec.code}") holds ${fault}`);
  if (!isLive(lock) || !(lock instanceof Lock || lock instanceof RLock)) {
    forgedMeta(`the SynchronizedArray lock is ${describe(lock)}`);
  }
  return { spec, obj: obj as AnyElementArray, lock };
}

/** The registered kind of every synchronized array. */
export const ARRAY_KIND: Kind<object> = defineKind({
  name: "SynchronizedArray",
  tag: 10,
  bytes: ARRAY_BYTES,
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
