/**
 * Revives the sabkit objects inside a value the queue just decoded, in
 * place. `revive` copies every array, object, `Map` and `Set` it walks (it
 * must not change what a caller gave it), which would drop an array's holes
 * and extra properties; a decoded value is the queue's own, so its handle
 * records are replaced where they are and everything else stays as
 * `structuredClone` would give it.
 *
 * @module
 */

import { HANDLE_KEY, reviveLoaded } from "../core/_handle.ts";

function isRecord(x: object): boolean {
  return Object.getPrototypeOf(x) === Object.prototype && Object.hasOwn(x, HANDLE_KEY) &&
    Object.keys(x).length === 1;
}

/** `value` with every handle record inside replaced by its live sabkit object (the same one each time). */
export function reviveInPlace(value: unknown): unknown {
  const revived = new Map<object, unknown>();
  const seen = new Set<object>();
  const stack: object[] = [];
  const fix = (x: unknown): unknown => {
    if (typeof x !== "object" || x === null) return x;
    if (isRecord(x)) {
      let r = revived.get(x);
      if (r === undefined) {
        r = reviveLoaded(x);
        revived.set(x, r);
      }
      return r;
    }
    if (!seen.has(x)) {
      seen.add(x);
      stack.push(x);
    }
    return x;
  };
  const root = fix(value);
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x instanceof Map) {
      const entries = [...x];
      const fixed = entries.map(([k, v]) => [fix(k), fix(v)] as const);
      if (fixed.some(([k, v], i) => k !== entries[i][0] || v !== entries[i][1])) {
        x.clear();
        for (const [k, v] of fixed) x.set(k, v);
      }
    } else if (x instanceof Set) {
      const items = [...x];
      const fixed = items.map(fix);
      if (fixed.some((v, i) => v !== items[i])) {
        x.clear();
        for (const v of fixed) x.add(v);
      }
    } else if (
      Array.isArray(x) || Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null
    ) {
      const o = x as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const v = o[k];
        const f = fix(v);
        if (f !== v) o[k] = f;
      }
    } else if (x instanceof Error && Object.hasOwn(x, "cause")) {
      const e = x as { cause?: unknown };
      const f = fix(e.cause);
      if (f !== e.cause) e.cause = f;
    }
  }
  return root;
}
