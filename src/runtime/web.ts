/**
 * The standard `Worker` (Deno, Bun and browsers).
 *
 * @module
 */

import type { SpawnedWorker, WorkerEvents, WorkerPort } from "./types.ts";

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}
type WorkerConstructor = new (url: URL, options: { type: "module"; name: string }) => WebWorker;

interface WorkerScope {
  addEventListener(type: string, listener: (e: Event) => void): void;
  close?(): void;
  process?: { exit?(code?: number): never; exitCode?: number | string };
  Deno?: { exit?(code?: number): never };
}

/** Replaces `obj[key]` (a function) by one that calls `before(args)` first, where that is allowed. */
function wrap(obj: object | undefined, key: string, before: (args: unknown[]) => void): void {
  const o = obj as Record<string, unknown> | undefined;
  const original = o?.[key];
  if (typeof original !== "function") return;
  try {
    o![key] = function (this: unknown, ...args: unknown[]) {
      before(args);
      return original.apply(this, args);
    };
  } catch {
    // A frozen global: the exit stays unreported, as before.
  }
}

/** Starts a module `Worker`; `closeEvent`: the runtime fires "close" with the exit code (Bun). */
export function spawnWeb(url: URL, name: string, events: WorkerEvents, closeEvent: boolean): SpawnedWorker {
  const Worker = (globalThis as unknown as { Worker?: WorkerConstructor }).Worker;
  if (Worker === undefined) throw new TypeError("This runtime has no Worker");
  const worker = new Worker(url, { type: "module", name });
  worker.addEventListener("error", (e) => {
    // Unhandled, a worker's error would also be thrown in this thread (Deno).
    e.preventDefault();
    // A browser's event for a worker script that failed to load (404, not JavaScript) has no message.
    const message = (e as ErrorEvent).message || `Could not load the worker module ${url.href}`;
    events.onError((e as ErrorEvent).error ?? new Error(message));
  });
  if (closeEvent) {
    worker.addEventListener("close", (e) => events.onExit((e as Event & { code?: number }).code ?? 0));
  }
  worker.addEventListener("messageerror", (e) => {
    e.preventDefault();
    events.onError(new Error("A message to the worker could not be deserialized"));
  });
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
  };
}

/** The global scope of this web worker, as a port; `processExit`: end with `process.exit` (Bun has no `close`). */
export function workerPortWeb(processExit: boolean): WorkerPort {
  const scope = globalThis as unknown as WorkerScope;
  return {
    onMessage: (listener) => scope.addEventListener("message", (e) => listener((e as MessageEvent).data)),
    exit: (code) => {
      if (processExit && scope.process?.exit !== undefined) scope.process.exit(code);
      else scope.close?.();
    },
    onUncaught: (listener) => {
      // Not prevented here: the worker still ends as its runtime ends it, unless its own listener
      // prevents that (then `handled()` says so once the event has been dispatched).
      const on = (type: string, error: (e: Event) => unknown): void =>
        scope.addEventListener(type, (e) => listener(error(e), () => e.defaultPrevented));
      on("error", (e) => (e as ErrorEvent).error ?? (e as ErrorEvent).message);
      on("unhandledrejection", (e) => (e as Event & { reason?: unknown }).reason);
    },
    onSelfExit: (listener) => {
      // As Node reads it: a number, a numeric string, else `process.exitCode`, else 0.
      const code = (args: unknown[]): number => {
        const c = Number(args[0] ?? scope.process?.exitCode ?? 0);
        return Number.isInteger(c) ? c : 0;
      };
      wrap(scope, "close", () => listener(0));
      wrap(scope.process, "exit", (args) => listener(code(args)));
      wrap(scope.Deno, "exit", (args) => listener(code(args)));
    },
  };
}
