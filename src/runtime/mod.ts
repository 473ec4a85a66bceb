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

/** Whether this runtime reports a worker's exit (Node's `worker_threads`). */
export const reportsExit: boolean = runtime === "node";

/** Starts a module worker running `url`. */
export function spawn(url: URL, name: string, events: WorkerEvents): SpawnedWorker {
  return runtime === "node" ? spawnNode(url, name, events) : spawnWeb(url, name, events);
}

/** The worker side: where the parent's messages arrive, and how to end. */
export interface WorkerPort {
  /** Calls `listener` with every message from the parent. */
  onMessage(listener: (data: unknown) => void): void;
  /** Ends this worker with an exit code. */
  exit(code: number): void;
}

/** The port of the worker this code runs in. */
export function workerPort(): WorkerPort {
  return runtime === "node" ? workerPortNode() : workerPortWeb();
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
