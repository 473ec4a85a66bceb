/**
 * `@sabkit/sabkit/pool`: `Pool` (Python's `multiprocessing.Pool`, on
 * workers that take their tasks from shared memory) and `WorkerExitError`.
 *
 * @example A pool of two workers
 * ```ts ignore
 * import { Pool } from "@sabkit/sabkit/pool";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url), { processes: 2 });
 * console.log(await pool.map("square", [1, 2, 3]));
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
export * from "../process/process.ts";
export * from "../process/revive.ts";
export * from "./pool.ts";
export * from "./worker_exit_error.ts";
