/**
 * The spin budget of blocking claims (`src/core/_spin.ts`), with simulated
 * waits (no clock). The regression it guards: a budget kept up by sleeps
 * that were short only because the other side, on the same core, gave up
 * its own spin — 300 µs per round trip over two Channels with both threads
 * on one core (`taskset -c 0`), against about 20 µs once a spin that saw
 * nothing move counts against spinning.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SpinBudget } from "../src/core/_spin.ts";

const MAX = 0.5;
const MIN = 0.005;

test("SpinBudget: short waits grow it, long waits halve it (callers that cannot tell progress)", () => {
  const b = new SpinBudget();
  assert.equal(b.ms, MAX);
  b.learn(1);
  assert.equal(b.ms, MAX / 2);
  for (let i = 0; i < 200; i++) b.learn(0.001);
  assert.equal(b.ms, MIN, "decays by 1/8 per wait to twice the waits, at least the floor");
  b.learn(0.1);
  assert.equal(b.ms, 0.2);
  for (let i = 0; i < 20; i++) {
    assert.equal(b.next(), b.ms, "no probes: it never saw the other side stand still");
  }
});

test("SpinBudget: spins that see nothing move fall to the floor, then probe ever further apart", () => {
  const b = new SpinBudget();
  // One core: every spin runs out with the other side standing still, and the sleep after it is short.
  let spun = 0;
  const waits = 100_000;
  for (let i = 0; i < waits; i++) {
    spun += b.next();
    b.learn(0.02, false);
  }
  assert.equal(b.ms, MIN);
  // Halvings from the most, then a full spin per probe, gaps doubling from 8 to 1,024 waits.
  assert.ok(spun / waits < MIN + 0.001, `spun ${(1000 * spun / waits).toFixed(2)} µs per wait`);
  let probes = 0;
  for (let i = 0; i < 4096; i++) {
    if (b.next() === MAX) probes++;
    b.learn(0.02, false);
  }
  assert.equal(probes, 4, "one probe per 1,024 waits at most");
});

test("SpinBudget: a probe that sees the other side move brings spinning back at once", () => {
  const b = new SpinBudget();
  for (let i = 0; i < 50; i++) b.learn(0.02, false);
  assert.equal(b.ms, MIN);
  // The other side runs again on a core of its own: the next probe catches it within 30 µs.
  let n = 0;
  while (b.next() !== MAX) {
    b.learn(0.02, false);
    n++;
  }
  assert.ok(n < 1024, `a probe came within ${n} waits`);
  b.learn(0.03, true);
  assert.equal(b.ms, 0.06, "twice the wait it caught");
  for (let i = 0; i < 100; i++) {
    assert.equal(b.next(), b.ms, "no more probes: every wait spins its budget");
    b.learn(0.03, true);
  }
  assert.ok(b.ms >= 0.06);
});
