import { test } from "node:test";
import assert from "node:assert/strict";
import { ProcessError, RLock } from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

test("RLock: re-entrant on one thread, released as many times", () => {
  const lock = new RLock();
  assert.equal(lock.acquire(), true);
  assert.equal(lock.acquire({ blocking: false }), true);
  assert.equal(lock.acquire({ timeout: 0 }), true);
  lock.release();
  lock.release();
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => lock.release(), { name: "Error", message: /not held/ });
});

test("RLock: held by main, a worker's acquire times out; after release it succeeds", async () => {
  const lock = new RLock();
  const out = new Int32Array(new SharedArrayBuffer(4));
  lock.acquire();
  lock.acquire();
  await withProcesses(async (start) => {
    assert.equal(await start("try_acquire", { args: [lock, out, 50] }).join(), 0);
    assert.equal(out[0], 2, "the worker must not enter an RLock main holds");
    lock.release();
    assert.equal(await start("try_acquire", { args: [lock, out, 50] }).join(), 0);
    assert.equal(out[0], 2, "main still holds one level");
    lock.release();
    assert.equal(await start("try_acquire", { args: [lock, out, 5000] }).join(), 0);
    assert.equal(out[0], 1);
  });
});

test("RLock: a worker holding it excludes every other worker (distinct agent ids)", async () => {
  const lock = new RLock();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const outs = [0, 1, 2].map(() => new Int32Array(new SharedArrayBuffer(4)));
  await withProcesses(async (start) => {
    const holder = start("hold", { args: [lock, flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    const tries = outs.map((out) => start("try_acquire", { args: [lock, out, 30] }));
    assert.deepEqual(await Promise.all(tries.map((p) => p.join())), [0, 0, 0]);
    assert.deepEqual(outs.map((o) => o[0]), [2, 2, 2]);
    assert.equal(lock.acquire({ blocking: false }), false, "main is not the owner either");
    Atomics.store(flags, 1, 1);
    assert.equal(await holder.join(), 0);
  });
  assert.equal(lock.locked(), false);
});

test("RLock: 4 workers x 5,000 increments, re-entered twice each, give exactly 20,000", async () => {
  const lock = new RLock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("rlock_increment", { args: [lock, counter, 5000] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  assert.equal(counter[0], 20000);
  assert.equal(lock.locked(), false);
});

test("RLock: release by a thread that does not own it throws and changes nothing", async () => {
  const lock = new RLock();
  lock.acquire();
  await withProcesses(async (start) => {
    await assert.rejects(start("release", { args: [lock] }).join(), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.match(e.message, /held by another thread/);
      return true;
    });
  });
  assert.equal(lock.locked(), true);
  lock.release();
  assert.equal(lock.locked(), false);
});

test("RLock: async acquire, guardAsync and abort", async () => {
  const lock = new RLock();
  {
    using _ = await lock.guardAsync();
    assert.equal(await lock.acquireAsync(), true, "re-entry resolves at once");
    lock.release();
  }
  assert.equal(lock.locked(), false);
  const reason = new Error("aborted");
  await assert.rejects(lock.acquireAsync({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(lock.locked(), false);
});

test("RLock: two acquireAsync of one thread count two levels (the first level is counted as the lock is taken)", async () => {
  const lock = new RLock();
  assert.deepEqual(await Promise.all([lock.acquireAsync(), lock.acquireAsync()]), [true, true]);
  lock.release();
  assert.equal(lock.locked(), true, "one level left");
  lock.release();
  assert.equal(lock.locked(), false);
  // An async acquire, then a sync re-entry and its release before the promise settles.
  const pending = lock.acquireAsync();
  assert.equal(lock.acquire(), true);
  lock.release();
  assert.equal(await pending, true);
  assert.equal(lock.locked(), true, "the async level is still held");
  lock.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => lock.release(), /not held/);
});
