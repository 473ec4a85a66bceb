/**
 * The page side of the browser suite: a small test runner (node:test is not
 * in a browser). Tests run one at a time; each gets a `start` that launches
 * processes on tests/browser/workers/ and terminates every one of them
 * afterwards, even when the test fails or times out. Each result is logged
 * as `sabkit:result {json}` (the driver prints progress from it), and all of
 * them end up in `globalThis.__sabkit`.
 */
import { Process, type ProcessOptions } from "@sabkit/sabkit";

/** One test's outcome. */
export interface Result {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  /** Why it did not run in this browser (then `ok` is true and nothing was checked). */
  skipped?: string;
}

/** What the page leaves for the driver. */
export interface PageReport {
  done: boolean;
  results: Result[];
}

const page = globalThis as unknown as { location: { href: string; search: string }; __sabkit?: PageReport };

/** The browser the driver opened the page in (`?browser=` of the page's URL): chromium or firefox. */
export const BROWSER: string = new URLSearchParams(page.location.search).get("browser") ?? "unknown";

/** sabkit's bootstrap, bundled as an entry of its own beside the page (see scripts/test_browser.ts). */
export const BOOTSTRAP: URL = new URL("./bootstrap.js", page.location.href);

/** The bundled module tests/browser/workers/`name`.ts. */
export function workerUrl(name = "blocking"): URL {
  return new URL(`./workers/${name}.js`, page.location.href);
}

/** Starts a process on an export of tests/browser/workers/blocking.ts. */
export type Start = (exportName: string, args?: unknown[], options?: ProcessOptions) => Process;

interface Case {
  name: string;
  body: (start: Start) => unknown;
  timeoutMs: number;
  skip?: string;
}

const cases: Case[] = [];

/** Registers a test; `skip`: why it does not run in this browser (required wherever a test is skipped). */
export function test(
  name: string,
  body: (start: Start) => unknown,
  { timeoutMs = 15000, skip }: { timeoutMs?: number; skip?: string } = {},
): void {
  cases.push({ name, body, timeoutMs, skip });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runOne(c: Case): Promise<Result> {
  if (c.skip !== undefined) return { name: c.name, ok: true, ms: 0, skipped: c.skip };
  const started: Process[] = [];
  const start: Start = (exportName, args = [], options = {}) => {
    const p = new Process(workerUrl(), { bootstrap: BOOTSTRAP, ...options, args, exportName });
    started.push(p);
    return p.start();
  };
  const t0 = performance.now();
  let error: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${c.timeoutMs} ms`)), c.timeoutMs);
    });
    await Promise.race([Promise.resolve().then(() => c.body(start)), late]);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  } finally {
    clearTimeout(timer);
  }
  // Every worker ends here, whatever happened; one the test left running is a failure of the test.
  const left = started.filter((p) => p.alive).map((p) => p.name);
  for (const p of started) p.terminate();
  await Promise.all(started.map((p) => p.join(5000).catch(() => null)));
  if (error === undefined && left.length > 0) error = `the test left processes running: ${left.join(", ")}`;
  const stuck = started.filter((p) => p.alive).map((p) => p.name);
  if (stuck.length > 0) error = `${error ?? ""}\nstill alive after terminate(): ${stuck.join(", ")}`;
  return { name: c.name, ok: error === undefined, ms: Math.round(performance.now() - t0), error };
}

/** Runs every registered test in order and leaves the report in `globalThis.__sabkit`. */
export async function runAll(): Promise<void> {
  const report: PageReport = { done: false, results: [] };
  page.__sabkit = report;
  for (const c of cases) {
    const result = await runOne(c);
    report.results.push(result);
    console.log(`sabkit:result ${JSON.stringify(result)}`);
  }
  report.done = true;
}
