/**
 * The worker side of the bundle tests: answers every message from the
 * parent with `reply(data)` (or `{ error }` if it throws), in a web worker
 * (Deno, Bun, a browser) or a Node `worker_threads` worker. No imports: it is
 * bundled into every test worker, including the browser's.
 */

/** Answers each message with `reply(message)`. */
export function answer(reply: (data: unknown) => unknown): void {
  const safe = (data: unknown): unknown => {
    try {
      return reply(data);
    } catch (e) {
      return { error: String((e as Error)?.stack ?? e) };
    }
  };
  const web = globalThis as unknown as {
    postMessage?: (m: unknown) => void;
    onmessage?: ((e: { data: unknown }) => void) | null;
    process?: { getBuiltinModule?: (name: string) => unknown };
  };
  if (typeof web.postMessage === "function") {
    web.onmessage = (e) => web.postMessage!(safe(e.data));
    return;
  }
  // Node's worker_threads, without a static node: import (the same bundle loads in a browser).
  const threads = web.process?.getBuiltinModule?.("node:worker_threads") as {
    parentPort: { on(e: "message", f: (d: unknown) => void): void; postMessage(m: unknown): void };
  };
  threads.parentPort.on("message", (d) => threads.parentPort.postMessage(safe(d)));
}
