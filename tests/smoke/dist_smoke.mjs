// Runs on the machine's own Node (20): imports the npm build, not the sources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, Lock, Pool, Process, WorkerExitError } from "../../dist/mod.js";

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

test("dist: a Channel carries 2,000 messages to a Process worker and back", async () => {
  const there = new Channel("d", { capacity: 1000, slots: 4 });
  const back = new Channel("d", { capacity: 1000, slots: 4 });
  const p = new Process(new URL("./dist_chan_worker.mjs", import.meta.url), { args: [there, back] }).start();
  try {
    const msg = new Float64Array(1000);
    const consumed = (async () => {
      let i = 0;
      for await (const m of back) {
        assert.equal(m.length, i % 1001);
        assert.equal(m[0] ?? i, i);
        i++;
      }
      return i;
    })();
    for (let i = 0; i < 2000; i++) {
      msg[0] = i;
      await there.sendAsync(msg.subarray(0, i % 1001), { timeout: 30000 });
    }
    there.close();
    assert.equal(await consumed, 2000);
    assert.equal(await p.join(30000), 0);
  } finally {
    p.terminate();
  }
});

test("dist: a Pool maps, applies, and replaces a worker that exits", async () => {
  const pool = new Pool(new URL("./dist_pool_tasks.mjs", import.meta.url), { processes: 2 });
  try {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    assert.deepEqual(await pool.map("square", xs, { chunksize: 100 }), xs.map((x) => x * x));
    assert.equal(await pool.apply("add", [2, 3]), 5);
    const e = await pool.apply("exit", [4]).catch((e) => e);
    assert.ok(e instanceof WorkerExitError);
    assert.equal(e.exitCode, 4);
    assert.equal(await pool.apply("add", [1, 1]), 2);
    pool.close();
    await pool.join();
  } finally {
    pool.terminate();
  }
});
