/**
 * The benchmark's worker adapter: Node's `worker_threads` on Node, the web
 * `Worker` / `self` on Deno and Bun. One persistent worker per scenario,
 * created once and always terminated (also when the scenario fails).
 *
 * @module
 */

import * as threads from "node:worker_threads";
import { runtime } from "../src/runtime/mod.ts";

// The runtime running the benchmark, as sabkit's runtime layer detects it (the one place that does).
export { runtime };

/** One side of a message channel between the main thread and a worker. */
export interface Port {
  /** Posts a message, transferring `transfer`. */
  post(message: unknown, transfer?: Transferable[]): void;
  /** Calls `listener` with every message that arrives. */
  onMessage(listener: (data: unknown) => void): void;
}

/** A started benchmark worker. */
export interface BenchWorker extends Port {
  /** Stops the worker thread (idempotent). */
  terminate(): void;
  /** The first uncaught error of the worker, if any. */
  readonly error: Error | undefined;
}

interface WebWorker {
  postMessage(message: unknown, transfer: Transferable[]): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}
type WebWorkerConstructor = new (url: URL, options: { type: "module"; name: string }) => WebWorker;

const live = new Set<BenchWorker>();

/** Starts a module worker on `url`. */
export function startWorker(url: URL, name: string): BenchWorker {
  let error: Error | undefined;
  let stopped = false;
  const fail = (e: unknown): void => {
    error ??= e instanceof Error ? e : new Error(String(e));
  };
  let worker: BenchWorker;
  if (runtime === "node") {
    const w = new threads.Worker(url, { name });
    w.on("error", fail);
    w.on("exit", (code) => {
      if (!stopped && code !== 0) fail(new Error(`The worker ${name} exited with code ${code}`));
    });
    worker = {
      post: (m, t = []) => w.postMessage(m, t as Parameters<typeof w.postMessage>[1]),
      onMessage: (l) => void w.on("message", l),
      terminate: () => {
        if (stopped) return;
        stopped = true;
        live.delete(worker);
        void w.terminate();
      },
      get error() {
        return error;
      },
    };
  } else {
    const W = (globalThis as unknown as { Worker: WebWorkerConstructor }).Worker;
    const w = new W(url, { type: "module", name });
    w.addEventListener("error", (e) => {
      e.preventDefault();
      fail((e as ErrorEvent).error ?? new Error((e as ErrorEvent).message));
    });
    w.addEventListener("messageerror", () => fail(new Error("A message could not be deserialized")));
    worker = {
      post: (m, t = []) => w.postMessage(m, t),
      onMessage: (l) => w.addEventListener("message", (e) => l((e as MessageEvent).data)),
      terminate: () => {
        if (stopped) return;
        stopped = true;
        live.delete(worker);
        w.terminate();
      },
      get error() {
        return error;
      },
    };
  }
  live.add(worker);
  return worker;
}

/** Terminates every benchmark worker still running. */
export function terminateAll(): void {
  for (const w of [...live]) w.terminate();
}

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
}

/** Inside a worker: the port to the main thread. */
export function parentPort(): Port {
  if (runtime === "node") {
    const p = threads.parentPort;
    if (p === null) throw new TypeError("Not running in a worker thread");
    return {
      post: (m, t = []) => p.postMessage(m, t as Parameters<typeof p.postMessage>[1]),
      onMessage: (l) => void p.on("message", l),
    };
  }
  const scope = globalThis as unknown as WorkerScope;
  return {
    post: (m, t = []) => scope.postMessage(m, t),
    onMessage: (l) => scope.addEventListener("message", (e) => l(e.data)),
  };
}
