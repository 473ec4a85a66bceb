/**
 * Renders user values for error messages.
 *
 * @module
 */

/** A short, safe rendering of a user value for error messages. */
export function describe(x: unknown): string {
  if (typeof x === "string") return JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x);
  if (typeof x === "bigint") return `${x}n`;
  if (x === null || typeof x !== "object" && typeof x !== "function") return String(x);
  if (typeof x === "function") return `function ${x.name || "(anonymous)"}`;
  const name = Object.getPrototypeOf(x)?.constructor?.name;
  if (!name) return "an object";
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}
