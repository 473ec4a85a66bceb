/**
 * Queue, SimpleQueue, JoinableQueue and Pipe on one thread: the contract of
 * design §5a (values as structuredClone gives them, blocking / timed /
 * non-blocking / async forms, counts, close, iteration, streaming of items
 * larger than the shared memory, bytes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ChannelClosedError,
  JoinableQueue,
  Lock,
  Pipe,
  Queue,
  QueueEmptyError,
  QueueFullError,
  SimpleQueue,
  TimeoutError,
  Value,
} from "../mod.ts";
import { assertSameAsClone, mulberry32, randomValue, sampleValues } from "./_values.ts";
import { memoryOf } from "./_memory.ts";

test("Queue: every sample value arrives as structuredClone gives it, through a small and a large ring", async () => {
  for (const bytes of [64, 1 << 16]) {
    const q = new Queue({ bytes });
    for (const [name, value] of sampleValues()) {
      const got = bytes === 64 ? await roundTripStreamed(q, value) : (q.put(value), q.get({ timeout: 0 }));
      try {
        assertSameAsClone(got, value);
      } catch (e) {
        throw new Error(`${name} (bytes ${bytes}): ${(e as Error).message}`);
      }
    }
    assert.equal(q.qsize(), 0);
  }
});

/** A value that may be larger than the ring streams while this thread gets it: put async, get async. */
async function roundTripStreamed(q: Queue, value: unknown): Promise<unknown> {
  const [, got] = await Promise.all([q.putAsync(value), q.getAsync({ timeout: 10000 })]);
  return got;
}

test("Queue: 2,000 seeded random values of every kind round-trip exactly", () => {
  const q = new Queue({ bytes: 1 << 20 });
  const rng = mulberry32(18);
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(rng, 3);
    q.put(v);
    assertSameAsClone(q.get({ timeout: 0 }), v);
  }
});

test("Queue: maxsize counts items; qsize, empty, full; nowait and timed forms throw Full/Empty", () => {
  const q = new Queue<number>({ maxsize: 2 });
  assert.ok(q.empty() && !q.full() && q.qsize() === 0 && q.maxsize === 2);
  q.put(1);
  q.putNowait(2);
  assert.ok(q.full() && q.qsize() === 2);
  assert.throws(() => q.putNowait(3), QueueFullError);
  assert.throws(() => q.put(3, { blocking: false }), QueueFullError);
  const t0 = performance.now();
  assert.throws(() => q.put(3, { timeout: 30 }), /timed out after 30 ms: the Queue stayed full/);
  assert.ok(performance.now() - t0 >= 29);
  assert.equal(q.get(), 1);
  assert.equal(q.getNowait(), 2);
  assert.throws(() => q.getNowait(), QueueEmptyError);
  assert.throws(() => q.get({ blocking: false }), QueueEmptyError);
  assert.throws(() => q.get({ timeout: 20 }), /Queue\.get\(\) timed out after 20 ms: the Queue stayed empty/);
  assert.ok(q.empty());
});

test("Queue: bounded by bytes only, a put waits for room (maxsize 0 is never full)", async () => {
  const q = new Queue<string>({ bytes: 256 });
  q.put("a".repeat(150));
  assert.ok(!q.full());
  assert.throws(() => q.put("b".repeat(150), { timeout: 0 }), QueueFullError);
  const pending = q.putAsync("b".repeat(150), { timeout: 5000 });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(q.get().length, 150);
  await pending;
  assert.equal(q.get(), "b".repeat(150));
});

test("Queue: close wakes waiters; puts then throw ChannelClosedError; gets drain, then throw it", async () => {
  const q = new Queue<number>({ maxsize: 1 });
  const getter = new Queue<number>();
  const waitingGet = getter.getAsync();
  q.put(1);
  const waitingPut = q.putAsync(2);
  await new Promise((r) => setTimeout(r, 10));
  q.close();
  getter.close();
  await assert.rejects(waitingPut, ChannelClosedError);
  await assert.rejects(
    waitingGet,
    (e: Error) => e instanceof ChannelClosedError && /closed and drained/.test(e.message),
  );
  assert.throws(
    () => q.put(3),
    (e: Error) => e instanceof ChannelClosedError && /Cannot put on a closed Queue/.test(e.message),
  );
  assert.ok(q.closed);
  assert.equal(q.get(), 1);
  assert.throws(() => q.get(), ChannelClosedError);
  assert.throws(() => q.getNowait(), ChannelClosedError);
  q.close();
});

test("Queue: iteration, sync and async, ends once closed and drained", async () => {
  const q = new Queue<number>();
  for (let i = 0; i < 5; i++) q.put(i);
  q.close();
  assert.deepEqual([...q], [0, 1, 2, 3, 4]);
  const a = new Queue<number>();
  const out: number[] = [];
  const loop = (async () => {
    for await (const v of a) out.push(v);
  })();
  for (let i = 0; i < 3; i++) await a.putAsync(i);
  a.close();
  await loop;
  assert.deepEqual(out, [0, 1, 2]);
});

test("Queue: async forms take a timeout and a signal; an abort takes and puts nothing", async () => {
  const q = new Queue<number>({ maxsize: 1 });
  await assert.rejects(q.getAsync({ timeout: 10 }), QueueEmptyError);
  const ac = new AbortController();
  const g = q.getAsync({ signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(g, /stop/);
  q.put(1);
  const ac2 = new AbortController();
  const p = q.putAsync(2, { signal: ac2.signal });
  ac2.abort(new Error("no"));
  await assert.rejects(p, /no/);
  await assert.rejects(q.putAsync(2, { timeout: 10 }), QueueFullError);
  assert.equal(q.qsize(), 1);
  assert.equal(await q.getAsync({ timeout: 10 }), 1);
  assert.ok(q.empty());
  const pre = new AbortController();
  pre.abort(new Error("before"));
  await assert.rejects(q.putAsync(9, { signal: pre.signal }), /before/);
  assert.ok(q.empty());
});

test("Queue: values larger than the shared memory stream in parts, in order with small ones", async () => {
  const q = new Queue<unknown>({ bytes: 1024 });
  const big = { s: "x".repeat(200_000), a: new Float64Array(30_000).map((_, i) => i) };
  const got: unknown[] = [];
  const reader = (async () => {
    for (let i = 0; i < 5; i++) got.push(await q.getAsync({ timeout: 10000 }));
  })();
  await q.putAsync(1);
  await q.putAsync(big);
  await q.putAsync(2);
  await q.putAsync(big);
  await q.putAsync(3);
  await reader;
  assert.equal(got[0], 1);
  assertSameAsClone(got[1], big);
  assert.equal(got[2], 2);
  assertSameAsClone(got[3], big);
  assert.equal(got[4], 3);
});

test("Queue: a streamed put that times out is withdrawn whole; the queue goes on", () => {
  const q = new Queue<unknown>({ bytes: 256 });
  assert.throws(() => q.put("y".repeat(5000), { timeout: 20 }), QueueFullError);
  assert.ok(q.empty());
  q.put("small");
  assert.equal(q.get(), "small");
  assert.throws(() => q.get({ timeout: 0 }), QueueEmptyError);
});

test("Queue: what structuredClone refuses is a TypeError and nothing is put", () => {
  const q = new Queue<unknown>();
  for (const bad of [() => 1, Symbol("s"), { f() {} }, [1, Symbol.iterator], new WeakMap()]) {
    assert.throws(() => q.put(bad), TypeError);
    assert.equal(q.qsize(), 0);
  }
  q.put("ok");
  assert.equal(q.get(), "ok");
});

test("Queue: a SharedArrayBuffer and sabkit objects inside a value arrive live", () => {
  const q = new Queue<unknown>();
  const sab = new SharedArrayBuffer(8);
  const lock = new Lock();
  const v = Value("i", 5);
  q.put({ sab, view: new Int32Array(sab, 4, 1), lock, v, inner: new Queue() });
  const got = q.get() as { sab: SharedArrayBuffer; view: Int32Array; lock: Lock; v: typeof v; inner: Queue };
  new Int32Array(got.sab)[0] = 3;
  got.view[0] = 4;
  assert.deepEqual([...new Int32Array(sab)], [3, 4]);
  assert.ok(got.lock instanceof Lock && got.lock.acquire({ blocking: false }));
  assert.ok(lock.locked());
  got.v.value = 6;
  assert.equal(v.value, 6);
  assert.ok(got.inner instanceof Queue);
});

test("Queue: structured clone (postMessage) and revive rebuild every queue class on the same memory", async () => {
  const { revive } = await import("../mod.ts");
  const q = new Queue<number>({ maxsize: 3, bytes: 512 });
  const j = new JoinableQueue<number>();
  const s = new SimpleQueue<number>();
  const [a, b] = Pipe<number>();
  const r = revive(structuredClone({ q, j, s, b }));
  assert.ok(r.q instanceof Queue && r.q.maxsize === 3);
  r.q.put(1);
  assert.equal(q.get(), 1);
  j.put(2);
  assert.equal(r.j.get(), 2);
  r.j.taskDone();
  assert.ok(j.join(0));
  r.s.put(3);
  assert.equal(s.get(), 3);
  r.b.send(4);
  assert.equal(a.recv(), 4);
  assert.deepEqual(memoryOf(r.q), memoryOf(q));
});

test("JoinableQueue: taskDone counts down to join; one too many is a RangeError that changes nothing", async () => {
  const q = new JoinableQueue<number>();
  assert.ok(q.join(0));
  q.put(1);
  q.put(2);
  assert.equal(q.join(10), false);
  const joined = q.joinAsync({ timeout: 5000 });
  q.get();
  q.taskDone();
  assert.equal(q.join(0), false);
  q.get();
  q.taskDone();
  assert.equal(await joined, true);
  assert.throws(
    () => q.taskDone(),
    (e: Error) => e instanceof RangeError && /more times than there were items put/.test(e.message),
  );
  assert.ok(q.join(0));
  const ac = new AbortController();
  q.put(3);
  const j = q.joinAsync({ signal: ac.signal });
  ac.abort(new Error("abandon"));
  await assert.rejects(j, /abandon/);
  assert.ok(q instanceof Queue);
});

test("SimpleQueue: put, get, empty, close, async forms, iteration", async () => {
  const q = new SimpleQueue<string>({ bytes: 128 });
  assert.ok(q.empty());
  q.put("a");
  await q.putAsync("b");
  assert.ok(!q.empty());
  assert.equal(q.get(), "a");
  assert.equal(await q.getAsync(), "b");
  await assert.rejects(q.getAsync({ timeout: 5 }), QueueEmptyError);
  q.put("c");
  q.close();
  assert.throws(() => q.put("d"), ChannelClosedError);
  assert.deepEqual([...q], ["c"]);
});

test("Pipe: duplex send/recv both ways, poll, bytes, recvBytesInto; close ends the other side", async () => {
  const [a, b] = Pipe<unknown>();
  assert.equal(a.poll(), false);
  assert.equal(await a.pollAsync({ timeout: 5 }), false);
  a.send({ x: 1 });
  assert.ok(b.poll(0));
  assert.deepEqual(b.recv(), { x: 1 });
  b.send([2]);
  assert.deepEqual(await a.recvAsync(), [2]);
  await assert.rejects(a.recvAsync({ timeout: 5 }), TimeoutError);
  b.sendBytes(new Float64Array([1.5]), 0, 8);
  assert.deepEqual(new Float64Array(a.recvBytes().buffer), new Float64Array([1.5]));
  b.sendBytes(new Uint8Array([1, 2, 3]));
  const small = new Uint8Array(2);
  assert.throws(() => a.recvBytesInto(small), /does not fit a buffer of 2 bytes; it stays/);
  const buf = new Uint8Array(8);
  assert.equal(a.recvBytesInto(buf, 5), 3);
  assert.deepEqual([...buf], [0, 0, 0, 0, 0, 1, 2, 3]);
  await b.sendBytesAsync(new Uint8Array([4]));
  assert.deepEqual([...await a.recvBytesAsync()], [4]);
  b.send("last");
  b.close();
  assert.ok(b.closed && !a.closed);
  assert.ok(a.poll());
  assert.equal(a.recv(), "last");
  assert.throws(() => a.recv(), ChannelClosedError);
  assert.throws(() => a.send(1), ChannelClosedError);
  assert.throws(() => b.recv(), /closed Connection/);
});

test("Pipe(false): the first end only receives, the second only sends; large messages stream", async () => {
  const [r, w] = Pipe<string>(false, { bytes: 128 });
  assert.ok(r.readable && !r.writable && w.writable && !w.readable);
  assert.throws(() => r.send("x"), /read-only/);
  assert.throws(() => w.recv(), /write-only/);
  const long = "z".repeat(10_000);
  const sent = w.sendAsync(long);
  assert.equal(await r.recvAsync(), long);
  await sent;
});

test("Queue: a blocking get of an item this thread's async put is still streaming is a TypeError; nothing is lost", async () => {
  const q = new Queue<string>({ bytes: 128 });
  const long = "h".repeat(1000);
  const put = q.putAsync(long);
  assert.throws(
    () => q.get({ timeout: 0 }),
    (e: Error) => e instanceof TypeError && /use Queue\.getAsync\(\)/.test(e.message),
  );
  assert.equal(await q.getAsync({ timeout: 5000 }), long);
  await put;
});

test("Queue and Pipe: async gets pending at once each get their own item (read out as it is taken)", async () => {
  // Each take copies its item into the end's scratch memory: an async get that read it a microtask later
  // read the next get's item instead (three getAsync at once: wrong values, corrupt bytes).
  const q = new Queue();
  const [rx, tx] = Pipe(false);
  for (let round = 0; round < 100; round++) {
    const gets = [
      q.getAsync({ timeout: 5000 }),
      q.getAsync({ timeout: 5000 }),
      q.getAsync({ timeout: 5000 }),
    ];
    const recvs = [rx.recvAsync({ timeout: 5000 }), rx.recvBytesAsync({ timeout: 5000 })];
    await new Promise((r) => setTimeout(r, 0));
    for (let k = 0; k < 3; k++) q.put({ n: round * 3 + k, s: "x".repeat(k) });
    tx.send([round]);
    tx.sendBytes(new Uint8Array([round & 255, 7]));
    const got = (await Promise.all(gets)) as { n: number }[];
    assert.deepEqual(got.map((v) => v.n).sort((a, b) => a - b), [0, 1, 2].map((k) => round * 3 + k));
    const [value, bytes] = await Promise.all(recvs);
    assert.deepEqual(value, [round]);
    assert.deepEqual([...(bytes as Uint8Array)], [round & 255, 7]);
  }
});
