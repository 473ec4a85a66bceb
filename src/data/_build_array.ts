/**
 * How `SharedArray()` and `copy()` build a synchronized array whose typecode
 * its typed array cannot tell (`c` and `?` are both `Uint8Array`s).
 *
 * @module
 */

import { construct } from "../core/_handle.ts";
import { type ArrayParts, isText } from "./_array_kind.ts";
import { SynchronizedArray } from "./synchronized_array.ts";
import { SynchronizedString } from "./synchronized_string.ts";

/** A `SynchronizedString` for `c` and `u`, else a `SynchronizedArray`, of exactly `parts.spec`. */
export function buildArray({ spec, obj, lock }: ArrayParts): SynchronizedArray | SynchronizedString {
  return construct(
    { typecode: spec.code },
    () =>
      isText(spec)
        ? new SynchronizedString(obj as Uint8Array<SharedArrayBuffer>, lock)
        : new SynchronizedArray(obj as Float64Array<SharedArrayBuffer>, lock),
  );
}
