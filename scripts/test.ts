/**
 * `npm test`: the one command that checks everything. Static checks, the test
 * suite on Deno, Bun and Node (TypeScript sources), the npm build, and a smoke
 * test of `dist/` on the machine's own Node. Ends with `N passed, N failed`.
 */
import { spawnSync } from "node:child_process";
import { countJunit } from "./_junit.ts";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { BROWSERS, browserVersion, findBrowser, INSTALL_HINT } from "../tests/browser/_browsers.ts";

const RESULTS = ".test-results";
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS);

// Inside npm scripts node_modules/.bin comes first: `node` is the LTS devDependency.
const systemNode = process.env.npm_node_execpath ?? "node";
let passed = 0;
let failed = 0;
const summary: string[] = [];

function run(cmd: string, args: string[]): number {
  console.log(`\n$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  if (r.error) console.error(r.error);
  return r.status ?? 1;
}

function check(name: string, cmd: string, args: string[]): void {
  const ok = run(cmd, args) === 0;
  if (ok) passed++;
  else failed++;
  summary.push(`${ok ? "ok  " : "FAIL"} ${name}`);
}

/** Counts a suite's report: JUnit XML, or `{ pass, fail }` JSON from our own scripts. */
function count(report: string): { pass: number; fail: number } {
  if (!existsSync(report)) return { pass: 0, fail: 0 };
  if (report.endsWith(".json")) return JSON.parse(readFileSync(report, "utf8"));
  return countJunit(report);
}

function suite(name: string, cmd: string, args: string[], report: string): void {
  const status = run(cmd, args);
  let { pass, fail } = count(report);
  // A crash, a missing report or an empty run is a failure, whatever was counted.
  if (status !== 0 && fail === 0) fail = 1;
  if (pass + fail === 0) fail = 1;
  passed += pass;
  failed += fail;
  summary.push(`${fail === 0 ? "ok  " : "FAIL"} ${name}: ${pass} passed, ${fail} failed`);
}

check("deno fmt --check", "deno", ["fmt", "--check"]);
check("deno lint", "deno", ["lint"]);
// --quiet: no "Check <file>" line per file; type errors are still printed.
check("deno check", "deno", [
  "check",
  "--quiet",
  "mod.ts",
  "tests/*.ts",
  "tests/workers/",
  // The attack fixtures import the package by its npm name, which only the bundler resolves.
  "tests/bundle/revive_*.ts",
  "tests/scripts/",
  "tests/browser/",
  "examples/",
  "scripts/",
  "bench/",
]);
check("tsc (isolatedDeclarations)", "tsc", ["-p", "tsconfig.json"]);

suite("deno test", "deno", [
  "test",
  "--no-check",
  "--allow-read",
  "--allow-env",
  "--allow-run",
  `--junit-path=${RESULTS}/deno.xml`,
  "tests/",
], `${RESULTS}/deno.xml`);
suite(
  "bun test",
  "bun",
  ["test", "--reporter=junit", `--reporter-outfile=${RESULTS}/bun.xml`],
  `${RESULTS}/bun.xml`,
);
const reporters = ["--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit"];
suite(`node ${process.version} --test`, "node", [
  "--test",
  ...reporters,
  `--test-reporter-destination=${RESULTS}/node.xml`,
  "tests/*_test.ts",
], `${RESULTS}/node.xml`);

// The browser suite in each browser (scripts/test_browser.ts). Locally a missing browser is skipped
// with one line; under CI=true it is run anyway, and fails.
const ci = process.env.CI === "true";
const missing = Object.keys(BROWSERS).filter((b) => findBrowser(b) === undefined);
if (missing.length > 0 && !ci) {
  console.log(`\nbrowser suite skipped in ${missing.join(" and ")}: not installed; ${INSTALL_HINT}`);
  summary.push(`skip browser suite in ${missing.join(" and ")} (not installed)`);
}
for (const b of Object.keys(BROWSERS)) {
  const executable = findBrowser(b);
  if (executable === undefined && !ci) continue;
  const report = `${RESULTS}/browser-${b}.json`;
  const version = executable === undefined ? `${b} (not installed)` : browserVersion(executable);
  suite(`browser suite in ${version}`, "node", ["scripts/test_browser.ts", b, `--report=${report}`], report);
}

check("npm build (dist/)", "node", ["scripts/build.ts"]);
const nodeVersion = spawnSync(systemNode, ["--version"], { encoding: "utf8" }).stdout.trim();
suite(`dist/ smoke on the machine's node ${nodeVersion}`, systemNode, [
  "--test",
  ...reporters,
  `--test-reporter-destination=${RESULTS}/smoke.xml`,
  "tests/smoke/dist_smoke.mjs",
], `${RESULTS}/smoke.xml`);

suite("check:publish (JSR, npm, tarball)", "node", ["scripts/check_publish.ts"], `${RESULTS}/publish.json`);

console.log(`\n${summary.join("\n")}\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
