/**
 * Kills at random points (seeded) of workers that request LockManager locks
 * as fast as they can, beside a worker that goes on doing so: whatever
 * instruction a worker dies at (also holding the internal mutex), its locks
 * are released, its requests withdrawn, and the others are never stuck.
 * 30 kills here; 300 under SABKIT_STRESS=full (`npm run stress`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LockManager } from "../mod.ts";
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

test("LockManager kills: a worker killed anywhere while requesting never leaves a lock held or a request queued", async () => {
  const next = random(33);
  const kills = size(30, 300);
  const locks = new LockManager({ maxRequests: 64 });
  const survivor = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    start("lock_manager_ops", { exportName: "hammer", args: [locks, survivor] });
    for (let run = 0; run < kills; run++) {
      const n = new Int32Array(new SharedArrayBuffer(8));
      const p = start("lock_manager_ops", { exportName: "hammer", args: [locks, n] });
      const at = 20 + Math.floor(next() * 2000);
      await until(() => Atomics.load(n, 0) >= at);
      p.terminate();
      assert.equal(await p.join(10_000), -15);
      // Both names can be had, at once and within a few poll intervals.
      const signal = AbortSignal.timeout(5000);
      const got = await locks.request("k", { signal }, () => locks.request("k2", { signal }, () => "both"));
      assert.equal(got, "both", `run ${run}: stuck after a kill at ${at}`);
      const dead = String(n[1]);
      const state = await locks.query();
      assert.ok(
        ![...state.held, ...state.pending].some((l) => l.clientId === dead),
        `run ${run}: a record of the dead worker remains`,
      );
      const before = Atomics.load(survivor, 0);
      await until(() => Atomics.load(survivor, 0) > before + 10, 5000);
    }
  });
});
