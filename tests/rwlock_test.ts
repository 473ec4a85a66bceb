/**
 * RwLock: many readers or one writer, between real workers; a waiting writer
 * blocks new readers; the blocking, timed, try, async and guard forms; the
 * reader table's limit; misuse. The kill points are in
 * rwlock_killpoints_test.ts, random kills in rwlock_kill_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lockable, revive, RwLock, TimeoutError } from "../mod.ts";
import { agentId, drawId } from "../src/core/_agent.ts";
import { handleOf } from "../src/core/_handle.ts";
import { memoryOf, wordsOf } from "./_memory.ts";
import { size } from "./_stress.ts";
import { until, withProcesses } from "./_util.ts";
import {
  COUNTER,
  DONE,
  FALSE,
  READERS,
  READS,
  TRUE,
  VIOLATIONS,
  WRITERS,
  WRITES,
} from "./workers/rwlock_ops.ts";

/** Words of the lock (see src/lock/_rwlock.ts). */
const WRITER = 1;
const ACTIVE = 2;
const USED = 4;
const DRAIN_SLEEPS = 5;
const SLOTS = 16;
const STRIDE = 16;
/** A slot word is `agent · 4 + FLAG + HELD`. */
const HELD = 1;

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

test("RwLock: reads share, a write excludes both; try, timed and release forms in one thread", () => {
  const rw = new RwLock();
  assert.ok(rw instanceof Lockable);
  assert.equal(rw.locked(), false);
  assert.equal(rw.acquireRead(), true);
  assert.equal(rw.acquireRead({ blocking: false }), true, "a second read of the same thread");
  assert.equal(rw.acquireWrite({ blocking: false }), false);
  assert.equal(rw.acquireWrite({ timeout: 20 }), false);
  assert.equal(rw.locked(), true);
  rw.releaseRead();
  assert.equal(rw.acquireWrite({ blocking: false }), false, "one read is still held");
  rw.releaseRead();
  assert.equal(rw.locked(), false);
  assert.equal(rw.acquireWrite({ timeout: 0 }), true);
  assert.equal(rw.acquireRead({ blocking: false }), false);
  assert.equal(rw.acquireRead({ timeout: 10 }), false);
  assert.equal(rw.acquireWrite({ timeout: 10 }), false, "not re-entrant for writes");
  assert.equal(rw.locked(), true);
  rw.releaseWrite();
  assert.equal(rw.locked(), false);
  // Every word back as it was: writer word, ACTIVE; the slot kept for the next read, idle, unflagged.
  const w = wordsOf(rw);
  assert.equal(w[WRITER], 0);
  assert.equal(w[ACTIVE], 0);
  assert.equal(w[SLOTS], agentId() << 2);
  assert.equal(w[SLOTS + 1], 0, "no extra depth");
});

test("RwLock: the lock protocol is the write lock; guards release once", async () => {
  const rw = new RwLock();
  assert.equal(rw.acquire(), true);
  assert.equal(rw.acquireRead({ blocking: false }), false);
  rw.release();
  {
    using _ = rw.guard();
    assert.equal(rw.acquireRead({ blocking: false }), false);
  }
  {
    using _ = rw.writeGuard({ timeout: 100 });
    assert.throws(() => rw.readGuard({ timeout: 10 }), TimeoutError);
    await assert.rejects(rw.readGuardAsync({ timeout: 10 }), TimeoutError);
  }
  {
    using r = rw.readGuard();
    assert.throws(
      () => rw.writeGuard({ timeout: 10 }),
      /Could not acquire the RwLock for writing within 10 ms/,
    );
    await assert.rejects(rw.writeGuardAsync({ timeout: 10 }), TimeoutError);
    r[Symbol.dispose]();
    r[Symbol.dispose](); // twice releases once
  }
  assert.equal(rw.locked(), false);
  {
    using _ = await rw.writeGuardAsync();
    assert.equal(await rw.acquireAsync({ timeout: 5 }), false);
  }
  {
    using _a = await rw.readGuardAsync();
    using _b = await rw.readGuardAsync();
    assert.equal(rw.locked(), true);
  }
  assert.equal(rw.locked(), false);
  assert.equal(await rw.acquireAsync(), true);
  rw.release();
});

test("RwLock: misuse throws clear errors and changes nothing", () => {
  const rw = new RwLock({ maxReaders: 2 });
  const before = memoryOf(rw);
  assert.throws(
    () => rw.releaseRead(),
    /^Error: Cannot release a read lock of an RwLock this thread does not hold$/,
  );
  assert.throws(
    () => rw.releaseWrite(),
    /Cannot release the write lock of an RwLock this thread does not hold/,
  );
  assert.throws(() => rw.release(), /Cannot release the write lock/);
  assert.throws(() => new RwLock({ maxReaders: 0 }), RangeError);
  assert.throws(
    () => new RwLock({ maxReaders: 4097 }),
    /maxReaders of new RwLock\(\) must be an integer from 1 to 4096, got 4097/,
  );
  assert.throws(() => new RwLock({ maxReaders: 1.5 }), RangeError);
  assert.throws(() => new RwLock({ maxReaders: "8" as unknown as number }), TypeError);
  assert.throws(() => new RwLock(3 as unknown as object), TypeError);
  assert.throws(() => rw.acquireRead(5 as unknown as object), /a timeout is passed as \{ timeout: 5 \}/);
  assert.throws(() => rw.acquireWrite({ timeout: "x" as unknown as number }), TypeError);
  assert.throws(() => rw.acquireWrite({ blocking: 1 as unknown as boolean }), TypeError);
  assert.deepEqual(memoryOf(rw), before);
  // A write while this thread reads, or a read while it writes, with no timeout: an error, not a hang.
  rw.acquireRead();
  assert.throws(
    () => rw.acquireWrite(),
    /holds a read lock of this RwLock \(a read lock cannot be upgraded\)/,
  );
  assert.equal(wordsOf(rw)[WRITER], 0, "the writer's place was given back");
  rw.releaseRead();
  rw.acquireWrite();
  assert.throws(
    () => rw.acquireRead(),
    /holds the RwLock's write lock; waiting without a timeout would deadlock it/,
  );
  assert.throws(() => rw.acquireWrite(), /holds the RwLock's write lock/);
  rw.releaseWrite();
  assert.equal(rw.maxReaders, 2);
});

test("RwLock: a reader beyond maxReaders gets a RangeError; a dead reader's slot is reused", () => {
  const rw = new RwLock({ maxReaders: 2 });
  const w = wordsOf(rw);
  // Two live agents (ids never marked exited) hold read locks in the two slots.
  w[SLOTS] = (drawId() << 2) | HELD;
  w[SLOTS + STRIDE] = (drawId() << 2) | HELD;
  w[USED] = 2;
  const before = memoryOf(rw);
  assert.throws(
    () => rw.acquireRead(),
    /More than 2 threads use this RwLock for reading at once \(its maxReaders\)/,
  );
  assert.throws(() => rw.acquireRead({ blocking: false }), RangeError);
  assert.deepEqual(memoryOf(rw), before, "nothing changed");
  w[SLOTS + STRIDE] = 0;
  assert.equal(rw.acquireRead(), true);
  rw.releaseRead();
});

test("RwLock: posted, revived, same memory; two objects of one lock in one thread share its reads", () => {
  const rw = new RwLock({ maxReaders: 8 });
  const copy = revive(structuredClone(rw));
  assert.notEqual(copy, rw);
  assert.equal(copy.maxReaders, 8);
  rw.acquireRead();
  assert.equal(copy.acquireWrite({ blocking: false }), false);
  copy.acquireRead();
  // Released through the other object: the thread's reads are one account.
  rw.releaseRead();
  rw.releaseRead();
  assert.throws(() => copy.releaseRead(), /does not hold/);
  assert.equal(copy.acquireWrite({ blocking: false }), true);
  rw.releaseWrite();
  assert.throws(() => revive({ __sabkit: { ...handleOf(rw)!, meta: { maxReaders: 9 } } }), TypeError);
  assert.throws(() => revive({ __sabkit: { ...handleOf(rw)!, meta: { maxReaders: "8" } } }), TypeError);
  assert.throws(() => revive({ __sabkit: { ...handleOf(rw)!, meta: null } }), TypeError);
});

test("RwLock: readers in different workers hold it at the same time", async () => {
  const rw = new RwLock();
  const parties = 3;
  const ctl = shared(8);
  const out = shared(parties);
  await withProcesses(async (start) => {
    const ps = Array.from(
      { length: parties },
      (_, i) => start("rwlock_ops", { exportName: "readTogether", args: [rw, ctl, out, i, parties, 10_000] }),
    );
    for (const p of ps) assert.equal(await p.join(20_000), 0);
  });
  assert.deepEqual([...out], Array(parties).fill(1), "every reader saw all the others inside");
  assert.equal(rw.locked(), false);
});

test("RwLock: a waiting writer blocks new readers (sync and async), then readers go on after it", async () => {
  const rw = new RwLock();
  const words = wordsOf(rw);
  rw.acquireRead();
  await withProcesses(async (start) => {
    const wf = shared(4);
    const wout = shared(4);
    const writer = start("rwlock_ops", {
      exportName: "attempt",
      args: [rw, "write", wf, wout, 0, 10_000, 100],
    });
    // The writer has its place (the word names it) and waits for this thread's read.
    await until(() => Atomics.load(words, WRITER) !== 0);
    const rf = shared(4);
    const rout = shared(8);
    const blocked = start("rwlock_ops", { exportName: "attempt", args: [rw, "read", rf, rout, 0, 150] });
    const late = start("rwlock_ops", { exportName: "attempt", args: [rw, "readAsync", rf, rout, 2, 10_000] });
    await until(() => Atomics.load(rout, 0) !== 0, 10_000);
    assert.equal(rout[0], FALSE, "a new reader timed out behind the waiting writer");
    assert.equal(Atomics.load(words, DRAIN_SLEEPS), 1, "the writer sleeps: readers that leave notify it");
    // This thread already reads: a blocking re-entry goes through (waiting would deadlock it) …
    assert.equal(rw.acquireRead({ timeout: 0 }), true);
    rw.releaseRead();
    // … an async one queues behind the writer.
    const mine = rw.acquireReadAsync({ timeout: 10_000 });
    assert.equal(wout[0], 0, "the writer still waits");
    rw.releaseRead();
    await until(() => Atomics.load(wout, 0) !== 0, 10_000);
    assert.equal(wout[0], TRUE);
    assert.equal(Atomics.load(words, DRAIN_SLEEPS), 0);
    assert.equal(await mine, true, "after the writer");
    rw.releaseRead();
    await until(() => Atomics.load(rout, 2) !== 0, 10_000);
    assert.equal(rout[2], TRUE);
    for (const p of [writer, blocked, late]) assert.equal(await p.join(10_000), 0);
  });
  assert.equal(rw.locked(), false);
});

test("RwLock: async acquires time out, abort with the signal's reason, and leave nothing behind", async () => {
  const rw = new RwLock();
  const words = wordsOf(rw);
  rw.acquireRead();
  // A writer that times out while readers hold gives its place back.
  assert.equal(await rw.acquireWriteAsync({ timeout: 20 }), false);
  assert.equal(words[WRITER], 0);
  const ac = new AbortController();
  const pending = rw.acquireWriteAsync({ signal: ac.signal });
  await until(() => Atomics.load(words, WRITER) !== 0);
  const reason = new Error("stop");
  ac.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(words[WRITER], 0, "the aborted writer gave its place back");
  rw.releaseRead();
  rw.acquireWrite();
  const ac2 = new AbortController();
  const read = rw.acquireReadAsync({ signal: ac2.signal });
  ac2.abort(reason);
  await assert.rejects(read, (e) => e === reason);
  await assert.rejects(rw.acquireReadAsync({ signal: ac2.signal }), (e) => e === reason);
  rw.releaseWrite();
  assert.equal(rw.locked(), false);
  assert.equal(rw.acquireRead({ blocking: false }), true);
  rw.releaseRead();
});

for (const [useAsync, fresh] of [[false, false], [true, false], [false, true]]) {
  const forms = `${useAsync ? "async" : "blocking"} forms${
    fresh ? ", a new object (a slot claimed anew) per operation" : ""
  }`;
  test(`RwLock: 4 workers, seeded reads and writes (${forms}): never a writer beside anyone, exact count`, async () => {
    const rw = new RwLock();
    const ctl = shared(8);
    const workers = 4;
    const ops = size(1_500, 40_000);
    await withProcesses(async (start) => {
      const ps = Array.from(
        { length: workers },
        (_, i) =>
          start("rwlock_ops", { exportName: "mixed", args: [rw, ctl, 100 + i, ops, 0.2, useAsync, fresh] }),
      );
      for (const p of ps) assert.equal(await p.join(120_000), 0);
    });
    assert.equal(ctl[DONE], workers);
    assert.equal(ctl[VIOLATIONS], 0, "a writer was inside beside a reader or a writer");
    assert.equal(ctl[READS] + ctl[WRITES], workers * ops);
    assert.equal(ctl[COUNTER], ctl[WRITES], "no write was lost");
    assert.ok(ctl[WRITES] > 0 && ctl[READS] > 0);
    assert.equal(ctl[READERS] + ctl[WRITERS], 0);
    assert.equal(rw.locked(), false);
  });
}
