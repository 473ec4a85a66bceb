/**
 * The types shared by the runtime layer's modules. They live apart from
 * `mod.ts` so that `node.ts` and `web.ts` import them from here while
 * `mod.ts` imports `node.ts` and `web.ts`: no import cycle.
 *
 * @module
 */

/** The runtimes sabkit knows. */
export type RuntimeName = "deno" | "bun" | "node" | "browser";

/**
 * Node's limits of a worker's memory (`worker_threads`' `resourceLimits`); a
 * worker that reaches one ends with an out-of-memory error. Other runtimes
 * have none and ignore them.
 *
 * @example At most 64 MB of heap (Node)
 * ```ts ignore
 * import { Process } from "@sabkit/sabkit";
 * const p = new Process(new URL("./worker.ts", import.meta.url), {
 *   resourceLimits: { maxOldGenerationSizeMb: 64 },
 * }).start();
 * await p.join().catch((e) => console.log("out of memory?", e));
 * ```
 */
export interface ResourceLimits {
  /** The main heap's most megabytes. */
  maxOldGenerationSizeMb?: number;
  /** The young generation's most megabytes. */
  maxYoungGenerationSizeMb?: number;
  /** The most megabytes of generated code. */
  codeRangeSizeMb?: number;
  /** The thread's stack, in megabytes. */
  stackSizeMb?: number;
}

/** A started worker, whatever the runtime. */
export interface SpawnedWorker {
  /** Posts a message to the worker. */
  post(message: unknown): void;
  /** Stops the worker thread. */
  terminate(): void;
}

/** What the parent hears from a worker. */
export interface WorkerEvents {
  /** An uncaught error in the worker. */
  onError(error: unknown): void;
  /** The worker thread ended with this code (only runtimes that report it). */
  onExit(code: number): void;
}

/** The worker side: where the parent's messages arrive, and how to end. */
export interface WorkerPort {
  /** Calls `listener` with every message from the parent. */
  onMessage(listener: (data: unknown) => void): void;
  /** Ends this worker with an exit code. */
  exit(code: number): void;
  /**
   * Calls `listener` with an uncaught error or unhandled rejection of this
   * worker before it ends (where the runtime tells the worker itself; on
   * Node the parent's "error" event carries the error object already), and
   * `handled`, which tells, once the event has been dispatched, whether a
   * listener of the worker's own prevented its default (the worker runs on).
   */
  onUncaught(listener: (error: unknown, handled: () => boolean) => void): void;
  /**
   * Calls `listener(code)` right before the worker ends itself by a call of
   * `close()`, `process.exit()` or `Deno.exit()` that the parent would
   * otherwise never hear of (runtimes without exit reports).
   */
  onSelfExit(listener: (code: number) => void): void;
}
