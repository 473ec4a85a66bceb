/**
 * `npm run bench [-- --quick]`: runs `bench/bench.ts` on Deno, Bun and Node
 * (the LTS from the devDependencies) in turn. Each prints mitata's own table
 * and barplots and writes its results to `bench/results/<runtime>.json`;
 * then this prints one combined markdown table (also written to
 * `bench/results/summary.md`) with the targets, PASS/FAIL per runtime.
 *
 * Options: `--quick` (a smoke run, under a minute for all three),
 * `--only=deno,node` (a subset), `--report` (only rebuild the combined table
 * from the JSON files already there).
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
      // Read: the modules and node_modules; write: only the results; env: tuning knobs read by the
      // channel (MIN_SPINS); sys: CPU model, core count, load average.
      return [bin("deno"), [
        "run",
        "--allow-read",
        `--allow-write=${results}`,
        "--allow-env",
        "--allow-sys=cpus,loadavg,osRelease",
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

if (!reportOnly) {
  for (const runtime of runtimes) {
    const out = `${results}/${runtime}.json`;
    rmSync(join(root, out), { force: true });
    const [cmd, args] = command(runtime, out);
    console.log(`\n━━━ ${runtime} ━━━ $ ${[cmd.replace(`${root}/`, ""), ...args].join(" ")}\n`);
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
        `${runtime}: the benchmark failed (${why}${during}) after ${seconds} s; see its output above.`,
      );
    } else notes.push(`${runtime}: ${seconds} s.`);
  }
}

const found: RuntimeResult[] = [];
for (const runtime of runtimes) {
  const file = join(root, results, `${runtime}.json`);
  if (existsSync(file)) found.push(JSON.parse(readFileSync(file, "utf8")) as RuntimeResult);
  else notes.push(`${runtime}: no results (${results}/${runtime}.json is missing).`);
}
const table = report(found, notes);
writeFileSync(join(root, results, "summary.md"), table);
console.log(`\n━━━ combined (also in ${results}/summary.md) ━━━\n\n${table}`);
process.exit(failed > 0 || found.length < runtimes.length ? 1 : 0);
