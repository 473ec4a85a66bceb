import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore, ProcessError, revive, Semaphore, TimeoutError } from "../mod.ts";
import { sleep, until, withProcesses } from "./_util.ts";

type Wire = { __sabkit: Record<string, unknown> };

/** CPython's `_test_semaphore`, step by step: values, then acquire results (1 true, 0 false). */
const CPYTHON_STEPS = [2, 1, 1, 1, 0, 0, 0, 1, 2];

test("Semaphore: counts as CPython's _test_semaphore, here and in a worker", async () => {
  const here = new Semaphore(2);
  const local = [
    here.getValue(),
    Number(here.acquire()),
    here.getValue(),
    Number(here.acquire()),
    here.getValue(),
    Number(here.acquire({ blocking: false })),
    here.getValue(),
    (here.release(), here.getValue()),
    (here.release(), here.getValue()),
  ];
  assert.deepEqual(local, CPYTHON_STEPS);
  const sem = new Semaphore(2);
  const out = new Int32Array(new SharedArrayBuffer(4 * CPYTHON_STEPS.length));
  await withProcesses(async (start) => {
    assert.equal(await start("sem_count", { args: [sem, out] }).join(), 0);
  });
  assert.deepEqual([...out], CPYTHON_STEPS);
  assert.equal(sem.getValue(), 2);
});

test("Semaphore: a timed acquire on 0 returns false after at least its timeout, here and in a worker", async () => {
  const sem = new Semaphore(0);
  for (const timeout of [0, -5, 40]) {
    const t0 = performance.now();
    assert.equal(sem.acquire({ timeout }), false);
    assert.ok(performance.now() - t0 >= Math.max(0, timeout), `timeout ${timeout}`);
  }
  const t0 = performance.now();
  assert.equal(await sem.acquireAsync({ timeout: 40 }), false);
  assert.ok(performance.now() - t0 >= 40);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const t1 = performance.now();
    assert.equal(await start("sem_acquire", { args: [sem, flags, out, 0, 60] }).join(), 0);
    assert.ok(performance.now() - t1 >= 60);
  });
  assert.equal(out[0], 2, "timed out in the worker");
  assert.equal(sem.getValue(), 0);
});

test("Semaphore: a semaphore of 3 shared by 6 workers never lets more than 3 into the section", async () => {
  const sem = new Semaphore(3);
  const stats = new Int32Array(new SharedArrayBuffer(12));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3, 4, 5].map(() => start("sem_section", { args: [sem, stats, 150] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0, 0, 0]);
  });
  const [inside, max, entries] = stats;
  assert.equal(entries, 900);
  assert.equal(inside, 0);
  assert.ok(max >= 1 && max <= 3, `at most 3 inside, saw ${max}`);
  assert.equal(sem.getValue(), 3);
});

test("Semaphore: release(2) wakes exactly two of three blocked workers, release() the third", async () => {
  const sem = new Semaphore(0);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(12));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2].map((slot) => start("sem_acquire", { args: [sem, flags, out, slot, 20000] }));
    await until(() => Atomics.load(flags, 0) === 3);
    await sleep(30);
    sem.release(2);
    await until(() => Atomics.load(flags, 1) === 2);
    await sleep(50);
    assert.equal(Atomics.load(flags, 1), 2, "only two got through");
    assert.equal(sem.getValue(), 0);
    assert.deepEqual([...out].sort(), [0, 1, 1]);
    sem.release();
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0]);
  });
  assert.deepEqual([...out], [1, 1, 1]);
  assert.equal(sem.getValue(), 0);
});

test("Semaphore: an async acquire resolves when a worker releases; abort and guards", async () => {
  const sem = new Semaphore(0);
  await withProcesses(async (start) => {
    const pending = sem.acquireAsync({ timeout: 10000 });
    const p = start("sem_release", { args: [sem, 1] });
    assert.equal(await pending, true);
    assert.equal(await p.join(), 0);
  });
  assert.equal(sem.getValue(), 0);
  const reason = new Error("stop");
  const controller = new AbortController();
  const aborted = sem.acquireAsync({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  await assert.rejects(sem.acquireAsync({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  // The abandoned wait must not swallow a later waiter's wake-up.
  const later = sem.acquireAsync({ timeout: 5000 });
  sem.release();
  assert.equal(await later, true);
  assert.throws(() => sem.guard({ timeout: 10 }), TimeoutError);
  await assert.rejects(sem.guardAsync({ timeout: 10 }), TimeoutError);
  sem.release(2);
  {
    using _a = sem.guard();
    using _b = await sem.guardAsync();
    assert.equal(sem.getValue(), 0);
  }
  assert.equal(sem.getValue(), 2);
});

test("Semaphore: bad values are TypeErrors and RangeErrors that change nothing", () => {
  assert.throws(() => new Semaphore(-1), { name: "RangeError", message: /initial value.*-1/ });
  assert.throws(() => new Semaphore(1.5), { name: "RangeError", message: /1\.5/ });
  assert.throws(() => new Semaphore(2 ** 31), { name: "RangeError", message: /2147483648/ });
  assert.throws(() => new Semaphore("2" as unknown as number), { name: "TypeError", message: /"2"/ });
  assert.throws(() => new BoundedSemaphore(-1), { name: "RangeError", message: /BoundedSemaphore initial/ });
  const sem = new Semaphore(1);
  assert.throws(() => sem.release(0), { name: "RangeError", message: /release count.*0/ });
  assert.throws(() => sem.release(-2), RangeError);
  assert.throws(() => sem.release(NaN), { name: "RangeError", message: /NaN/ });
  assert.throws(() => sem.release("1" as unknown as number), TypeError);
  assert.throws(() => sem.release(2 ** 31 - 1), { name: "RangeError", message: /maximum 2147483647/ });
  assert.throws(() => sem.acquire({ timeout: NaN }), { name: "TypeError", message: /NaN/ });
  assert.equal(sem.getValue(), 1);
  assert.equal(new Semaphore(0).getValue(), 0);
  assert.equal(new Semaphore().getValue(), 1);
});

test("BoundedSemaphore: a release above the initial value throws and leaves the count unchanged", async () => {
  const sem = new BoundedSemaphore(2);
  assert.ok(sem instanceof Semaphore);
  assert.throws(() => sem.release(), { name: "RangeError", message: /BoundedSemaphore.*initial value 2/ });
  assert.equal(sem.getValue(), 2);
  sem.acquire();
  sem.acquire();
  assert.throws(() => sem.release(3), RangeError);
  assert.equal(sem.getValue(), 0);
  sem.release(2);
  assert.equal(sem.getValue(), 2);
  sem.acquire();
  await withProcesses(async (start) => {
    await assert.rejects(start("sem_release", { args: [sem, 2] }).join(), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.equal(e.remoteName, "RangeError");
      return true;
    });
    assert.equal(sem.getValue(), 1);
    assert.equal(await start("sem_release", { args: [sem, 1] }).join(), 0);
  });
  assert.equal(sem.getValue(), 2);
  assert.equal(new BoundedSemaphore().getValue(), 1);
});

test("Semaphore: both kinds round-trip through revive onto the same memory; forged handles are TypeErrors", () => {
  const sem = new Semaphore(5);
  const bounded = new BoundedSemaphore(1);
  const got = revive(structuredClone({ sem, list: [bounded] }));
  assert.ok(got.sem instanceof Semaphore && !(got.sem instanceof BoundedSemaphore));
  assert.ok(got.list[0] instanceof BoundedSemaphore);
  assert.deepEqual(Object.keys(sem), ["__sabkit"]);
  got.sem.acquire();
  assert.equal(sem.getValue(), 4);
  bounded.acquire();
  got.list[0].release();
  assert.equal(bounded.getValue(), 1);
  assert.throws(() => got.list[0].release(), RangeError, "the bound travels with the memory");
  const asBounded = structuredClone(sem) as unknown as Wire;
  asBounded.__sabkit.kind = "BoundedSemaphore";
  assert.throws(() => revive(asBounded), { name: "TypeError", message: /does not hold a BoundedSemaphore/ });
  const truncated = structuredClone(sem) as unknown as Wire;
  truncated.__sabkit.byteLength = 8;
  assert.throws(() => revive(truncated), { name: "TypeError", message: /byte length is 8, expected 16/ });
  assert.equal(sem.getValue(), 4);
});
