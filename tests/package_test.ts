import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const read = (name: string) => JSON.parse(readFileSync(new URL(name, root), "utf8"));
const pkg = read("package.json") as {
  version: string;
  exports: Record<string, { types: string; default: string }>;
};
const jsr = read("jsr.json") as { version: string; exports: Record<string, string> };

test("package: package.json and jsr.json have the same version and export keys", () => {
  assert.equal(pkg.version, jsr.version);
  assert.deepEqual(Object.keys(pkg.exports).sort(), Object.keys(jsr.exports).sort());
});

test("package: every npm export is the build of the matching JSR entrypoint, types first", () => {
  for (const [key, source] of Object.entries(jsr.exports)) {
    assert.ok(existsSync(new URL(source, root)), `${source} exists`);
    const built = source.replace(/^\.\//, "./dist/").replace(/\.ts$/, "");
    assert.deepEqual(pkg.exports[key], { types: `${built}.d.ts`, default: `${built}.js` }, key);
    assert.deepEqual(Object.keys(pkg.exports[key]), ["types", "default"], `${key}: types first`);
  }
});

test("package: the root exports everything each subpath exports, and each symbol is in some subpath", async () => {
  const rootNames = new Set(Object.keys(await import(new URL(jsr.exports["."], root).href)));
  const inAreas = new Set<string>();
  for (const [key, source] of Object.entries(jsr.exports)) {
    if (key === ".") continue;
    for (const name of Object.keys(await import(new URL(source, root).href))) {
      assert.ok(rootNames.has(name), `${key} exports ${name}, the root does not`);
      inAreas.add(name);
    }
  }
  assert.deepEqual([...rootNames].filter((n) => !inAreas.has(n)), []);
});

test("package: the root's runtime exports are exactly the public names (no internal constant leaks through export *)", async () => {
  const names = Object.keys(await import(new URL(jsr.exports["."], root).href)).sort();
  // The contract of shared/design.md §1–§5c. A new public symbol is added here on purpose.
  const expected = [
    "Array",
    "Barrier",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "Channel",
    "ChannelClosedError",
    "Condition",
    "Connection",
    "Event",
    "FloatChannel",
    "JoinableQueue",
    "Lock",
    "LockManager",
    "LockWrapper",
    "Lockable",
    "OwnerDiedError",
    "Pipe",
    "Pool",
    "Process",
    "ProcessError",
    "Queue",
    "QueueEmptyError",
    "QueueFullError",
    "RLock",
    "RawArray",
    "RawValue",
    "RwLock",
    "Semaphore",
    "SharedArray",
    "SimpleQueue",
    "SynchronizedArray",
    "SynchronizedBase",
    "SynchronizedString",
    "SynchronizedValue",
    "TimeoutError",
    "Value",
    "WorkerExitError",
    "copy",
    "cpuCount",
    "revive",
    "synchronized",
  ].sort();
  assert.deepEqual(names, expected);
});
