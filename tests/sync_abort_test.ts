/**
 * Aborted async waits of Semaphore, Condition, Event and Barrier (issue 14,
 * bugs 2 and 6): an aborted wait must neither take a later wake-up meant for
 * a live waiter nor stay in memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { Barrier, Condition, Event, Lock, Semaphore } from "../mod.ts";
import { n, size } from "./_stress.ts";
import { runtime, until, withProcesses } from "./_util.ts";

// ---------------------------------------------------------------------------
// A worker aborts a wait, then wakes the primitive 300 ms later: this thread's
// blocking wait (timeout 5000 ms) must see it at once, not at its timeout.

const kinds = {
  semaphore: {
    make: () => new Semaphore(0),
    wait: (x: unknown) => (x as Semaphore).acquire({ timeout: 5000 }),
  },
  condition: {
    make: () => new Condition(new Lock()),
    wait: (x: unknown) => {
      const cond = x as Condition;
      using _ = cond.guard();
      return cond.wait(5000);
    },
  },
  event: {
    make: () => new Event(),
    wait: (x: unknown) => (x as Event).wait(5000),
  },
  barrier: {
    make: () => new Barrier(2),
    wait: (x: unknown) => (x as Barrier).wait(5000) >= 0,
  },
};

// 300 ms as in the issue; 30 ms while the aborted wait surely still sits in the engine's queue.
const cases = [[300, true], [300, false], [30, true]] as const;

for (const [wakeAfter, stay] of cases) {
  test(`aborts: a worker aborts an async wait of each kind, wakes it ${wakeAfter} ms later and ${stay ? "runs on" : "exits"}: a blocking wait here returns at once`, async () => {
    const x = Object.fromEntries(Object.entries(kinds).map(([kind, { make }]) => [kind, make()]));
    const flags = new Int32Array(new SharedArrayBuffer(4 * 3 * 4));
    await withProcesses(async (start) => {
      const p = start("sync_kill_abort", { exportName: "all", args: [x, flags, stay, wakeAfter] });
      for (const [k, [kind, { wait }]] of Object.entries(kinds).entries()) {
        const f = flags.subarray(3 * k, 3 * k + 3);
        await until(() => Atomics.load(f, 0) === 1);
        assert.equal(f[1], 0, `${kind}: the aborted wait rejected`);
        const t0 = performance.now();
        const woken = wait(x[kind]);
        const ms = performance.now() - t0;
        assert.equal(woken, true, `${kind}: woken (after ${ms.toFixed(0)} ms)`);
        // The wake-up's delay, plus a loaded machine's slack: far below the 5000 ms timeout.
        assert.ok(ms < 2500, `${kind}: the wait took ${ms.toFixed(0)} ms`);
        if (kind === "barrier") {
          await until(() => f[2] !== 0);
          assert.ok(f[2] === 1 || f[2] === 2, "the worker's barrier wait passed too");
        }
      }
      // One that runs on is terminated by withProcesses; one that exits ends by itself.
      if (stay) assert.equal(p.alive, true, "the worker still runs");
      else assert.equal(await p.join(10000), 0);
    });
  });
}

// ---------------------------------------------------------------------------
// Memory: many aborted waits with no timeout, then a full GC.

const WAITS = size(20000, 100000);

/** A full collection, however this runtime exposes one. */
function collector(): () => void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(full: boolean): void } };
  if (typeof g.gc === "function") return g.gc;
  if (runtime === "bun") return () => g.Bun!.gc(true);
  // V8 (Node, Deno): expose gc at run time, reached through a fresh context.
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(`aborts: ${n(WAITS)} aborted async waits (no timeout) of each kind leave no memory behind`, async () => {
  const gc = collector();
  const sem = new Semaphore(0);
  const cond = new Condition(new Lock());
  const ev = new Event();
  const barrier = new Barrier(2);
  const none = (): void => {};
  const rounds: [string, (signal: AbortSignal) => Promise<unknown>, () => void][] = [
    ["Semaphore.acquireAsync", (signal) => sem.acquireAsync({ signal }), none],
    ["Condition.waitAsync", (signal) => {
      cond.acquire();
      return cond.waitAsync(undefined, { signal }).finally(() => cond.release());
    }, none],
    ["Event.waitAsync", (signal) => ev.waitAsync(undefined, { signal }), none],
    // The party arrives after its async lock: a few turns later (checked below). Each abort
    // then breaks the round, which is reset for the next.
    ["Barrier.waitAsync", (signal) => barrier.waitAsync(undefined, { signal }), () => {
      if (barrier.broken) arrived++;
      barrier.reset();
    }],
  ];
  let arrived = 0;
  const grew: Record<string, number> = {};
  for (const [name, waitOn, next] of rounds) {
    const before = heapAfterGc(gc);
    const t0 = performance.now();
    for (let i = 0; i < WAITS; i++) {
      const ac = new AbortController();
      const p = waitOn(ac.signal);
      // Let a wait that starts behind an async lock (the Barrier's) reach the engine's queue.
      if (next !== none) { for (let t = 0; t < 10; t++) await null; }
      ac.abort();
      await p.then(() => assert.fail(`${name} resolved`), () => {});
      next();
      // Tasks too, not only microtasks: the engine settles its queued waiters in tasks.
      if (i % 1000 === 999) await sleep(0);
    }
    const elapsed = performance.now() - t0;
    // An aborted wait leaves the engine's queue at once (src/core/_wait.ts); its settling takes a task or two.
    await sleep(200);
    const grown = (heapAfterGc(gc) - before) / 2 ** 20;
    grew[name] = Math.round(grown * 10) / 10;
    console.log(
      `aborted waits ${runtime} ${name}: ${n(WAITS)} in ${elapsed.toFixed(0)} ms, heap +${
        grown.toFixed(1)
      } MB`,
    );
  }
  assert.ok(arrived > WAITS * 0.9, `only ${n(arrived)} Barrier waits had arrived when aborted`);
  // A leak costs about 1.7 kB per wait (the issue: 100,000 waits, 9 → 174 MB). Node keeps some
  // 45 bytes per aborted wait of src/core/_wait.ts for good (Bun and Deno nothing): 300 bytes pass.
  const bound = (WAITS * 300) / 2 ** 20;
  for (const [name, mb] of Object.entries(grew)) {
    assert.ok(mb < bound, `${name}: the heap grew by ${mb} MB after ${n(WAITS)} aborted waits`);
  }
});
