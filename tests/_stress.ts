/**
 * Sizes of the stress tests. CI runs the small default; `SABKIT_STRESS=full`
 * (what `npm run stress` sets) runs the sizes of the reliability issue.
 */

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  try {
    return p?.env?.[name];
  } catch {
    // Deno without --allow-env: the small default.
    return undefined;
  }
}

/** Whether the full sizes were asked for. */
export const full: boolean = env("SABKIT_STRESS") === "full";

/** `ci` normally, `big` under `SABKIT_STRESS=full`. */
export function size(ci: number, big: number): number {
  return full ? big : ci;
}

/** Formats a count with thousands separators, for test names. */
export function n(x: number): string {
  return x.toLocaleString("en-US");
}
