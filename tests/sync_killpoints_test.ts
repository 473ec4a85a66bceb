/**
 * The kill points of Barrier, Condition, Event and Semaphore, one by one.
 * Each test builds, by hand, the exact state a worker killed right after one
 * step of a protocol leaves (the rows of the tables in src/sync/_barrier.ts,
 * src/sync/_condvar.ts, src/sync/event.ts, src/sync/_semaphore.ts and src/sync/_journal.ts), then
 * checks that live agents (this thread and real workers) go on exactly.
 *
 * The dead agent is this thread wearing a fresh agent id drawn with
 * `drawId()`: it drives the protocol's own functions (or writes the words)
 * up to the step, then takes its own id back and reports the other one
 * exited with `markExited()`, as `Process` does for a killed worker. So the
 * mutex and lock words name the dead agent exactly as a kill leaves them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Condition, Event, Lock, OwnerDiedError, Semaphore } from "../mod.ts";
import { agentId, domainBuffer, drawId, markExited, setAgent } from "../src/core/_agent.ts";
import * as B from "../src/sync/_barrier.ts";
import * as C from "../src/sync/_condvar.ts";
import { commit, stage } from "../src/sync/_journal.ts";
import { lockInternal } from "../src/core/_mutex.ts";
import { SLEEPERS, tryTake, VALUE } from "../src/sync/_semaphore.ts";
import { wordsOf } from "./_memory.ts";
import { sleep, until, withProcesses } from "./_util.ts";
import * as A from "./workers/sync_kill_agent.ts";

type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

const me = agentId();

/** Runs `fn` as agent `id` (this thread's own id is back afterwards). */
function as<T>(id: number, fn: () => T): T {
  setAgent(domainBuffer(), id);
  try {
    return fn();
  } finally {
    setAgent(domainBuffer(), me);
  }
}

/** A fresh agent id, for a worker that is about to be killed. */
function ghost(): number {
  return drawId();
}

/**
 * Writes a committed change into the log at `log`: its pairs, then the count
 * (the commit), then applies the first `applied` pairs: what a holder killed
 * while it applied them leaves.
 */
function committed(w: Int32Array, log: number, pairs: [number, number][], applied: number): void {
  pairs.forEach(([index, value], k) => {
    w[log + 1 + 2 * k] = index;
    w[log + 2 + 2 * k] = value;
  });
  Atomics.store(w, log, pairs.length);
  for (let k = 0; k < applied; k++) w[pairs[k][0]] = pairs[k][1];
}

function objects(partial: Partial<A.Objects>): A.Objects {
  return {
    barrier: partial.barrier ?? new Barrier(1),
    cond: partial.cond ?? new Condition(new Lock()),
    event: partial.event ?? new Event(),
    sem: partial.sem ?? new Semaphore(0),
  };
}

/** A live worker that runs one command at a time (tests/workers/sync_kill_agent.ts). */
class Live {
  readonly box: Int32Array = new Int32Array(new SharedArrayBuffer(A.MAILBOX_WORDS * 4));
  constructor(start: Start, objects: A.Objects) {
    start("sync_kill_agent", { args: [objects, this.box] });
  }

  /** Starts a command; resolves with its result. */
  run(cmd: number, arg = 10000): Promise<number> {
    Atomics.store(this.box, A.CMD, cmd);
    Atomics.store(this.box, A.ARG, arg);
    const seq = Atomics.add(this.box, A.CMD_SEQ, 1) + 1;
    Atomics.notify(this.box, A.CMD_SEQ);
    return until(() => Atomics.load(this.box, A.DONE_SEQ) === seq, 20000).then(() =>
      Atomics.load(this.box, A.RESULT)
    );
  }

  /** Whether the last command has finished. */
  get idle(): boolean {
    return Atomics.load(this.box, A.DONE_SEQ) === Atomics.load(this.box, A.CMD_SEQ);
  }

  /** Resolves once the current command is about to wait, and a little later (asleep by then). */
  async inWait(): Promise<void> {
    await until(() => Atomics.load(this.box, A.WAITING) === 1);
    await sleep(30);
  }
}

/** Runs `body` with `count` live workers, each given `given` (fresh objects for the rest). */
function withLives(
  count: number,
  given: Partial<A.Objects>,
  body: (lives: Live[]) => Promise<void>,
): Promise<void> {
  return withProcesses(async (start) => {
    await body(Array.from({ length: count }, () => new Live(start, objects(given))));
  });
}

/** Does `fn` as a fresh agent, a worker killed right after it; reports it exited, as `Process` does. */
function killedAfter<T>(fn: (dead: number) => T): T {
  const dead = ghost();
  const r = as(dead, () => fn(dead));
  markExited(dead);
  return r;
}

/** Resolves with the result and how long `p` took (ms). */
async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await p;
  return [r, performance.now() - t0];
}

// ---------------------------------------------------------------------------
// Barrier (src/sync/_barrier.ts)

/** One round with the given workers and this thread: every party's result, sorted. */
async function round(barrier: Barrier, lives: Live[]): Promise<number[]> {
  const results = lives.map((l) => l.run(A.BARRIER_WAIT, 10000));
  results.push(barrier.waitAsync(10000).catch((e) => (e instanceof BrokenBarrierError ? A.BROKEN : A.OTHER)));
  return (await Promise.all(results)).sort((a, b) => a - b);
}

/** The barrier is at rest: filling, nobody counted, every seat empty, the log closed, the mutex free. */
function atRest(w: Int32Array): void {
  assert.equal(w[B.STATE], B.FILLING, "filling");
  assert.equal(w[B.COUNT], 0, "nobody counted");
  for (let k = 0; k < B.TRACKED_SEATS; k++) assert.equal(w[B.SEATS + k], 0, `seat ${k} empty`);
  assert.equal(w[B.LOG], 0, "the log is closed");
  assert.equal(w[B.MUTEX], 0, "the mutex is free");
}

async function untilCounted(w: Int32Array, n: number): Promise<void> {
  await until(() => Atomics.load(w, B.COUNT) === n);
  await sleep(30);
}

/** A fresh barrier of `parties`, its words and `count` live workers on it, for `body`. */
function withBarrier(
  parties: number,
  count: number,
  body: (barrier: Barrier, w: Int32Array, lives: Live[]) => Promise<void>,
): Promise<void> {
  const barrier = new Barrier(parties);
  return withLives(count, { barrier }, (lives) => body(barrier, wordsOf(barrier), lives));
}

/** Starts `live`'s wait and resolves, with its outcome to come, once it is counted (asleep). */
async function seated(live: Live, w: Int32Array): Promise<{ outcome: Promise<number> }> {
  const outcome = live.run(A.BARRIER_WAIT, 10000);
  await untilCounted(w, 1);
  return { outcome };
}

/** A party killed holding the barrier's mutex, right after `fn`. */
function killedInside(w: Int32Array, fn: (dead: number) => void): void {
  killedAfter((dead) => {
    lockInternal(w, B.MUTEX);
    fn(dead);
  });
}

/** As `dead`, the last of two parties: arrive's first change (its seat, the count) committed, the action next. */
function lastArrived(w: Int32Array, dead: number): void {
  stage(w, B.LOG, B.SEATS + 1, dead);
  stage(w, B.LOG, B.COUNT, 2);
  commit(w, B.LOG, B.SEQ);
}

/** The barrier is at rest, and a full round of `lives` and this thread follows. */
async function roundsGoOn(barrier: Barrier, lives: Live[]): Promise<void> {
  atRest(wordsOf(barrier));
  // Every index once.
  assert.deepEqual(await round(barrier, lives), Array.from({ length: lives.length + 1 }, (_, i) => i));
}

test("killpoints: Barrier, killed inside arrive's change before its commit: the round never counted it", () =>
  withBarrier(2, 1, async (barrier, w, [a]) => {
    killedInside(w, (dead) => {
      stage(w, B.LOG, B.SEATS, dead);
      stage(w, B.LOG, B.COUNT, 1);
    });
    assert.deepEqual(await round(barrier, [a]), [0, 1], "a full round, not broken");
    await roundsGoOn(barrier, [a]);
  }));

test("killpoints: Barrier, killed after arrive's commit with one of its two words applied: replayed, then the dead party breaks the round", () =>
  withBarrier(3, 2, async (barrier, w, lives) => {
    const first = await seated(lives[0], w);
    killedInside(w, (dead) => committed(w, B.LOG, [[B.SEATS + 1, dead], [B.COUNT, 2]], 1));
    const [outcome, ms] = await timed(first.outcome);
    assert.equal(outcome, A.BROKEN, "the live party sees the round broken");
    assert.ok(ms < 3000, `broken after ${ms.toFixed(0)} ms`);
    assert.equal(barrier.broken, true);
    await assert.rejects(barrier.waitAsync(1000), BrokenBarrierError);
    barrier.reset();
    await roundsGoOn(barrier, lives);
  }));

test("killpoints: Barrier, killed seated (asleep, or between the mutex and the sleep): the round breaks; reset repairs it", () =>
  withBarrier(3, 2, async (barrier, w, lives) => {
    const first = await seated(lives[0], w);
    const turn = killedAfter(() => B.locked(w, () => B.arrive(w, undefined)));
    assert.equal(turn.index, 1);
    assert.equal(await first.outcome, A.BROKEN);
    assert.equal(barrier.broken, true);
    assert.equal(w[B.COUNT], 0, "the dead party's seat and count are gone");
    barrier.reset();
    await roundsGoOn(barrier, lives);
  }));

test("killpoints: Barrier, the last party killed while it runs the action (round full, still filling): the round breaks", () =>
  withBarrier(2, 1, async (barrier, w, lives) => {
    const first = await seated(lives[0], w);
    // arrive's first change, made; the action would run next, mutex held.
    killedInside(w, (dead) => lastArrived(w, dead));
    assert.equal(await first.outcome, A.BROKEN);
    barrier.reset();
    await roundsGoOn(barrier, lives);
  }));

test("killpoints: Barrier, killed inside the releasing change after its commit (one of four words applied): replayed, the round is released", () =>
  withBarrier(2, 1, async (barrier, w, lives) => {
    const first = await seated(lives[0], w);
    killedInside(w, (dead) => {
      lastArrived(w, dead);
      // The action ran; the release (drain, SEQ, the last party leaves) is committed, its state applied.
      const release: [number, number][] = [
        [B.STATE, B.DRAINING],
        [B.SEQ, (w[B.SEQ] + 1) | 0],
        [B.SEATS + 1, 0],
        [B.COUNT, 1],
      ];
      committed(w, B.LOG, release, 1);
    });
    assert.equal(await first.outcome, 0, "released with its index, not broken");
    await roundsGoOn(barrier, lives);
  }));

test("killpoints: Barrier, the last party killed after its release, before unlock: the round is released, the mutex taken over", () =>
  withBarrier(2, 1, async (barrier, w, lives) => {
    const first = await seated(lives[0], w);
    killedInside(w, () => assert.equal(B.arrive(w, undefined).done, true));
    assert.equal(await first.outcome, 0);
    await roundsGoOn(barrier, lives);
  }));

test("killpoints: Barrier, killed after its round was released, before it left: it counts as gone; the next round is not held up", () =>
  withBarrier(2, 1, async (barrier, w, [a]) => {
    const dead = ghost();
    as(dead, () => B.locked(w, () => B.arrive(w, undefined)));
    assert.equal(await a.run(A.BARRIER_WAIT, 10000), 1, "the live party completes the round");
    assert.equal(w[B.STATE], B.DRAINING);
    assert.equal(w[B.COUNT], 1, "the dead party never left");
    markExited(dead);
    assert.deepEqual(await round(barrier, [a]), [0, 1], "the next round works, not broken");
    atRest(w);
  }));

test("killpoints: Barrier, a reaper killed between two dead parties: the next reap takes the rest; reset repairs", () =>
  withBarrier(3, 2, async (barrier, w, lives) => {
    const [d1, d2, reaper] = [ghost(), ghost(), ghost()];
    as(d1, () => B.locked(w, () => B.arrive(w, undefined)));
    as(d2, () => B.locked(w, () => B.arrive(w, undefined)));
    as(reaper, () => {
      lockInternal(w, B.MUTEX);
      // reap's first change (d1 breaks the round and leaves), made; d2's would come next.
      stage(w, B.LOG, B.STATE, B.BROKEN);
      stage(w, B.LOG, B.SEQ, (w[B.SEQ] + 1) | 0);
      stage(w, B.LOG, B.SEATS, 0);
      stage(w, B.LOG, B.COUNT, 1);
      commit(w, B.LOG, B.SEQ);
    });
    for (const d of [d1, d2, reaper]) markExited(d);
    assert.equal(w[B.SEATS + 1], d2);
    await assert.rejects(barrier.waitAsync(1000), BrokenBarrierError);
    assert.equal(w[B.COUNT], 0, "d2 was reaped");
    barrier.reset();
    await roundsGoOn(barrier, lives);
  }));

// ---------------------------------------------------------------------------
// Condition (src/sync/_condvar.ts)

/** The first free waiter slot's first word. */
function freeSlot(w: Int32Array): number {
  for (let k = 0; k < C.TRACKED_WAITERS; k++) if (w[C.SLOTS + 2 * k] === 0) return C.SLOTS + 2 * k;
  throw new Error("no free slot");
}

/** The pairs of `enter`'s change for agent `id`: its slot's group, its slot, the fresh count. */
function enterPairs(w: Int32Array, id: number): [number, number][] {
  const at = freeSlot(w);
  return [[at + 1, (w[C.CURRENT] + 1) | 0], [at, id], [C.FRESH, w[C.FRESH] + 1]];
}

/** Registers agent `id` as a waiter with the lock held, as `enter` does (lock still held). */
function enterAs(w: Int32Array, id: number): void {
  for (const [index, value] of enterPairs(w, id)) stage(w, C.LOG, index, value);
  commit(w, C.LOG, -1);
}

/** How many waiters the condition counts (a repair and a reap first), read under its lock. */
function countedOf(cond: Condition): number {
  assert.equal(cond.acquire({ timeout: 5000 }), true);
  try {
    return C.counted(wordsOf(cond));
  } finally {
    cond.release();
  }
}

async function untilWaiting(cond: Condition, n: number): Promise<void> {
  await until(() => countedOf(cond) === n);
  await sleep(30);
}

/** Every slot is free, nothing is counted, the log is closed. */
function condAtRest(w: Int32Array): void {
  for (let k = 0; k < C.TRACKED_WAITERS; k++) assert.equal(w[C.SLOTS + 2 * k], 0, `slot ${k} free`);
  assert.equal(w[C.FRESH] + w[C.PENDING] + w[C.TOKENS], 0, "nobody counted");
  assert.equal(w[C.LOG], 0, "the log is closed");
}

/**
 * The lock's holder died: acquire reports it; recover through the condition,
 * check how many waiters it counts (when `counted` is given), release.
 */
function recover(cond: Condition, counted?: [number, string]): void {
  assert.throws(() => cond.acquire({ timeout: 3000 }), OwnerDiedError);
  assert.equal(cond.acquire({ recover: true, timeout: 3000 }), true);
  if (counted !== undefined) assert.equal(C.counted(wordsOf(cond)), ...counted);
  cond.release();
}

/** Notifies one under the lock and checks that a live waiter (`p`) gets it. */
async function notifyReaches(cond: Condition, p: Promise<number>): Promise<void> {
  {
    using _ = cond.guard({ timeout: 5000 });
    cond.notify();
  }
  const [outcome, ms] = await timed(p);
  assert.equal(outcome, 1, "the live waiter was notified");
  assert.ok(ms < 3000, `after ${ms.toFixed(0)} ms`);
}

/** The last live waiter (`p`) gets a notify(1); then the condition is at rest. */
async function lastNotifyReaches(cond: Condition, p: Promise<number>): Promise<void> {
  await notifyReaches(cond, p);
  condAtRest(wordsOf(cond));
}

interface CondFixture {
  cond: Condition;
  lock: Lock;
  w: Int32Array;
}

/** A fresh Condition on a Lock, its words and `count` live workers on it, for `body`. */
function withCondition(count: number, body: (c: CondFixture, lives: Live[]) => Promise<void>): Promise<void> {
  const lock = new Lock();
  const cond = new Condition(lock);
  return withLives(count, { cond }, (lives) => body({ cond, lock, w: wordsOf(cond) }, lives));
}

/** Agent `id` registers as a waiter (the lock taken around it), then goes to sleep. */
function waitsAs(c: CondFixture, id: number): void {
  as(id, () => {
    assert.equal(c.lock.acquire(), true);
    enterAs(c.w, id);
    c.lock.release();
  });
}

for (
  const [name, applied, commitIt] of [["before its commit", 0, false], [
    "after its commit, one of three words applied",
    1,
    true,
  ], [
    "after its commit, applied, before releaseAll",
    3,
    true,
  ]] as const
) {
  test(`killpoints: Condition, a waiter killed inside enter's change ${name}: notify(1) still reaches the live waiter`, () =>
    withCondition(1, async ({ cond, lock, w }, [a]) => {
      const waiting = a.run(A.COND_WAIT, 10000);
      await untilWaiting(cond, 1);
      killedAfter((dead) => {
        assert.equal(lock.acquire({ timeout: 1000 }), true);
        const pairs = enterPairs(w, dead);
        if (commitIt) committed(w, C.LOG, pairs, applied);
        else for (const [index, value] of pairs) stage(w, C.LOG, index, value);
      });
      recover(cond, [1, "only the live waiter counts"]);
      await lastNotifyReaches(cond, waiting);
    }));
}

for (const applied of [0, 5]) {
  test(`killpoints: Condition, the notifier killed after notify(1)'s commit with ${applied} of five words applied: the recovery delivers it to exactly one`, () =>
    withCondition(2, async ({ cond, lock, w }, lives) => {
      const waits = lives.map((l) => l.run(A.COND_WAIT, 10000));
      await untilWaiting(cond, 2);
      killedAfter(() => {
        assert.equal(lock.acquire({ timeout: 1000 }), true);
        // notify(1) with both waiters in the fresh group: it becomes current, one token.
        const group = (w[C.CURRENT] + 1) | 0;
        const notify: [number, number][] = [
          [C.CURRENT, group],
          [C.PENDING, 1],
          [C.TOKENS, 1],
          [C.FRESH, 0],
          [C.SEQ, (w[C.SEQ] + 1) | 0],
        ];
        committed(w, C.LOG, notify, applied);
      });
      recover(cond);
      // With SEQ applied, a waiter whose sleep slice ended before the recovery saw the bump and
      // re-took the lock while its dead holder still had it: OwnerDiedError, as for any waiter of
      // a lock whose holder died (it leaves unnotified, and stops counting). Seen once in a full
      // run under load. Every other waiter is still counted, and exactly one gets the notify.
      const results: (number | undefined)[] = waits.map(() => undefined);
      waits.forEach((p, k) => p.then((r) => results[k] = r));
      await until(() => results.some((r) => r !== undefined), 5000);
      await sleep(300);
      const of = (r: number | undefined): number => results.filter((x) => x === r).length;
      assert.equal(of(1) + of(A.OWNER_DIED) + of(undefined), 2, `outcomes ${results}`);
      if (of(A.OWNER_DIED) === 0) assert.equal(of(1), 1, "exactly one got the dead notifier's notify");
      assert.ok(of(1) <= 1, `outcomes ${results}: a notify(1) reached two`);
      const still = results.indexOf(undefined);
      if (still < 0) {
        assert.equal(countedOf(cond), 0);
        condAtRest(w);
      } else {
        assert.equal(lives[still].idle, false);
        assert.equal(countedOf(cond), 1);
        await lastNotifyReaches(cond, waits[still]);
      }
    }));
}

test("killpoints: Condition, a waiter killed asleep, not yet notified, while a newer live waiter sleeps: notify(1) reaches the live one", () =>
  withCondition(2, async (c, [a, b]) => {
    const { cond, w } = c;
    const dead = ghost();
    waitsAs(c, dead);
    const first = a.run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 2);
    // Both are in one group: the token goes to the only live one.
    await notifyReaches(cond, first);
    // The dead one is still pending in the current group; b waits in the fresh one.
    const second = b.run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 2);
    markExited(dead);
    // notify reaps the dead one first (no other call in between that would).
    await notifyReaches(cond, second);
    assert.equal(countedOf(cond), 0);
    condAtRest(w);
  }));

test("killpoints: Condition, a waiter killed after it was notified, before it claimed: its token goes; notify(1) and notifyAll reach the live ones", () =>
  withCondition(3, async (c, lives) => {
    const { cond, w } = c;
    const dead = ghost();
    waitsAs(c, dead);
    const first = lives[0].run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 2);
    {
      using _ = cond.guard();
      cond.notify(2);
    }
    assert.equal(await first, 1);
    // One token is left, the dead one's.
    assert.equal(w[C.TOKENS], 1);
    const second = lives[1].run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 2);
    markExited(dead);
    await notifyReaches(cond, second);
    // notifyAll with a dead waiter among live ones: every live one, and nothing left counted.
    const dead2 = ghost();
    const waits = lives.map((l) => l.run(A.COND_WAIT, 10000));
    await untilWaiting(cond, 3);
    waitsAs(c, dead2);
    markExited(dead2);
    {
      using _ = cond.guard();
      cond.notifyAll();
    }
    assert.deepEqual(await Promise.all(waits), [1, 1, 1]);
    condAtRest(w);
  }));

test("killpoints: Condition, the lock's holder killed right after notify: the woken waiters get OwnerDiedError and stop counting; later waiters are notified", () =>
  withCondition(2, async ({ cond, lock }, [a, b]) => {
    const waits = [a.run(A.COND_WAIT, 10000), b.run(A.COND_WAIT, 10000)];
    await untilWaiting(cond, 2);
    killedAfter(() => {
      assert.equal(lock.acquire(), true);
      cond.notify();
    });
    assert.deepEqual(await Promise.all(waits), [A.OWNER_DIED, A.OWNER_DIED]);
    recover(cond, [0, "the abandoned waiters no longer count"]);
    const again = a.run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 1);
    await lastNotifyReaches(cond, again);
  }));

test("killpoints: Condition, a reaper killed between two dead waiters: the next reap takes the rest; notify(1) reaches the live waiter", () =>
  withCondition(1, async (c, [a]) => {
    const { cond, lock, w } = c;
    const [d1, d2, reaper] = [ghost(), ghost(), ghost()];
    for (const d of [d1, d2]) waitsAs(c, d);
    const waiting = a.run(A.COND_WAIT, 10000);
    await untilWaiting(cond, 3);
    as(reaper, () => {
      assert.equal(lock.acquire(), true);
      // reap's first change (d1's slot and count), made; d2's would come next.
      stage(w, C.LOG, C.SLOTS, 0);
      stage(w, C.LOG, C.FRESH, w[C.FRESH] - 1);
      commit(w, C.LOG, -1);
    });
    for (const d of [d1, d2, reaper]) markExited(d);
    recover(cond, [1, "only the live waiter counts"]);
    await lastNotifyReaches(cond, waiting);
  }));

// ---------------------------------------------------------------------------
// Event (src/sync/event.ts)

/** Event's transition word (its `STATE`, private to src/sync/event.ts; docs/ARCHITECTURE.md lists the layout). */
const EVENT_STATE = 1;

test("killpoints: Event, a setter killed between its CAS and its notify: every waiter (worker, async here) still returns true", async () => {
  const event = new Event();
  const w = wordsOf(event);
  await withLives(1, { event }, async ([a]) => {
    const waiting = a.run(A.EVENT_WAIT, 10000);
    const here = event.waitAsync(10000);
    await a.inWait();
    const s = Atomics.load(w, EVENT_STATE);
    assert.equal(Atomics.compareExchange(w, EVENT_STATE, s, s + 1), s);
    const [[x, y], ms] = await timed(Promise.all([waiting, here]));
    assert.deepEqual([x, y], [1, true]);
    assert.ok(ms < 2500, `after ${ms.toFixed(0)} ms`);
    assert.equal(event.isSet(), true);
  });
});

test("killpoints: Event, a setter killed between its CAS and its notify: a blocking wait here returns true", async () => {
  const event = new Event();
  await withLives(1, { event }, async ([a]) => {
    const flipped = a.run(A.EVENT_FLIP_SILENTLY, 200);
    const t0 = performance.now();
    assert.equal(event.wait(5000), true);
    const ms = performance.now() - t0;
    assert.ok(ms < 2500, `after ${ms.toFixed(0)} ms`);
    assert.equal(await flipped, 1);
  });
});

test("killpoints: Event, a setter killed before its CAS: nothing changed; set then wakes every waiter", async () => {
  const event = new Event();
  await withLives(2, { event }, async (lives) => {
    const waits = lives.map((l) => l.run(A.EVENT_WAIT, 10000));
    await Promise.all(lives.map((l) => l.inWait()));
    assert.equal(event.isSet(), false);
    assert.equal(event.wait(20), false);
    event.set();
    assert.deepEqual(await Promise.all(waits), [1, 1]);
  });
});

// ---------------------------------------------------------------------------
// Semaphore (src/sync/_semaphore.ts)

test("killpoints: Semaphore, killed after acquire's CAS: exactly that permit is lost; a release on its behalf restores the count", async () => {
  const sem = new Semaphore(2);
  const w = wordsOf(sem);
  await withLives(2, { sem }, async ([a, b]) => {
    assert.equal(killedAfter(() => tryTake(w)), true);
    assert.equal(sem.getValue(), 1, "one permit lost, as documented");
    assert.equal(await a.run(A.SEM_ACQUIRE, 5000), 1);
    assert.equal(await b.run(A.SEM_ACQUIRE, 50), 0, "no permit left");
    sem.release(); // on the dead worker's behalf
    assert.equal(await b.run(A.SEM_ACQUIRE, 5000), 1);
    assert.equal(sem.getValue(), 0);
    assert.equal(w[SLEEPERS], 0);
  });
});

test("killpoints: Semaphore, a sleeper killed before it uncounted itself: SLEEPERS stays one too high, which only costs a notify", async () => {
  const sem = new Semaphore(0);
  const w = wordsOf(sem);
  Atomics.add(w, SLEEPERS, 1);
  await withLives(1, { sem }, async ([a]) => {
    const waiting = a.run(A.SEM_ACQUIRE, 10000);
    await a.inWait();
    sem.release();
    assert.equal(await waiting, 1);
    assert.equal(sem.getValue(), 0);
    assert.equal(w[SLEEPERS], 1, "the dead sleeper's count");
    sem.release(2);
    assert.equal(sem.getValue(), 2);
    assert.equal(sem.acquire({ timeout: 0 }), true);
    assert.equal(sem.acquire({ timeout: 0 }), true);
    assert.equal(sem.acquire({ timeout: 0 }), false);
  });
});

test("killpoints: Semaphore, a releaser killed between its CAS and its notify (or a woken sleeper killed before its CAS): the sleepers take the permit", async () => {
  const sem = new Semaphore(0);
  const w = wordsOf(sem);
  await withLives(1, { sem }, async ([a]) => {
    // A blocking acquire here (no async wait of this thread pending), the count raised silently by a worker.
    const given = a.run(A.SEM_GIVE_SILENTLY, 200);
    const t0 = performance.now();
    assert.equal(sem.acquire({ timeout: 5000 }), true);
    const waited = performance.now() - t0;
    assert.ok(waited < 2500, `after ${waited.toFixed(0)} ms`);
    assert.equal(await given, 1);
    assert.equal(sem.getValue(), 0);
    // A worker sleeping, and an async acquire here.
    const waiting = a.run(A.SEM_ACQUIRE, 10000);
    const here = sem.acquireAsync({ timeout: 10000 });
    await a.inWait();
    Atomics.add(w, VALUE, 2);
    const [[x, y], ms] = await timed(Promise.all([waiting, here]));
    assert.deepEqual([x, y], [1, true]);
    assert.ok(ms < 2500, `after ${ms.toFixed(0)} ms`);
    assert.equal(sem.getValue(), 0);
  });
});
