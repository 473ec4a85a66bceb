/**
 * Renders user values for error messages.
 *
 * @module
 */

import { KIND_NAMES_BY_PROTOTYPE } from "./_names.ts";

/**
 * A short, safe rendering of a user value for error messages. It never throws
 * and never runs user code it can avoid: names are taken only from data
 * properties (no getters run), and a Proxy whose traps throw (or a revoked
 * one) is rendered generically, so a bad argument is reported by sabkit's own
 * error rather than by whatever a trap throws.
 */
export function describe(x: unknown): string {
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  if (typeof x === "bigint") return `${x}n`;
  if (x === null || typeof x !== "object" && typeof x !== "function") return String(x);
  try {
    if (typeof x === "function") {
      const name = dataProperty(x, "name");
      return `function ${typeof name === "string" && name !== "" ? name.slice(0, 40) : "(anonymous)"}`;
    }
    const proto = Object.getPrototypeOf(x);
    const kind = proto === null ? undefined : KIND_NAMES_BY_PROTOTYPE.get(proto);
    if (kind !== undefined) return withArticle(kind);
    const ctor = proto === null ? undefined : dataProperty(proto, "constructor");
    const name = typeof ctor === "function" ? dataProperty(ctor, "name") : undefined;
    if (typeof name !== "string" || name === "") return "an object";
    return withArticle(name.slice(0, 40));
  } catch {
    // A Proxy trap threw, or the proxy was revoked.
    return typeof x === "function" ? "a function" : "an object";
  }
}

/** An own data property's value; `undefined` for an accessor (whose getter is not run) or none. */
function dataProperty(o: object, key: string): unknown {
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d !== undefined && "value" in d ? d.value : undefined;
}

/**
 * `name` with "a" or "an" before it, as it is said: "an Int32Array", "a
 * Lock", "an RLock" (a capital said as a letter), "a Uint8Array".
 */
export function withArticle(name: string): string {
  return /^(?:[AEIO]|U(?!int)|[FHLMNRSX][A-Z])/.test(name) ? `an ${name}` : `a ${name}`;
}
