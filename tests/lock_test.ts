import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, TimeoutError } from "../mod.ts";
import { sleep, until, withProcesses } from "./_util.ts";

test("Lock: 4 workers x 20,000 plain increments under one lock give exactly 80,000", async () => {
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("increment", { args: [lock, counter, 20000] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  assert.equal(counter[0], 80000);
  assert.equal(lock.locked(), false);
});

test("Lock: acquire, locked, release and release misuse", () => {
  const lock = new Lock();
  assert.equal(lock.locked(), false);
  assert.equal(lock.acquire(), true);
  assert.equal(lock.locked(), true);
  assert.equal(lock.acquire({ blocking: false }), false);
  lock.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => lock.release(), { name: "Error", message: /unlocked Lock/ });
  assert.equal(lock.locked(), false);
});

test("Lock: a timed acquire returns false after at least its timeout", () => {
  const lock = new Lock();
  lock.acquire();
  for (const timeout of [0, -5, 30, 80]) {
    const t0 = performance.now();
    assert.equal(lock.acquire({ timeout }), false);
    assert.ok(performance.now() - t0 >= Math.max(0, timeout), `timeout ${timeout}`);
  }
  assert.equal(lock.locked(), true);
  lock.release();
});

test("Lock: bad options are TypeErrors that change nothing", () => {
  const lock = new Lock();
  assert.throws(() => lock.acquire({ timeout: "5" as unknown as number }), {
    name: "TypeError",
    message: /"5"/,
  });
  assert.throws(() => lock.acquire({ timeout: NaN }), { name: "TypeError", message: /NaN/ });
  assert.throws(() => lock.acquire({ blocking: 0 as unknown as boolean }), {
    name: "TypeError",
    message: /0/,
  });
  assert.equal(lock.locked(), false);
});

test("Lock: a sleeper woken only to find the lock taken takes it promptly at the next release", async () => {
  // A worker sleeps on the lock; another spins on it. This thread releases it: the spinner takes
  // it before the sleeper wakes, so the sleeper finds it held and naps unmarked (`nap` in
  // src/core/_mutex.ts). It must still take the lock within ms of the spinner's release.
  const lock = new Lock();
  const sleeper = new Int32Array(new SharedArrayBuffer(8));
  const spinner = new Int32Array(new SharedArrayBuffer(4));
  const tookAt = new Float64Array(new SharedArrayBuffer(8));
  const releasedAt = new Float64Array(new SharedArrayBuffer(8));
  lock.acquire();
  await withProcesses(async (start) => {
    const w = start("lock_take_time", { args: [lock, sleeper, tookAt, 10000] });
    await until(() => Atomics.load(sleeper, 0) === 1);
    // Past its spin (at most 0.5 ms): it sleeps.
    await sleep(50);
    const h = start("lock_spin_take", { args: [lock, spinner, releasedAt, 30] });
    await until(() => Atomics.load(spinner, 0) === 1);
    lock.release();
    assert.equal(await w.join(10000), 0);
    assert.equal(await h.join(10000), 0);
    assert.equal(Atomics.load(sleeper, 1), 1, "the sleeper's acquire timed out");
    // Where the sleeper won the race instead, it took the lock first: nothing more to see.
    if (tookAt[0] >= releasedAt[0]) {
      const late = tookAt[0] - releasedAt[0];
      assert.ok(late < 50, `the sleeper took the lock ${late} ms after the spinner released it`);
    }
  });
  assert.equal(lock.locked(), false);
});

test("Lock: a sleeper that a holder in a loop keeps beating takes the lock by the time the loop stops", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const stopped = new Float64Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("lock_streak", { args: [lock, flags, stopped, 300] });
    await until(() => Atomics.load(flags, 0) === 1);
    await sleep(20);
    assert.ok(lock.acquire({ timeout: 10000 }), "the lock was never taken");
    const took = Date.now();
    // Taken in a gap between two sections, or within ms of the loop's end (not a poll's 100 ms later).
    const late = Atomics.load(flags, 1) === 0 ? 0 : took - stopped[0];
    lock.release();
    assert.equal(await p.join(10000), 0);
    assert.ok(Atomics.load(flags, 1) > 0, "the holder ran no section");
    assert.ok(late < 50, `the lock was taken ${late} ms after the holder stopped`);
  });
  assert.equal(lock.locked(), false);
});

test("Lock: a timed acquire in a worker fails while main holds it, succeeds after release", async () => {
  const lock = new Lock();
  const out = new Int32Array(new SharedArrayBuffer(4));
  lock.acquire();
  await withProcesses(async (start) => {
    assert.equal(await start("try_acquire", { args: [lock, out, 50] }).join(), 0);
    assert.equal(out[0], 2);
    lock.release();
    assert.equal(await start("try_acquire", { args: [lock, out, 5000] }).join(), 0);
    assert.equal(out[0], 1);
  });
});

test("Lock: an async acquire resolves when a worker releases", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("hold", { args: [lock, flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    let resolved = false;
    const pending = lock.acquireAsync().then((ok) => (resolved = ok));
    await sleep(30);
    assert.equal(resolved, false);
    Atomics.store(flags, 1, 1);
    assert.equal(await pending, true);
    assert.equal(await p.join(), 0);
    lock.release();
  });
});

test("Lock: an aborted signal rejects a pending and an already-aborted async acquire", async () => {
  const lock = new Lock();
  lock.acquire();
  const controller = new AbortController();
  const pending = lock.acquireAsync({ signal: controller.signal });
  const reason = new Error("stop waiting");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  await assert.rejects(lock.acquireAsync({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(await lock.acquireAsync({ timeout: 20 }), false);
  // The abandoned wait must not swallow the wake-up of a later waiter.
  const later = lock.acquireAsync({ timeout: 5000 });
  lock.release();
  assert.equal(await later, true);
  lock.release();
});

test("Lock: guard releases on dispose, throws TimeoutError when it cannot acquire", async () => {
  const lock = new Lock();
  {
    using _ = lock.guard();
    assert.equal(lock.locked(), true);
    assert.throws(() => lock.guard({ timeout: 10 }), TimeoutError);
    await assert.rejects(lock.guardAsync({ timeout: 10 }), TimeoutError);
  }
  assert.equal(lock.locked(), false);
  {
    using _ = await lock.guardAsync();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
});

test("Lock: any thread may release it, as in Python", async () => {
  const lock = new Lock();
  lock.acquire();
  await withProcesses(async (start) => {
    assert.equal(await start("release", { args: [lock] }).join(), 0);
  });
  assert.equal(lock.locked(), false);
});

test("Lock: a wake-up spent on an abandoned async waiter still reaches a blocked acquire here", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("hold_for", { args: [lock, flags, 150] });
    await until(() => Atomics.load(flags, 0) === 1);
    const controller = new AbortController();
    const abandoned = lock.acquireAsync({ signal: controller.signal });
    controller.abort();
    await assert.rejects(abandoned);
    // The worker's release may notify the abandoned waiter, which cannot run while we block.
    assert.equal(lock.acquire({ timeout: 10000 }), true);
    lock.release();
    assert.equal(await p.join(), 0);
  });
});
