import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseBenchArgs } from "../bench/_args.ts";

const RUNTIMES = ["deno", "bun", "node", "chromium", "firefox"];
const root = fileURLToPath(new URL("../", import.meta.url));

test("bench args: the defaults, --report's 5 runs, and every flag", () => {
  assert.deepEqual(parseBenchArgs([], RUNTIMES), {
    quick: false,
    document: false,
    rebuild: false,
    noFail: false,
    only: undefined,
    repeat: 1,
    filter: undefined,
  });
  assert.equal(parseBenchArgs(["--report"], RUNTIMES).repeat, 5);
  assert.deepEqual(
    parseBenchArgs(["--quick", "--only=node,firefox", "--repeat=3", "--no-fail", "--rebuild"], RUNTIMES),
    {
      quick: true,
      document: false,
      rebuild: true,
      noFail: true,
      only: ["node", "firefox"],
      repeat: 3,
      filter: undefined,
    },
  );
  assert.equal(parseBenchArgs(["--filter=queue|Pipe"], RUNTIMES).filter, "queue|Pipe");
});

test("bench args: an unknown runtime, an empty --only, a bad --repeat or an unknown option is an error", () => {
  for (
    const argv of [
      ["--only=nodee"],
      ["--only="],
      ["--only=node,"],
      ["--repeat=0"],
      ["--repeat=-1"],
      ["--repeat=2.5"],
      ["--repeat=x"],
      ["--repeat="],
      ["--repeat=1e1"],
      ["--repeat=101"],
      ["--repeat=2", "--repeat=3"],
      ["--filter="],
      ["--filter=("],
      ["--filter=a", "--filter=b"],
      ["--fast"],
    ]
  ) {
    assert.throws(() => parseBenchArgs(argv, RUNTIMES), Error, argv.join(" "));
  }
  assert.throws(
    () => parseBenchArgs(["--only=nodee"], RUNTIMES),
    /unknown runtime "nodee"; known: deno, bun/,
  );
});

test("bench args: npm run bench -- --only=nodee exits 2 and leaves bench/results/ as it was", () => {
  const node = `${root}node_modules/.bin/node`;
  if (!existsSync(node)) return; // the devDependency, after npm ci
  const results = `${root}bench/results`;
  const before = existsSync(results)
    ? readdirSync(results).map((f) => `${f} ${statSync(`${results}/${f}`).mtimeMs}`).sort()
    : undefined;
  for (const bad of ["--only=nodee", "--repeat=0"]) {
    const r = spawnSync(node, ["bench/run.ts", bad], { cwd: root, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, bad.startsWith("--only") ? /unknown runtime/ : /--repeat=0/);
  }
  const after = existsSync(results)
    ? readdirSync(results).map((f) => `${f} ${statSync(`${results}/${f}`).mtimeMs}`).sort()
    : undefined;
  assert.deepEqual(after, before);
});
