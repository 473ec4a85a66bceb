/**
 * Two RwLock regressions an attack on the kept-slot protocol found, each
 * reproduced on Deno, Bun and Node before its fix:
 * - a claim zeroed the depth word after its CAS, so a thread that took the
 *   idle slot meanwhile, held it and re-entered lost a level (its first
 *   release freed the read lock, a writer came in beside it);
 * - a writer's scan stopped at the first live reader, so slots after it went
 *   unflagged and their owners began reads while the writer waited.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RwLock } from "../mod.ts";
import { wordsOf } from "./_memory.ts";
import { until, withProcesses } from "./_util.ts";
import { DONE, LOST, STOP } from "./workers/rwlock_regress.ts";

/** The writer word (see src/lock/_rwlock.ts). */
const WRITER = 1;

test("RwLock: re-entered reads keep their levels while threads take each other's idle slots", {
  timeout: 120_000,
}, async () => {
  for (const maxReaders of [1, 2]) {
    const rw = new RwLock({ maxReaders });
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    await withProcesses(async (start) => {
      const readers = Array.from(
        { length: 8 },
        () => start("rwlock_regress", { args: [rw, ctl, 60_000] }),
      );
      const w = start("rwlock_regress", { exportName: "writer", args: [rw, ctl] });
      try {
        await Promise.all(readers.map((p) => p.join()));
      } finally {
        Atomics.store(ctl, STOP, 1);
      }
      await w.join();
    });
    assert.equal(ctl[DONE], 8);
    assert.equal(ctl[LOST], 0, `maxReaders ${maxReaders}: a held level was lost (or a writer came in)`);
  }
});

test(
  "RwLock: a waiting writer keeps out a new read by a thread whose slot comes after the reader it waits for",
  {
    timeout: 30_000,
  },
  async () => {
    const rw = new RwLock();
    const words = wordsOf(rw);
    const flags = new Int32Array(new SharedArrayBuffer(16));
    await withProcesses(async (start) => {
      const reader = start("rwlock_regress", { exportName: "holdRead", args: [rw, flags] });
      await until(() => Atomics.load(flags, 0) === 1);
      // This thread reads once: it claims the next slot and keeps it.
      rw.acquireRead();
      rw.releaseRead();
      const writer = start("rwlock_regress", { exportName: "write", args: [rw, flags] });
      await until(() => Atomics.load(words, WRITER) !== 0);
      assert.equal(rw.acquireRead({ blocking: false }), false, "a waiting writer blocks new readers");
      assert.equal(rw.acquireRead({ timeout: 20 }), false, "a timed read waits for the writer too");
      Atomics.store(flags, 1, 1);
      await reader.join();
      await writer.join();
      assert.equal(Atomics.load(flags, 2), 1, "the writer got in once the reader left");
      assert.equal(rw.acquireRead({ blocking: false }), true, "then readers go on");
      rw.releaseRead();
    });
  },
);
