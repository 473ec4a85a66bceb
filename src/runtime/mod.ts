/**
 * The only code that knows which runtime it runs on: Deno, then Bun, then
 * Node (Deno and Bun both report `process.versions.node`), else a browser.
 * Everything else in sabkit, its tests, benchmarks and scripts asks
 * {@linkcode runtime} (or the capabilities below) rather than looking at
 * `Deno`, `Bun` or `process` itself, so a new runtime is taught here once.
 *
 * The shared types live in `types.ts`: this module imports `node.ts` and
 * `web.ts`, which import only `types.ts` (no cycle).
 *
 * @module
 */

import { builtin, spawnNode, workerPortNode } from "./node.ts";
import type { ResourceLimits, RuntimeName, SpawnedWorker, WorkerEvents, WorkerPort } from "./types.ts";
import { spawnWeb, workerPortWeb } from "./web.ts";

export type { ResourceLimits, RuntimeName, SpawnedWorker, WorkerEvents, WorkerPort } from "./types.ts";

interface Globals {
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
  navigator?: { hardwareConcurrency?: number; userAgent?: string };
}
const g = globalThis as Globals;

/**
 * The runtime this code runs on, read once when this module loads: hot code
 * (the wait layer) compares a constant instead of probing globals per call.
 * Code that hides a runtime's globals to simulate another (a browser window
 * in the tests) must do so before sabkit loads.
 */
export const runtime: RuntimeName = g.Deno !== undefined
  ? "deno"
  : g.Bun !== undefined
  ? "bun"
  : g.process?.versions?.node !== undefined
  ? "node"
  : "browser";

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

/** Starts a module worker running `url` (`resourceLimits`: Node only). */
export function spawn(
  url: URL,
  name: string,
  events: WorkerEvents,
  resourceLimits?: ResourceLimits,
): SpawnedWorker {
  return runtime === "node"
    ? spawnNode(url, name, events, resourceLimits)
    : spawnWeb(url, name, events, runtime === "bun");
}

/** The port of the worker this code runs in. */
export function workerPort(): WorkerPort {
  return runtime === "node" ? workerPortNode() : workerPortWeb(runtime === "bun");
}

/** A typed array that {@linkcode allocCopy} copies: any of the numeric kinds. */
export type CopyableArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** The ways {@linkcode allocCopy} may copy: see `COPY_OUT`. */
type CopyWay = "construct" | "slice" | "allocate + set";

/**
 * How each runtime allocates a copy fastest: `"construct"` is
 * `new Float64Array(view)` (of the view's own kind), `"slice"` is
 * `view.slice()`, `"allocate + set"` is `new Float64Array(n)` then
 * `set(view)`. Timed with `bench/diag/copy_out.ts` (800 kB out of shared
 * memory in a worker, beside a thread copying in, the ways interleaved in 30
 * rounds of 50 ms, medians), GB/s for construct / slice / allocate + set:
 * Node 26 10.4 / 9.5 / 9.6, Deno 2.9 21.4 / 21.4 / 21.4, Bun 1.4
 * 31.4–34.9 / 30.1–32.9 / 22.3–25.8. In a page (one thread, 8 rounds of
 * 50 ms) copying out of shared memory is slow in both browsers:
 * Chromium 156 1.9 / 1.2 / 1.2, Firefox 153 1.0 / 3.3 / 3.7.
 */
const COPY_OUT: Record<RuntimeName, CopyWay> = {
  deno: "construct",
  bun: "construct",
  node: "construct",
  browser: "construct",
};
/** Browsers share one runtime name; Firefox's engine copies out of shared memory fastest another way. */
const copyWay: CopyWay = runtime === "browser" && /Firefox\//.test(g.navigator?.userAgent ?? "")
  ? "allocate + set"
  : COPY_OUT[runtime];

/** The typed array constructor of `view`'s own kind. */
type Of<T> = new (source: T | number) => T;

/**
 * A new array (on a new, unshared buffer) holding a copy of `view`, made the
 * way this runtime does fastest (see `COPY_OUT`): `Channel.recv` makes one
 * per message.
 */
export const allocCopy: <T extends CopyableArray>(view: T) => T = copyWay === "slice"
  ? (view) => view.slice() as typeof view
  : copyWay === "allocate + set"
  ? (view) => {
    const copy = new (view.constructor as Of<typeof view>)(view.length);
    copy.set(view as never);
    return copy;
  }
  : (view) => new (view.constructor as Of<typeof view>)(view);

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
