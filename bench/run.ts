/**
 * `npm run bench [-- options]`: runs `bench/bench.ts` on Deno, Bun and Node
 * (from the devDependencies) in turn, then in headless Chromium and Firefox
 * where they are installed (`scripts/bench_browser.ts`; the system's browsers,
 * as the browser suite uses them). Each prints mitata's own table and
 * barplots and writes its results to `bench/results/<runtime>.json`; then
 * this prints one combined markdown table (also written to
 * `bench/results/summary.md`) with the targets, met/FAIL per runtime.
 *
 * Options:
 * - `--quick`: a smoke run, about a minute for all three.
 * - `--only=deno,node`: a subset of the runtimes (`chromium`, `firefox`: the browsers).
 * - `--filter=REGEX`: only the rows whose section or name it matches
 *   (case-insensitive): `--filter=queue` runs the Queue's rows (small
 *   records, record round trips, 1 MB values). The table and targets cover
 *   what ran; a target without its rows is n/a, not FAIL.
 * - `--repeat=N`: each runtime N times (`<runtime>.json`, `<runtime>.2.json`
 *   …); the table shows the median of the runs and the stability of the best
 *   channel.
 * - `--report`: also writes `bench/RESULTS.md` (the machine, the method, the
 *   full table, the targets and the stability analysis); measures each
 *   runtime 5 times unless `--repeat` says otherwise.
 * - `--rebuild`: measures nothing, rebuilds the table (and with `--report`,
 *   `bench/RESULTS.md`) from the JSON files already in `bench/results/`.
 * - `--no-fail`: exit 0 even if a target is missed. Without it, a missed
 *   target prints FAIL and the exit code is 1; a bad option is 2 (checked
 *   before anything runs: `bench/results/` stays as it was).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { failures, report, resultsDocument, type RuntimeResult } from "./_report.ts";
import { type BenchArgs, parseBenchArgs } from "./_args.ts";
import { BROWSERS, findBrowser, INSTALL_HINT } from "../tests/browser/_browsers.ts";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const BROWSER_NAMES = Object.keys(BROWSERS);
const RUNTIMES = ["deno", "bun", "node", ...BROWSER_NAMES];
// Checked before anything runs or is written: a typo leaves bench/results/ as it was.
let args: BenchArgs;
try {
  args = parseBenchArgs(argv, RUNTIMES);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const { quick, document, rebuild, only, repeat, noFail, filter } = args;
// A browser that is not installed is left out of a full run (with a note), never out of an --only run.
const missingBrowsers = BROWSER_NAMES.filter((b) => only === undefined && findBrowser(b) === undefined);
const runtimes = RUNTIMES.filter((r) => only === undefined ? !missingBrowsers.includes(r) : only.includes(r));
const colors = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const results = "bench/results";

/** The devDependency binary if installed (`npm ci`), else whatever is on PATH. */
function bin(name: string): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

function command(runtime: string, out: string): [string, string[]] {
  const args = [
    "bench/bench.ts",
    "--out",
    out,
    colors ? "--colors" : "--no-colors",
    ...(quick ? ["--quick"] : []),
    ...(filter === undefined ? [] : [`--filter=${filter}`]),
  ];
  if (BROWSER_NAMES.includes(runtime)) {
    // The same bench.ts, bundled and run in a page's worker of the browser.
    return [bin("node"), ["scripts/bench_browser.ts", runtime, ...args.slice(1)]];
  }
  switch (runtime) {
    case "deno":
      // Read: the modules and node_modules; write: only the results; sys: CPU, load, OS, memory; env: the
      // variables piscina and tinypool read (without them their workers die or never answer).
      return [bin("deno"), [
        "run",
        "--allow-read",
        `--allow-write=${results}`,
        "--allow-env=PISCINA_DISABLE_ATOMICS,PISCINA_ENABLE_ASYNC_ATOMICS,TINYPOOL_WORKER_ID",
        "--allow-sys=cpus,loadavg,osRelease,systemMemoryInfo",
        "--v8-flags=--expose-gc",
        ...args,
      ]];
    case "bun":
      return [bin("bun"), args];
    default:
      return [bin("node"), ["--expose-gc", ...args]];
  }
}

/** What went wrong, for the report (a run's time is in its results). */
const notes: string[] = missingBrowsers.map((b) => `${b}: not installed (${INSTALL_HINT}), not measured.`);
/** Each run's time, for the console only. */
const timings: string[] = [];
let failed = 0;
mkdirSync(join(root, results), { recursive: true });

/** The results file of a runtime's `rep`-th run (the first is `<runtime>.json`). */
function resultFile(runtime: string, rep: number): string {
  return `${results}/${runtime}${rep === 0 ? "" : `.${rep + 1}`}.json`;
}

if (!rebuild) {
  for (
    const [runtime, rep] of runtimes.flatMap((r) => Array.from({ length: repeat }, (_, i) => [r, i] as const))
  ) {
    const out = resultFile(runtime, rep);
    rmSync(join(root, out), { force: true });
    const [cmd, args] = command(runtime, out);
    const label = repeat > 1 ? `${runtime} (run ${rep + 1} of ${repeat})` : runtime;
    console.log(`\n━━━ ${label} ━━━ $ ${[cmd.replace(`${root}/`, ""), ...args].join(" ")}\n`);
    const started = Date.now();
    const r = spawnSync(cmd, args, {
      cwd: root,
      stdio: "inherit",
      // A full run takes about a minute per runtime here: a much longer one has hung.
      timeout: (quick ? 2 : 6) * 60_000,
      env: { ...process.env, ...(colors ? {} : { NO_COLOR: "1" }) },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (r.error !== undefined || r.status !== 0) {
      failed++;
      const why = r.error?.message ?? (r.signal !== null ? `killed by ${r.signal}` : `exit code ${r.status}`);
      const progress = join(root, `${out}.progress`);
      const during = existsSync(progress) ? `, during "${readFileSync(progress, "utf8")}"` : "";
      rmSync(progress, { force: true });
      notes.push(
        `${label}: the benchmark failed (${why}${during}) after ${seconds} s.`,
      );
    } else timings.push(`${label}: ${seconds} s.`);
  }
}

const found: RuntimeResult[][] = [];
for (const runtime of runtimes) {
  const runs: RuntimeResult[] = [];
  for (let rep = 0; rep < repeat; rep++) {
    const file = join(root, resultFile(runtime, rep));
    if (existsSync(file)) runs.push(JSON.parse(readFileSync(file, "utf8")) as RuntimeResult);
    else notes.push(`${runtime}: no results (${resultFile(runtime, rep)} is missing).`);
  }
  if (runs.length > 0) found.push(runs);
}
if (found.length === 0) {
  console.error(`\nNo results to report${rebuild ? ` in ${results}/ (run without --rebuild first)` : ""}.`);
  process.exit(1);
}
const table = report(found, [...notes, ...timings]);
writeFileSync(join(root, results, "summary.md"), table);
console.log(`\n━━━ combined (also in ${results}/summary.md) ━━━\n\n${table}`);
if (document) {
  const command = ["npm run bench --", ...argv].join(" ");
  writeFileSync(join(root, "bench", "RESULTS.md"), resultsDocument(found, { command, notes }));
  // Aligned columns read better as plain text, and the file then passes `deno fmt --check`.
  const fmt = spawnSync(bin("deno"), ["fmt", "--quiet", "bench/RESULTS.md"], { cwd: root, stdio: "inherit" });
  console.log(`Wrote bench/RESULTS.md${fmt.status === 0 ? "" : " (not formatted: deno fmt failed)"}.`);
}
const missed = failures(found);
if (missed.length > 0) {
  console.error(`\n${missed.length} target(s) missed${noFail ? " (--no-fail: not an error)" : ""}:`);
  for (const m of missed) console.error(`FAIL ${m}`);
}
process.exit(failed > 0 || found.length < runtimes.length || (missed.length > 0 && !noFail) ? 1 : 0);
