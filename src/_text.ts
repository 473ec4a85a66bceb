/**
 * The text views of `c` arrays (UTF-8 bytes) and `u` arrays (UTF-16 code
 * units): `.value` is the text up to the first NUL, as with ctypes.
 *
 * @module
 */

import { describe } from "./_describe.ts";

type Units = Uint8Array | Uint16Array;

/** The text up to the first NUL (a copy: `TextDecoder` refuses shared memory). */
export function readText(units: Units): string {
  let end = units.indexOf(0);
  if (end < 0) end = units.length;
  if (units instanceof Uint8Array) return new TextDecoder().decode(units.slice(0, end));
  let text = "";
  // Chunked: `fromCharCode` takes its units as arguments, and engines cap those.
  for (let i = 0; i < end; i += 8192) {
    text += String.fromCharCode(...units.subarray(i, Math.min(end, i + 8192)));
  }
  return text;
}

/** Encodes `text` for an array of `capacity` units; a `RangeError` if it does not fit. */
export function encodeText(text: unknown, wide: boolean, capacity: number, what: string): Units {
  if (typeof text !== "string") {
    throw new TypeError(`The value of ${what} must be a string, got ${describe(text)}`);
  }
  let units: Units;
  if (wide) {
    units = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  } else {
    units = new TextEncoder().encode(text);
  }
  if (units.length > capacity) {
    const unit = wide ? "UTF-16 code units" : "UTF-8 bytes";
    throw new RangeError(
      `The value of ${what} holds at most ${capacity} ${unit}, got ${units.length}: ${describe(text)}`,
    );
  }
  return units;
}

/** Writes encoded text and, if there is room, a terminating NUL (the rest is left as it was, as in ctypes). */
export function writeText(target: Units, units: Units): void {
  target.set(units);
  if (units.length < target.length) target[units.length] = 0;
}
