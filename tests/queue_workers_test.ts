/**
 * Queue, JoinableQueue and Pipe between real workers: 4 producers x 4
 * consumers of seeded random values of every kind (compared with
 * structuredClone of the same value), exactly once and in order per
 * producer; values larger than the queue's memory; shared memory and sabkit
 * objects arriving live; every class as a Process argument.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { JoinableQueue, Lock, Pipe, Queue, SimpleQueue } from "../mod.ts";
import { n, size } from "./_stress.ts";
import { withProcesses } from "./_util.ts";

const LONG = 120_000;
const SLOW = { timeout: 300_000 };

async function mpmc(
  producers: number,
  consumers: number,
  count: number,
  depth: number,
  options: { maxsize?: number; bytes?: number },
  modes: { put: string; get: string },
): Promise<void> {
  const q = new Queue(options);
  const seen = new Uint8Array(new SharedArrayBuffer(producers * count));
  const counts = new Int32Array(new SharedArrayBuffer(4 * consumers));
  const seed = 0x18 + count;
  await withProcesses(async (start) => {
    const recv = Array.from(
      { length: consumers },
      (_, k) =>
        start("queue_ops", {
          exportName: "consumer",
          args: [q, seen, producers, count, counts, k, seed, depth, k % 2 === 0 ? modes.get : "async"],
        }),
    );
    const send = Array.from(
      { length: producers },
      (_, id) =>
        start("queue_ops", {
          exportName: "producer",
          args: [q, id, count, seed, depth, id % 2 === 0 ? modes.put : "async"],
        }),
    );
    assert.deepEqual(await Promise.all(send.map((p) => p.join(LONG))), send.map(() => 0));
    q.close();
    assert.deepEqual(await Promise.all(recv.map((p) => p.join(LONG))), recv.map(() => 0));
  });
  assert.equal(counts.reduce((a, b) => a + b, 0), producers * count);
  const missing = seen.findIndex((x) => x !== 1);
  assert.equal(
    missing,
    -1,
    `item ${missing % count} of producer ${Math.floor(missing / count)} seen ${seen[missing]} times`,
  );
  assert.ok(q.empty());
}

const COUNT = size(25_000, 250_000);

test(
  `Queue: 4 producers x 4 consumers x ${
    n(COUNT)
  } seeded random values of every kind (shared buffers included): each exactly once, as structuredClone gives it, in order per producer`,
  SLOW,
  async () => {
    await mpmc(4, 4, COUNT, 2, { maxsize: 64 }, { put: "sync", get: "sync" });
  },
);

test(
  "Queue: 2 x 2 with a 1 KiB ring: deep values, many streamed in parts, interleave with nothing",
  SLOW,
  async () => {
    await mpmc(2, 2, 400, 4, { bytes: 1024 }, { put: "mixed", get: "sync" });
  },
);

test(
  "Queue: values much larger than the queue's memory, from two workers at once, arrive whole",
  SLOW,
  async () => {
    const q = new Queue<{ i: number; s: string; a: Float64Array }>({ bytes: 4096 });
    const n = 200_000;
    await withProcesses(async (start) => {
      const a = start("queue_ops", { exportName: "bigPut", args: [q, n, 3, false] });
      const b = start("queue_ops", { exportName: "bigPut", args: [q, n, 3, true] });
      const got: number[] = [];
      for (let k = 0; k < 6; k++) {
        const v = k % 2 === 0 ? q.get({ timeout: 30000 }) : await q.getAsync({ timeout: 30000 });
        assert.equal(v.s, String.fromCharCode(97 + v.i).repeat(n));
        assert.equal(v.a.length, n / 8);
        assert.ok(v.a.every((x) => x === v.i));
        got.push(v.i);
      }
      assert.deepEqual(got.sort(), [0, 0, 1, 1, 2, 2]);
      assert.deepEqual(await Promise.all([a.join(LONG), b.join(LONG)]), [0, 0]);
    });
  },
);

test(
  "Queue: a SharedArrayBuffer and sabkit objects in a value reach a worker live, both ways",
  SLOW,
  async () => {
    const q = new Queue();
    const back = new Queue<Record<string, unknown>>();
    await withProcesses(async (start) => {
      const p = start("queue_ops", { exportName: "echo", args: [q, back, 2] });
      const sab = new SharedArrayBuffer(4);
      const inner = new Queue<string>();
      const [here, there] = Pipe<string>();
      q.put({ sab, inner, there, lock: new Lock() });
      const r = await back.getAsync({ timeout: 30000 });
      assert.deepEqual(r, { sab: "sab", inner: "Queue", there: "Connection", lock: "Lock" });
      assert.equal(new Uint8Array(sab)[0], 7);
      assert.equal(inner.get({ timeout: 1000 }), "via inner");
      assert.equal(here.recv(), "via there");
      // Put before the worker asks: its memory is offered again when it asks (WANTS / a request).
      const late = new SharedArrayBuffer(4);
      q.put({ late, simple: new SimpleQueue() });
      const r2 = await back.getAsync({ timeout: 30000 });
      assert.deepEqual(r2, { late: "sab", simple: "SimpleQueue" });
      assert.equal(new Uint8Array(late)[0], 7);
      assert.equal(await p.join(LONG), 0);
    });
  },
);

test("Queue classes as Process arguments: Queue, JoinableQueue, Connection, SimpleQueue", SLOW, async () => {
  const q = new Queue<string>();
  const jq = new JoinableQueue<string>();
  const s = new SimpleQueue<string>();
  const [here, there] = Pipe<string>();
  jq.put("task");
  here.send("ping");
  await withProcesses(async (start) => {
    const p = start("queue_ops", { exportName: "args", args: [q, jq, there, s] });
    assert.equal(await jq.joinAsync({ timeout: 30000 }), true);
    assert.equal(await q.getAsync({ timeout: 30000 }), "from args");
    assert.equal(await here.recvAsync({ timeout: 30000 }), "ping");
    assert.equal(await s.getAsync({ timeout: 30000 }), "simple from args");
    assert.equal(await p.join(LONG), 0);
  });
});

test("Pipe: 2,000 round trips with a worker, then bytes", SLOW, async () => {
  const [here, there] = Pipe<unknown>();
  await withProcesses(async (start) => {
    const p = start("queue_ops", { exportName: "pong", args: [there, 2000] });
    for (let i = 0; i < 2000; i++) {
      const v = { i, tag: "x" };
      if (i % 2 === 0) {
        here.send(v);
        assert.deepEqual(here.recv(), v);
      } else {
        await here.sendAsync(v);
        assert.deepEqual(await here.recvAsync({ timeout: 30000 }), v);
      }
    }
    here.sendBytes(new Uint8Array([1, 2, 3]));
    assert.deepEqual([...await here.recvBytesAsync({ timeout: 30000 })], [1, 2, 3]);
    assert.equal(await p.join(LONG), 0);
  });
});
