/**
 * The shared count of stuck async waiters (src/core/_wait.ts) across real
 * workers that are killed, or not. Every agent shares one total of async
 * waiters that may swallow an `Atomics.notify`: given up (abort, timeout)
 * but still queued in the engine, or live beside a blocking call of their
 * own thread (`countStuck`); `wake()` notifies that many more. A worker's
 * share is mirrored in its control block, and `Process` takes it off the
 * total once the worker has ended (`forgetAbandoned`).
 *
 * Each test reads the total before, and checks it is back to exactly that
 * value once the worker is gone (killed while it blocked, holding a share)
 * or once it has left its blocking call (not killed). The total is read
 * raw: `abandonedCount()` reads a negative total as 0, which would hide a
 * share taken off twice. Its readings are polled (bounded): this thread's
 * own async waits (Deno's `Process` watches its worker with one) may count
 * for a moment at a slice's end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, Queue } from "../mod.ts";
import { abandonedCount, domainBuffer } from "../src/core/_agent.ts";
import { sleep, until, withProcesses } from "./_util.ts";
import * as W from "./workers/wait_stuck.ts";

/** The total's word in the id domain (`ABANDONED` in src/core/_agent.ts). */
const TOTAL = 3;

/** The shared total of stuck async waiters, raw (it may read negative, unlike `abandonedCount()`). */
function total(): number {
  return Atomics.load(new Int32Array(domainBuffer()), TOTAL);
}

/** Waits (bounded) until the total reads `want`; fails with what it read. */
async function totalIs(want: number, what: string, timeoutMs = 3000): Promise<void> {
  try {
    await until(() => total() === want, timeoutMs);
  } catch {
    assert.fail(`${what}: the total of stuck async waiters is ${total()}, not ${want}`);
  }
}

/**
 * The total is back to `before`, exactly, and `abandonedCount()` says so too,
 * in one reading: a transient share of this thread's own (see the module
 * doc) may come and go between two readings (seen once in a full run, Node).
 */
async function backTo(before: number, what: string, timeoutMs = 3000): Promise<void> {
  try {
    await until(() => total() === before && abandonedCount() === Math.max(0, before), timeoutMs);
  } catch {
    assert.fail(
      `${what}: the total of stuck async waiters is ${total()} (abandonedCount() ${abandonedCount()}), not ${before}`,
    );
  }
}

function newCtl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(W.CTL_WORDS * 4));
}

/** Waits (bounded) until the worker's `ctl[PHASE]` reads `phase`. */
async function phaseIs(ctl: Int32Array, phase: number, what: string): Promise<void> {
  try {
    await until(() => Atomics.load(ctl, W.PHASE) === phase, 10000);
  } catch {
    assert.fail(`${what}: the worker's phase is ${Atomics.load(ctl, W.PHASE)}, not ${phase}`);
  }
}

function go(ctl: Int32Array): void {
  Atomics.store(ctl, W.GO, 1);
  Atomics.notify(ctl, W.GO);
}

const ABANDONED = 3;

for (const how of ["abort", "timeout"] as const) {
  test(
    `stuck waiters: a worker killed while it blocks holding ${ABANDONED} async gets given up (${how}) leaves the total as it was`,
    async () => {
      const before = total();
      const q = new Queue<number>();
      const ev = new Event();
      const ctl = newCtl();
      try {
        await withProcesses(async (start) => {
          const p = start("wait_stuck", {
            exportName: "abandonThenBlock",
            args: [q, ev, ctl, ABANDONED, how],
          });
          await phaseIs(ctl, W.PHASE_BLOCKING, "set up");
          if (how === "abort") {
            // Aborted, each waiter counts until the engine's answer runs on the worker's (blocked) thread.
            await totalIs(before + ABANDONED, "blocked with its aborted gets");
          } else {
            // Whether a timed-out waiter is still queued depends on which timeout came first.
            await sleep(50);
            const t = total();
            assert.ok(
              t >= before && t <= before + ABANDONED,
              `blocked with its timed-out gets: ${t} (${before})`,
            );
          }
          p.terminate();
          assert.equal(await p.join(10000), -15, "the worker was terminated");
          await backTo(before, "after the worker's end");
          // The queue still works: a get of this thread is woken by a put.
          const g = q.getAsync({ timeout: 5000 });
          await sleep(20);
          const t0 = performance.now();
          q.put(7);
          assert.equal(await g, 7);
          assert.ok(performance.now() - t0 < 2000, "the get took the put's item promptly");
        });
        await backTo(before, "at the end");
      } finally {
        q.close();
      }
    },
  );
}

test(
  `stuck waiters: a worker not killed takes its ${ABANDONED} aborted async gets back once its event loop runs`,
  async () => {
    const before = total();
    const q = new Queue<number>();
    const ev = new Event();
    const ctl = newCtl();
    try {
      await withProcesses(async (start) => {
        const p = start("wait_stuck", {
          exportName: "abandonThenBlock",
          args: [q, ev, ctl, ABANDONED, "abort"],
        });
        await phaseIs(ctl, W.PHASE_BLOCKING, "set up");
        await totalIs(before + ABANDONED, "blocked with its aborted gets");
        ev.set();
        await phaseIs(ctl, W.PHASE_LEFT, "let go");
        // The worker runs on (it awaits GO): its share was taken back by itself.
        await backTo(before, "the worker out of its block, still running");
        go(ctl);
        assert.equal(await p.join(10000), 0);
        await backTo(before, "after the worker's end");
      });
    } finally {
      q.close();
    }
  },
);

const ROUNDS = 5;

for (const live of [1, 3]) {
  test(
    `stuck waiters: a worker killed in a timed blocking get beside ${live} live getAsync of its own leaves the total as it was; the queue still delivers`,
    async () => {
      const before = total();
      const q = new Queue<number>();
      const ctl = newCtl();
      const sctl = newCtl();
      try {
        await withProcesses(async (start) => {
          const p = start("wait_stuck", {
            exportName: "blockBesideAsync",
            args: [q, ctl, live, 30000, null],
          });
          await phaseIs(ctl, W.PHASE_BLOCKING, "set up");
          // While it blocks, its live async gets count as stuck.
          await totalIs(before + live, "blocked beside its live gets");
          // A survivor, asleep in a get of the same queue when the other worker dies.
          const s = start("wait_stuck", { exportName: "getRounds", args: [q, sctl, ROUNDS] });
          await phaseIs(sctl, 1, "the survivor's first round");
          await sleep(30);
          p.terminate();
          assert.equal(await p.join(10000), -15, "the worker was terminated mid-block");
          await backTo(before, "after the worker's end");
          const took: number[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            await phaseIs(sctl, round + 1, `survivor round ${round}`);
            // Long enough for the survivor to be asleep in its get (it spins at most 0.5 ms).
            await sleep(20);
            const t0 = performance.now();
            q.put(round);
            try {
              await until(() => Atomics.load(sctl, W.GO) === round + 1, 5000);
            } catch {
              assert.fail(`survivor round ${round}: the put never reached the blocked get`);
            }
            took.push(performance.now() - t0);
          }
          assert.equal(await s.join(10000), 0);
          assert.ok(
            took.every((t) => t < 2000),
            `put to the survivor's get (ms): ${took.map((t) => t.toFixed(1))}`,
          );
          // And a get of this thread, woken by a put.
          const g = q.getAsync({ timeout: 5000 });
          await sleep(20);
          const t0 = performance.now();
          q.put(99);
          assert.equal(await g, 99);
          assert.ok(performance.now() - t0 < 2000, "this thread's get took the put's item promptly");
          assert.ok(q.empty());
        });
        await backTo(before, "at the end");
      } finally {
        q.close();
      }
    },
  );
}

/**
 * How long the "timeout" worker blocks. Its shares count only meanwhile, so the
 * parent has this long, less a margin, to see them; 700 ms proved too short on
 * a loaded machine under Bun. Under Bun's 5 s per-test limit with room to spare.
 */
const TIMED_BLOCK_MS = 2000;

for (const live of [1, 3]) {
  for (const leave of ["item", "timeout"] as const) {
    test(
      `stuck waiters: a worker not killed takes its ${live} live getAsync back off the total once its blocking get ends (${leave})`,
      async () => {
        const before = total();
        const q = new Queue<number>();
        const ctl = newCtl();
        try {
          await withProcesses(async (start) => {
            const item = leave === "item" ? 42 : null;
            const p = start("wait_stuck", {
              exportName: "blockBesideAsync",
              args: [q, ctl, live, leave === "item" ? 30000 : TIMED_BLOCK_MS, item],
            });
            await phaseIs(ctl, W.PHASE_BLOCKING, "set up");
            // Bounded well inside the timed block: a slow parent (a busy machine, a GC) must still
            // see the shares while the worker blocks, not after its timeout took them back.
            await totalIs(before + live, "blocked beside its live gets", TIMED_BLOCK_MS - 500);
            if (item !== null) q.put(item);
            await phaseIs(ctl, W.PHASE_LEFT, "out of its blocking get");
            // The worker runs on, its async gets still asleep (live, not stuck): its share is back.
            await backTo(before, "the worker out of its block, still running");
            for (let k = 0; k < live; k++) q.put(1000 + k);
            go(ctl);
            assert.equal(await p.join(10000), 0);
            await backTo(before, "after the worker's end");
          });
        } finally {
          q.close();
        }
      },
    );
  }
}
