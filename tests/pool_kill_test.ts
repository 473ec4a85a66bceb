/**
 * Pool under seeded random kills of real workers: aborting a running task
 * terminates its worker wherever it is (Node, Bun: at any instruction; in
 * the middle of taking a task, putting a result, holding a queue's lock).
 * Every task settles; a resolved task ran exactly once with its exact
 * result; no task ever runs twice (a task taken by a killed worker that had
 * not marked it running is put again); only an aborted task or one whose
 * worker was killed while running it fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool, WorkerExitError } from "../mod.ts";
import { mulberry32 } from "./_values.ts";
import { n, size } from "./_stress.ts";
import { runtime, sleep } from "./_util.ts";

const TASKS = new URL("./workers/pool_tasks.ts", import.meta.url);
const COUNT = size(3000, 30000);
const SEEDS: number[] = size(0, 1) ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2];

for (const seed of SEEDS) {
  test(`${n(COUNT)} tasks, random kills (seed ${seed}): nothing lost, nothing run twice`, {
    timeout: 240_000,
  }, async () => {
    const rng = mulberry32(0x19 + seed);
    const counts = new Int32Array(new SharedArrayBuffer(4 * COUNT));
    const pool = new Pool(TASKS, { processes: 2, initializer: "setup", initargs: [0, counts] });
    const aborted = new Set<number>();
    let kills = 0;
    try {
      const controllers = Array.from({ length: COUNT }, () => new AbortController());
      const settled = new Uint8Array(COUNT);
      const results = Array.from(
        { length: COUNT },
        (_, i) =>
          pool.apply<number>("markSpin", [i, Math.floor(rng() * (seed % 2 === 0 ? 50 : 400))], {
            signal: controllers[i].signal,
          }).then(
            (v) => {
              settled[i] = 1;
              return { ok: true as const, v };
            },
            (e) => {
              settled[i] = 1;
              return { ok: false as const, e };
            },
          ),
      );
      // Abort, now and then, the oldest task not yet settled: most often one that is running.
      const killer = (async () => {
        let next = 0;
        while (next < COUNT) {
          await sleep(1 + rng() * 4);
          while (next < COUNT && settled[next] === 1) next++;
          const victim = next + Math.floor(rng() * 3);
          if (victim >= COUNT || settled[victim] === 1) continue;
          aborted.add(victim);
          if (counts[victim] > 0) kills++;
          controllers[victim].abort(new Error(`abort ${victim}`));
        }
      })();
      const all = await Promise.all(results);
      await killer;
      let exits = 0;
      for (let i = 0; i < COUNT; i++) {
        const r = all[i];
        assert.ok(counts[i] <= 1, `task ${i} ran ${counts[i]} times`);
        if (r.ok) {
          assert.equal(r.v, i);
          assert.equal(counts[i], 1, `task ${i} resolved without running`);
        } else if (aborted.has(i)) {
          assert.match(String(r.e), new RegExp(`abort ${i}`));
        } else {
          // Its worker was killed while it ran (stopped for another task's abort that it had just finished;
          // the kill may land after the worker marked it running, before the call's first instruction).
          assert.ok(r.e instanceof WorkerExitError, `task ${i}: ${r.e}`);
          exits++;
        }
      }
      assert.ok(exits <= aborted.size, `${exits} innocent failures for ${aborted.size} aborts`);
      // The pool still serves, exactly.
      assert.deepEqual(await pool.starmap("add", [[1, 2], [3, 4]]), [3, 7]);
      console.log(
        `${runtime}: ${aborted.size} aborts (${kills} of running tasks), ${exits} tasks lost with a killed worker`,
      );
    } finally {
      pool.terminate();
      await pool.join();
    }
  });
}

test("large tasks and results (streamed through the queues), random kills: nothing lost, nothing run twice", {
  timeout: 240_000,
}, async () => {
  const count = size(150, 1500);
  const rng = mulberry32(0x19b);
  const counts = new Int32Array(new SharedArrayBuffer(4 * count));
  const pool = new Pool(TASKS, { processes: 2, initializer: "setup", initargs: [0, counts] });
  try {
    const controllers = Array.from({ length: count }, () => new AbortController());
    const settled = new Uint8Array(count);
    // 40,000 numbers: about 300 KB each way, more than a queue's 256 KiB.
    const args = (i: number): number[] => Array.from({ length: 40_000 }, (_, k) => (k === 0 ? i : k));
    const results = Array.from(
      { length: count },
      (_, i) =>
        pool.apply<number[]>("markBig", [args(i)], { signal: controllers[i].signal }).then(
          (v) => ({ ok: true as const, v }),
          (e) => ({ ok: false as const, e }),
        ).finally(() => (settled[i] = 1)),
    );
    const aborted = new Set<number>();
    const killer = (async () => {
      let next = 0;
      while (next < count) {
        await sleep(2 + rng() * 8);
        while (next < count && settled[next] === 1) next++;
        const victim = next + Math.floor(rng() * 2);
        if (victim >= count || settled[victim] === 1) continue;
        aborted.add(victim);
        controllers[victim].abort(new Error(`abort ${victim}`));
      }
    })();
    const all = await Promise.all(results);
    await killer;
    for (let i = 0; i < count; i++) {
      const r = all[i];
      assert.ok(counts[i] <= 1, `task ${i} ran ${counts[i]} times`);
      if (r.ok) {
        assert.equal(r.v.length, 40_000);
        assert.equal(r.v[0], i);
        assert.equal(r.v[39_999], 39_999);
      } else if (!aborted.has(i)) {
        assert.ok(r.e instanceof WorkerExitError, `task ${i}: ${r.e}`);
      }
    }
    assert.deepEqual(await pool.starmap("add", [[1, 2], [3, 4]]), [3, 7]);
  } finally {
    pool.terminate();
    await pool.join();
  }
});
