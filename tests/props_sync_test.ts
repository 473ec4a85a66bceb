/**
 * Property-based tests: random sequences of non-blocking operations on the
 * synchronization primitives, run against a plain sequential model. One
 * thread, timeouts of 0 (or a negative one, which counts as 0), so every step
 * is deterministic. Each operation goes through the original object or
 * through a copy revived from `structuredClone` (another view of the same
 * memory), chosen at random. Seeds are fixed: a failure prints its
 * counterexample and replays the same way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  revive,
  RLock,
  Semaphore,
  TimeoutError,
} from "../mod.ts";

const RUNS = 300;
const MAX = 2 ** 31 - 1;

/** The object and a revived view of the same memory; `via` picks one. */
function views<T extends object>(x: T): [T, T] {
  return [x, revive(structuredClone(x))];
}

const via = fc.constantFrom(0, 1);

/** Runs `call` and returns what it threw (`undefined` if nothing). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function rejected(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  return undefined;
}

// --- Semaphore and BoundedSemaphore ---

type SemOp =
  | {
    op: "try" | "timeout0" | "timeoutNegative" | "async0" | "guard0" | "guardAsync0" | "value";
    via: number;
  }
  | { op: "release"; n: number; via: number };

const semOp: fc.Arbitrary<SemOp> = fc.oneof(
  fc.record({
    op: fc.constantFrom("try", "timeout0", "timeoutNegative", "async0", "guard0", "guardAsync0", "value"),
    via,
  }),
  fc.record({
    op: fc.constant("release"),
    n: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
      fc.constant(MAX),
      fc.integer({ min: 1, max: MAX }),
    ),
    via,
  }),
) as fc.Arbitrary<SemOp>;

const initial = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) },
  fc.integer({ min: MAX - 5, max: MAX }),
);

async function runSemaphore(bounded: boolean, init: number, ops: SemOp[]): Promise<void> {
  const sem = bounded ? new BoundedSemaphore(init) : new Semaphore(init);
  const both = views(sem);
  const limit = bounded ? init : MAX;
  let count = init;
  for (const o of ops) {
    const s = both[o.via];
    assert.equal(s.constructor, bounded ? BoundedSemaphore : Semaphore);
    const take = (): boolean => count > 0 && count-- > 0;
    switch (o.op) {
      case "try":
        assert.equal(s.acquire({ blocking: false }), take());
        break;
      case "timeout0":
        assert.equal(s.acquire({ timeout: 0 }), take());
        break;
      case "timeoutNegative":
        assert.equal(s.acquire({ timeout: -5 }), take());
        break;
      case "async0":
        assert.equal(await s.acquireAsync({ timeout: 0 }), take());
        break;
      case "guard0": {
        if (count === 0) assert.ok(thrown(() => s.guard({ timeout: 0 })) instanceof TimeoutError);
        else {
          using _ = s.guard({ timeout: 0 });
          assert.equal(both[1 - o.via].getValue(), count - 1);
        }
        break;
      }
      case "guardAsync0": {
        if (count === 0) {
          assert.ok(await rejected(() => s.guardAsync({ timeout: 0 })) instanceof TimeoutError);
        } else {
          using _ = await s.guardAsync({ timeout: 0 });
          assert.equal(both[1 - o.via].getValue(), count - 1);
        }
        break;
      }
      case "value":
        break;
      case "release": {
        const e = thrown(() => s.release(o.n));
        if (count + o.n > limit) {
          assert.ok(e instanceof RangeError, `release(${o.n}) at ${count} of ${limit} must throw`);
          assert.match(e.message, new RegExp(`by ${o.n}: the count ${count} would pass`));
        } else {
          assert.equal(e, undefined);
          count += o.n;
        }
        break;
      }
    }
    assert.equal(s.getValue(), count);
    assert.equal(both[1 - o.via].getValue(), count);
  }
}

test("props: Semaphore follows a counter model (try, timeout 0, async, guards, release(n) up to the maximum)", async () => {
  await fc.assert(
    fc.asyncProperty(
      initial,
      fc.array(semOp, { maxLength: 40, size: "medium" }),
      (init, ops) => runSemaphore(false, init, ops),
    ),
    { seed: 0x5ab0701, numRuns: RUNS },
  );
});

test("props: BoundedSemaphore follows a bounded counter model; an over-release throws and changes nothing", async () => {
  await fc.assert(
    fc.asyncProperty(
      initial,
      fc.array(semOp, { maxLength: 40, size: "medium" }),
      (init, ops) => runSemaphore(true, init, ops),
    ),
    { seed: 0x5ab0702, numRuns: RUNS },
  );
});

// --- Event ---

type EventOp = { op: "set" | "clear" | "isSet" | "wait0" | "waitNegative" | "wait1" | "async0"; via: number };

test("props: Event follows a flag model (set, clear, isSet, wait and waitAsync with timeout 0 or 1)", async () => {
  const op = fc.record({
    op: fc.constantFrom("set", "clear", "isSet", "wait0", "waitNegative", "wait1", "async0"),
    via,
  }) as fc.Arbitrary<EventOp>;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40, size: "medium" }), async (ops) => {
      const both = views(new Event());
      let flag = false;
      for (const o of ops) {
        const e = both[o.via];
        switch (o.op) {
          case "set":
            e.set();
            flag = true;
            break;
          case "clear":
            e.clear();
            flag = false;
            break;
          case "isSet":
            break;
          case "wait0":
            assert.equal(e.wait(0), flag);
            break;
          case "waitNegative":
            assert.equal(e.wait(-1), flag);
            break;
          case "wait1":
            assert.equal(e.wait(1), flag);
            break;
          case "async0":
            assert.equal(await e.waitAsync(0), flag);
            break;
        }
        assert.equal(e.isSet(), flag);
        assert.equal(both[1 - o.via].isSet(), flag);
      }
    }),
    { seed: 0x5ab0703, numRuns: RUNS },
  );
});

// --- Lock and RLock ---

type LockOp = { op: "try" | "timeout0" | "async0" | "release" | "guard0" | "locked"; via: number };
const lockOp = fc.record({
  op: fc.constantFrom("try", "timeout0", "async0", "release", "guard0", "locked"),
  via,
}) as fc.Arbitrary<LockOp>;

test("props: Lock follows a held/free model; releasing a free Lock throws and changes nothing", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(lockOp, { maxLength: 40, size: "medium" }), async (ops) => {
      const both = views(new Lock());
      let held = false;
      const take = (): boolean => !held && (held = true);
      for (const o of ops) {
        const l = both[o.via];
        switch (o.op) {
          case "try":
            assert.equal(l.acquire({ blocking: false }), take());
            break;
          case "timeout0":
            assert.equal(l.acquire({ timeout: 0 }), take());
            break;
          case "async0":
            assert.equal(await l.acquireAsync({ timeout: 0 }), take());
            break;
          case "release": {
            const e = thrown(() => l.release());
            if (held) assert.equal(e, undefined);
            else assert.ok(e instanceof Error && /unlocked Lock/.test(e.message));
            held = false;
            break;
          }
          case "guard0":
            if (held) assert.ok(thrown(() => l.guard({ timeout: 0 })) instanceof TimeoutError);
            else {
              using _ = l.guard({ timeout: 0 });
              assert.equal(both[1 - o.via].locked(), true);
            }
            break;
          case "locked":
            break;
        }
        assert.equal(l.locked(), held);
        assert.equal(both[1 - o.via].locked(), held);
      }
    }),
    { seed: 0x5ab0704, numRuns: RUNS },
  );
});

test("props: RLock follows a depth model for its owner; a release too many throws and changes nothing", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(lockOp, { maxLength: 40, size: "medium" }), async (ops) => {
      const both = views(new RLock());
      let depth = 0;
      for (const o of ops) {
        const l = both[o.via];
        switch (o.op) {
          case "try":
            assert.equal(l.acquire({ blocking: false }), true);
            depth++;
            break;
          case "timeout0":
            assert.equal(l.acquire({ timeout: 0 }), true);
            depth++;
            break;
          case "async0":
            assert.equal(await l.acquireAsync({ timeout: 0 }), true);
            depth++;
            break;
          case "release": {
            const e = thrown(() => l.release());
            if (depth > 0) {
              assert.equal(e, undefined);
              depth--;
            } else assert.ok(e instanceof Error && /not held/.test(e.message));
            break;
          }
          case "guard0": {
            using _ = l.guard({ timeout: 0 });
            assert.equal(both[1 - o.via].locked(), true);
            break;
          }
          case "locked":
            break;
        }
        assert.equal(l.locked(), depth > 0);
        assert.equal(both[1 - o.via].locked(), depth > 0);
      }
      while (depth-- > 0) both[0].release();
      assert.equal(both[1].locked(), false);
    }),
    { seed: 0x5ab0705, numRuns: RUNS },
  );
});

// --- Condition (one thread: nobody ever notifies a waiter) ---

type CondOp = {
  op: "acquire" | "release" | "wait0" | "async0" | "notify" | "notifyAll";
  via: number;
  n: number;
};

test("props: Condition with no other thread: wait(0) returns false at the same depth, misuse without the lock throws", async () => {
  const op = fc.record({
    op: fc.constantFrom("acquire", "release", "wait0", "async0", "notify", "notifyAll"),
    via,
    n: fc.integer({ min: 0, max: 3 }),
  }) as fc.Arbitrary<CondOp>;
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(op, { maxLength: 30, size: "medium" }),
      async (reentrant, ops) => {
        const lock = reentrant ? new RLock() : new Lock();
        const both = views(new Condition(lock));
        let depth = 0;
        for (const o of ops) {
          const c = both[o.via];
          const notHeld = (e: unknown): boolean => e instanceof Error && /lock is not held/.test(e.message);
          switch (o.op) {
            case "acquire":
              if (!reentrant && depth > 0) assert.equal(c.acquire({ blocking: false }), false);
              else {
                assert.equal(c.acquire({ blocking: false }), true);
                depth++;
              }
              break;
            case "release":
              if (depth > 0) {
                c.release();
                depth--;
              } else assert.ok(thrown(() => c.release()) instanceof Error);
              break;
            case "wait0":
              if (depth > 0) assert.equal(c.wait(0), false);
              else assert.ok(notHeld(thrown(() => c.wait(0))));
              break;
            case "async0":
              if (depth > 0) assert.equal(await c.waitAsync(0), false);
              else assert.ok(notHeld(await rejected(() => c.waitAsync(0))));
              break;
            case "notify":
              if (depth > 0) c.notify(o.n);
              else assert.ok(notHeld(thrown(() => c.notify(o.n))));
              break;
            case "notifyAll":
              if (depth > 0) c.notifyAll();
              else assert.ok(notHeld(thrown(() => c.notifyAll())));
              break;
          }
          assert.equal(lock.locked(), depth > 0);
        }
        // The lock is held exactly `depth` times: that many releases free it, one more throws.
        while (depth-- > 0) both[0].release();
        assert.equal(lock.locked(), false);
        assert.ok(thrown(() => both[1].release()) instanceof Error);
      },
    ),
    { seed: 0x5ab0706, numRuns: RUNS },
  );
});

// --- Barrier (waits never block: one party, or a timeout of 0) ---

type BarrierOp = { op: "wait" | "wait0" | "async0" | "throwingAction" | "abort" | "reset"; via: number };

test("props: Barrier follows a broken/working model (rounds of one, timeouts that break, abort, reset, a failing action)", async () => {
  const op = fc.record({
    op: fc.constantFrom("wait", "wait0", "async0", "throwingAction", "abort", "reset"),
    via,
  }) as fc.Arbitrary<BarrierOp>;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(op, { maxLength: 30, size: "medium" }),
      async (parties, ops) => {
        let rounds = 0;
        const both = views(new Barrier(parties));
        for (const b of both) b.action = () => rounds++;
        let broken = false;
        let expectedRounds = 0;
        const failure = new Error("action failed");
        for (const o of ops) {
          const b = both[o.via];
          // With one party a wait completes a round at once; with more, a wait of 0 times out and breaks it.
          const outcome = async (wait: () => number | Promise<number>): Promise<void> => {
            let result: unknown;
            try {
              result = await wait();
            } catch (e) {
              result = e;
            }
            if (broken || parties > 1) {
              assert.ok(
                result instanceof BrokenBarrierError,
                `broken=${broken} parties=${parties}: ${result}`,
              );
              broken = true;
            } else {
              assert.equal(result, 0);
              expectedRounds++;
            }
          };
          switch (o.op) {
            case "wait":
              if (parties === 1) await outcome(() => b.wait());
              else await outcome(() => b.wait(0));
              break;
            case "wait0":
              await outcome(() => b.wait(0));
              break;
            case "async0":
              await outcome(() => b.waitAsync(0));
              break;
            case "throwingAction": {
              const action = b.action;
              b.action = () => {
                throw failure;
              };
              const e = thrown(() => b.wait(0));
              b.action = action;
              if (broken || parties > 1) assert.ok(e instanceof BrokenBarrierError);
              else assert.equal(e, failure);
              broken = true;
              break;
            }
            case "abort":
              b.abort();
              broken = true;
              break;
            case "reset":
              b.reset();
              broken = false;
              break;
          }
          for (const view of both) {
            assert.equal(view.broken, broken);
            assert.equal(view.nWaiting, 0);
            assert.equal(view.parties, parties);
          }
          assert.equal(rounds, expectedRounds);
        }
      },
    ),
    { seed: 0x5ab0707, numRuns: RUNS },
  );
});
