/**
 * `@sabkit/sabkit/data`: Python's `multiprocessing.sharedctypes`: `Value`,
 * `RawValue`, `Array` (also `SharedArray`), `RawArray`, `copy`,
 * `synchronized`, with Python's typecodes.
 *
 * @example A shared counter
 * ```ts
 * import { Value } from "@sabkit/sabkit/data";
 * const counter = Value("i", 0);
 * {
 *   using _ = counter.guard();
 *   counter.value += 1;
 * }
 * console.assert(counter.value === 1);
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
export * from "../core/protocol.ts";
export * from "../core/lock_wrapper.ts";
export * from "../core/typecodes.ts";
export * from "./raw_value.ts";
export * from "./synchronized_base.ts";
export * from "./value.ts";
export * from "./raw_array.ts";
export * from "./synchronized_array.ts";
export * from "./synchronized_string.ts";
export * from "./array.ts";
export * from "./sharedctypes.ts";
