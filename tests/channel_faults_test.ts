/**
 * Channel faults: workers terminated while blocked in `recv` or `send`,
 * aborted async calls, and the precision of send/recv timeouts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, TimeoutError } from "../mod.ts";
import { overshoot } from "./_stress.ts";
import { sleep, until, withProcesses } from "./_util.ts";

type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

/** Two counters (arrived, done) and room for `n` outcomes (outcome, value each). */
function board(n: number): { flags: Int32Array; out: Float64Array } {
  return {
    flags: new Int32Array(new SharedArrayBuffer(8)),
    out: new Float64Array(new SharedArrayBuffer(16 * n)),
  };
}

async function reached(flags: Int32Array, i: number, n: number, timeoutMs = 20000): Promise<void> {
  try {
    await until(() => Atomics.load(flags, i) >= n, timeoutMs);
  } catch {
    throw new Error(`flags[${i}] is ${Atomics.load(flags, i)} after ${timeoutMs} ms, expected ${n}`);
  }
}

/** Starts one blocking `recv` or `send([value])` in a worker. */
function once(
  start: Start,
  ch: Channel<"d">,
  side: "send" | "recv",
  b: ReturnType<typeof board>,
  k: number,
  value = 0,
) {
  return start("stress_channel", {
    exportName: "once",
    args: [ch, side, b.flags, b.out, 2 * k, 60000, value],
  });
}

/** Everything the channel holds now, by value. */
function drain(ch: Channel<"d">): number[] {
  const got: number[] = [];
  for (let m = ch.recv({ timeout: 0 }); m !== null; m = ch.recv({ timeout: 0 })) got.push(m[0]);
  return got;
}

function recvNow(ch: Channel<"d">): number[] {
  const got: number[] = [];
  for (;;) {
    try {
      const m = ch.recv({ timeout: 0 });
      if (m === null) return got;
      got.push(m[0]);
    } catch (e) {
      if (e instanceof TimeoutError) return got;
      throw e;
    }
  }
}

test("channel faults: a worker terminated while blocked in recv leaves the channel usable; the live receiver gets the message", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 2 });
  const b = board(2);
  await withProcesses(async (start) => {
    const doomed = once(start, ch, "recv", b, 0);
    const other = once(start, ch, "recv", b, 1);
    await reached(b.flags, 0, 2);
    await sleep(100);
    doomed.terminate();
    assert.equal(await doomed.join(), -15);
    ch.send([42]);
    await reached(b.flags, 1, 1);
    assert.equal(await other.join(), 0);
  });
  assert.deepEqual([b.out[2], b.out[3]], [1, 42], "the live receiver got it");
  assert.notEqual(b.out[0], 1, "the dead one did not");
  // Usable afterwards, in both directions.
  ch.send([1]);
  ch.send([2]);
  assert.deepEqual(recvNow(ch), [1, 2]);
  ch.close();
  assert.equal(ch.recv(), null);
});

test("channel faults: a worker terminated while blocked in send leaves the channel usable; its message never arrives", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 2 });
  ch.send([1]);
  ch.send([2]);
  const b = board(2);
  await withProcesses(async (start) => {
    const doomed = once(start, ch, "send", b, 0, 100);
    const other = once(start, ch, "send", b, 1, 200);
    await reached(b.flags, 0, 2);
    await sleep(100);
    doomed.terminate();
    assert.equal(await doomed.join(), -15);
    assert.equal(ch.recv()![0], 1, "frees one slot: the live sender takes it");
    await reached(b.flags, 1, 1);
    assert.equal(await other.join(), 0);
  });
  assert.equal(b.out[2], 1, "the live sender's send returned");
  assert.deepEqual(recvNow(ch), [2, 200], "the dead sender's 100 was never sent");
  ch.send([3]);
  ch.close();
  assert.deepEqual(drain(ch), [3]);
});

test("channel faults: an aborted recvAsync rejects with the reason and takes nothing; later receivers still get woken", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 1 });
  const reason = new Error("aborted by the test");
  await assert.rejects(ch.recvAsync({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  for (let i = 0; i < 3; i++) {
    const c = new AbortController();
    const pending = ch.recvAsync({ signal: c.signal });
    await sleep(10);
    c.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  }
  const b = board(1);
  await withProcesses(async (start) => {
    // V8 may hand the next wake-up to one of the abandoned waiters here; it must be passed on.
    const p = once(start, ch, "recv", b, 0);
    await reached(b.flags, 0, 1);
    await sleep(50);
    const t0 = performance.now();
    ch.send([7]);
    await reached(b.flags, 1, 1);
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(await p.join(), 0);
  });
  assert.deepEqual([b.out[0], b.out[1]], [1, 7]);
  const later = ch.recvAsync({ timeout: 10000 });
  await sleep(10);
  ch.send([8]);
  assert.equal((await later)![0], 8);
});

test("channel faults: an aborted sendAsync rejects with the reason and sends nothing; later senders still get a slot", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 1 });
  ch.send([1]);
  const reason = new Error("aborted by the test");
  await assert.rejects(ch.sendAsync([9], { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  for (let i = 0; i < 3; i++) {
    const c = new AbortController();
    const pending = ch.sendAsync([9], { signal: c.signal });
    await sleep(10);
    c.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  }
  const b = board(1);
  await withProcesses(async (start) => {
    const p = once(start, ch, "send", b, 0, 2);
    await reached(b.flags, 0, 1);
    await sleep(50);
    assert.equal(ch.recv()![0], 1);
    await reached(b.flags, 1, 1);
    assert.equal(await p.join(), 0);
  });
  assert.equal(b.out[0], 1);
  assert.deepEqual(recvNow(ch), [2], "none of the aborted 9s went in");
  const later = ch.sendAsync([3], { timeout: 10000 });
  assert.equal((await ch.recvAsync({ timeout: 10000 }))![0], 3);
  await later;
});

test("channel faults: timeouts of send, recv, sendAsync and recvAsync are never early", async () => {
  const empty = new Channel("d", { capacity: 1, slots: 1 });
  const fullCh = new Channel("d", { capacity: 1, slots: 1 });
  fullCh.send([1]);
  await overshoot("Channel.recv", (timeout) => assert.throws(() => empty.recv({ timeout }), TimeoutError));
  await overshoot(
    "Channel.recvAsync",
    (timeout) => assert.rejects(empty.recvAsync({ timeout }), TimeoutError),
  );
  await overshoot(
    "Channel.send",
    (timeout) => assert.throws(() => fullCh.send([2], { timeout }), TimeoutError),
  );
  await overshoot(
    "Channel.sendAsync",
    (timeout) => assert.rejects(fullCh.sendAsync([2], { timeout }), TimeoutError),
  );
  assert.deepEqual(recvNow(fullCh), [1]);
});

test("channel faults: a sender terminated between claiming a slot and publishing it: receivers skip it, nothing stalls", async () => {
  for (const receiver of ["recv", "recvAsync"]) {
    const ch = new Channel("d", { capacity: 1, slots: 2 });
    const flags = new Int32Array(new SharedArrayBuffer(8));
    await withProcesses(async (start) => {
      const p = start("chan_killpoints", { exportName: "stopAfter", args: [ch, "P2", flags] });
      await reached(flags, 0, 1);
      p.terminate();
      assert.equal(await p.join(), -15);
    });
    ch.send([1]);
    const t0 = performance.now();
    const m = receiver === "recv" ? ch.recv({ timeout: 10000 }) : await ch.recvAsync({ timeout: 10000 });
    assert.equal(m![0], 1, "the dead sender's message is withdrawn, the next one arrives");
    assert.ok(performance.now() - t0 < 5000);
    ch.send([2]);
    ch.send([3]);
    ch.close();
    assert.deepEqual(drain(ch), [2, 3]);
  }
});

test("channel faults: a receiver terminated between claiming a message and freeing its slot: senders get the slot back", async () => {
  for (const sender of ["send", "sendAsync"]) {
    const ch = new Channel("d", { capacity: 1, slots: 1 });
    const flags = new Int32Array(new SharedArrayBuffer(8));
    ch.send([1]);
    await withProcesses(async (start) => {
      const p = start("chan_killpoints", { exportName: "stopAfter", args: [ch, "C2", flags] });
      await reached(flags, 0, 1);
      p.terminate();
      assert.equal(await p.join(), -15);
    });
    const t0 = performance.now();
    if (sender === "send") ch.send([2], { timeout: 10000 });
    else await ch.sendAsync([2], { timeout: 10000 });
    assert.ok(performance.now() - t0 < 5000);
    assert.deepEqual(recvNow(ch), [2], "message 1 was lost with its receiver; the ring goes on");
    ch.send([3]);
    assert.deepEqual(recvNow(ch), [3]);
  }
});
