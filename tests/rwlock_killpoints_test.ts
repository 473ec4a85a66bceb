/**
 * The RwLock protocol's kill points (the table in src/lock/_rwlock.ts), each
 * put in place by hand: the words are written exactly as an agent killed
 * right after that step leaves them, the agent an id marked exited. Then
 * live agents (this thread and real workers) must go on: never stuck, an
 * agent that held nothing forgotten, a reader or writer that died holding
 * reported until recovered.
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
/** A slot word is `agent · 4 + FLAG + HELD`; the next word, the extra read depth. */
const HELD = 1;
const FLAG = 2;

function deadAgent(): number {
  const id = drawId();
  markExited(id);
  return id;
}

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

/** No slot word may keep a writer's flag once no writer has the word. */
function assertUnflagged(w: Int32Array, what = ""): void {
  for (let k = 0; k < w[USED]; k++) {
    assert.equal(w[SLOTS + k * STRIDE] & FLAG, 0, `${what} slot ${k} flagged`);
  }
}

/** A reader killed after its claim, or after its release's CAS (or `and`): it held nothing. */
test("rwlock kill points: a dead agent's slot that held no read lock is freed silently, by readers and writers", () => {
  const rw = new RwLock({ maxReaders: 1 });
  const w = wordsOf(rw);
  const me4 = agentId() << 2;
  const dead = deadAgent();
  w[USED] = 1;
  w[SLOTS] = dead << 2;
  // An idle slot's depth is 0 (a release leaves it so; a recovering writer zeroes a dead holder's
  // before it frees the slot): a claimer writes none, since a late store of its own could hit a
  // thread that took the idle slot meanwhile and re-entered.
  assert.equal(w[SLOTS + 1], 0);
  assert.equal(rw.locked(), false, "it holds nothing");
  // The one slot is the dead agent's: a reader takes it over.
  assert.equal(rw.acquireRead({ blocking: false }), true);
  assert.equal(w[SLOTS], me4 | HELD);
  assert.equal(w[SLOTS + 1], 0, "one level: no extra depth");
  rw.releaseRead();
  assert.equal(w[SLOTS], me4, "the slot is kept, idle");
  assert.equal(rw.locked(), false);
  w[SLOTS] = dead << 2;
  assert.equal(rw.acquireWrite({ blocking: false }), true, "a writer does not wait for it");
  assert.equal(w[SLOTS], FLAG, "freed, and flagged while the writer holds");
  rw.releaseWrite();
  assert.equal(w[SLOTS], 0);
});

test("rwlock kill points: a live thread's idle slot is taken by a reader that finds no other, never a RangeError", () => {
  const rw = new RwLock({ maxReaders: 1 });
  const w = wordsOf(rw);
  const other = drawId();
  w[USED] = 1;
  w[SLOTS] = other << 2;
  assert.equal(rw.acquireRead({ blocking: false }), true);
  assert.equal(w[SLOTS], (agentId() << 2) | HELD);
  rw.releaseRead();
  // Held by the other thread: now there is no room.
  w[SLOTS] = (other << 2) | HELD;
  assert.throws(() => rw.acquireRead({ blocking: false }), /More than 1 threads use this RwLock/);
});

/** A reader killed after its depth store, while it read, or in its release before the depth → 0. */
test("rwlock kill points: a reader that died holding: readers go on, every writer gets OwnerDiedError until one recovers", async () => {
  for (const depth of [1, 3]) {
    const rw = new RwLock({ maxReaders: 2 });
    const w = wordsOf(rw);
    const dead = deadAgent();
    w[USED] = 2;
    w[SLOTS + STRIDE] = (dead << 2) | HELD;
    w[SLOTS + STRIDE + 1] = depth - 1;
    assert.equal(rw.locked(), true, "held by the dead reader");
    assert.equal(rw.acquireRead({ blocking: false }), true, "readers go on beside it");
    assert.equal(w[SLOTS + STRIDE], (dead << 2) | HELD, "its record is kept");
    rw.releaseRead();
    assert.throws(
      () => rw.acquireWrite(),
      (e: unknown) => e instanceof OwnerDiedError && /RwLock/.test(e.message),
    );
    assert.throws(() => rw.acquireWrite({ timeout: 50 }), OwnerDiedError);
    await assert.rejects(rw.acquireWriteAsync({ timeout: 50 }), OwnerDiedError);
    assert.equal(rw.acquireWrite({ blocking: false }), false, "a try says no");
    assert.equal(Atomics.load(w, WRITER), 0, "a writer that heard of it gave its place back");
    assertUnflagged(w, "given back:");
    assert.equal(rw.acquireRead({ blocking: false }), true, "so readers still come in");
    rw.releaseRead();
    // Both slots held (a live reader's and the dead reader's record): one more reader has no room.
    const other = drawId();
    w[SLOTS] = (other << 2) | HELD;
    assert.throws(
      () => rw.acquireRead({ blocking: false }),
      /1 of them held by readers whose workers exited: acquireWrite\(\{ recover: true \}\) frees them/,
    );
    w[SLOTS] = 0;
    assert.equal(rw.acquireWrite({ recover: true, timeout: 1000 }), true);
    assert.equal(
      w[SLOTS + STRIDE],
      FLAG,
      "the record is gone (the slot free, flagged while the writer holds)",
    );
    assert.equal(w[SLOTS + STRIDE + 1], 0, "its depth zeroed by the writer, before any claimer can take it");
    rw.releaseWrite();
    assert.equal(w[SLOTS + STRIDE], 0);
    assert.equal(rw.locked(), false);
    assert.equal(rw.acquireWrite({ blocking: false }), true, "and stays gone");
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
  // Slots as a writer leaves them mid-way: a live thread's idle slot flagged, a freed one
  // (a dead reader's, by a recovering writer) flagged, one not flagged yet.
  const flagged = (w: Int32Array): void => {
    w[USED] = 3;
    w[SLOTS] = (drawId() << 2) | FLAG;
    w[SLOTS + STRIDE] = FLAG;
    w[SLOTS + 2 * STRIDE] = drawId() << 2;
  };
  const cases: [string, (w: Int32Array, dead: number) => void][] = [
    ["after its CAS of the word", (w, dead) => (w[WRITER] = dead << 1)],
    ["waiting for readers, slots flagged", (w, dead) => {
      w[WRITER] = dead << 1;
      flagged(w);
    }],
    ["waiting, contended", (w, dead) => {
      w[WRITER] = (dead << 1) | 1;
      flagged(w);
    }],
    ["released ACTIVE, not yet the flags", (w, dead) => {
      w[WRITER] = (dead << 1) | 1;
      flagged(w);
    }],
    ["taking over, before its ACTIVE store", (w, dead) => {
      w[WRITER] = (dead << 1) | 1;
      w[ACTIVE] = deadAgent();
      flagged(w);
    }],
    ["clearing a dead writer, after its CAS of the word", (w, dead) => {
      w[WRITER] = (dead << 1) | 1;
      w[ACTIVE] = 0;
      flagged(w);
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
      assertUnflagged(w, `${what}: ${mode}:`);
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
      // It had flagged the slot a live reader keeps.
      w[USED] = 1;
      w[SLOTS] = (drawId() << 2) | FLAG;
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
    assert.equal(w[SLOTS] & FLAG, FLAG, "readers still kept out");
    rw.releaseWrite();
    assert.equal(rw.locked(), false);
    assert.equal(w[WRITER], 0);
    assertUnflagged(w);
    // A reader frees it and reads.
    const [rw2, w2] = setup();
    assert.equal(rw2.acquireRead({ timeout: 1000, recover: true }), true);
    assert.equal(w2[WRITER], 0);
    assert.equal(w2[ACTIVE], 0);
    assertUnflagged(w2);
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
  const reader = drawId() << 2;
  w[USED] = 1;
  w[SLOTS] = reader | HELD;
  const flags = shared(2);
  const out = shared(2);
  await withProcesses(async (start) => {
    const p = start("rwlock_ops", { exportName: "attempt", args: [rw, "write", flags, out, 0, 5000] });
    await until(() => Atomics.load(w, WRITER) !== 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(out[0], 0, "the writer waits for the reader");
    assert.equal(Atomics.load(w, SLOTS), reader | HELD | FLAG, "the writer flagged the slot");
    // The release's `and` (or a fresh claim's give-up) without its notify.
    Atomics.and(w, SLOTS, ~HELD);
    const t0 = performance.now();
    await until(() => Atomics.load(out, 0) !== 0, 10_000);
    assert.equal(out[0], TRUE);
    assert.ok(performance.now() - t0 < 2000);
    await p.join();
  });
});

test("rwlock kill points: a reader that dies holding while a writer waits: the writer hears of it within the poll interval", async () => {
  for (const recover of [false, true]) {
    const rw = new RwLock();
    const w = wordsOf(rw);
    const reader = drawId();
    w[USED] = 3;
    w[SLOTS + 2 * STRIDE] = (reader << 2) | HELD;
    w[SLOTS + 2 * STRIDE + 1] = 1;
    const flags = shared(2);
    const out = shared(2);
    await withProcesses(async (start) => {
      const p = start("rwlock_ops", {
        exportName: "attempt",
        args: [rw, "writeAsync", flags, out, 0, 5000, 0, recover],
      });
      await until(() => Atomics.load(w, WRITER) !== 0);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(out[0], 0);
      markExited(reader);
      const t0 = performance.now();
      await until(() => Atomics.load(out, 0) !== 0, 10_000);
      assert.equal(out[0], recover ? TRUE : OWNER_DIED);
      assert.ok(performance.now() - t0 < 2000);
      await p.join();
    });
    assert.equal(w[SLOTS + 2 * STRIDE], recover ? 0 : (reader << 2) | HELD);
    assert.equal(Atomics.load(w, WRITER), 0);
    assertUnflagged(w);
  }
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
