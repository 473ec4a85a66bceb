/**
 * `npm run check:publish`: what JSR and npm will see. `deno doc --lint` on
 * every JSR entrypoint, `deno publish --dry-run`, the doc examples, publint,
 * attw, and the packed tarball installed into a scratch project and run on
 * Bun and on the machine's own Node. Prints `N passed, N failed`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const systemNode = process.env.npm_node_execpath ?? "node";
const jsr = JSON.parse(readFileSync("jsr.json", "utf8")) as { exports: Record<string, string> };
const entrypoints = Object.values(jsr.exports);
let passed = 0;
let failed = 0;

/** Keeps what a reader can judge of a check's output (one of its streams). */
type Filter = (output: string) => string;

/**
 * Runs one check. A stream with a filter is captured and only what the
 * filter keeps is printed (a check that fails still prints what it kept).
 */
function step(
  name: string,
  cmd: string,
  args: string[],
  cwd = ".",
  filter: { stdout?: Filter; stderr?: Filter } = {},
): void {
  console.log(`\n$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ["inherit", filter.stdout ? "pipe" : "inherit", filter.stderr ? "pipe" : "inherit"],
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  const out = filter.stdout?.(r.stdout ?? "") ?? "";
  if (out !== "") console.log(out);
  const err = filter.stderr?.(r.stderr ?? "") ?? "";
  if (err !== "") console.error(err);
  if (r.error !== undefined) console.error(r.error.message);
  const ok = r.status === 0;
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
}

/**
 * Deno's output without its warnings about `@types/node`'s own references
 * (its `index.d.ts` names its files in a way Deno does not resolve; nothing
 * of sabkit's), counted in one line instead. Every other line stays.
 */
function withoutTypesNodeWarnings(output: string): string {
  const lines = output.split("\n");
  const kept: string[] = [];
  let dropped = 0;
  for (let i = 0; i < lines.length; i++) {
    if (/^Warning Failed resolving types\. .*node_modules\/@types\/node\//.test(lines[i])) {
      dropped++;
      if (/^\s+at .*node_modules\/@types\/node\//.test(lines[i + 1] ?? "")) i++;
    } else kept.push(lines[i]);
  }
  if (dropped > 0) kept.unshift(`(${dropped} warnings about @types/node's own references left out)`);
  return kept.join("\n").trimEnd();
}

step("deno doc --lint", "deno", ["doc", "--lint", ...entrypoints], ".", { stderr: withoutTypesNodeWarnings });
step("deno publish --dry-run", "deno", ["publish", "--dry-run", "--allow-dirty", "--config", "jsr.json"]);
step("deno test --doc", "deno", ["test", "--doc", "--allow-read", "--allow-env", ...entrypoints, "src/"]);
step("publint", "publint", ["--strict"]);
step("attw", "attw", ["--pack", ".", "--profile", "esm-only"], ".", { stdout: attwFindings });

/**
 * attw's findings without what the `esm-only` profile ignores (node10 and
 * CommonJS `require` cannot load an ESM-only package: every entrypoint says
 * "Resolution failed" there, by design): one line per entrypoint, and every
 * line that is not ignored, so a real failure stays visible.
 */
function attwFindings(output: string): string {
  const lines: string[] = [];
  let entrypoint: string | undefined;
  let results: string[] = [];
  const flush = (): void => {
    if (entrypoint !== undefined) lines.push(`${entrypoint}: ${results.join(" · ")}`);
    entrypoint = undefined;
    results = [];
  };
  let tools = false;
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("Build tools:")) tools = true;
    else if (tools && line.startsWith("- ")) continue;
    else tools = false;
    if (tools || line === "" || line.includes("(ignored")) continue;
    if (line.startsWith("(ignoring resolutions")) {
      lines.push("(ESM-only: node10 and CommonJS require resolutions are not checked)");
    } else if (/^\*+$/.test(line)) flush();
    else if (/^"[^"]+"$/.test(line)) {
      flush();
      entrypoint = line;
    } else if (entrypoint !== undefined) results.push(line);
    else lines.push(line);
  }
  flush();
  return lines.join("\n");
}

// The tarball, installed offline into a scratch project, as a user would get it.
const scratch = mkdtempSync(join(tmpdir(), "sabkit-pack-"));
try {
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", scratch, "--json"], {
    encoding: "utf8",
  });
  const tarball = join(scratch, (JSON.parse(pack.stdout) as Array<{ filename: string }>)[0].filename);
  writeFileSync(
    join(scratch, "package.json"),
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  step("npm install <tarball>", "npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], scratch);
  for (const file of ["pack_smoke.mjs", "pack_worker.mjs"]) {
    writeFileSync(join(scratch, file), readFileSync(resolve("tests/smoke", file)));
  }
  step("tarball on bun", "bun", ["pack_smoke.mjs"], scratch);
  step("tarball on the machine's node", systemNode, ["pack_smoke.mjs"], scratch);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`\n${passed} passed, ${failed} failed`);
// npm test counts these checks from here.
if (existsSync(".test-results")) {
  writeFileSync(".test-results/publish.json", JSON.stringify({ pass: passed, fail: failed }));
}
process.exit(failed === 0 ? 0 : 1);
