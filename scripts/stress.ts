/**
 * `npm run stress`: the stress test files at full size (SABKIT_STRESS=full)
 * on Deno, Bun and Node, one runtime after the other. Prints each runtime's
 * time and results, and ends with `N passed, N failed`.
 *
 *   npm run stress              every runtime
 *   npm run stress -- node bun  only these
 */
import { spawnSync } from "node:child_process";
import { countJunit } from "./_junit.ts";
import { mkdirSync, rmSync } from "node:fs";

const FILES = [
  "tests/stress_test.ts",
  "tests/channel_stress_test.ts",
  "tests/sync_kill_random_test.ts",
  "tests/sync_abort_test.ts",
  "tests/channel_kills_test.ts",
  "tests/lock_kill_test.ts",
  "tests/rwlock_kill_test.ts",
  "tests/rwlock_test.ts",
  "tests/lock_manager_kill_test.ts",
  "tests/lock_manager_threads_test.ts",
  "tests/process_faults_test.ts",
];
const RESULTS = ".stress-results";
const TIMEOUT_MS = 600_000;
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS);

const runtimes: Record<string, (report: string) => [string, string[]]> = {
  deno: (report) => [
    "deno",
    ["test", "--no-check", "--allow-read", "--allow-env", "--allow-run", `--junit-path=${report}`, ...FILES],
  ],
  bun: (report) => [
    "bun",
    [
      "test",
      `--timeout=${TIMEOUT_MS}`,
      "--reporter=junit",
      `--reporter-outfile=${report}`,
      ...FILES.map((f) => `./${f}`),
    ],
  ],
  node: (report) => [
    "node",
    [
      "--test",
      "--test-concurrency=1",
      `--test-timeout=${TIMEOUT_MS}`,
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=junit",
      `--test-reporter-destination=${report}`,
      ...FILES,
    ],
  ],
};

const asked = process.argv.slice(2);
const chosen = asked.length > 0 ? asked : Object.keys(runtimes);
const unknown = chosen.filter((r) => !(r in runtimes));
if (unknown.length > 0) {
  console.error(`Unknown runtime(s): ${unknown.join(", ")}; choose from ${Object.keys(runtimes).join(", ")}`);
  process.exit(2);
}

const summary: string[] = [];
let passed = 0;
let failed = 0;
for (const name of chosen) {
  const report = `${RESULTS}/${name}.xml`;
  const [cmd, args] = runtimes[name](report);
  console.log(`\n$ SABKIT_STRESS=full ${[cmd, ...args].join(" ")}`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    stdio: "inherit",
    env: { ...process.env, SABKIT_STRESS: "full", NO_COLOR: "1" },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error) console.error(r.error);
  let { pass, fail } = countJunit(report);
  // A crash, a missing report or an empty run is a failure, whatever was counted.
  if (r.status !== 0 && fail === 0) fail = 1;
  if (pass + fail === 0) fail = 1;
  passed += pass;
  failed += fail;
  const version = spawnSync(cmd, ["--version"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
  summary.push(
    `${fail === 0 ? "ok  " : "FAIL"} ${name} (${version}): ${
      seconds.toFixed(1)
    } s, ${pass} passed, ${fail} failed`,
  );
}

console.log(`\n${summary.join("\n")}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
