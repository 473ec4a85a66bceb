/**
 * The mutex protocol's kill points (the table in src/core/_mutex.ts), each put in
 * place by hand: the lock word is written exactly as a holder killed right
 * after that step leaves it, the holder an agent id marked exited. Then live
 * agents (this thread and real workers) must go on: never stuck, never two
 * holders.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, OwnerDiedError, RLock } from "../mod.ts";
import { drawId, markExited } from "../src/core/_agent.ts";
import { wordsOf } from "./_memory.ts";
import { until, withProcesses } from "./_util.ts";

/** The lock word's index (words: magic, the mutex word, spare, RLock depth). */
const WORD = 1;
const DEPTH = 3;

/** An agent id that has ended, as `Process` marks a worker that exited. */
function deadAgent(): number {
  const id = drawId();
  markExited(id);
  return id;
}

for (const Kind of [Lock, RLock]) {
  test(`lock kill points: ${Kind.name} taken by an agent that then died (uncontended or contended): OwnerDiedError, recover`, () => {
    for (const contended of [0, 1]) {
      const lock = new Kind();
      const words = wordsOf(lock);
      const dead = deadAgent();
      words[WORD] = (dead << 1) | contended;
      if (Kind === RLock) words[DEPTH] = 7; // killed before it recorded its depth: stale
      assert.equal(lock.acquire({ blocking: false }), false);
      assert.throws(() => lock.acquire({ timeout: 50 }), OwnerDiedError);
      assert.equal(lock.acquire({ timeout: 1000, recover: true }), true);
      // Taken over at depth 1 (an RLock): one release frees it.
      lock.release();
      assert.equal(lock.locked(), false);
      assert.equal(words[WORD], 0);
    }
  });

  test(`lock kill points: ${Kind.name} — a worker asleep on it hears of the holder's death and recovers`, async () => {
    const lock = new Kind();
    const words = wordsOf(lock);
    words[WORD] = deadAgent() << 1;
    await withProcesses(async (start) => {
      // fault_wait's acquire export records OwnerDiedError as 3 in out[slot].
      const b = {
        flags: new Int32Array(new SharedArrayBuffer(8)),
        out: new Int32Array(new SharedArrayBuffer(8)),
      };
      const p = start("fault_wait", { exportName: "acquire", args: [lock, b.flags, b.out, 0, 5000] });
      await until(() => Atomics.load(b.flags, 1) === 1, 10_000);
      assert.equal(b.out[0], 3, "OwnerDiedError, within the poll interval, not a timeout");
      assert.ok(b.out[1] < 2000, `after ${b.out[1]} ms`);
      await p.join();
    });
  });
}

test("lock kill points: a holder killed after unlock's CAS but before its notify: the sleeper still gets the lock", async () => {
  const lock = new Lock();
  const words = wordsOf(lock);
  lock.acquire();
  const out = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("try_acquire", { args: [lock, out, 5000] });
    // Asleep: it marked the word contended.
    await until(() => (Atomics.load(words, WORD) & 1) === 1);
    // The release's CAS without its notify.
    Atomics.store(words, WORD, 0);
    const t0 = performance.now();
    await until(() => Atomics.load(out, 0) !== 0, 10_000);
    assert.equal(out[0], 1, "it acquired");
    assert.ok(performance.now() - t0 < 2000, "within the sleepers' poll, not the timeout");
    await p.join();
  });
  assert.equal(lock.locked(), false);
});

test("lock kill points: a locker killed before its CAS leaves nothing to repair", () => {
  const lock = new Lock();
  deadAgent(); // died without touching the word
  assert.equal(wordsOf(lock)[WORD], 0);
  assert.equal(lock.acquire({ blocking: false }), true);
  lock.release();
});

test("lock kill points: a live holder is never taken over, even by recover", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("hold_for", { args: [lock, flags, 400] });
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(lock.acquire({ timeout: 100, recover: true }), false, "held by a live worker");
    assert.equal(lock.acquire({ timeout: 5000, recover: true }), true, "after its release");
    lock.release();
    await p.join();
  });
});
