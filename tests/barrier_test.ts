import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, revive } from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

type Wire = { __sabkit: { meta: { timeout: unknown }; kind: string } };
type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

/** Checks every round handed out each index exactly once. */
function assertRounds(seen: Int32Array, parties: number, rounds: number): void {
  for (let round = 0; round < rounds; round++) {
    const counts = [...seen.subarray(round * parties, (round + 1) * parties)];
    assert.deepEqual(counts, Array(parties).fill(1), `round ${round}`);
  }
}

test("Barrier: 4 worker parties x 1,000 rounds, each round hands out exactly {0,1,2,3}, action ran 1,000 times", async () => {
  let here = 0;
  const barrier = new Barrier(4, { action: () => here++ });
  const seen = new Int32Array(new SharedArrayBuffer(4 * 4 * 1000));
  const actions = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("barrier_rounds", { args: [barrier, seen, actions, 1000] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  assertRounds(seen, 4, 1000);
  assert.equal(actions[0], 1000, "one action per round");
  assert.equal(actions[1], 0, "every action ran before its round was released");
  assert.equal(here, 0, "not a party here, so not this thread's action");
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test("Barrier: waitAsync here as one of 3 parties with 2 workers, 200 rounds", async () => {
  const seen = new Int32Array(new SharedArrayBuffer(4 * 3 * 200));
  const actions = new Int32Array(new SharedArrayBuffer(8));
  const barrier = new Barrier(3, { action: () => Atomics.add(actions, 0, 1) });
  await withProcesses(async (start) => {
    const procs = [0, 1].map(() => start("barrier_rounds", { args: [barrier, seen, actions, 200] }));
    for (let round = 0; round < 200; round++) {
      const index = await barrier.waitAsync(20000);
      Atomics.add(seen, round * 3 + index, 1);
      if (Atomics.load(actions, 0) < round + 1) Atomics.add(actions, 1, 1);
    }
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0]);
  });
  assertRounds(seen, 3, 200);
  assert.equal(actions[0], 200);
  assert.equal(actions[1], 0);
});

/** Starts waiter workers and resolves once all of them have arrived at the barrier. */
async function arrived(start: Start, barrier: Barrier, timeouts: number[]): Promise<Int32Array[]> {
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(4 * timeouts.length));
  timeouts.forEach((timeout, slot) =>
    start("barrier_wait", { args: [barrier, counters, out, slot, timeout] })
  );
  await until(() => barrier.nWaiting === timeouts.length);
  return [counters, out];
}

test("Barrier: a wait timeout breaks the barrier for every party, here and in a worker", async () => {
  const barrier = new Barrier(3);
  await withProcesses(async (start) => {
    const [counters, out] = await arrived(start, barrier, [20000]);
    const t0 = performance.now();
    assert.throws(() => barrier.wait(50), { name: "BrokenBarrierError", message: /timed out/ });
    assert.ok(performance.now() - t0 >= 50);
    await until(() => Atomics.load(counters, 1) === 1);
    assert.deepEqual([...out], [-1]);
  });
  assert.equal(barrier.broken, true);
  assert.throws(() => barrier.wait(), BrokenBarrierError);
  await assert.rejects(barrier.waitAsync(), BrokenBarrierError);
  const withDefault = new Barrier(2, { timeout: 40 });
  const t0 = performance.now();
  await assert.rejects(withDefault.waitAsync(), { name: "BrokenBarrierError", message: /timed out/ });
  assert.ok(performance.now() - t0 >= 40);
  assert.equal(withDefault.broken, true);
});

test("Barrier: abort makes current and future waiters throw BrokenBarrierError", async () => {
  const barrier = new Barrier(3);
  await withProcesses(async (start) => {
    const [counters, out] = await arrived(start, barrier, [20000, 20000]);
    barrier.abort();
    await until(() => Atomics.load(counters, 1) === 2);
    assert.deepEqual([...out], [-1, -1]);
    const [lateCounters, later] = [
      new Int32Array(new SharedArrayBuffer(8)),
      new Int32Array(new SharedArrayBuffer(4)),
    ];
    assert.equal(await start("barrier_wait", { args: [barrier, lateCounters, later, 0, 20000] }).join(), 0);
    assert.deepEqual([...later], [-1]);
  });
  assert.equal(barrier.broken, true);
  assert.equal(barrier.nWaiting, 0);
  assert.throws(() => barrier.wait(), { name: "BrokenBarrierError", message: /broken/ });
});

test("Barrier: reset makes waiters throw BrokenBarrierError, then the barrier works again", async () => {
  const barrier = new Barrier(3);
  await withProcesses(async (start) => {
    const [counters, out] = await arrived(start, barrier, [20000, 20000]);
    barrier.reset();
    await until(() => Atomics.load(counters, 1) === 2);
    assert.deepEqual([...out], [-1, -1]);
    assert.equal(barrier.broken, false);
    const [again, indices] = await arrived(start, barrier, [20000, 20000]);
    const mine = barrier.wait(10000);
    await until(() => Atomics.load(again, 1) === 2);
    assert.deepEqual([mine, indices[0] - 1, indices[1] - 1].sort(), [0, 1, 2]);
  });
  barrier.abort();
  barrier.reset();
  assert.equal(barrier.broken, false, "reset also repairs an aborted barrier");
  assert.equal(new Barrier(1).wait(), 0);
});

test("Barrier: an action that throws breaks the barrier; its party gets the error", async () => {
  const failure = new Error("action failed");
  const barrier = new Barrier(2, {
    action: () => {
      throw failure;
    },
  });
  await withProcesses(async (start) => {
    const [counters, out] = await arrived(start, barrier, [20000]);
    assert.throws(() => barrier.wait(), (e) => e === failure);
    await until(() => Atomics.load(counters, 1) === 1);
    assert.deepEqual([...out], [-1]);
  });
  assert.equal(barrier.broken, true);
});

test("Barrier: an aborted waitAsync rejects with the signal's reason and breaks the round", async () => {
  const barrier = new Barrier(2);
  const reason = new Error("give up");
  await assert.rejects(
    barrier.waitAsync(undefined, { signal: AbortSignal.abort(reason) }),
    (e) => e === reason,
  );
  assert.equal(barrier.broken, false, "it never arrived");
  const controller = new AbortController();
  const pending = barrier.waitAsync(undefined, { signal: controller.signal });
  await until(() => barrier.nWaiting === 1);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(barrier.broken, true);
  assert.equal(barrier.nWaiting, 0);
});

test("Barrier: parties, nWaiting, broken, action; bad arguments are TypeErrors and RangeErrors", async () => {
  const barrier = new Barrier(2);
  assert.equal(barrier.parties, 2);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
  assert.equal(barrier.action, undefined);
  const pending = barrier.waitAsync(5000);
  await until(() => barrier.nWaiting === 1);
  const order: number[] = [];
  barrier.action = () => order.push(barrier.nWaiting);
  assert.equal(barrier.wait(), 1);
  assert.equal(await pending, 0);
  assert.deepEqual(order, [2], "the action runs once all parties are in");
  assert.throws(() => new Barrier(0), { name: "RangeError", message: /parties.*0/ });
  assert.throws(() => new Barrier(2.5), RangeError);
  assert.throws(() => new Barrier("2" as unknown as number), { name: "TypeError", message: /"2"/ });
  assert.throws(() => new Barrier(2, { action: 5 as unknown as () => void }), {
    name: "TypeError",
    message: /action.*5/,
  });
  assert.throws(() => new Barrier(2, { timeout: NaN }), { name: "TypeError", message: /NaN/ });
  assert.throws(() => barrier.wait(NaN), TypeError);
  assert.throws(() => (barrier.action = "x" as unknown as () => void), TypeError);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test("Barrier: round-trips through revive with its parties and timeout, not its action; forged handles are TypeErrors", async () => {
  const barrier = new Barrier(2, { timeout: 30, action: () => {} });
  assert.deepEqual(Object.keys(barrier), ["__sabkit"]);
  const got = revive(structuredClone([barrier]))[0];
  assert.ok(got instanceof Barrier);
  assert.equal(got.parties, 2);
  assert.equal(got.action, undefined, "a function cannot travel");
  const pending = got.waitAsync(5000);
  await until(() => barrier.nWaiting === 1);
  assert.equal(barrier.wait(), 1);
  assert.equal(await pending, 0);
  await assert.rejects(got.waitAsync(), /timed out/, "the default timeout came along");
  assert.equal(barrier.broken, true, "the same memory");
  for (const bad of ["30", NaN, undefined]) {
    const wire = structuredClone(barrier) as unknown as Wire;
    wire.__sabkit.meta.timeout = bad;
    assert.throws(() => revive(wire), { name: "TypeError", message: /Barrier timeout/ });
  }
  const wrongKind = structuredClone(barrier) as unknown as Wire;
  wrongKind.__sabkit.kind = "Condition";
  assert.throws(() => revive(wrongKind), {
    name: "TypeError",
    message: /(does not hold a|byte length) .*Condition|Condition byte length/,
  });
});
