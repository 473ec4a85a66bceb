/**
 * Kills at random points (seeded) inside Lock and RLock acquire/release, on
 * real workers: whatever instruction a worker dies at, the lock is either
 * free or reports `OwnerDiedError`, and `recover` takes it over. Never stuck.
 * 30 kills per kind here; 300 under SABKIT_STRESS=full (`npm run stress`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, OwnerDiedError, RLock } from "../mod.ts";
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

for (const [Kind, target] of [[Lock, "hammer"], [RLock, "hammerTwice"]] as const) {
  test(`lock kills: a worker killed anywhere in ${Kind.name} acquire/release never leaves it stuck`, async () => {
    const next = random(14);
    const kills = size(30, 300);
    let died = 0;
    await withProcesses(async (start) => {
      for (let run = 0; run < kills; run++) {
        const lock = new Kind();
        const n = new Int32Array(new SharedArrayBuffer(4));
        const p = start("repro", { exportName: target, args: [lock, n] });
        const at = 50 + Math.floor(next() * 5000);
        await until(() => Atomics.load(n, 0) >= at);
        p.terminate();
        assert.equal(await p.join(10_000), -15);
        let ok: boolean;
        try {
          ok = lock.acquire({ timeout: 2000 });
        } catch (e) {
          assert.ok(e instanceof OwnerDiedError, String(e));
          died++;
          ok = lock.acquire({ timeout: 2000, recover: true });
        }
        assert.equal(ok, true, `run ${run}: the lock is stuck after a kill at ${at}`);
        lock.release();
        assert.equal(lock.locked(), false);
      }
    });
    // Most kills land inside the loop's critical section or between sections; both must occur.
    assert.ok(died > 0 && died < kills, `${died} of ${kills} kills left the lock held by the dead`);
  });
}
