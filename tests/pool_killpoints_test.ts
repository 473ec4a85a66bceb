/**
 * Pool kill points, one by one (the table in src/pool/_slots.ts): a worker
 * dies by `process.exit(3)` right after a given step of taking and running
 * a task (tests/workers/pool_killpoint.ts), on real workers, and the pool
 * goes on with exact results: an item it had not taken stays, one it had
 * taken but not started runs once on another worker, one it had started
 * fails with WorkerExitError (and never runs again), an answered one is
 * delivered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pool, WorkerExitError } from "../mod.ts";
import { ANSWERED, IN_TAKE, RUNNING, TAKEN } from "./workers/pool_killpoint.ts";

const TASKS = new URL("./workers/pool_tasks.ts", import.meta.url);
const LOOP = new URL("./workers/pool_killpoint.ts", import.meta.url);

async function killedAt(point: number): Promise<{ first: PromiseSettledResult<number>; counts: Int32Array }> {
  const control = new Int32Array(new SharedArrayBuffer(8));
  control[0] = point;
  const counts = new Int32Array(new SharedArrayBuffer(4 * 8));
  const pool = new Pool(TASKS, {
    processes: 1,
    workerModule: LOOP,
    initializer: "setupKillpoint",
    initargs: [control, counts],
  });
  try {
    const [first] = await Promise.allSettled([pool.apply<number>("mark", [0])]);
    assert.equal(control[1], 1, "the killing worker ran");
    // The pool goes on: a replacement answers, exactly.
    assert.deepEqual(await Promise.all([1, 2, 3].map((i) => pool.apply("mark", [i]))), [1, 2, 3]);
    pool.close();
    await pool.join();
    return { first, counts };
  } finally {
    pool.terminate();
    await pool.join();
  }
}

test("killed under the task queue's get lock, before its count moved: the item was not taken, it runs once", async () => {
  const { first, counts } = await killedAt(IN_TAKE);
  assert.deepEqual(first, { status: "fulfilled", value: 0 });
  assert.deepEqual([...counts.subarray(0, 4)], [1, 1, 1, 1]);
});

test("killed after the take, before RUN: the task goes to another worker and runs once", async () => {
  const { first, counts } = await killedAt(TAKEN);
  assert.deepEqual(first, { status: "fulfilled", value: 0 });
  assert.deepEqual([...counts.subarray(0, 4)], [1, 1, 1, 1]);
});

test("killed after RUN: the task fails with WorkerExitError (exit code 3) and never runs again", async () => {
  const { first, counts } = await killedAt(RUNNING);
  assert.equal(first.status, "rejected");
  const e = (first as PromiseRejectedResult).reason;
  assert.ok(e instanceof WorkerExitError, String(e));
  assert.equal(e.exitCode, 3);
  assert.deepEqual([...counts.subarray(0, 4)], [0, 1, 1, 1]);
});

test("killed after putting the result: it is delivered, nothing else is lost", async () => {
  const { first, counts } = await killedAt(ANSWERED);
  assert.deepEqual(first, { status: "fulfilled", value: 0 });
  // The killing worker answered without calling the task.
  assert.deepEqual([...counts.subarray(0, 4)], [0, 1, 1, 1]);
});
