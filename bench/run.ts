/**
 * `npm run bench [-- --quick]`: runs `bench/bench.ts` on Deno, Bun and Node
 * (the LTS from the devDependencies) in turn. Each prints mitata's own table
 * and barplots and writes its results to `bench/results/<runtime>.json`;
 * then this prints one combined markdown table (also written to
 * `bench/results/summary.md`) with the targets, PASS/FAIL per runtime.
 *
 * Options: `--quick` (a smoke run, under a minute for all three),
 * `--only=deno,node` (a subset), `--repeat=5` (each runtime five times:
 * `<runtime>.json`, `<runtime>.2.json` …; the table shows the median of the
 * runs and the stability of the best channel), `--report` (only rebuild the
 * combined table from the JSON files already there).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { report, type RuntimeResult } from "./_report.ts";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const reportOnly = argv.includes("--report");
const only = argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const repeat = Math.max(
  1,
  Number(argv.find((a) => a.startsWith("--repeat="))?.slice("--repeat=".length) ?? 1),
);
const runtimes = ["deno", "bun", "node"].filter((r) => only === undefined || only.includes(r));
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
  ];
  switch (runtime) {
    case "deno":
      // Read: the modules and node_modules; write: only the results; sys: CPU model and load average.
      return [bin("deno"), [
        "run",
        "--allow-read",
        `--allow-write=${results}`,
        "--allow-sys=cpus,loadavg",
        "--v8-flags=--expose-gc",
        ...args,
      ]];
    case "bun":
      return [bin("bun"), args];
    default:
      return [bin("node"), ["--expose-gc", ...args]];
  }
}

const notes: string[] = [];
let failed = 0;
mkdirSync(join(root, results), { recursive: true });

/** The results file of a runtime's `rep`-th run (the first is `<runtime>.json`). */
function resultFile(runtime: string, rep: number): string {
  return `${results}/${runtime}${rep === 0 ? "" : `.${rep + 1}`}.json`;
}

if (!reportOnly) {
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
        `${label}: the benchmark failed (${why}${during}) after ${seconds} s; see its output above.`,
      );
    } else notes.push(`${label}: ${seconds} s.`);
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
const table = report(found, notes);
writeFileSync(join(root, results, "summary.md"), table);
console.log(`\n━━━ combined (also in ${results}/summary.md) ━━━\n\n${table}`);
process.exit(failed > 0 || found.length < runtimes.length ? 1 : 0);
