/**
 * Validation of the counts the synchronization primitives take (initial
 * values, release amounts, parties), so every one words its errors alike.
 *
 * @module
 */

import { describe } from "../core/_describe.ts";

/**
 * Returns `x` if it is an integer in `min..max` (or `Infinity` when
 * `allowInfinity`). A non-number is a `TypeError`; any other number outside
 * the range is a `RangeError`. `what` names the value in sentence case.
 */
export function checkCount(
  x: unknown,
  what: string,
  min: number,
  max: number,
  allowInfinity = false,
): number {
  if (typeof x !== "number") throw new TypeError(`${what} must be a number, got ${describe(x)}`);
  if (allowInfinity && x === Infinity) return x;
  if (!Number.isInteger(x) || x < min || x > max) {
    const range = allowInfinity ? `of at least ${min}, or Infinity` : `from ${min} to ${max}`;
    throw new RangeError(`${what} must be an integer ${range}, got ${describe(x)}`);
  }
  return x;
}
