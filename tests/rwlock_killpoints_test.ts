/**
 * The RwLock protocol's kill points (the table in src/lock/_rwlock.ts), each
 * put in place by hand: the words are written exactly as an agent killed
 * right after that step leaves them, the agent an id marked exited. Then
 * live agents (this thread and real workers) must go on: never stuck, a
 * dead reader forgotten, a dead writer reported until recovered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OwnerDiedError, RwLock } from "../mod.ts";
import { agentId, drawId, markExited } from "../src/core/_agent.ts";
import { wordsOf } from "./_memory.ts";
import { until, withProcesses } from "./_util.ts";
import { OWNER_DIED, TRUE } from "./workers/rwlock_ops.ts";

/** Words of the lock (see src/lock/_rwlock.ts). */
const WRITER = 1;
const ACTIVE = 2;
const USED = 4;
const SLOTS = 16;
const STRIDE = 16;

function deadAgent(): number {
  const id = drawId();
  markExited(id);
  return id;
}

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

/** A reader killed after its claim (before or after its depth store), while it read, or in its release. */
test("rwlock kill points: a dead reader's slot is freed by the next writer and reused by readers", () => {
  for (const depth of [0, 1, 3]) {
    const rw = new RwLock({ maxReaders: 1 });
    const w = wordsOf(rw);
    const dead = deadAgent();
    w[USED] = 1;
    w[SLOTS] = dead;
    w[SLOTS + 1] = depth;
    assert.equal(rw.locked(), false, "a dead reader holds nothing");
    // The one slot is the dead reader's: a reader takes it over.
    assert.equal(rw.acquireRead({ blocking: false }), true);
    assert.equal(w[SLOTS], agentId());
    assert.equal(w[SLOTS + 1], 1, "its stale depth is not inherited");
    rw.releaseRead();
    w[SLOTS] = dead;
    assert.equal(rw.acquireWrite({ blocking: false }), true, "a writer does not wait for the dead");
    assert.equal(w[SLOTS], 0);
    rw.releaseWrite();
  }
});

test("rwlock kill points: a reader that raised USED and died before its claim leaves nothing to repair", () => {
  const rw = new RwLock();
  wordsOf(rw)[USED] = 5;
  deadAgent();
  assert.equal(rw.acquireWrite({ blocking: false }), true);
  rw.releaseWrite();
  assert.equal(rw.acquireRead({ blocking: false }), true);
  rw.releaseRead();
});

/** A writer killed after its CAS of the writer word, while it waited for readers, or after ACTIVE → 0 in its release. */
test("rwlock kill points: a dead writer that never held the lock is cleared silently, by readers and writers", async () => {
  const cases: [string, (w: Int32Array, dead: number) => void][] = [
    ["waiting for readers", (w, dead) => (w[WRITER] = dead << 1)],
    ["waiting, contended", (w, dead) => (w[WRITER] = (dead << 1) | 1)],
    ["released ACTIVE, not the word", (w, dead) => (w[WRITER] = (dead << 1) | 1)],
    ["taking over, before its ACTIVE store", (w, dead) => {
      w[WRITER] = (dead << 1) | 1;
      w[ACTIVE] = deadAgent();
    }],
  ];
  for (const [what, leave] of cases) {
    for (const mode of ["read", "write", "readTry", "writeTry", "readAsync", "writeAsync"]) {
      const rw = new RwLock();
      const w = wordsOf(rw);
      leave(w, deadAgent());
      const got = mode === "read"
        ? rw.acquireRead({ timeout: 1000 })
        : mode === "write"
        ? rw.acquireWrite({ timeout: 1000 })
        : mode === "readTry"
        ? rw.acquireRead({ blocking: false })
        : mode === "writeTry"
        ? rw.acquireWrite({ blocking: false })
        : mode === "readAsync"
        ? await rw.acquireReadAsync({ timeout: 1000 })
        : await rw.acquireWriteAsync({ timeout: 1000 });
      assert.equal(got, true, `${what}: ${mode}`);
      if (mode.startsWith("read")) rw.releaseRead();
      else rw.releaseWrite();
      assert.equal(rw.locked(), false);
      assert.equal(w[WRITER], 0, `${what}: ${mode}`);
      assert.equal(w[ACTIVE], 0);
    }
  }
});

/** A writer killed after its ACTIVE store: it held the lock, and may have left the data half-written. */
test("rwlock kill points: a writer that died holding the lock: OwnerDiedError for every form, then recover", async () => {
  for (const contended of [0, 1]) {
    const setup = (): [RwLock, Int32Array, number] => {
      const rw = new RwLock();
      const w = wordsOf(rw);
      const dead = deadAgent();
      w[WRITER] = (dead << 1) | contended;
      w[ACTIVE] = dead;
      return [rw, w, dead];
    };
    const [rw, w, dead] = setup();
    assert.equal(rw.locked(), true);
    assert.equal(rw.acquireRead({ blocking: false }), false);
    assert.equal(rw.acquireWrite({ blocking: false }), false);
    assert.throws(
      () => rw.acquireRead({ timeout: 50 }),
      (e) => e instanceof OwnerDiedError && e.holder === dead,
    );
    assert.throws(() => rw.acquireWrite({ timeout: 50 }), OwnerDiedError);
    assert.throws(() => rw.acquireWrite(), OwnerDiedError);
    await assert.rejects(rw.acquireReadAsync({ timeout: 50 }), OwnerDiedError);
    await assert.rejects(rw.acquireWriteAsync(), OwnerDiedError);
    assert.throws(() => rw.readGuard(), /RwLock is held by a worker that has exited/);
    // A writer takes it over: held, never free in between.
    assert.equal(rw.acquireWrite({ timeout: 1000, recover: true }), true);
    assert.equal(w[WRITER], (agentId() << 1) | 1);
    assert.equal(w[ACTIVE], agentId());
    rw.releaseWrite();
    assert.equal(rw.locked(), false);
    assert.equal(w[WRITER], 0);
    // A reader frees it and reads.
    const [rw2, w2] = setup();
    assert.equal(rw2.acquireRead({ timeout: 1000, recover: true }), true);
    assert.equal(w2[WRITER], 0);
    assert.equal(w2[ACTIVE], 0);
    assert.equal(rw2.acquireWrite({ blocking: false }), false, "this thread reads");
    rw2.releaseRead();
    const [rw3] = setup();
    assert.equal(await rw3.acquireWriteAsync({ recover: true }), true);
    rw3.releaseWrite();
    const [rw4] = setup();
    assert.equal(await rw4.acquireReadAsync({ recover: true }), true);
    rw4.releaseRead();
  }
});

test("rwlock kill points: workers asleep on a writer hear of its death within the poll interval", async () => {
  const rw = new RwLock();
  const w = wordsOf(rw);
  // The writer is alive while they fall asleep, then dies holding the lock.
  const writer = drawId();
  const flags = shared(2);
  const out = shared(8);
  await withProcesses(async (start) => {
    w[WRITER] = writer << 1;
    w[ACTIVE] = writer;
    const ps = ["read", "write", "readAsync", "writeAsync"].map((mode, i) =>
      start("rwlock_ops", { exportName: "attempt", args: [rw, mode, flags, out, 2 * i, 5000] })
    );
    await until(() => Atomics.load(flags, 0) === 4 && (Atomics.load(w, WRITER) & 1) === 1);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(Atomics.load(flags, 1), 0, "all asleep");
    markExited(writer);
    await until(() => Atomics.load(flags, 1) === 4, 10_000);
    for (let i = 0; i < 4; i++) {
      assert.equal(out[2 * i], OWNER_DIED, `mode ${i}`);
      assert.ok(out[2 * i + 1] < 2000, `after ${out[2 * i + 1]} ms, not the timeout`);
    }
    for (const p of ps) await p.join();
  });
});

test("rwlock kill points: a writer killed after its release's store, before its notify: sleepers still get in", async () => {
  const rw = new RwLock();
  const w = wordsOf(rw);
  rw.acquireWrite();
  const flags = shared(2);
  const out = shared(4);
  await withProcesses(async (start) => {
    const ps = ["read", "write"].map((mode, i) =>
      start("rwlock_ops", { exportName: "attempt", args: [rw, mode, flags, out, 2 * i, 5000] })
    );
    // Both asleep: the word is marked contended.
    await until(() => Atomics.load(flags, 0) === 2 && (Atomics.load(w, WRITER) & 1) === 1);
    await new Promise((r) => setTimeout(r, 20));
    // The release's stores without its notify.
    Atomics.store(w, ACTIVE, 0);
    Atomics.store(w, WRITER, 0);
    const t0 = performance.now();
    await until(() => Atomics.load(flags, 1) === 2, 10_000);
    assert.equal(out[0], TRUE);
    assert.equal(out[2], TRUE);
    assert.ok(performance.now() - t0 < 2000, "within the sleepers' poll, not the timeout");
    for (const p of ps) await p.join();
  });
  assert.equal(rw.locked(), false);
});

test("rwlock kill points: a reader killed after its release's store (or its back-off), before its notify: the writer still gets in", async () => {
  const rw = new RwLock();
  const w = wordsOf(rw);
  // A live reader (an id never marked exited) holds slot 0.
  w[USED] = 1;
  w[SLOTS] = drawId();
  w[SLOTS + 1] = 1;
  const flags = shared(2);
  const out = shared(2);
  await withProcesses(async (start) => {
    const p = start("rwlock_ops", { exportName: "attempt", args: [rw, "write", flags, out, 0, 5000] });
    await until(() => Atomics.load(w, WRITER) !== 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(out[0], 0, "the writer waits for the reader");
    Atomics.store(w, SLOTS, 0);
    const t0 = performance.now();
    await until(() => Atomics.load(out, 0) !== 0, 10_000);
    assert.equal(out[0], TRUE);
    assert.ok(performance.now() - t0 < 2000);
    await p.join();
  });
});

test("rwlock kill points: a reader that dies while a writer waits for it is forgotten within the poll interval", async () => {
  const rw = new RwLock();
  const w = wordsOf(rw);
  const reader = drawId();
  w[USED] = 3;
  w[SLOTS + 2 * STRIDE] = reader;
  w[SLOTS + 2 * STRIDE + 1] = 2;
  const flags = shared(2);
  const out = shared(2);
  await withProcesses(async (start) => {
    const p = start("rwlock_ops", { exportName: "attempt", args: [rw, "writeAsync", flags, out, 0, 5000] });
    await until(() => Atomics.load(w, WRITER) !== 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(out[0], 0);
    markExited(reader);
    const t0 = performance.now();
    await until(() => Atomics.load(out, 0) !== 0, 10_000);
    assert.equal(out[0], TRUE);
    assert.ok(performance.now() - t0 < 2000);
    await p.join();
  });
  assert.equal(w[SLOTS + 2 * STRIDE], 0);
});

test("rwlock kill points: a live writer or reader is never taken over, even by recover", async () => {
  const rw = new RwLock();
  for (const mode of ["write", "read"]) {
    const flags = shared(3);
    await withProcesses(async (start) => {
      const p = start("rwlock_ops", { exportName: "hold", args: [rw, mode, flags] });
      await until(() => Atomics.load(flags, 0) === 1);
      assert.equal(rw.acquireWrite({ timeout: 100, recover: true }), false, `held by a live ${mode}r`);
      if (mode === "write") assert.equal(rw.acquireRead({ timeout: 100, recover: true }), false);
      Atomics.store(flags, 1, 1);
      assert.equal(rw.acquireWrite({ timeout: 5000, recover: true }), true, "after its release");
      rw.releaseWrite();
      assert.equal(await p.join(), 0);
    });
  }
});
