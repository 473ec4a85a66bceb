/** The parent side of the bundle tests: a module worker on a bundle, whichever runtime runs the test. */
import { runtime, sleep } from "./_util.ts";

/** A started module worker. */
export interface ModuleWorker {
  /** Posts a message to it. */
  post(message: unknown): void;
  /** The next message it posted (or `{ error }` for an error event). */
  next(): Promise<unknown>;
  /** Terminates it. */
  close(): void;
}

/** Starts a module worker on `url`: the global `Worker` on Deno and Bun, `worker_threads` on Node. */
export async function startModuleWorker(url: URL): Promise<ModuleWorker> {
  const inbox: unknown[] = [];
  let wake = (): void => {};
  const push = (m: unknown): void => {
    inbox.push(m);
    wake();
  };
  const next = async (): Promise<unknown> => {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return inbox.shift();
  };
  const web = (globalThis as { Worker?: typeof Worker }).Worker;
  if (runtime !== "node" && web !== undefined) {
    const w = new web(url, { type: "module" });
    w.onmessage = (e) => push(e.data);
    w.onerror = (e) => push({ error: String(e.message) });
    return { post: (m) => w.postMessage(m), next, close: () => w.terminate() };
  }
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const w = new NodeWorker(url);
  w.on("message", push);
  w.on("error", (e) => push({ error: String(e) }));
  return { post: (m) => w.postMessage(m), next, close: () => void w.terminate() };
}

/**
 * Posts `data` until the worker answers, and returns the answer (Deno may
 * lose a message to a worker that just started; the workers' answers are
 * idempotent). Throws after five tries of `waitMs` each.
 */
export async function ask(worker: ModuleWorker, data: unknown, waitMs = 3000): Promise<unknown> {
  for (let attempt = 0; attempt < 5; attempt++) {
    worker.post(data);
    const answer = await Promise.race([worker.next(), sleep(waitMs).then(() => undefined)]);
    if (answer !== undefined) return answer;
  }
  throw new Error("The bundled worker never answered");
}
