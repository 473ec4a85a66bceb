/**
 * The only code that knows which runtime it runs on: Deno, then Bun, then
 * Node (Deno and Bun both report `process.versions.node`), else a browser.
 *
 * @module
 */

import { builtin, spawnNode, workerPortNode } from "./node.ts";
import { spawnWeb, workerPortWeb } from "./web.ts";

/** The runtimes sabkit knows. */
export type RuntimeName = "deno" | "bun" | "node" | "browser";

interface Globals {
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
  navigator?: { hardwareConcurrency?: number };
}
const g = globalThis as Globals;

/** The runtime this code runs on. */
export const runtime: RuntimeName = g.Deno !== undefined
  ? "deno"
  : g.Bun !== undefined
  ? "bun"
  : g.process?.versions?.node !== undefined
  ? "node"
  : "browser";

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

/**
 * Whether this runtime reports a worker's exit once its thread has ended, for
 * every cause (Node's `worker_threads` "exit", Bun's `Worker` "close" event,
 * both with the exit code). Deno and browsers report none.
 */
export const reportsExit: boolean = runtime === "node" || runtime === "bun";

/**
 * Whether `terminate()` stops a worker even while it runs JavaScript. Deno's
 * does not (denoland/deno#35657): it stops the worker only once the running
 * task returns to the event loop, so `Process` asks the worker to confirm.
 */
export const terminateStopsAtOnce: boolean = runtime !== "deno";

/** Starts a module worker running `url`. */
export function spawn(url: URL, name: string, events: WorkerEvents): SpawnedWorker {
  return runtime === "node" ? spawnNode(url, name, events) : spawnWeb(url, name, events, runtime === "bun");
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

/** The port of the worker this code runs in. */
export function workerPort(): WorkerPort {
  return runtime === "node" ? workerPortNode() : workerPortWeb(runtime === "bun");
}

/**
 * How many threads can usefully run at once: the cores available to this
 * process (`os.availableParallelism()` where the runtime has it).
 *
 * @returns At least 1.
 *
 * @example Sizing a pool of workers
 * ```ts
 * import { cpuCount } from "@sabkit/sabkit";
 * const workers = Math.max(1, cpuCount() - 1);
 * console.assert(workers >= 1);
 * ```
 */
export function cpuCount(): number {
  const os = builtin<{ availableParallelism?: () => number }>("node:os");
  const n = os?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, n);
}
