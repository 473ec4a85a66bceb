/**
 * The text views of `c` arrays and `u` arrays, as with ctypes: `.value` is
 * the text up to the first NUL.
 *
 * One rule for a `c` element everywhere (`get`/`set`, `.value`, `Value("c")`,
 * contents given as a string): it is one byte, read and written as a
 * one-character string from U+0000 to U+00FF (Latin-1), so whatever is
 * written reads back the same. A character above U+00FF is a `TypeError`;
 * UTF-8 text goes through `.raw` (`new TextEncoder().encode(text)`). A `u`
 * element is one UTF-16 code unit: any string, unit by unit.
 *
 * @module
 */

import { describe } from "./_describe.ts";

type Units = Uint8Array | Uint16Array;

/** The largest character code a `c` element holds. */
export const MAX_BYTE_CHAR = 0xff;

const UTF8_HINT = "for UTF-8 text, write new TextEncoder().encode(text) to a c array's .raw";

/** The index of the first character of `text` above U+00FF, or -1. */
export function firstWideChar(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > MAX_BYTE_CHAR) return i;
  return -1;
}

/** The whole character at `index` (both halves of a surrogate pair) and its code point. */
function charAt(text: string, index: number): string {
  const code = text.codePointAt(index)!;
  return `${describe(String.fromCodePoint(code))} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

/** The message for one `c` element that is not one byte. */
export function notOneByte(what: string, char: string): string {
  return `${what} must be a character from U+0000 to U+00FF (one byte), got ${charAt(char, 0)}; ${UTF8_HINT}`;
}

/** The message for text bound for `c` elements with a character at `index` that is not one byte. */
export function notBytes(what: string, text: string, index: number): string {
  return `${what} must be characters from U+0000 to U+00FF (one byte each), got ${
    charAt(text, index)
  } at index ${index} of ${describe(text)}; ${UTF8_HINT}`;
}

/** The text up to the first NUL, one character per unit. */
export function readText(units: Units): string {
  let end = units.indexOf(0);
  if (end < 0) end = units.length;
  let text = "";
  // Chunked: `fromCharCode` takes its units as arguments, and engines cap those.
  for (let i = 0; i < end; i += 8192) {
    text += String.fromCharCode(...units.subarray(i, Math.min(end, i + 8192)));
  }
  return text;
}

/**
 * Encodes `text` for an array of `capacity` units, one unit per character:
 * a `TypeError` for a character a `c` array cannot hold, a `RangeError` if it
 * does not fit. Nothing is written here.
 */
export function encodeText(text: unknown, wide: boolean, capacity: number, what: string): Units {
  if (typeof text !== "string") {
    throw new TypeError(`The value of ${what} must be a string, got ${describe(text)}`);
  }
  if (!wide) {
    const bad = firstWideChar(text);
    if (bad >= 0) throw new TypeError(notBytes(`The value of ${what}`, text, bad));
  }
  if (text.length > capacity) {
    const unit = wide ? "UTF-16 code units" : "characters (one byte each)";
    throw new RangeError(
      `The value of ${what} holds at most ${capacity} ${unit}, got ${text.length}: ${describe(text)}`,
    );
  }
  const units = wide ? new Uint16Array(text.length) : new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

/** Writes encoded text and, if there is room, a terminating NUL (the rest is left as it was, as in ctypes). */
export function writeText(target: Units, units: Units): void {
  target.set(units);
  if (units.length < target.length) target[units.length] = 0;
}
