/**
 * LockManager between real workers on Deno, Bun and Node: the WPT web-locks
 * behaviour across threads (FIFO grants, shared/exclusive mixing,
 * ifAvailable, steal, signal, query with clientIds, an observed deadlock), a
 * dead worker's locks released and its requests withdrawn, and 8 workers
 * that never find two holders in an exclusive lock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LockManager, type LockMode } from "../mod.ts";
import { size } from "./_stress.ts";
import { sleep, until, withProcesses } from "./_util.ts";
import {
  ABORT_ERROR,
  DONE,
  GRANTS,
  NAMES_AT,
  NULLS,
  RESOLVED,
  VIOLATIONS,
} from "./workers/lock_manager_ops.ts";

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

/** Requests `name` and holds it until the returned function is called; resolves once granted. */
async function holdLock(
  locks: LockManager,
  name: string,
  mode: LockMode = "exclusive",
): Promise<() => Promise<void>> {
  let release!: () => void;
  let granted!: () => void;
  const got = new Promise<void>((r) => (granted = r));
  const request = locks.request(name, { mode }, () => {
    granted();
    return new Promise<void>((r) => (release = r));
  });
  await got;
  return () => {
    release();
    return request;
  };
}

/** Waits until `query()` shows `n` pending requests. */
async function pendingCount(locks: LockManager, n: number): Promise<void> {
  const end = performance.now() + 10_000;
  while ((await locks.query()).pending.length !== n) {
    if (performance.now() > end) throw new Error(`never ${n} pending requests`);
    await sleep(2);
  }
}

test("LockManager threads: requests from three workers are granted in the order they were made", async () => {
  const locks = new LockManager();
  const ctl = shared(8);
  const release = await holdLock(locks, "a");
  await withProcesses(async (start) => {
    const ps = [];
    for (let i = 0; i < 3; i++) {
      ps.push(
        start("lock_manager_ops", { exportName: "takeTurn", args: [locks, "a", "exclusive", ctl, 3 + i, 5] }),
      );
      await pendingCount(locks, i + 1);
    }
    const state = await locks.query();
    assert.equal(new Set(state.pending.map((l) => l.clientId)).size, 3, "three clients");
    assert.ok(!state.pending.some((l) => l.clientId === locks.clientId));
    await release();
    for (const p of ps) assert.equal(await p.join(10_000), 0);
  });
  assert.deepEqual([...ctl.subarray(3, 6)], [1, 2, 3]);
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});

test("LockManager threads: a waiting exclusive request holds back later shared ones of other threads", async () => {
  const locks = new LockManager();
  const ctl = shared(8);
  const release = await holdLock(locks, "m", "shared");
  await withProcesses(async (start) => {
    const ex = start("lock_manager_ops", {
      exportName: "takeTurn",
      args: [locks, "m", "exclusive", ctl, 3, 20],
    });
    await pendingCount(locks, 1);
    const sh = start("lock_manager_ops", { exportName: "takeTurn", args: [locks, "m", "shared", ctl, 4, 0] });
    await pendingCount(locks, 2);
    const state = await locks.query();
    assert.deepEqual(state.held.map((l) => l.mode), ["shared"]);
    assert.deepEqual(state.pending.map((l) => l.mode), ["exclusive", "shared"]);
    // ifAvailable from another thread: shared is not grantable while a request waits; a new name is.
    const out = shared(2);
    const t1 = start("lock_manager_ops", { exportName: "tryOnce", args: [locks, "m", "shared", out, 0] });
    const t2 = start("lock_manager_ops", {
      exportName: "tryOnce",
      args: [locks, "other", "exclusive", out, 1],
    });
    assert.equal(await t1.join(10_000), 0);
    assert.equal(await t2.join(10_000), 0);
    assert.deepEqual([...out], [2, 1]);
    await release();
    for (const p of [ex, sh]) assert.equal(await p.join(10_000), 0);
  });
  assert.deepEqual([...ctl.subarray(3, 5)], [1, 2], "the exclusive request first");
});

test("LockManager threads: query reports one clientId per thread and can observe a deadlock", async () => {
  const locks = new LockManager();
  await withProcesses(async (start) => {
    const flags = shared(4);
    const w = start("lock_manager_ops", { exportName: "hold", args: [locks, "q", "shared", flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    await locks.request("q", { mode: "shared" }, async () => {
      const held = (await locks.query()).held.filter((l) => l.name === "q");
      assert.equal(held.length, 2);
      assert.notEqual(held[0].clientId, held[1].clientId);
      assert.ok(held.some((l) => l.clientId === locks.clientId));
    });
    Atomics.store(flags, 1, 1);
    assert.equal(await w.join(10_000), 0);
    assert.equal(flags[2], RESOLVED);

    // The worker holds r1 and wants r2; this thread holds r2 and wants r1.
    const release2 = await holdLock(locks, "r2");
    const f = shared(4);
    const d = start("lock_manager_ops", { exportName: "holdThenRequest", args: [locks, "r1", "r2", f] });
    await until(() => Atomics.load(f, 0) === 1);
    const ac = new AbortController();
    const mine = locks.request("r1", { signal: ac.signal }, () => assert.fail("deadlocked"));
    mine.catch(() => {});
    await pendingCount(locks, 2);
    const state = await locks.query();
    const by = (list: typeof state.held, name: string) =>
      list.filter((l) => l.name === name).map((l) => l.clientId);
    assert.deepEqual(by(state.held, "r1"), by(state.pending, "r2"), "the worker holds r1 and waits for r2");
    assert.deepEqual(by(state.held, "r2"), by(state.pending, "r1"), "this thread holds r2 and waits for r1");
    // Broken by an abort and a release.
    ac.abort();
    await assert.rejects(mine, (e) => (e as Error).name === "AbortError");
    await release2();
    assert.equal(await d.join(10_000), 0);
    assert.equal(f[1], 1);
  });
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});

test("LockManager threads: a steal from another thread rejects the holder's request with AbortError", async () => {
  const locks = new LockManager();
  await withProcesses(async (start) => {
    const flags = shared(4);
    const w = start("lock_manager_ops", { exportName: "hold", args: [locks, "s", "exclusive", flags, true] });
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(await locks.request("s", { steal: true }, (lock) => lock?.name), "s");
    await until(() => Atomics.load(flags, 2) !== 0, 10_000);
    assert.equal(flags[2], ABORT_ERROR);
    assert.equal(await w.join(10_000), 0);
  });
});

test("LockManager threads: a worker that dies holding a lock releases it; its waiting requests are withdrawn", async () => {
  const locks = new LockManager();
  await withProcesses(async (start) => {
    const flags = shared(4);
    const holder = start("lock_manager_ops", {
      exportName: "hold",
      args: [locks, "d", "exclusive", flags, true],
    });
    await until(() => Atomics.load(flags, 0) === 1);
    const ctl = shared(8);
    const waiter = start("lock_manager_ops", {
      exportName: "takeTurn",
      args: [locks, "d", "exclusive", ctl, 3, 0],
    });
    await pendingCount(locks, 1);
    let granted = false;
    const mine = locks.request("d", () => void (granted = true));
    await pendingCount(locks, 2);
    // The waiting worker dies first: its request goes. Then the holder: the lock goes to this thread.
    waiter.terminate();
    assert.equal(await waiter.join(10_000), -15);
    await pendingCount(locks, 1);
    const t0 = performance.now();
    holder.terminate();
    assert.equal(await holder.join(10_000), -15);
    await mine;
    assert.ok(granted);
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(ctl[3], 0, "the dead waiter never got it");
  });
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});

test("LockManager threads: 8 workers, seeded exclusive/shared/ifAvailable requests on 3 names: never two holders in an exclusive lock", async () => {
  const locks = new LockManager();
  const workers = 8;
  const ops = size(200, 5000);
  const names = 3;
  const ctl = shared(NAMES_AT + 4 * names);
  await withProcesses(async (start) => {
    const ps = Array.from(
      { length: workers },
      (_, i) => start("lock_manager_ops", { exportName: "stress", args: [locks, ctl, 7 + i, ops, names] }),
    );
    for (const p of ps) assert.equal(await p.join(120_000), 0);
  });
  assert.equal(ctl[DONE], workers);
  assert.equal(ctl[VIOLATIONS], 0, "an exclusive holder met another holder");
  assert.equal(ctl[GRANTS] + ctl[NULLS], workers * ops, "every request settled once");
  for (let k = 0; k < names; k++) {
    const base = NAMES_AT + 4 * k;
    assert.equal(ctl[base + 2], ctl[base + 3], `name ${k}: no exclusive section lost its update`);
    assert.equal(ctl[base] + ctl[base + 1], 0);
  }
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});
