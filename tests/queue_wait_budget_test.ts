/**
 * The queue's spin budgets (`src/core/_wait_budget.ts`): a wait whose spin
 * never catches the other side (both threads on one core) must come to
 * sleep at once, and two threads that both sleep must come back to
 * spinning. Simulated waits, no clock: the regression they catch (a budget
 * kept up by sleeps that were short only because the other side gave up its
 * own spin) cost 300 µs per Pipe round trip and 32 ms per 1 MB value
 * streamed through 64 KiB on one core, against 10 µs and 0.4 ms now.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { WaitBudget } from "../src/core/_wait_budget.ts";
import { endpoints } from "../src/queue/_endpoint.ts";
import { DATA } from "../src/queue/_items.ts";
import { Queue, QueueEmptyError, QueueFullError } from "../mod.ts";

/** Runs `n` waits where a spin of `needMs` (Infinity: none) would catch; the ms spun in all. */
function simulate(b: WaitBudget, n: number, needMs: number): { spun: number; slept: number } {
  let spun = 0;
  let slept = 0;
  for (let i = 0; i < n; i++) {
    const ms = b.next();
    if (ms >= needMs) {
      spun += needMs;
      b.caught(needMs);
    } else {
      spun += ms;
      slept++;
      b.missed();
    }
  }
  return { spun, slept };
}

test("WaitBudget: spins that never catch (one core) fall to sleeping at once; probes cost < 2 µs per wait", () => {
  for (const max of [0.5, 1]) {
    const b = new WaitBudget(max);
    const { spun } = simulate(b, 100_000, Infinity);
    assert.equal(b.ms, 0);
    // Halving from the most (2 × max in all), then probes ever further apart (up to one per 1,024 waits).
    assert.ok(spun / 100_000 < 0.002, `spun ${(spun / 100).toFixed(1)} µs per wait`);
  }
});

test("WaitBudget: two threads that both sleep come back to spinning within a probe's gap", () => {
  const b = new WaitBudget(0.5);
  simulate(b, 10_000, Infinity); // asleep for good, probes far apart
  // The other side now answers 30 µs after a wait begins: the next probe catches it, and spinning holds.
  const first = simulate(b, 1024, 0.03);
  assert.ok(first.slept < 1024, "a probe caught the other side");
  assert.ok(b.ms >= 0.03);
  assert.equal(simulate(b, 10_000, 0.03).slept, 0);
});

test("WaitBudget: spins that catch keep a budget above the wait; a rare long wait halves it once", () => {
  const b = new WaitBudget(0.5);
  simulate(b, 100, 0.004);
  assert.ok(b.ms >= 0.016);
  const before = b.ms;
  simulate(b, 1, Infinity);
  assert.equal(b.ms, before / 2);
  assert.equal(simulate(b, 100, 0.004).slept, 0);
});

test("Queue: gets that find nothing in time stop spinning (the ring's own budgets)", () => {
  const q = new Queue();
  const items = endpoints.get(q)!.items;
  assert.deepEqual(items.spinBudgets().map((ms) => ms > 0), [true, true, true, true]);
  for (let i = 0; i < 12; i++) assert.throws(() => q.get({ timeout: 1 }), QueueEmptyError);
  assert.equal(items.spinBudgets()[1], 0);
  // A put and a get that meet no wait leave it as it is; the next wait that sleeps probes later.
  q.put(1);
  assert.equal(q.get(), 1);
  assert.equal(items.spinBudgets()[1], 0);
  q.close();
});

test("Queue: timed gets and puts shorter than the spin learn too (their deadline ends the spin, they never sleep)", () => {
  // 0.3 ms timeouts under the 0.5 ms budget: unlearned, each spun in full, which on one core keeps the
  // other side off it for the whole timeout (`taskset -c 0`: 4x slower for the same count).
  const q = new Queue({ maxsize: 1 });
  const items = endpoints.get(q)!.items;
  // 40 rather than the 8 halvings needed: a call the scheduler holds past its deadline before it spins learns nothing.
  for (let i = 0; i < 40; i++) assert.throws(() => q.get({ timeout: 0.3 }), QueueEmptyError);
  assert.equal(items.spinBudgets()[1], 0, "get");
  q.put(1);
  for (let i = 0; i < 40; i++) assert.throws(() => q.put(2, { timeout: 0.3 }), QueueFullError);
  assert.equal(items.spinBudgets()[0], 0, "put");
  q.close();
});

test("Queue wake-ups: a sleeper woken once is not notified again by every put; untracked and several sleepers always are", () => {
  const q = new Queue();
  const i32 = endpoints.get(q)!.items.i32;
  const epoch = (): number => Atomics.load(i32, DATA + 1);
  // A blocking get's registration (tracked: counted in both halves, its arrival in REG), as `Items.get` makes it.
  const tracked = (): void => {
    Atomics.add(i32, DATA, 1 + (1 << 16));
    Atomics.add(i32, DATA + 2, 1);
  };
  const untrack = (): void => void Atomics.sub(i32, DATA, 1 + (1 << 16));
  let e = epoch();
  q.put(1);
  assert.equal(epoch(), e, "no sleeper: no wake-up");
  tracked();
  q.put(2);
  assert.equal(epoch(), ++e, "the sleeper is woken");
  q.put(3);
  q.put(4);
  assert.equal(epoch(), e, "woken already, not yet gone: no more notifies");
  untrack();
  tracked(); // it slept again
  q.put(5);
  assert.equal(epoch(), ++e, "a new arrival is woken");
  // An untracked sleeper (pollSync, a Pool worker, an async get): every put wakes.
  Atomics.add(i32, DATA, 1);
  q.put(6);
  q.put(7);
  assert.equal(epoch(), e + 2);
  e += 2;
  Atomics.sub(i32, DATA, 1);
  // Two tracked sleepers: a put wakes one of them, so every put wakes.
  tracked();
  q.put(8);
  q.put(9);
  assert.equal(epoch(), e + 2);
  untrack();
  untrack();
  for (let i = 0; i < 9; i++) assert.equal(q.get(), i + 1);
  q.close();
});
