/**
 * What bench/bench.ts and its helpers use of Node's built-in modules, for the
 * benchmark bundled into a browser worker (scripts/bench_browser.ts maps each
 * `node:` import here). The benchmark's "main thread" is a dedicated worker
 * of the page (a window may not block); its worker's name carries the
 * arguments, and what it prints or writes goes to the page with postMessage.
 *
 * @module
 */

interface Scope {
  name?: string;
  postMessage?(message: unknown): void;
  close?(): void;
  navigator?: { hardwareConcurrency?: number; userAgent?: string };
}
const scope = globalThis as unknown as Scope;

/** The page's arguments, in the name of the benchmark's worker (not in the workers it starts). */
function mainArgs(): string[] | undefined {
  try {
    const parsed = JSON.parse(scope.name ?? "") as { sabkitBench?: string[] };
    return parsed.sabkitBench;
  } catch {
    return undefined;
  }
}
const argv = mainArgs();

if (argv !== undefined) {
  // mitata's tables and the benchmark's notes, line by line to the page (and from there to the driver).
  const forward = (...parts: unknown[]): void => scope.postMessage!({ line: parts.map(String).join(" ") });
  console.log = forward;
  console.error = forward;
  console.warn = forward;
}

/** `node:process`, as far as the benchmark asks. */
export const proc = {
  argv: ["browser", "bench.ts", ...(argv ?? [])],
  env: {} as Record<string, string | undefined>,
  versions: {} as Record<string, string>,
  stdout: { isTTY: false },
  exit(code = 0): void {
    scope.postMessage!({ exit: code });
    scope.close?.();
  },
};

/** `node:os`: the driver puts the host's own figures in the results (same machine). */
export const os = {
  loadavg: (): number[] => [0, 0, 0],
  availableParallelism: (): number => scope.navigator?.hardwareConcurrency ?? 1,
  cpus: (): { model: string }[] => [{ model: "unknown" }],
  platform: (): string => "browser",
  arch: (): string => "unknown",
  release: (): string => scope.navigator?.userAgent ?? "unknown",
  totalmem: (): number => 0,
};

/** `node:fs`: a written file goes to the page; nothing else touches a disk. */
export function writeFileSync(file: string, text: string): void {
  scope.postMessage!({ file, text: String(text) });
}

/** `node:fs`: nothing to make. */
export function mkdirSync(): void {}

/** `node:fs`: nothing to remove. */
export function rmSync(): void {}

/** `node:path`. */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? (i === 0 ? "/" : ".") : path.slice(0, i);
}
