/**
 * `WorkerExitError`: a task's worker ended before the task did.
 *
 * @module
 */

import { ProcessError } from "../process/process.ts";

/**
 * The error a {@linkcode Pool} task rejects with when the worker running it
 * ended before the task did: terminated, crashed (an uncaught error, out of
 * memory), or ended itself (`process.exit()`, `Deno.exit()`, `close()`). A
 * {@linkcode ProcessError} with the worker's exit code; the pool replaces the
 * worker and runs on.
 *
 * @example Telling a crash from a task's own error
 * ```ts ignore
 * import { Pool, ProcessError, WorkerExitError } from "@sabkit/sabkit";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
 * try {
 *   await pool.apply("risky", [1]);
 * } catch (e) {
 *   if (e instanceof WorkerExitError) console.log("worker died", e.exitCode);
 *   else if (e instanceof ProcessError) console.log("task threw", e.remoteName, e.message);
 * }
 * ```
 */
export class WorkerExitError extends ProcessError {
  /**
   * The worker's exit code (-15 when it was terminated), or `null` if unknown.
   *
   * @example The code a dead worker left
   * ```ts ignore
   * import { Pool, WorkerExitError } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * await pool.apply("crash").catch((e) => {
   *   if (e instanceof WorkerExitError) console.log(e.exitCode); // e.g. 3 after process.exit(3)
   * });
   * ```
   */
  readonly exitCode: number | null;

  /**
   * Creates the error.
   *
   * @param message What happened.
   * @param exitCode The worker's exit code.
   * @param cause The worker's own error, if it reported one.
   *
   * @example Built by the pool
   * ```ts
   * import { WorkerExitError } from "@sabkit/sabkit";
   * const e = new WorkerExitError("The worker Pool-1-1 exited with code 3", 3);
   * console.assert(e.exitCode === 3 && e.name === "WorkerExitError");
   * ```
   */
  constructor(message: string, exitCode: number | null, cause?: unknown) {
    super("WorkerExitError", message);
    this.name = "WorkerExitError";
    this.exitCode = exitCode;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}
