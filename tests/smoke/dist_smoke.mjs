// Runs on the machine's own Node (20): imports the npm build, not the sources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, Lock, Process } from "../../dist/mod.js";

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
