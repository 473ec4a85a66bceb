/**
 * Node's `worker_threads`, loaded without a static import so the module
 * graph also loads where `node:` specifiers do not exist.
 *
 * @module
 */

import type { ResourceLimits, SpawnedWorker, WorkerEvents, WorkerPort } from "./types.ts";

/** A Node built-in module, without a static `node:` import (browsers have none). */
export function builtin<T>(name: string): T | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  return p?.getBuiltinModule?.(name) as T | undefined;
}

/** The part of `node:worker_threads` used here (typed locally: no @types/node for users). */
interface WorkerThreads {
  Worker: new (url: URL, options: { name: string; resourceLimits?: ResourceLimits }) => {
    on(event: "error", listener: (error: unknown) => void): void;
    on(event: "exit", listener: (code: number) => void): void;
    postMessage(message: unknown): void;
    terminate(): Promise<number>;
  };
  parentPort: {
    on(event: "message", listener: (data: unknown) => void): void;
    close(): void;
  } | null;
}

function threads(): WorkerThreads {
  const mod = builtin<WorkerThreads>("node:worker_threads");
  if (mod === undefined) throw new TypeError("This runtime has no node:worker_threads");
  return mod;
}

/** Starts a `worker_threads` worker on a module URL. */
export function spawnNode(
  url: URL,
  name: string,
  events: WorkerEvents,
  resourceLimits?: ResourceLimits,
): SpawnedWorker {
  const worker = new (threads().Worker)(
    url,
    resourceLimits === undefined ? { name } : { name, resourceLimits },
  );
  worker.on("error", (e) => events.onError(e));
  worker.on("exit", (code) => events.onExit(code));
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => void worker.terminate(),
  };
}

/** The parent port of this `worker_threads` worker. */
export function workerPortNode(): WorkerPort {
  const port = threads().parentPort;
  if (port === null) throw new TypeError("This code is not running in a worker thread");
  return {
    onMessage: (listener) => port.on("message", listener),
    exit: (code) => {
      port.close();
      (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(code);
    },
    // The parent's "error" and "exit" events report both, with the error object and the code.
    onUncaught: () => {},
    onSelfExit: () => {},
  };
}
