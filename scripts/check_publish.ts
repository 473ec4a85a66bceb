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

function step(name: string, cmd: string, args: string[], cwd = "."): void {
  console.log(`\n$ ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
  const ok = r.status === 0;
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
}

step("deno doc --lint", "deno", ["doc", "--lint", ...entrypoints]);
step("deno publish --dry-run", "deno", ["publish", "--dry-run", "--allow-dirty", "--config", "jsr.json"]);
step("deno test --doc", "deno", ["test", "--doc", "--allow-read", "--allow-env", ...entrypoints, "src/"]);
step("publint", "publint", ["--strict"]);
step("attw", "attw", ["--pack", ".", "--profile", "esm-only"]);

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
