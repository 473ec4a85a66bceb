import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, revive, RLock, Semaphore, Value } from "../mod.ts";
import { sleep, until, withProcesses } from "./_util.ts";

type Wire = { __sabkit: { meta: { lock: unknown } } };
const HEAD = 0;
const TAIL = 1;
const STARTED = 2;
const SLOTS = 3;
const ITEMS = 1000;

/** Takes ITEMS items from a producer worker through a 4-slot queue; returns them in order. */
async function consume(
  cond: Condition,
  take: (queue: Int32Array, pred: () => boolean) => boolean | Promise<boolean>,
): Promise<number[]> {
  const queue = new Int32Array(new SharedArrayBuffer(4 * (SLOTS + 4)));
  const got: number[] = [];
  await withProcesses(async (start) => {
    const p = start("cond_producer", { args: [cond, queue, ITEMS] });
    // Blocking this thread is safe only once the worker runs.
    await until(() => Atomics.load(queue, STARTED) === 1);
    while (got.length < ITEMS) {
      const ok = await take(queue, () => queue[TAIL] > queue[HEAD]);
      assert.ok(ok, `item ${got.length + 1} arrived in time`);
      got.push(queue[SLOTS + (queue[HEAD] % 4)]);
      queue[HEAD]++;
      cond.notify();
      cond.release();
    }
    assert.equal(await p.join(), 0);
  });
  return got;
}

const EXPECTED = Array.from({ length: ITEMS }, (_, i) => i + 1);

test("Condition: a producer worker hands 1,000 items to a blocking consumer with waitFor, none lost", async () => {
  const cond = new Condition();
  const got = await consume(cond, (_, pred) => {
    cond.acquire();
    return cond.waitFor(pred, 10000);
  });
  assert.deepEqual(got, EXPECTED);
});

test("Condition: a producer worker hands 1,000 items to an async consumer with waitForAsync", async () => {
  const cond = new Condition();
  const got = await consume(cond, async (_, pred) => {
    await cond.acquireAsync();
    return cond.waitForAsync(pred, 10000);
  });
  assert.deepEqual(got, EXPECTED);
});

/** Starts `n` waiter workers and resolves once all of them are inside `wait`. */
async function waiters(
  start: Parameters<Parameters<typeof withProcesses>[0]>[0],
  cond: Condition,
  timeouts: number[],
): Promise<{ counters: Int32Array; out: Int32Array }> {
  const counters = new Int32Array(new SharedArrayBuffer(12));
  const out = new Int32Array(new SharedArrayBuffer(4 * timeouts.length));
  timeouts.forEach((timeout, slot) => start("cond_waiter", { args: [cond, counters, out, slot, timeout] }));
  // Each counts itself while holding the lock, which it keeps until it is registered in wait.
  await until(() => Atomics.load(counters, 0) === timeouts.length);
  return { counters, out };
}

function notify(cond: Condition, n?: number): void {
  using _ = cond.guard();
  if (n === undefined) cond.notifyAll();
  else cond.notify(n);
}

test("Condition: notify(2) wakes exactly two of four waiting workers, notifyAll the rest", async () => {
  const cond = new Condition();
  await withProcesses(async (start) => {
    const { counters, out } = await waiters(start, cond, [20000, 20000, 20000, 20000]);
    notify(cond, 2);
    await until(() => Atomics.load(counters, 1) === 2);
    await sleep(100);
    assert.equal(Atomics.load(counters, 1), 2, "exactly two woke");
    assert.deepEqual([...out].sort(), [0, 0, 1, 1]);
    notify(cond, 0);
    notify(cond);
    await until(() => Atomics.load(counters, 1) === 4);
    assert.deepEqual([...out], [1, 1, 1, 1]);
    assert.equal(Atomics.load(counters, 2), 0, "none timed out");
  });
});

test("Condition: notifyAll wakes every waiting worker and an async waiter here", async () => {
  const cond = new Condition(new Lock());
  await withProcesses(async (start) => {
    const { counters, out } = await waiters(start, cond, [20000, 20000, 20000]);
    await cond.acquireAsync();
    const here = cond.waitAsync(20000).then((ok) => (cond.release(), ok));
    notify(cond);
    assert.equal(await here, true);
    await until(() => Atomics.load(counters, 1) === 3);
    assert.deepEqual([...out], [1, 1, 1]);
  });
  assert.equal(cond.acquire({ blocking: false }), true);
  cond.release();
});

test("Condition: waiters that timed out never absorb a notify: notify(1) still wakes exactly one", async () => {
  const cond = new Condition();
  await withProcesses(async (start) => {
    // Two waiters time out before any notify...
    const early = await waiters(start, cond, [30, 30]);
    await until(() => Atomics.load(early.counters, 2) === 2);
    // ...and two of the next four (slots 2 and 3) after the first notify.
    const { counters, out } = await waiters(start, cond, [20000, 20000, 300, 300]);
    notify(cond, 1);
    await until(() => Atomics.load(counters, 1) === 1);
    await until(() => Atomics.load(out, 2) !== 0 && Atomics.load(out, 3) !== 0);
    notify(cond, 1);
    await until(() => Atomics.load(counters, 1) === 2);
    await sleep(100);
    assert.equal(Atomics.load(counters, 1), 2, "exactly one per notify(1)");
    notify(cond);
    await until(() => Atomics.load(counters, 1) + Atomics.load(counters, 2) === 4);
    assert.deepEqual([out[0], out[1]], [1, 1], "the long waiters were notified");
    assert.deepEqual([...early.out], [2, 2]);
  });
});

test("Condition: wait releases an RLock held 3 times for a worker, then restores the depth", async () => {
  const cond = new Condition(new RLock());
  const flags = new Int32Array(new SharedArrayBuffer(8));
  cond.acquire();
  cond.acquire();
  cond.acquire();
  await withProcesses(async (start) => {
    const p = start("cond_notify", { args: [cond, flags] });
    await until(() => Atomics.load(flags, 1) === 1);
    assert.equal(cond.wait(10000), true);
    assert.equal(Atomics.load(flags, 0), 1, "the worker took the lock while we waited");
    assert.equal(await p.join(), 0);
  });
  cond.release();
  cond.release();
  cond.release();
  assert.throws(() => cond.release(), { name: "Error", message: /not held/ });
});

test("Condition: a timed wait returns false after at least its timeout, holding the lock again", async () => {
  const rlock = new RLock();
  const cond = new Condition(rlock);
  cond.acquire();
  cond.acquire();
  let t0 = performance.now();
  assert.equal(cond.wait(40), false);
  assert.ok(performance.now() - t0 >= 40);
  t0 = performance.now();
  assert.equal(await cond.waitAsync(40), false);
  assert.ok(performance.now() - t0 >= 40);
  t0 = performance.now();
  assert.equal(cond.waitFor(() => 0, 40), 0, "the predicate's last value");
  assert.ok(performance.now() - t0 >= 40);
  assert.equal(await cond.waitForAsync(() => "", 20), "");
  assert.equal(cond.waitFor(() => "ready"), "ready");
  assert.equal(cond.wait(-1), false);
  cond.release();
  assert.equal(rlock.locked(), true, "depth 2 was restored");
  cond.release();
  assert.equal(rlock.locked(), false);
  const lock = new Lock();
  const plain = new Condition(lock);
  using _ = plain.guard();
  assert.equal(plain.wait(10), false);
  assert.equal(lock.locked(), true);
});

test("Condition: wait and notify without the lock throw and change nothing; bad arguments", async () => {
  const cond = new Condition();
  assert.throws(() => cond.wait(10), { name: "Error", message: /lock is not held/ });
  await assert.rejects(cond.waitAsync(10), { name: "Error", message: /lock is not held/ });
  assert.throws(() => cond.waitFor(() => false, 10), /lock is not held/);
  assert.throws(() => cond.notify(), { name: "Error", message: /lock is not held/ });
  assert.throws(() => cond.notifyAll(), /lock is not held/);
  using _ = cond.guard();
  assert.throws(() => cond.notify(-1), { name: "RangeError", message: /notify.*-1/ });
  assert.throws(() => cond.notify(1.5), RangeError);
  assert.throws(() => cond.notify("2" as unknown as number), { name: "TypeError", message: /"2"/ });
  assert.throws(() => cond.wait(NaN), { name: "TypeError", message: /NaN/ });
  assert.throws(() => cond.waitFor(5 as unknown as () => boolean), { name: "TypeError", message: /5/ });
  assert.throws(() => new Condition({} as Lock), {
    name: "TypeError",
    message: /Lock or an RLock, got an? Object/,
  });
  assert.throws(() => new Condition(new Semaphore() as unknown as Lock), /got a Semaphore/);
  // No phantom waiter was left behind: a notify now is not owed to anyone.
  cond.notify();
  assert.equal(cond.wait(20), false);
});

test("Condition: an abort ends waitAsync with its reason, the lock held again", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  await cond.acquireAsync();
  const reason = new Error("enough");
  const controller = new AbortController();
  const pending = cond.waitAsync(undefined, { signal: controller.signal });
  await sleep(10);
  assert.equal(lock.locked(), false, "released while waiting");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(lock.locked(), true);
  await assert.rejects(cond.waitAsync(undefined, { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(lock.locked(), true);
  assert.equal(await cond.waitAsync(10), false, "the aborted waiter left no token behind");
  cond.release();
});

test("Condition: an async wait here is woken by a worker's notify", async () => {
  const cond = new Condition();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    await cond.acquireAsync();
    const woken = cond.waitAsync(10000);
    const p = start("cond_notify", { args: [cond, flags] });
    assert.equal(await woken, true);
    assert.equal(Atomics.load(flags, 0), 1);
    cond.release();
    assert.equal(await p.join(), 0);
  });
});

test("Condition: round-trips through revive with its lock; forged locks are TypeErrors", () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  assert.deepEqual(Object.keys(cond), ["__sabkit"]);
  const got = revive(structuredClone([cond]))[0];
  assert.ok(got instanceof Condition);
  got.acquire();
  assert.equal(lock.locked(), true, "the same lock");
  got.release();
  const defaulted = revive(structuredClone(new Condition()));
  assert.equal(defaulted.acquire({ blocking: false }), true, "its RLock came along");
  defaulted.release();
  for (const bad of [5, null, new Semaphore()]) {
    const wire = structuredClone(cond) as unknown as Wire;
    wire.__sabkit.meta.lock = bad;
    assert.throws(() => revive(wire), { name: "TypeError", message: /Condition lock is/ });
  }
});

test("Condition and synchronized data: a bad acquire option names what was called, and changes nothing", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const value = Value("i", 7);
  assert.throws(() => cond.acquire(5 as never), {
    name: "TypeError",
    message: /options of Condition\.acquire\(\)/,
  });
  assert.throws(() => cond.acquire({ blocking: 1 as never }), {
    name: "TypeError",
    message: /blocking option of Condition\.acquire\(\)/,
  });
  assert.throws(() => value.acquire(true as never), {
    name: "TypeError",
    message: /options of SynchronizedValue\.acquire\(\)/,
  });
  await assert.rejects(cond.acquireAsync({ signal: 1 as never }), {
    name: "TypeError",
    message: /signal option of Condition\.acquireAsync\(\)/,
  });
  await assert.rejects(value.acquireAsync({ timeout: "1" as never }), {
    name: "TypeError",
    message: /timeout/,
  });
  assert.equal(lock.locked(), false);
  assert.equal(value.acquire({ blocking: false }), true, "the value's lock is free");
  value.release();
  assert.equal(cond.acquire({ timeout: 10 }), true);
  cond.release();
});
