/**
 * Injected faults: workers terminated while they wait or hold, workers that
 * throw mid-protocol, aborted async waits, and the precision of timeouts.
 * Every primitive must stay usable for everyone else, with no wake-up lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  OwnerDiedError,
  ProcessError,
  RLock,
  Semaphore,
  Value,
} from "../mod.ts";
import { BROKEN, OWNER_DIED, TRUE } from "./workers/fault_wait.ts";
import { overshoot } from "./_stress.ts";
import { sleep, until, withProcesses } from "./_util.ts";

type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

/** Two counters (arrived, done) and room for `n` outcomes (outcome, ms each). */
function board(n: number): { flags: Int32Array; out: Int32Array } {
  return {
    flags: new Int32Array(new SharedArrayBuffer(8)),
    out: new Int32Array(new SharedArrayBuffer(8 * n)),
  };
}

/** Resolves once `flags[i]` has reached `n`. */
async function reached(flags: Int32Array, i: number, n: number, timeoutMs = 20000): Promise<void> {
  try {
    await until(() => Atomics.load(flags, i) >= n, timeoutMs);
  } catch {
    throw new Error(`flags[${i}] is ${Atomics.load(flags, i)} after ${timeoutMs} ms, expected ${n}`);
  }
}

/** Starts a `fault_wait` export in a worker. */
function waiter(
  start: Start,
  exportName: string,
  target: unknown,
  b: { flags: Int32Array; out: Int32Array },
  k: number,
  timeout = 60000,
) {
  return start("fault_wait", { exportName, args: [target, b.flags, b.out, 2 * k, timeout] });
}

// ---------------------------------------------------------------------------
// A worker terminated while it waits

for (const Kind of [Lock, RLock, Semaphore]) {
  test(`faults: a worker terminated while blocked in ${Kind.name}.acquire leaves it usable for the others`, async () => {
    const lock = Kind === Semaphore ? new Semaphore(0) : new Kind();
    if (!(lock instanceof Semaphore)) lock.acquire();
    const b = board(2);
    await withProcesses(async (start) => {
      const doomed = waiter(start, "acquire", lock, b, 0);
      const other = waiter(start, "acquire", lock, b, 1);
      await reached(b.flags, 0, 2);
      await sleep(100); // both asleep in acquire
      doomed.terminate();
      assert.equal(await doomed.join(), -15);
      await sleep(50);
      lock.release();
      await reached(b.flags, 1, 1);
      assert.equal(await other.join(), 0);
    });
    // (Deno's terminated worker may still record the TerminatedError that ended its wait.)
    assert.notEqual(b.out[0], TRUE, "the dead waiter never got it");
    assert.equal(b.out[2], TRUE, "the live waiter got it");
    assert.ok(b.out[3] < 30000);
    if (lock instanceof Semaphore) {
      assert.equal(lock.getValue(), 1, "the count is right afterwards");
      assert.equal(lock.acquire({ timeout: 0 }), true);
      assert.equal(lock.acquire({ timeout: 0 }), false);
      lock.release();
      assert.equal(lock.getValue(), 1);
    } else {
      assert.equal(lock.locked(), false);
      assert.equal(lock.acquire({ timeout: 0 }), true, "no OwnerDiedError: the dead worker never held it");
      lock.release();
    }
  });
}

for (const Kind of [Lock, RLock]) {
  test(`faults: a worker terminated while waiting on a Condition(${Kind.name}) leaves it usable; notify reaches a live waiter`, async () => {
    const lock = new Kind();
    const cond = new Condition(lock);
    const b = board(2);
    await withProcesses(async (start) => {
      const doomed = waiter(start, "condWait", cond, b, 0);
      const other = waiter(start, "condWait", cond, b, 1);
      await reached(b.flags, 0, 2);
      // Both have released the lock inside wait once it can be taken here.
      await sleep(50);
      assert.equal(cond.acquire({ timeout: 10000 }), true);
      doomed.terminate();
      assert.equal(await doomed.join(), -15);
      await sleep(150);
      // The dying waiter must not have released the lock this thread holds.
      assert.equal(lock.locked(), true, "the dying waiter did not release the lock held here");
      cond.notify();
      cond.release();
      await reached(b.flags, 1, 1);
      assert.equal(await other.join(), 0);
    });
    assert.equal(b.out[2], TRUE);
    // Usable afterwards: a fresh waiter is woken by a single notify.
    await withProcesses(async (start) => {
      const c = board(1);
      const p = waiter(start, "condWait", cond, c, 0);
      await reached(c.flags, 0, 1);
      await sleep(50);
      {
        using _ = cond.guard({ timeout: 10000 });
        cond.notify();
      }
      await reached(c.flags, 1, 1);
      assert.equal(await p.join(), 0);
      assert.equal(c.out[0], TRUE);
    });
  });
}

test("faults: a worker terminated while waiting for an Event leaves it usable: set wakes the live waiter", async () => {
  const event = new Event();
  const b = board(2);
  await withProcesses(async (start) => {
    const doomed = waiter(start, "eventWait", event, b, 0);
    const other = waiter(start, "eventWait", event, b, 1);
    await reached(b.flags, 0, 2);
    await sleep(100);
    doomed.terminate();
    assert.equal(await doomed.join(), -15);
    event.set();
    await reached(b.flags, 1, 1);
    assert.equal(await other.join(), 0);
  });
  assert.equal(b.out[2], TRUE);
  event.clear();
  assert.equal(event.wait(10), false);
  event.set();
  assert.equal(event.wait(0), true);
});

/** Runs one full round of `parties` with workers plus this thread; returns the indices. */
async function fullRound(start: Start, barrier: Barrier): Promise<number[]> {
  const b = board(barrier.parties - 1);
  const procs = Array.from(
    { length: barrier.parties - 1 },
    (_, k) => waiter(start, "barrierWait", barrier, b, k),
  );
  await reached(b.flags, 0, procs.length);
  const mine = await barrier.waitAsync(20000);
  await reached(b.flags, 1, procs.length);
  const indices = procs.map((_, k) => b.out[2 * k] - 10);
  return [mine, ...indices].sort();
}

test("faults: a worker terminated while waiting at a Barrier breaks it for the others; reset repairs it", async () => {
  const barrier = new Barrier(3);
  const b = board(2);
  await withProcesses(async (start) => {
    const doomed = waiter(start, "barrierWait", barrier, b, 0);
    const other = waiter(start, "barrierWait", barrier, b, 1);
    await until(() => barrier.nWaiting === 2);
    doomed.terminate();
    assert.equal(await doomed.join(), -15);
    // The live party learns that its round can never complete as it was.
    await reached(b.flags, 1, 1, 10000);
    assert.equal(await other.join(), 0);
    assert.equal(b.out[2], BROKEN);
    assert.equal(barrier.broken, true);
    await assert.rejects(barrier.waitAsync(1000), BrokenBarrierError);
    barrier.reset();
    assert.equal(barrier.broken, false);
    assert.deepEqual(await fullRound(start, barrier), [0, 1, 2]);
    assert.deepEqual(await fullRound(start, barrier), [0, 1, 2]);
  });
});

test("faults: a worker terminated after its Barrier round completed does not block the next round", async () => {
  const barrier = new Barrier(2);
  await withProcesses(async (start) => {
    // The worker is released but may be terminated before it leaves: rounds go on.
    for (let i = 0; i < 5; i++) {
      const b = board(1);
      const p = waiter(start, "barrierWait", barrier, b, 0);
      await reached(b.flags, 0, 1);
      const mine = barrier.wait(20000);
      p.terminate();
      assert.ok(mine === 0 || mine === 1);
    }
    assert.deepEqual(await fullRound(start, barrier), [0, 1]);
  });
  assert.equal(barrier.broken, false);
});

// ---------------------------------------------------------------------------
// A worker terminated while it holds a lock

for (const Kind of [Lock, RLock]) {
  test(`faults: ${Kind.name} held by a terminated worker: waiters get OwnerDiedError or time out, recover works`, async () => {
    const lock = new Kind();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const b = board(2);
    await withProcesses(async (start) => {
      const depth = lock instanceof RLock ? 2 : 1;
      const holder = start("fault_wait", { exportName: "holdForever", args: [lock, flags, depth] });
      await reached(flags, 0, 1);
      const blocked = waiter(start, "acquire", lock, b, 0, 60000);
      await reached(b.flags, 0, 1);
      // While the holder lives, a timed acquire just times out.
      assert.equal(lock.acquire({ timeout: 50 }), false);
      assert.equal(await lock.acquireAsync({ timeout: 50 }), false);
      holder.terminate();
      assert.equal(await holder.join(), -15);
      // The blocked worker hears of it at its next poll, well before its own timeout.
      await reached(b.flags, 1, 1, 10000);
      assert.equal(await blocked.join(), 0);
      assert.equal(b.out[0], OWNER_DIED);
      assert.ok(b.out[1] < 10000, `the blocked worker waited ${b.out[1]} ms`);
      // And so does everyone who comes later, however they wait.
      const late = waiter(start, "acquire", lock, b, 1, 60000);
      assert.equal(await late.join(), 0);
      assert.equal(b.out[2], OWNER_DIED);
    });
    assert.equal(lock.locked(), true);
    assert.throws(() => lock.acquire({ timeout: 1000 }), OwnerDiedError);
    await assert.rejects(lock.acquireAsync(), OwnerDiedError);
    assert.equal(lock.acquire({ blocking: false }), false);
    assert.equal(lock.acquire({ recover: true, timeout: 1000 }), true);
    if (lock instanceof RLock) {
      assert.equal(lock.acquire(), true, "recovered at depth 1, re-entrant as usual");
      lock.release();
    }
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(await lock.acquireAsync({ timeout: 0 }), true);
    lock.release();
  });
}

test("faults: a Value whose lock holder was terminated: reads and guards report OwnerDiedError; recover, repair, go on", async () => {
  const v = Value("i", 41);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const holder = start("fault_wait", { exportName: "holdForever", args: [v.getLock(), flags] });
    await reached(flags, 0, 1);
    holder.terminate();
    assert.equal(await holder.join(), -15);
  });
  assert.throws(() => v.value, OwnerDiedError);
  assert.throws(() => (v.value = 1), OwnerDiedError);
  assert.throws(() => v.guard({ timeout: 1000 }), OwnerDiedError);
  await assert.rejects(v.guardAsync(), OwnerDiedError);
  assert.equal(v.getObj().value, 41, "the data is untouched");
  assert.equal(v.acquire({ recover: true, timeout: 1000 }), true);
  v.value = 42; // the default RLock re-enters
  v.release();
  {
    using _ = v.guard({ timeout: 0 });
    v.value += 1;
  }
  assert.equal(v.value, 43);
});

test("faults: a Condition whose lock holder was terminated: OwnerDiedError, recover through the condition", async () => {
  const cond = new Condition(new Lock());
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const holder = start("fault_wait", { exportName: "holdForever", args: [cond, flags] });
    await reached(flags, 0, 1);
    holder.terminate();
    assert.equal(await holder.join(), -15);
  });
  assert.throws(() => cond.acquire({ timeout: 1000 }), OwnerDiedError);
  assert.equal(cond.acquire({ recover: true }), true);
  assert.equal(cond.wait(10), false, "waits work again");
  cond.notifyAll();
  cond.release();
});

test("faults: a Semaphore permit held by a terminated worker stays taken; timeouts fire; release on its behalf", async () => {
  const sem = new Semaphore(1);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const holder = start("fault_wait", { exportName: "holdForever", args: [sem, flags] });
    await reached(flags, 0, 1);
    holder.terminate();
    assert.equal(await holder.join(), -15);
  });
  assert.equal(sem.getValue(), 0);
  assert.equal(sem.acquire({ timeout: 30 }), false);
  assert.equal(await sem.acquireAsync({ timeout: 30 }), false);
  sem.release(); // any thread may release a semaphore
  assert.equal(sem.acquire({ timeout: 0 }), true);
  sem.release();
  assert.equal(sem.getValue(), 1);
});

// ---------------------------------------------------------------------------
// A worker that throws mid-protocol

for (
  const [name, make, nested] of [
    ["Lock", () => new Lock(), false],
    ["RLock (nested guards)", () => new RLock(), true],
    ["Semaphore", () => new Semaphore(1), false],
  ] as const
) {
  test(`faults: a worker that throws inside a ${name} guard (sync and async) releases it on the way out`, async () => {
    const lock = make();
    await withProcesses(async (start) => {
      for (const [exportName, args] of [["inGuard", [lock, nested]], ["inGuardAsync", [lock]]] as const) {
        await assert.rejects(start("fault_throw", { exportName, args: [...args] }).join(), (e) => {
          assert.ok(e instanceof ProcessError);
          assert.equal(e.remoteName, "RangeError");
          assert.match(e.message, /thrown inside/);
          return true;
        });
        if (lock instanceof Semaphore) assert.equal(lock.getValue(), 1);
        else assert.equal(lock.locked(), false);
      }
    });
    assert.equal(lock.acquire({ timeout: 0 }), true, "no OwnerDiedError: the guard released before the exit");
    lock.release();
  });
}

test("faults: a worker that throws halfway through a guarded Value update releases its lock", async () => {
  const v = Value("i", 1);
  await withProcesses(async (start) => {
    await assert.rejects(
      start("fault_throw", { exportName: "inValueGuard", args: [v] }).join(),
      ProcessError,
    );
  });
  assert.equal(v.getLock().locked(), false);
  assert.equal(v.value, 2, "what it wrote before the throw stays (no rollback)");
});

test("faults: a Condition predicate that throws in a worker releases the lock; the condition works on", async () => {
  const cond = new Condition(new Lock());
  const flags = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("fault_throw", { exportName: "inPredicate", args: [cond, flags] });
    await sleep(100);
    {
      using _ = await cond.guardAsync({ timeout: 10000 });
      Atomics.store(flags, 0, 1);
      cond.notifyAll();
    }
    await assert.rejects(p.join(), /thrown by the predicate/);
  });
  assert.equal(cond.acquire({ timeout: 1000 }), true);
  assert.equal(cond.wait(5), false);
  cond.release();
});

test("faults: a Barrier action that throws in a worker breaks the round; reset, and rounds go on", async () => {
  const barrier = new Barrier(2, {
    action: () => {
      throw new Error("unused here");
    },
  });
  barrier.action = undefined;
  await withProcesses(async (start) => {
    // The worker completes the round (it arrives second), with an action that throws.
    const b = board(1);
    const pending = barrier.waitAsync(20000);
    await until(() => barrier.nWaiting === 1);
    const p = start("fault_wait", { exportName: "barrierWait", args: [barrier, b.flags, b.out, 0, 20000] });
    // No action in the worker: that round completes; the next uses an action here that throws.
    assert.ok((await pending) >= 0);
    assert.equal(await p.join(), 0);
    barrier.action = () => {
      throw new RangeError("action failed");
    };
    const q = start("fault_wait", { exportName: "barrierWait", args: [barrier, b.flags, b.out, 0, 20000] });
    await until(() => barrier.nWaiting === 1);
    assert.throws(() => barrier.wait(20000), /action failed/);
    assert.equal(await q.join(), 0);
    assert.equal(b.out[0], BROKEN);
    barrier.action = undefined;
    barrier.reset();
    assert.deepEqual(await fullRound(start, barrier), [0, 1]);
  });
});

// ---------------------------------------------------------------------------
// Aborted async waits: reject with the reason, and lose no wake-up

/** Aborts a pending wait and checks it rejects with the reason. */
async function abortPending(wait: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const reason = new Error("aborted by the test");
  await assert.rejects(wait(AbortSignal.abort(reason)), (e) => e === reason, "already aborted");
  const controller = new AbortController();
  const pending = wait(controller.signal);
  let settled = false;
  pending.then(() => (settled = true), () => (settled = true));
  await sleep(20);
  assert.equal(settled, false, "still waiting before the abort");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
}

for (const Kind of [Lock, RLock, Semaphore]) {
  test(`faults: an aborted ${Kind.name}.acquireAsync rejects with the reason; later sync and async waiters still get woken`, async () => {
    const lock = Kind === Semaphore ? new Semaphore(0) : new Kind();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    const b = board(1);
    await withProcesses(async (start) => {
      // Someone else holds it (an RLock would let this thread re-enter).
      const holder = lock instanceof Semaphore
        ? undefined
        : start("fault_wait", { exportName: "holdForever", args: [lock, flags] });
      if (holder) await reached(flags, 0, 1);
      for (let i = 0; i < 3; i++) await abortPending((signal) => lock.acquireAsync({ signal }));
      // A worker blocks now; V8 may hand the next wake-up to one of the abandoned waiters here.
      const blocked = waiter(start, "acquire", lock, b, 0, 60000);
      await reached(b.flags, 0, 1);
      await sleep(50);
      const t0 = performance.now();
      if (holder) Atomics.store(flags, 1, 1);
      else lock.release();
      await reached(b.flags, 1, 1);
      assert.equal(b.out[0], TRUE);
      assert.ok(performance.now() - t0 < 5000, "woken, not left to its timeout");
      assert.equal(await blocked.join(), 0);
      if (holder) assert.equal(await holder.join(), 0);
      // And an async waiter here.
      lock.acquire();
      const later = lock.acquireAsync({ timeout: 10000 });
      await sleep(20);
      lock.release();
      assert.equal(await later, true);
      lock.release();
    });
    if (lock instanceof Semaphore) assert.equal(lock.getValue(), 1);
    else assert.equal(lock.locked(), false);
  });
}

test("faults: an aborted Condition.waitAsync rejects with the reason holding the lock again; later waiters get notified", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const b = board(1);
  await withProcesses(async (start) => {
    for (let i = 0; i < 3; i++) {
      await abortPending(async (signal) => {
        await cond.acquireAsync();
        try {
          return await cond.waitAsync(undefined, { signal });
        } finally {
          assert.equal(lock.locked(), true, "the lock is held again when it rejects");
          cond.release();
        }
      });
    }
    const p = waiter(start, "condWait", cond, b, 0);
    await reached(b.flags, 0, 1);
    await sleep(50);
    {
      using _ = await cond.guardAsync({ timeout: 10000 });
      cond.notify();
    }
    await reached(b.flags, 1, 1);
    assert.equal(b.out[0], TRUE);
    assert.equal(await p.join(), 0);
    using _ = await cond.guardAsync();
    const later = cond.waitAsync(10000);
    setTimeout(() => {
      cond.acquire();
      cond.notify();
      cond.release();
    }, 20);
    assert.equal(await later, true);
  });
});

test("faults: an aborted Event.waitAsync rejects with the reason; set still wakes every waiter", async () => {
  const event = new Event();
  const b = board(1);
  for (let i = 0; i < 3; i++) await abortPending((signal) => event.waitAsync(undefined, { signal }));
  await withProcesses(async (start) => {
    const p = waiter(start, "eventWait", event, b, 0);
    const here = event.waitAsync(10000);
    await reached(b.flags, 0, 1);
    await sleep(50);
    event.set();
    assert.equal(await here, true);
    await reached(b.flags, 1, 1);
    assert.equal(b.out[0], TRUE);
    assert.equal(await p.join(), 0);
  });
});

test("faults: an aborted Barrier.waitAsync rejects with the reason (breaking the round, as a timeout does); reset, rounds go on", async () => {
  const barrier = new Barrier(2);
  const reason = new Error("aborted by the test");
  await assert.rejects(
    barrier.waitAsync(undefined, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.equal(barrier.broken, false, "an abort before arriving changes nothing");
  const controller = new AbortController();
  const pending = barrier.waitAsync(undefined, { signal: controller.signal });
  await until(() => barrier.nWaiting === 1);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(barrier.broken, true);
  barrier.reset();
  await withProcesses(async (start) => {
    assert.deepEqual(await fullRound(start, barrier), [0, 1]);
  });
});

// ---------------------------------------------------------------------------
// Timeout precision: never early; the overshoot distribution is reported

test("faults: timeouts of Lock, RLock and Semaphore acquires (sync and async) are never early", async () => {
  const lock = new Lock();
  lock.acquire();
  const rlock = new RLock();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const sem = new Semaphore(0);
  await withProcesses(async (start) => {
    start("fault_wait", { exportName: "holdForever", args: [rlock, flags] });
    await reached(flags, 0, 1);
    const no = (ok: boolean) => assert.equal(ok, false);
    await overshoot("Lock.acquire", (timeout) => no(lock.acquire({ timeout })));
    await overshoot("Lock.acquireAsync", async (timeout) => no(await lock.acquireAsync({ timeout })));
    await overshoot("RLock.acquire", (timeout) => no(rlock.acquire({ timeout })));
    await overshoot("RLock.acquireAsync", async (timeout) => no(await rlock.acquireAsync({ timeout })));
    await overshoot("Semaphore.acquire", (timeout) => no(sem.acquire({ timeout })));
    await overshoot("Semaphore.acquireAsync", async (timeout) => no(await sem.acquireAsync({ timeout })));
    Atomics.store(flags, 1, 1);
  });
  lock.release();
});

test("faults: timeouts of Condition, Event and Barrier waits (sync and async) are never early", async () => {
  const cond = new Condition(new Lock());
  const event = new Event();
  const barrier = new Barrier(2);
  const no = (ok: boolean) => assert.equal(ok, false);
  cond.acquire();
  await overshoot("Condition.wait", (timeout) => no(cond.wait(timeout)));
  await overshoot("Condition.waitAsync", async (timeout) => no(await cond.waitAsync(timeout)));
  cond.release();
  await overshoot("Event.wait", (timeout) => no(event.wait(timeout)));
  await overshoot("Event.waitAsync", async (timeout) => no(await event.waitAsync(timeout)));
  await overshoot("Barrier.wait", (timeout) => {
    assert.throws(() => barrier.wait(timeout), BrokenBarrierError);
    barrier.reset();
  });
  await overshoot("Barrier.waitAsync", async (timeout) => {
    await assert.rejects(barrier.waitAsync(timeout), BrokenBarrierError);
    barrier.reset();
  });
});
