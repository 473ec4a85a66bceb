import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, revive } from "../mod.ts";
import { runScript, runtime, sleep, until, withProcesses } from "./_util.ts";

type Wire = { __sabkit: Record<string, unknown> };

test("Event: a worker's set releases a blocking wait here", async () => {
  const event = new Event();
  const flags = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("event_set", { args: [event, flags, 50] });
    // Blocking this thread is safe only once the worker runs.
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(event.isSet(), false);
    assert.equal(event.wait(10000), true);
    assert.equal(event.isSet(), true);
    assert.equal(await p.join(), 0);
  });
});

test("Event: a worker's set releases a pending waitAsync here", async () => {
  const event = new Event();
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const pending = event.waitAsync();
  await withProcesses(async (start) => {
    const p = start("event_set", { args: [event, flags, 20] });
    assert.equal(await pending, true);
    assert.equal(await p.join(), 0);
  });
});

test(`Event: a lone pending waitAsync keeps the ${runtime} process alive until set or timed out`, () => {
  const r = runScript("event_keepalive.ts");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim(), "timed out: false after >= 150 ms; set: true, true");
  assert.equal(r.status, 0);
});

test("Event: set wakes every waiter in every worker and here; later waits return at once", async () => {
  const event = new Event();
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(12));
  await withProcesses(async (start) => {
    const procs = [0, 1, 2].map((slot) => start("event_wait", { args: [event, counters, out, slot, 20000] }));
    const here = event.waitAsync(20000);
    await until(() => Atomics.load(counters, 0) === 3);
    await sleep(30);
    assert.equal(Atomics.load(counters, 1), 0, "all still waiting");
    event.set();
    assert.equal(await here, true);
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0]);
  });
  assert.deepEqual([...out], [1, 1, 1]);
  assert.equal(event.wait(), true);
  assert.equal(await event.waitAsync(0), true);
  event.clear();
  assert.equal(event.wait(0), false);
});

test("Event: a set at once followed by clear still releases the workers that were waiting", async () => {
  const event = new Event();
  const counters = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const procs = [0, 1].map((slot) => start("event_wait", { args: [event, counters, out, slot, 20000] }));
    await until(() => Atomics.load(counters, 0) === 2);
    await sleep(100);
    event.set();
    event.clear();
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0]);
  });
  assert.deepEqual([...out], [1, 1], "as Python's: wait returns true if a set happened while it waited");
  assert.equal(event.isSet(), false);
});

test("Event: isSet, set, clear, and timed waits that return false after at least their timeout", async () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  let t0 = performance.now();
  assert.equal(event.wait(40), false);
  assert.ok(performance.now() - t0 >= 40);
  t0 = performance.now();
  assert.equal(await event.waitAsync(40), false);
  assert.ok(performance.now() - t0 >= 40);
  assert.equal(event.wait(-5), false);
  event.set();
  event.set();
  assert.equal(event.isSet(), true);
  event.clear();
  event.clear();
  assert.equal(event.isSet(), false);
  assert.throws(() => event.wait(NaN), { name: "TypeError", message: /NaN/ });
  await assert.rejects(event.waitAsync("1" as unknown as number), { name: "TypeError", message: /"1"/ });
  const reason = new Error("stop");
  const controller = new AbortController();
  const pending = event.waitAsync(undefined, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(event.isSet(), false);
});

test("Event: round-trips through revive onto the same memory; forged handles are TypeErrors", () => {
  const event = new Event();
  assert.deepEqual(Object.keys(event), ["__sabkit"]);
  const got = revive(structuredClone({ nested: [event] })).nested[0];
  assert.ok(got instanceof Event);
  got.set();
  assert.equal(event.isSet(), true, "the same memory");
  event.clear();
  const wrongKind = structuredClone(event) as unknown as Wire;
  wrongKind.__sabkit.kind = "Lock";
  assert.throws(() => revive(wrongKind), {
    name: "TypeError",
    message: /does not hold a Lock|Lock byte length/,
  });
  const outOfRange = structuredClone(event) as unknown as Wire;
  outOfRange.__sabkit.byteOffset = 8;
  assert.throws(() => revive(outOfRange), { name: "TypeError", message: /spans bytes 8\.\.16/ });
});
