/**
 * Stress on real workers: exact results under heavy contention, with sync
 * and async waiters on the same primitive. Small sizes by default; `npm run
 * stress` sets SABKIT_STRESS=full for the sizes of the reliability issue.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Lock, RLock, Semaphore, Value } from "../mod.ts";
import { full, n, size } from "./_stress.ts";
import { runtime, withProcesses } from "./_util.ts";

const WORKERS = 8;
const INCREMENTS = size(5000, 100_000);
const GENERATIONS = size(200, 1000);
const PER_PRODUCER = size(2500, 100_000);
/** What the main thread adds with async acquires while the workers run. */
const MAIN_INCREMENTS = size(500, 10_000);

type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

console.log(`stress sizes ${runtime}: ${full ? "full" : "ci"}`);

/** Runs `count` workers of `stress_increment` and checks each exits 0. */
async function joinAll(procs: ReturnType<Start>[]): Promise<void> {
  assert.deepEqual(await Promise.all(procs.map((p) => p.join())), procs.map(() => 0));
}

/** The increment loop of the main thread, with async acquires, as workers contend. */
async function mainIncrements(lock: Lock | RLock | Semaphore, counter: Int32Array, times: number) {
  for (let i = 0; i < times; i++) {
    if (i % 2 === 0) {
      assert.equal(await lock.acquireAsync(), true);
      if (Atomics.add(counter, 1, 1) !== 0) Atomics.add(counter, 2, 1);
      counter[0] = counter[0] + 1;
      Atomics.sub(counter, 1, 1);
      lock.release();
    } else {
      using _ = await lock.guardAsync();
      if (Atomics.add(counter, 1, 1) !== 0) Atomics.add(counter, 2, 1);
      counter[0] = counter[0] + 1;
      Atomics.sub(counter, 1, 1);
    }
  }
}

const counted: Array<[string, () => Lock | RLock | Semaphore, string]> = [
  ["Lock", () => new Lock(), "acquire"],
  ["RLock (re-entered twice per increment)", () => new RLock(), "reenter"],
  ["Semaphore(1)", () => new Semaphore(1), "acquire"],
];

for (const [name, make, exportName] of counted) {
  test(
    `stress: ${name}: ${WORKERS} workers x ${n(INCREMENTS)} increments (2 of them async) + ${
      n(MAIN_INCREMENTS)
    } async here, exact total`,
    async () => {
      const lock = make();
      const counter = new Int32Array(new SharedArrayBuffer(12));
      await withProcesses(async (start) => {
        const procs = Array.from({ length: WORKERS }, (_, k) =>
          start("stress_increment", {
            args: [lock, counter, INCREMENTS],
            exportName: k < 2 ? "acquireAsync" : exportName,
          }));
        await mainIncrements(lock, counter, MAIN_INCREMENTS);
        await joinAll(procs);
      });
      assert.equal(counter[2], 0, "two threads were inside the section at once");
      assert.equal(counter[0], WORKERS * INCREMENTS + MAIN_INCREMENTS);
      if (lock instanceof Semaphore) assert.equal(lock.getValue(), 1);
      else assert.equal(lock.locked(), false);
    },
  );
}

test(`stress: a guarded Value: ${WORKERS} workers x ${n(INCREMENTS)} times v.value += 1, exact total`, async () => {
  const v = Value("i", 0);
  const inside = new Int32Array(new SharedArrayBuffer(12));
  await withProcesses(async (start) => {
    const procs = Array.from(
      { length: WORKERS },
      () => start("stress_increment", { args: [v, inside, INCREMENTS], exportName: "value" }),
    );
    // Async here too: guardAsync, then the default RLock lets .value re-enter it.
    for (let i = 0; i < MAIN_INCREMENTS; i++) {
      using _ = await v.guardAsync();
      v.value += 1;
    }
    await joinAll(procs);
  });
  assert.equal(inside[2], 0, "two threads were inside the section at once");
  assert.equal(v.value, WORKERS * INCREMENTS + MAIN_INCREMENTS);
  assert.equal(v.getLock().locked(), false);
});

test(
  `stress: Condition bounded buffer, 4 producers x ${
    n(PER_PRODUCER)
  } items, 4 consumers (one async here): each item once, per-producer order kept`,
  async () => {
    const PRODUCERS = 4;
    const total = PRODUCERS * PER_PRODUCER;
    const lock = new Lock();
    const notFull = new Condition(lock);
    const notEmpty = new Condition(lock);
    const queue = new Int32Array(new SharedArrayBuffer(4 * (3 + 8)));
    queue[2] = total;
    const log = new Int32Array(new SharedArrayBuffer(4 * total)).fill(-1);
    const { consumeAsync } = await import("./workers/stress_buffer.ts");
    let takenHere = 0;
    await withProcesses(async (start) => {
      const consumers = [0, 1, 2].map(() =>
        start("stress_buffer", { args: [notFull, notEmpty, queue, log], exportName: "consume" })
      );
      const producers = Array.from(
        { length: PRODUCERS },
        (_, p) =>
          start("stress_buffer", {
            args: [notFull, notEmpty, queue, p, PER_PRODUCER],
            exportName: "produce",
          }),
      );
      takenHere = await consumeAsync(notFull, notEmpty, queue, log);
      await joinAll([...producers, ...consumers]);
    });
    assert.equal(queue[0], total, "head");
    assert.equal(queue[1], total, "tail");
    // The log is the global order of removal: per producer, exactly 0, 1, 2, … in order.
    const next = new Array(PRODUCERS).fill(0);
    let checksum = 0;
    for (let k = 0; k < total; k++) {
      const item = log[k];
      const p = item >>> 24;
      const seq = item & 0xffffff;
      assert.ok(p < PRODUCERS, `item ${k} is ${item}`);
      assert.equal(seq, next[p], `item ${k}: producer ${p} sent ${next[p]} next, got ${seq}`);
      next[p]++;
      checksum += seq;
    }
    assert.deepEqual(next, new Array(PRODUCERS).fill(PER_PRODUCER));
    assert.equal(checksum, PRODUCERS * PER_PRODUCER * (PER_PRODUCER - 1) / 2);
    console.log(
      `bounded buffer ${runtime}: ${n(total)} items, ${n(takenHere)} taken by the async consumer here`,
    );
    assert.equal(lock.locked(), false);
  },
);

function assertGenerations(seen: Int32Array, parties: number, generations: number): void {
  for (let g = 0; g < generations; g++) {
    const counts = [...seen.subarray(g * parties, (g + 1) * parties)];
    if (counts.some((c) => c !== 1)) assert.deepEqual(counts, Array(parties).fill(1), `generation ${g}`);
  }
}

test(`stress: Barrier, 8 worker parties x ${n(GENERATIONS)} generations: each hands out exactly {0..7}`, async () => {
  const barrier = new Barrier(8);
  const seen = new Int32Array(new SharedArrayBuffer(4 * 8 * GENERATIONS));
  const actions = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    await joinAll(
      Array.from(
        { length: 8 },
        () => start("stress_barrier", { args: [barrier, seen, actions, GENERATIONS] }),
      ),
    );
  });
  assertGenerations(seen, 8, GENERATIONS);
  assert.equal(actions[0], GENERATIONS, "one action per generation");
  assert.equal(actions[1], 0, "every action ran before its generation was released");
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test(
  `stress: Barrier, mixed: 5 sync + 2 async worker parties + waitAsync here, ${n(GENERATIONS)} generations`,
  async () => {
    const seen = new Int32Array(new SharedArrayBuffer(4 * 8 * GENERATIONS));
    const actions = new Int32Array(new SharedArrayBuffer(8));
    const barrier = new Barrier(8, { action: () => Atomics.add(actions, 0, 1) });
    await withProcesses(async (start) => {
      const procs = Array.from(
        { length: 7 },
        (_, k) => start("stress_barrier", { args: [barrier, seen, actions, GENERATIONS, k < 2] }),
      );
      for (let g = 0; g < GENERATIONS; g++) {
        const index = await barrier.waitAsync(60000);
        Atomics.add(seen, g * 8 + index, 1);
        if (Atomics.load(actions, 0) < g + 1) Atomics.add(actions, 1, 1);
      }
      await joinAll(procs);
    });
    assertGenerations(seen, 8, GENERATIONS);
    assert.equal(actions[0], GENERATIONS);
    assert.equal(actions[1], 0);
    assert.equal(barrier.broken, false);
  },
);
