/**
 * The options every shared-data constructor shares: the `lock` option, the
 * options object, and the checks of a received handle's kind-specific part.
 *
 * @module
 */

import { describe } from "../core/_describe.ts";
import { liveKind } from "../core/_handle.ts";
import { Lock } from "../lock/lock.ts";
import { RLock } from "../lock/rlock.ts";

/** A received handle whose kind-specific part does not check out. */
export function forgedMeta(why: string): never {
  throw new TypeError(`Cannot revive a sabkit object: ${why}`);
}

/** The `lock` option: a new `RLock` for `true`/`undefined`, `null` for `false` (where allowed), else a `Lock`/`RLock`. */
export function lockOption(option: unknown, what: string, allowFalse = true): Lock | RLock | null {
  if (option === undefined || option === true) return new RLock();
  if (option === false && allowFalse) return null;
  const expected = allowFalse ? "a boolean, a Lock or an RLock" : "a Lock or an RLock";
  const kind = liveKind(option);
  if (kind === "Lock" || kind === "RLock") return option as Lock | RLock;
  if (option instanceof Lock || option instanceof RLock) {
    // `Object.create(Lock.prototype)` passes instanceof but has no memory behind it.
    throw new TypeError(`The lock of ${what} must be ${expected} made by its constructor, got a look-alike`);
  }
  throw new TypeError(`The lock of ${what} must be ${expected}, got ${describe(option)}`);
}

const TRY = Object.freeze({ blocking: false });

/**
 * Calls `body` holding `lock`. Trying first lets uncontended reads and writes
 * work even where blocking is forbidden (a browser window's main thread).
 */
export function locked<T>(lock: Lock | RLock, body: () => T): T {
  if (!lock.acquire(TRY)) lock.acquire();
  try {
    return body();
  } finally {
    lock.release();
  }
}

/** An options argument: `undefined` or an object. */
export function optionsOf<T extends object>(options: T | undefined, what: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`The options of ${what} must be an object, got ${describe(options)}`);
  }
  return options;
}
