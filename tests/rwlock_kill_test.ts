/**
 * Kills at random points (seeded) inside RwLock read and write acquire and
 * release, on real workers: whatever instruction a worker dies at, the lock
 * is free, or held by a dead holder that every writer hears of as
 * `OwnerDiedError` (readers still come in unless the dead held the write
 * lock), and `recover` takes it over. Never stuck.
 * 30 kills here; 300 under SABKIT_STRESS=full (`npm run stress`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OwnerDiedError, RwLock } from "../mod.ts";
import { size } from "./_stress.ts";
import { until, withProcesses } from "./_util.ts";

/** A small seeded generator (mulberry32): the same kill points on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("rwlock kills: a worker killed anywhere in RwLock read/write acquire/release never leaves it stuck", async () => {
  const next = random(20);
  const kills = size(30, 300);
  let deadWriters = 0;
  let deadReaders = 0;
  await withProcesses(async (start) => {
    for (let run = 0; run < kills; run++) {
      const rw = new RwLock({ maxReaders: 2 });
      const n = new Int32Array(new SharedArrayBuffer(4));
      const p = start("rwlock_ops", { exportName: "hammer", args: [rw, n] });
      const at = 50 + Math.floor(next() * 5000);
      await until(() => Atomics.load(n, 0) >= at);
      p.terminate();
      assert.equal(await p.join(10_000), -15);
      let ok: boolean;
      try {
        ok = rw.acquireWrite({ timeout: 2000 });
      } catch (e) {
        assert.ok(e instanceof OwnerDiedError, String(e));
        // A reader still comes in when the dead held only a read lock; a
        // dead writer keeps readers out with the same error.
        let readable = false;
        try {
          readable = rw.acquireRead({ timeout: 10 });
        } catch (e) {
          assert.ok(e instanceof OwnerDiedError, String(e));
        }
        if (readable) {
          deadReaders++;
          rw.releaseRead();
        } else {
          deadWriters++;
        }
        ok = rw.acquireWrite({ timeout: 2000, recover: true });
      }
      assert.equal(ok, true, `run ${run}: the lock is stuck after a kill at ${at}`);
      rw.releaseWrite();
      assert.equal(rw.locked(), false);
      // Both slots usable: the dead reader's was freed (maxReaders 2: this thread and one more).
      assert.equal(rw.acquireRead({ timeout: 2000 }), true);
      rw.releaseRead();
    }
  });
  // Kills land in the read section, in the write section or between: the
  // first two must both occur (a dead reader and a dead writer were repaired).
  assert.ok(
    deadWriters > 0 && deadReaders > 0,
    `dead writers ${deadWriters}, dead readers ${deadReaders} of ${kills}`,
  );
  console.log(
    `rwlock kills: ${deadReaders} dead readers, ${deadWriters} dead writers, ${
      kills - deadReaders - deadWriters
    } free, of ${kills}`,
  );
});
