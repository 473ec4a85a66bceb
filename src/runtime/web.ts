/**
 * The standard `Worker` (Deno, Bun and browsers).
 *
 * @module
 */

import type { SpawnedWorker, WorkerEvents, WorkerPort } from "./mod.ts";

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}
type WorkerConstructor = new (url: URL, options: { type: "module"; name: string }) => WebWorker;

interface WorkerScope {
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  close(): void;
}

/** Starts a module `Worker`. */
export function spawnWeb(url: URL, name: string, events: WorkerEvents): SpawnedWorker {
  const Worker = (globalThis as unknown as { Worker?: WorkerConstructor }).Worker;
  if (Worker === undefined) throw new TypeError("This runtime has no Worker");
  const worker = new Worker(url, { type: "module", name });
  worker.addEventListener("error", (e) => {
    // Unhandled, a worker's error would also be thrown in this thread (Deno).
    e.preventDefault();
    events.onError((e as ErrorEvent).error ?? new Error((e as ErrorEvent).message));
  });
  worker.addEventListener("messageerror", (e) => {
    e.preventDefault();
    events.onError(new Error("A message to the worker could not be deserialized"));
  });
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
  };
}

/** The global scope of this web worker, as a port. */
export function workerPortWeb(): WorkerPort {
  const scope = globalThis as unknown as WorkerScope;
  return {
    onMessage: (listener) => scope.addEventListener("message", (e) => listener(e.data)),
    exit: () => scope.close(),
  };
}
