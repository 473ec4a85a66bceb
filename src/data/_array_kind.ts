/**
 * How a `SynchronizedArray` (kind "SynchronizedArray") is checked when it
 * survives `postMessage`, and which class builds one. The handle's meta is
 * `{ typecode, obj, lock }`: the typed array crosses by structured clone on
 * the same `SharedArrayBuffer`, the lock is revived first. A `c` or `u`
 * array is a `SynchronizedString`, which registers itself here (from its
 * `static` block) so this module needs no import of it and stays acyclic.
 *
 * @module
 */

import { type Spec, specOf } from "../core/_codec.ts";
import { forgedMeta } from "./_options.ts";
import { describe, withArticle } from "../core/_describe.ts";
import { liveKind, objectMemory, sharedLength, viewOf } from "../core/_handle.ts";
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
}

/** A class that builds arrays of one element class, such as the `SynchronizedString` class. */
// deno-lint-ignore no-explicit-any
export type ArrayClass = new (obj: any, lock?: Lock | RLock) => object;

let textClass: ArrayClass | undefined;

/** Called once by `SynchronizedString`'s static block: the class of `c` and `u` arrays. */
export function setTextClass(cls: ArrayClass): void {
  textClass = cls;
}

/** The class of `c` and `u` arrays, or `undefined` while it is not loaded. */
export function getTextClass(): ArrayClass | undefined {
  return textClass;
}

/** Whether a spec is text (`c` or `u`): its arrays are `SynchronizedString`s. */
export function isText(spec: Spec): boolean {
  return spec.kind === "char" || spec.kind === "wchar";
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

/** The parts a revived handle's `meta` holds, checked (a forged one is a `TypeError`). */
export function partsOf(meta: unknown): ArrayParts {
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
  // liveKind, not instanceof: it runs no user code while the handle waits in the construct slot.
  if (liveKind(lock) !== "Lock" && liveKind(lock) !== "RLock") {
    forgedMeta(`the SynchronizedArray lock is ${describe(lock)}`);
  }
  return { spec, obj: obj as AnyElementArray, lock: lock as Lock | RLock };
}
