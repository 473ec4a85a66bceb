/**
 * The assertions of the browser suite (node:assert is not in a browser):
 * exact comparisons only, with messages that show both sides.
 */

/** A readable rendering of `x` (bigints, typed arrays, -0 and NaN kept apart). */
export function show(x: unknown): string {
  if (typeof x === "bigint") return `${x}n`;
  if (Object.is(x, -0)) return "-0";
  if (typeof x === "string") return JSON.stringify(x);
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    const items = [...(x as unknown as ArrayLike<unknown>) as unknown[]].map(show);
    return `${x.constructor.name}[${items.join(", ")}]`;
  }
  if (Array.isArray(x)) return `[${x.map(show).join(", ")}]`;
  if (typeof x === "object" && x !== null) {
    return `{ ${Object.entries(x).map(([k, v]) => `${k}: ${show(v)}`).join(", ")} }`;
  }
  return String(x);
}

/** Structural equality: same type, same constructor, `Object.is` on leaves. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a)) {
    const x = a as unknown as ArrayLike<unknown>;
    const y = b as unknown as ArrayLike<unknown>;
    return x.length === y.length && Array.prototype.every.call(x, (v, i) => Object.is(v, y[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

/** Fails with `message` (and both values) unless `actual` equals `expected` structurally. */
export function equal(actual: unknown, expected: unknown, message = "values differ"): void {
  if (!same(actual, expected)) {
    throw new Error(`${message}: got ${show(actual)}, expected ${show(expected)}`);
  }
}

/** Fails unless `value` is `true`. */
export function ok(value: boolean, message: string): void {
  if (value !== true) throw new Error(message);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Checks that `error` is exactly of `cls` (not a subclass) and that its message matches. */
export function isError(error: unknown, cls: ErrorClass, message: string | RegExp): void {
  if (!(error instanceof Error) || error.constructor !== cls) {
    throw new Error(`expected a ${cls.name}, got ${error instanceof Error ? error.stack : show(error)}`);
  }
  const matches = typeof message === "string" ? error.message === message : message.test(error.message);
  if (!matches) {
    throw new Error(`${cls.name} message ${show(error.message)} does not match ${String(message)}`);
  }
}

/** Runs `fn`, which must throw exactly a `cls` whose message matches. */
export function throws(fn: () => unknown, cls: ErrorClass, message: string | RegExp): void {
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    isError(e, cls, message);
  }
  if (!threw) throw new Error(`expected a ${cls.name}, nothing was thrown`);
}

/** Awaits `promise`, which must reject with exactly a `cls` whose message matches; returns the error. */
export async function rejects<E extends Error>(
  promise: Promise<unknown>,
  cls: abstract new (...args: never[]) => E,
  message: string | RegExp,
): Promise<E> {
  try {
    await promise;
  } catch (e) {
    isError(e, cls, message);
    return e as E;
  }
  throw new Error(`expected a rejection with a ${cls.name}, the promise resolved`);
}
