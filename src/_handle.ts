/**
 * What survives `postMessage`: every sabkit object carries one own enumerable
 * property, {@linkcode HANDLE_KEY}, holding a structured-clone-safe record of
 * the memory it lives on. Structured clone keeps only that record; `revive`
 * checks it and builds a live object on the same memory. Anything forged is a
 * `TypeError`, never a silent view on the wrong bytes.
 *
 * @module
 */

import { adoptDomain, domainBuffer, isDomain } from "./_agent.ts";
import { describe } from "./_describe.ts";

/** The property that carries a sabkit object's handle through structured clone. */
export const HANDLE_KEY = "__sabkit";
const BRAND = "sabkit/1";
/** The first word of every object's memory is `MAGIC_BASE + tag` of its kind. */
const MAGIC_BASE = 0x5ab00000;
/** Every object's memory starts on an 8-byte boundary (bigint and float64 views). */
const ALIGN = 8;

/** The structured-clone-safe description of a sabkit object. */
export interface Handle {
  /** Always `"sabkit/1"`. */
  readonly brand: string;
  /** The registered kind (`"Lock"`, `"RLock"`, …). */
  readonly kind: string;
  /** The shared memory the object lives on. */
  readonly buffer: SharedArrayBuffer;
  /** Where the object starts in `buffer`. */
  readonly byteOffset: number;
  /** How many bytes it spans. */
  readonly byteLength: number;
  /** The agent-id domain of the program that made it. */
  readonly domain: SharedArrayBuffer;
  /** Kind-specific plain data; may contain other sabkit objects. */
  readonly meta: unknown;
}

/** How one kind of object is checked and brought back to life. */
export interface Kind<T extends object> {
  /** The kind's name, as found in `Handle.kind`. */
  readonly name: string;
  /** A small integer unique to the kind; its memory's first word is `MAGIC_BASE + tag`. */
  readonly tag: number;
  /** The byte length the memory must have, computed from the revived `meta`. */
  byteLength(meta: unknown): number;
  /** Builds the live object; `meta` is already revived. */
  revive(handle: Handle): T;
}

const kinds = new Map<string, Kind<object>>();

/** Registers a kind so `revive` can rebuild it. */
export function defineKind<T extends object>(kind: Kind<T>): Kind<T> {
  kinds.set(kind.name, kind);
  return kind;
}

/** Allocates zeroed, aligned shared memory for a new object of `kind`. */
export function allocate(kind: Kind<object>, byteLength: number): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(Math.ceil(byteLength / ALIGN) * ALIGN));
  i32[0] = MAGIC_BASE + kind.tag;
  return i32;
}

/** Attaches the handle to a live object (the only own enumerable property it has). */
export function brand(
  target: object,
  kind: Kind<object>,
  buffer: SharedArrayBuffer,
  byteOffset: number,
  byteLength: number,
  meta: unknown = null,
): void {
  const handle: Handle = {
    brand: BRAND,
    kind: kind.name,
    buffer,
    byteOffset,
    byteLength,
    domain: domainBuffer(),
    meta,
  };
  Object.defineProperty(target, HANDLE_KEY, { value: handle, enumerable: true });
}

/** The handle of a live sabkit object, or `undefined`. */
export function handleOf(x: unknown): Handle | undefined {
  if (typeof x !== "object" || x === null || !Object.hasOwn(x, HANDLE_KEY)) return undefined;
  return (x as Record<string, Handle>)[HANDLE_KEY];
}

function isInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function forged(why: string): never {
  throw new TypeError(`Cannot revive a sabkit object: ${why}`);
}

/** Checks a received handle record and returns the live object. */
function reviveHandle(record: unknown, seen: Map<object, unknown>): object {
  if (typeof record !== "object" || record === null) forged(`the handle is ${describe(record)}`);
  const h = record as Partial<Handle>;
  if (h.brand !== BRAND) forged(`the brand is ${describe(h.brand)}, expected "${BRAND}"`);
  const kind = typeof h.kind === "string" ? kinds.get(h.kind) : undefined;
  if (kind === undefined) forged(`unknown kind ${describe(h.kind)}`);
  const { buffer, byteOffset, byteLength } = h;
  if (!(buffer instanceof SharedArrayBuffer)) {
    forged(`the ${kind.name} memory is ${describe(buffer)}, not a SharedArrayBuffer`);
  }
  if (!isInteger(byteOffset) || byteOffset % ALIGN !== 0) {
    forged(`the ${kind.name} byte offset ${describe(byteOffset)} is not a multiple of ${ALIGN}`);
  }
  const meta = walk(h.meta, seen);
  const expected = kind.byteLength(meta);
  if (byteLength !== expected) {
    forged(`the ${kind.name} byte length is ${describe(byteLength)}, expected ${expected}`);
  }
  if (byteOffset + expected > buffer.byteLength) {
    forged(
      `the ${kind.name} spans bytes ${byteOffset}..${
        byteOffset + expected
      } of a ${buffer.byteLength}-byte buffer`,
    );
  }
  const word = Atomics.load(new Int32Array(buffer, byteOffset, 1), 0);
  if (word !== MAGIC_BASE + kind.tag) forged(`the memory does not hold a ${kind.name}`);
  if (!isDomain(h.domain)) forged(`the agent domain is ${describe(h.domain)}`);
  adoptDomain(h.domain);
  return kind.revive({ ...(h as Handle), meta });
}

function walk(x: unknown, seen: Map<object, unknown>): unknown {
  if (typeof x !== "object" || x === null) return x;
  if (seen.has(x)) return seen.get(x);
  if (Object.hasOwn(x, HANDLE_KEY)) {
    // A live object (revived already, or never posted) stays as it is.
    if (Object.keys(x).length === 1 && Object.getPrototypeOf(x) === Object.prototype) {
      const live = reviveHandle((x as Record<string, unknown>)[HANDLE_KEY], seen);
      seen.set(x, live);
      return live;
    }
    return x;
  }
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    seen.set(x, out);
    for (const item of x) out.push(walk(item, seen));
    return out;
  }
  if (x instanceof Map) {
    const out = new Map();
    seen.set(x, out);
    for (const [k, v] of x) out.set(walk(k, seen), walk(v, seen));
    return out;
  }
  if (x instanceof Set) {
    const out = new Set();
    seen.set(x, out);
    for (const v of x) out.add(walk(v, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return x;
  const out: Record<string, unknown> = {};
  seen.set(x, out);
  for (const [k, v] of Object.entries(x)) out[k] = walk(v, seen);
  return out;
}

/**
 * Makes every sabkit object inside a value received through `postMessage`
 * (or `workerData`) live again, on the same shared memory. Walks arrays,
 * plain objects, `Map`s and `Set`s; returns other values unchanged.
 *
 * @param value What arrived from another thread.
 * @returns `value`, with sabkit objects revived (containers are copied).
 * @throws {TypeError} If a sabkit handle inside was forged or truncated.
 *
 * @example Reviving a lock received from the main thread
 * ```ts ignore
 * import { type Lock, revive } from "@sabkit/sabkit";
 * self.onmessage = (e: MessageEvent) => {
 *   const { lock } = revive(e.data) as { lock: Lock };
 *   using _ = lock.guard();
 * };
 * ```
 */
export function revive<T>(value: T): T {
  return walk(value, new Map()) as T;
}
