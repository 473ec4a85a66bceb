/** Helpers shared by the tests: workers that are always terminated, child scripts. */
import { spawnSync } from "node:child_process";
import { Process, type ProcessOptions } from "../mod.ts";
import { runtime } from "../src/runtime/mod.ts";

// The runtime running the tests, as sabkit's runtime layer detects it (the one place that does).
export { runtime };

/** The URL of a module in tests/workers/. */
export function workerUrl(name: string): URL {
  return new URL(`./workers/${name}.ts`, import.meta.url);
}

/**
 * Runs `body` with a `start` that launches worker processes, and terminates
 * every one of them afterwards, even when `body` fails.
 */
export async function withProcesses<T>(
  body: (start: (name: string, options?: ProcessOptions) => Process) => Promise<T>,
): Promise<T> {
  const started: Process[] = [];
  try {
    return await body((name, options) => {
      const p = new Process(workerUrl(name), options);
      started.push(p);
      return p.start();
    });
  } finally {
    for (const p of started) p.terminate();
  }
}

/** Runs a script from tests/scripts/ in a fresh process of the current runtime. */
export function runScript(
  name: string,
  timeoutMs = 30000,
): { status: number | null; stdout: string; stderr: string } {
  const path = new URL(`./scripts/${name}`, import.meta.url).pathname;
  const exec = process.execPath;
  const args = runtime === "deno" ? ["run", "--no-check", "--allow-read", path] : [path];
  const r = spawnSync(exec, args, { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds (or throws after `timeoutMs`). */
export async function until(predicate: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) throw new Error("Timed out waiting for a condition");
    await sleep(1);
  }
}
