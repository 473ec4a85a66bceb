/**
 * `node:assert/strict` as far as tests/_values.ts uses it, for the browser
 * bundle (scripts/test_browser.ts maps the import here): the suite checks
 * queue values with the same `assertSameAsClone` as the runtimes' tests.
 */
import { equal } from "./_assert.ts";

/** The subset of `node:assert/strict` the shared test helpers call. */
const assert = {
  /** Fails with `message`. */
  fail(message: string): never {
    throw new Error(message);
  },
  /** Fails unless `actual` is `expected` (`Object.is`). */
  equal(actual: unknown, expected: unknown, message?: string): void {
    if (!Object.is(actual, expected)) throw new Error(message ?? "values differ");
  },
  /** Fails unless the two are structurally equal. */
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    equal(actual, expected, message);
  },
};

export default assert;
