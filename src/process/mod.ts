/**
 * `@sabkit/sabkit/process`: `Process` (Python's `multiprocessing.Process`
 * on a worker thread), `cpuCount()` and `revive()`.
 *
 * @example Counting the cores
 * ```ts
 * import { cpuCount } from "@sabkit/sabkit/process";
 * console.assert(cpuCount() >= 1);
 * ```
 *
 * @module
 */

export * from "./process.ts";
export * from "./revive.ts";
