/**
 * The item ring's kill points (the tables in src/queue/_items.ts): states a
 * producer or consumer killed right after a step leaves behind, built by
 * hand with its lock word naming an agent marked exited (as a killed
 * worker's would), and real workers terminated mid-stream and at seeded
 * random moments. Survivors go on: nothing half-delivered, nothing twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { JoinableQueue, Queue } from "../mod.ts";
import { drawId, markExited } from "../src/core/_agent.ts";
import { handleOf } from "../src/core/_handle.ts";
import {
  ANY,
  GET_END,
  GET_J,
  GET_LOCK,
  GET_SEQ,
  GETS,
  HEAD,
  Items,
  PUT_END,
  PUT_J,
  PUT_LOCK,
  PUT_SEQ,
  PUTS,
  STREAM,
  TAIL,
} from "../src/queue/_items.ts";
import { n, size } from "./_stress.ts";
import { sleep, until, withProcesses } from "./_util.ts";
import { ATTEMPT, ERRORS, killItem, RECEIVED, SENT } from "./workers/queue_ops.ts";

/** A fresh agent id, marked exited: the name a killed worker leaves in a lock word. */
function deadId(): number {
  const id = drawId();
  markExited(id);
  return id;
}

function wordsOf(q: Queue): Int32Array {
  const h = handleOf(q)!;
  return new Int32Array(h.buffer, h.byteOffset, h.byteLength / 4);
}

test("kill point: a producer dead holding the put lock, bytes written, nothing published: puts go on", () => {
  const q = new Queue<number>();
  q.put(1);
  const i32 = wordsOf(q);
  Atomics.store(i32, PUT_LOCK, deadId() << 1);
  q.put(2, { timeout: 1000 });
  assert.deepEqual([q.get(), q.get()], [1, 2]);
  assert.equal(q.qsize(), 0);
});

test("kill point: a producer dead after PUTS+1, before publishing: the journal takes the count back", () => {
  const q = new JoinableQueue<number>();
  q.put(1);
  const i32 = wordsOf(q);
  const puts = i32[PUTS];
  i32[PUT_SEQ] = puts;
  i32[PUT_END] = (i32[HEAD] + 64) | 0;
  i32[PUT_J] = 1;
  Atomics.store(i32, PUTS, puts + 1);
  Atomics.store(i32, PUT_LOCK, deadId() << 1);
  assert.equal(q.qsize(), 2, "before the repair the count is one too high");
  assert.equal(q.get(), 1);
  q.taskDone();
  // join repairs the dead producer's count, then sees every task done.
  assert.equal(q.join(1000), true);
  assert.equal(q.qsize(), 0);
  q.put(2);
  assert.equal(q.get(), 2);
});

test("kill point: a producer dead right after publishing (journal still live): the item counts once", () => {
  const q = new Queue<number>();
  q.put(1);
  const i32 = wordsOf(q);
  i32[PUT_SEQ] = i32[PUTS] - 1;
  i32[PUT_END] = i32[HEAD];
  i32[PUT_J] = 1;
  Atomics.store(i32, PUT_LOCK, deadId() << 1);
  q.put(2, { timeout: 1000 });
  assert.equal(q.qsize(), 2);
  assert.deepEqual([q.get(), q.get()], [1, 2]);
});

test("kill point: a consumer dead holding the get lock before taking: the item goes to the next", () => {
  const q = new Queue<number>();
  q.put(1);
  Atomics.store(wordsOf(q), GET_LOCK, deadId() << 1);
  assert.equal(q.get({ timeout: 1000 }), 1);
  assert.ok(q.empty());
});

test("kill point: a consumer dead decoding a large item in the ring (the get lock held, nothing counted): the next takes it whole", async () => {
  // What a consumer killed inside Items.tryGet's in-place decode leaves: the item at TAIL, the lock its.
  const q = new Queue<{ id: number; data: Float64Array; text: string }>({ bytes: 1 << 20 });
  const data = new Float64Array(20_000).map((_, i) => i / 7);
  const text = "é".repeat(30_000);
  q.put({ id: 1, data, text });
  q.put({ id: 2, data, text });
  const i32 = wordsOf(q);
  const gets = i32[GETS];
  Atomics.store(i32, GET_LOCK, deadId() << 1);
  const first = q.get({ timeout: 1000 });
  assert.equal(i32[GETS], gets + 1);
  Atomics.store(i32, GET_LOCK, deadId() << 1);
  const second = await q.getAsync({ timeout: 1000 });
  for (const [v, id] of [[first, 1], [second, 2]] as const) {
    assert.equal(v.id, id);
    assert.deepEqual(v.data, data);
    assert.equal(v.text, text);
  }
  assert.ok(q.empty());
});

test("kill point: a consumer dead after GETS+1, before moving TAIL: the count goes back, the item is delivered", () => {
  const q = new Queue<number>();
  q.put(1);
  q.put(2);
  const i32 = wordsOf(q);
  const gets = i32[GETS];
  i32[GET_SEQ] = gets;
  i32[GET_END] = (i32[TAIL] + 32) | 0;
  i32[GET_J] = 1;
  Atomics.store(i32, GETS, gets + 1);
  Atomics.store(i32, GET_LOCK, deadId() << 1);
  assert.equal(q.qsize(), 1, "before the repair");
  assert.deepEqual([q.get({ timeout: 1000 }), q.get()], [1, 2]);
  assert.equal(q.qsize(), 0);
});

test("kill point: a consumer dead mid-stream (TAIL has MID): the next consumer drops the rest, then goes on", async () => {
  const q = new JoinableQueue<string>({ bytes: 256 });
  const i32 = wordsOf(q);
  const big = "b".repeat(5000);
  const putting = q.putAsync(big);
  // Play the consumer: take the first part on this thread, then name a dead agent as the holder.
  const items = new Items(i32, 256, 0);
  assert.equal(items.tryGet(ANY), STREAM);
  Atomics.store(i32, GET_LOCK, deadId() << 1);
  const after = q.putAsync("after");
  assert.equal(await q.getAsync({ timeout: 5000 }), "after");
  await putting;
  await after;
  q.taskDone();
  assert.equal(q.join(0), true, "the dropped item counts as done");
  assert.equal(q.qsize(), 0);
});

test("kill point: a producer terminated mid-stream: the reader drops its parts, the queue goes on", async () => {
  const q = new Queue<string>({ bytes: 1024 });
  const state = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("queue_ops", { exportName: "stuckStream", args: [q, state] });
    await until(() => Atomics.load(state, 0) === 1);
    await until(() => (Atomics.load(wordsOf(q), HEAD) & 1) === 1);
    p.terminate();
    assert.equal(await p.join(20000), -15);
    const next = q.putAsync("next", { timeout: 5000 });
    assert.equal(await q.getAsync({ timeout: 5000 }), "next");
    await next;
    assert.equal(q.qsize(), 0);
  });
});

const KILLS = size(12, 150);

test(
  `Queue kills: ${
    n(KILLS)
  } seeded kills of a sender and a receiver worker (items streamed or not): nothing twice, nothing altered, lost only as kills allow`,
  { timeout: 600_000 },
  async () => {
    let seed = 0x18f;
    const rng = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
    const q = new Queue<{ seq: number; s: string }>({ bytes: 2048, maxsize: 16 });
    const state = new Int32Array(new SharedArrayBuffer(16));
    const by = new Int32Array(new SharedArrayBuffer(4 * (1 << 20)));
    let inc = 0;
    let kills = 0;
    await withProcesses(async (start) => {
      let first = 0;
      const sender = () =>
        start("queue_ops", { exportName: "killSender", args: [q, state, first, rng() % 2 === 0] });
      const receiver = () =>
        start("queue_ops", { exportName: "killReceiver", args: [q, state, by, inc++, rng() % 2 === 0] });
      let snd = sender();
      let rcv = receiver();
      for (let k = 0; k < KILLS; k++) {
        const s0 = Atomics.load(state, SENT);
        const r0 = Atomics.load(state, RECEIVED);
        await until(() => Atomics.load(state, SENT) > s0 + 3 && Atomics.load(state, RECEIVED) > r0, 20000);
        await sleep(rng() % 5);
        const victim = rng() % 3;
        if (victim !== 1) {
          snd.terminate();
          assert.equal(await snd.join(20000), -15);
          first = Atomics.load(state, ATTEMPT) + 1;
          snd = sender();
        }
        if (victim !== 0) {
          rcv.terminate();
          assert.equal(await rcv.join(20000), -15);
          rcv = receiver();
        }
        kills++;
      }
      snd.terminate();
      await snd.join(20000);
      const sent = Atomics.load(state, SENT);
      await until(() => q.qsize() === 0 || Atomics.load(state, ERRORS) > 0, 20000);
      rcv.terminate();
      await rcv.join(20000);
      assert.equal(Atomics.load(state, ERRORS), 0);
      let lost = 0;
      for (let s = 0; s < sent; s++) if (by[s] === 0) lost++;
      // At most the item each killed receiver had taken, and each killed sender's item in flight.
      assert.ok(lost <= 2 * kills, `${lost} items lost in ${kills} kills`);
      assert.ok(killItem(0).s.length > 2048, "every 5th item is streamed");
    });
  },
);
