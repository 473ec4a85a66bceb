/** Sabkit objects as another thread receives them, for the tests that forge handles. */

/** A received handle's fields (a test may replace any of them). */
export type Wire = Record<string, unknown>;

/** A sabkit object as another thread receives it: `{ __sabkit: handle }`. */
export function clone(x: object): { __sabkit: Wire } {
  return structuredClone(x) as unknown as { __sabkit: Wire };
}
