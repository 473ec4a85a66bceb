/**
 * `Channel.sendWith` / `sendWithAsync`: a message written in place, sent
 * exactly once or not at all (a throw in the fill withdraws it, a timeout
 * sends nothing, a worker terminated inside the fill does not stall the
 * channel), on real workers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, ChannelClosedError, Event, TimeoutError } from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

const LONG = 60000;

/** How many messages `ch` takes before it is full (all must be drained by the caller). */
function room(ch: Channel<"d">): number {
  let n = 0;
  while (n < 64) {
    try {
      ch.send([n], { timeout: 0 });
      n++;
    } catch (e) {
      if (e instanceof TimeoutError) return n;
      throw e;
    }
  }
  return n;
}

test("sendWith: fill writes the message in place; sendWithAsync too; length 0 works", async () => {
  const ch = new Channel("d", { capacity: 4, slots: 2 });
  ch.sendWith(3, (m) => {
    assert.equal(m.length, 3);
    m.set([1, 2, 3]);
  });
  await ch.sendWithAsync(0, (m) => assert.equal(m.length, 0));
  assert.deepEqual([...ch.recv()!], [1, 2, 3]);
  assert.deepEqual([...ch.recv()!], []);
  const big = new Channel("q", { capacity: 2 });
  big.sendWith(2, (m) => m.set([2n ** 62n, -1n]));
  assert.deepEqual([...big.recv()!], [2n ** 62n, -1n]);
});

test("sendWith: a fill that throws withdraws the message (never received) and rethrows", () => {
  const ch = new Channel("d", { capacity: 4, slots: 3 });
  ch.send([1]);
  const boom = new Error("boom");
  assert.throws(() =>
    ch.sendWith(2, (m) => (m[0] = 99,
      (() => {
        throw boom;
      })())), (e) => e === boom);
  ch.send([3]);
  assert.deepEqual([...ch.recv({ timeout: 0 })!], [1]);
  assert.deepEqual([...ch.recv({ timeout: 0 })!], [3]);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  // Every slot is usable again.
  assert.equal(room(ch), 3);
});

test("sendWith: a fill that returns a promise is a TypeError and sends nothing", async () => {
  const ch = new Channel("d", { capacity: 4, slots: 2 });
  assert.throws(() => ch.sendWith(1, async () => {}), { name: "TypeError", message: /synchronously/ });
  await assert.rejects(ch.sendWithAsync(1, () => Promise.resolve()), TypeError);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  assert.equal(room(ch), 2);
});

test("sendWith: bad lengths and callbacks are refused before a slot is claimed", async () => {
  const ch = new Channel("d", { capacity: 4, slots: 2 });
  assert.throws(() => ch.sendWith(5, () => {}), {
    name: "RangeError",
    message: /more than the Channel capacity 4/,
  });
  assert.throws(() => ch.sendWith(-1, () => {}), { name: "RangeError", message: /got -1/ });
  assert.throws(() => ch.sendWith(1.5, () => {}), { name: "RangeError", message: /got 1.5/ });
  assert.throws(() => ch.sendWith("2" as never, () => {}), { name: "TypeError", message: /got "2"/ });
  assert.throws(() => ch.sendWith(2, null as never), { name: "TypeError", message: /needs a function/ });
  await assert.rejects(ch.sendWithAsync(2, 7 as never), TypeError);
  assert.throws(() => ch.sendWith(1, () => {}, 5 as never), TypeError);
  assert.equal(room(ch), 2);
});

test("sendWith: a timeout on a full channel sends nothing and never calls fill; an abort likewise", async () => {
  const ch = new Channel("d", { capacity: 2, slots: 1 });
  ch.send([1]);
  let calls = 0;
  assert.throws(() => ch.sendWith(1, () => void calls++, { timeout: 5 }), TimeoutError);
  await assert.rejects(ch.sendWithAsync(1, () => void calls++, { timeout: 5 }), TimeoutError);
  const ac = new AbortController();
  const pending = ch.sendWithAsync(1, () => void calls++, { signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  assert.equal(calls, 0);
  assert.deepEqual([...ch.recv({ timeout: 0 })!], [1]);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});

test("sendWith: closing the channel inside fill still delivers that message; later sends throw", () => {
  const ch = new Channel("d", { capacity: 2, slots: 2 });
  ch.sendWith(1, (m) => {
    m[0] = 7;
    ch.close();
  });
  assert.throws(() => ch.sendWith(1, () => {}), ChannelClosedError);
  assert.deepEqual([...ch.recv()!], [7]);
  assert.equal(ch.recv(), null);
});

for (const slots of [1, 4]) {
  test(`sendWith: 2 producers × 2 consumers on workers, seeded lengths, failing fills: exactly once (${slots} slot(s))`, async () => {
    const count = 2000;
    const failEvery = 7;
    const ch = new Channel("d", { capacity: 8, slots });
    const seen = new Int32Array(new SharedArrayBuffer(4 * 2 * count));
    const errors = new Int32Array(new SharedArrayBuffer(4));
    await withProcesses(async (start) => {
      const consumers = [0, 1].map(() =>
        start("chan_send_with", { exportName: "consumer", args: [ch, seen, count, errors] })
      );
      const producers = [0, 1].map((id) =>
        start("chan_send_with", { exportName: "producer", args: [ch, id, count, 0x5e0d + id, failEvery] })
      );
      assert.deepEqual(await Promise.all(producers.map((p) => p.join(LONG))), [0, 0]);
      ch.close();
      assert.deepEqual(await Promise.all(consumers.map((p) => p.join(LONG))), [0, 0]);
    });
    assert.equal(errors[0], 0, "malformed messages");
    for (let k = 0; k < seen.length; k++) {
      const seq = k % count;
      const expected = seq % failEvery === failEvery - 1 ? 0 : 1;
      assert.equal(seen[k], expected, `message ${seq} of producer ${Math.floor(k / count)}`);
    }
  });
}

test("sendWith: a worker terminated inside fill does not stall the channel; its message never arrives", async () => {
  const ch = new Channel("d", { capacity: 4, slots: 2 });
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("chan_send_with", { exportName: "stuck", args: [ch, flags, new Event()] });
    await until(() => Atomics.load(flags, 0) === 1, LONG);
    p.terminate();
    assert.equal(await p.join(LONG), -15);
  });
  // The dead sender's slot holds the oldest position: a receiver that reaches it withdraws and skips it.
  for (let k = 0; k < 6; k++) {
    ch.send([k], { timeout: 5000 });
    assert.deepEqual([...ch.recv({ timeout: 5000 })!], [k]);
  }
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});
