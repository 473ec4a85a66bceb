/**
 * The shape of a queue's memory (`maxsize`, `bytes`), checked once for the
 * constructors and for revive.
 *
 * @module
 */

import { describe } from "../core/_describe.ts";
import { BYTES, MAX_BYTES, MAXSIZE, MIN_BYTES, ringBytes } from "./_items.ts";

/** The default shared memory for items in flight: 64 KiB. */
export const DEFAULT_BYTES = 65536;
/** The largest `maxsize`. */
export const MAX_MAXSIZE: number = 2 ** 31 - 1;

/** What a queue's handle carries besides its memory. */
export interface QueueMeta {
  /** The most items (0: no limit but the bytes). */
  maxsize: number;
  /** The bytes for items in flight (a multiple of 8). */
  bytes: number;
}

/** Checks one size option: `TypeError` if not a number, `RangeError` out of range. */
export function checkSize(x: unknown, name: string, min: number, max: number, what: string): number {
  if (typeof x !== "number") {
    throw new TypeError(`The ${name} option of ${what} must be a number, got ${describe(x)}`);
  }
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new RangeError(
      `The ${name} option of ${what} must be an integer from ${min} to ${max}, got ${describe(x)}`,
    );
  }
  return x;
}

/** Checks `bytes` (rounded up to a multiple of 8). */
export function checkBytes(bytes: unknown, what: string): number {
  return (checkSize(bytes, "bytes", MIN_BYTES, MAX_BYTES, what) + 7) & ~7;
}

/** Checks the options of a queue constructor; `withMaxsize`: whether it takes a `maxsize`. */
export function queueOptions(options: unknown, what: string, withMaxsize: boolean): QueueMeta {
  if (options === undefined) return { maxsize: 0, bytes: DEFAULT_BYTES };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`The options of ${what} must be an object, got ${describe(options)}`);
  }
  const { maxsize = 0, bytes = DEFAULT_BYTES } = options as Partial<QueueMeta>;
  const m = withMaxsize ? checkSize(maxsize, "maxsize", 0, MAX_MAXSIZE, what) : 0;
  return { maxsize: m, bytes: checkBytes(bytes, what) };
}

/** The bytes a queue of a revived `meta` spans (a `TypeError` for a meta no queue has). */
export function queueBytes(meta: unknown): number {
  try {
    const m = queueOptions(meta, "a queue", true);
    if (typeof meta !== "object" || (meta as QueueMeta).bytes !== m.bytes) throw new TypeError("bytes");
    return ringBytes(m.bytes);
  } catch (e) {
    throw new TypeError(`Cannot revive a sabkit object: the queue meta is invalid (${(e as Error).message})`);
  }
}

/** Throws unless revived memory holds the shape `meta` says. */
export function checkShape(i32: Int32Array, meta: QueueMeta, kind: string): void {
  if (i32[BYTES] !== meta.bytes || i32[MAXSIZE] !== meta.maxsize) {
    throw new TypeError(`Cannot revive a sabkit object: the memory does not hold this ${kind}`);
  }
}
