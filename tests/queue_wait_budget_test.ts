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
import { Queue, QueueEmptyError } from "../mod.ts";

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
