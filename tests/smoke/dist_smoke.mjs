// Runs on the machine's own Node (20): imports the npm build, not the sources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, Process } from "../../dist/mod.js";

test("dist: a Lock shared with two Process workers counts exactly", async () => {
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const url = new URL("./dist_worker.mjs", import.meta.url);
  const procs = [1, 2].map(() => new Process(url, { args: [lock, counter, 20000] }).start());
  try {
    assert.deepEqual(await Promise.all(procs.map((p) => p.join(30000))), [0, 0]);
    assert.equal(counter[0], 40000);
    assert.equal(lock.locked(), false);
  } finally {
    for (const p of procs) p.terminate();
  }
});
