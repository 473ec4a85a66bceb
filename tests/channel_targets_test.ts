/**
 * Receive targets that fail: the target is checked before a message is
 * taken (and, for the async receives, again right before the claim after
 * the wait); an Array that refuses a write after the claim (a read-only
 * index, a throwing setter, a Proxy) loses nothing: the message is written
 * from a copy once the slot is free, and if that fails this Channel object
 * keeps it and hands it to its next receive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, revive, TimeoutError } from "../mod.ts";
import { memoryOf } from "./_memory.ts";
import { sleep } from "./_util.ts";

const LONG = 10000;

function readOnlyAt(index: number, length: number): number[] {
  const a = new Array<number>(length).fill(0);
  Object.defineProperty(a, index, { value: 0, writable: false });
  return a;
}

test("Channel.recvInto: an Array with a read-only index throws, and the message is not lost: the next receive of this handle gets it, then the rest in order", () => {
  const ch = new Channel("d", { capacity: 3, slots: 2 });
  ch.send([1, 2, 3]);
  ch.send([4]);
  assert.throws(() => ch.recvInto(readOnlyAt(1, 3)), TypeError);
  // The slot was freed all the same: a sender gets it.
  ch.send([5], { timeout: 0 });
  assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([1, 2, 3]));
  assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([4]));
  assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([5]));
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});

test("Channel: a kept message goes to whichever receive this handle makes next (recvInto, recvWith, recvAsync, recvIntoAsync), before null once closed", async () => {
  const ch = new Channel("i", { capacity: 2, slots: 4 });
  const throwing = new Array<number>(2).fill(0);
  Object.defineProperty(throwing, 0, {
    set() {
      throw new Error("setter");
    },
  });
  const refusing = new Proxy([0, 0], { set: () => false });
  const kinds = [
    "recvInto typed",
    "recvInto array",
    "recvWith",
    "recvAsync",
    "recvIntoAsync",
    "recvWithAsync",
  ];
  for (const [k, kind] of kinds.entries()) {
    ch.send([k, k + 1]);
    assert.throws(() => ch.recvInto(k % 2 === 0 ? throwing : refusing), k % 2 === 0 ? /setter/ : TypeError);
    // Too short for it: a RangeError, and it stays kept.
    assert.throws(() => ch.recvInto(new Int32Array(1)), {
      name: "RangeError",
      message: /target of 1 elements/,
    });
    let got: number[] = [];
    if (kind === "recvInto typed") {
      const buf = new Int32Array(2);
      assert.equal(ch.recvInto(buf, { timeout: 0 }), 2);
      got = Array.from(buf);
    } else if (kind === "recvInto array") {
      const buf: number[] = [0, 0];
      assert.equal(ch.recvInto(buf, { timeout: 0 }), 2);
      got = buf;
    } else if (kind === "recvWith") {
      assert.equal(ch.recvWith((m) => (got = Array.from(m)), { timeout: 0 }), 2);
    } else if (kind === "recvWithAsync") {
      assert.equal(await ch.recvWithAsync((m) => (got = Array.from(m)), { timeout: 0 }), 2);
    } else if (kind === "recvAsync") {
      got = Array.from((await ch.recvAsync({ timeout: 0 }))!);
    } else {
      const buf = new Int32Array(5);
      assert.equal(await ch.recvIntoAsync(buf, { timeout: 0 }), 2);
      got = Array.from(buf.subarray(0, 2));
    }
    assert.deepEqual(got, [k, k + 1], kind);
    assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError, `${kind}: delivered once`);
  }
  // Kept by this handle only; delivered before the end of a closed channel.
  ch.send([7, 8]);
  const twin = revive(structuredClone({ ch })).ch;
  assert.throws(() => ch.recvInto(readOnlyAt(0, 2)), TypeError);
  ch.send([9]);
  ch.close();
  assert.deepEqual(twin.recv({ timeout: 0 }), new Int32Array([9]));
  assert.equal(twin.recv({ timeout: 0 }), null);
  assert.deepEqual([...ch].map((m) => Array.from(m)), [[7, 8]]);
  assert.equal(ch.recv(), null);
});

test("Channel.recvInto: a detached target is a TypeError that says so, before anything is taken", () => {
  const ch = new Channel("d", { capacity: 2, slots: 1 });
  ch.send([1, 2]);
  const before = memoryOf(ch);
  const target = new Float64Array(2);
  target.buffer.transfer();
  assert.throws(() => ch.recvInto(target), {
    name: "TypeError",
    message: /Float64Array whose buffer is detached/,
  });
  // A fixed-length view whose resizable buffer shrank below it: out of bounds.
  const buffer = new ArrayBuffer(16, { maxByteLength: 16 });
  const fixed = new Float64Array(buffer, 0, 2);
  buffer.resize(8);
  assert.throws(() => ch.recvInto(fixed), { name: "TypeError", message: /out of bounds/ });
  assert.deepEqual(memoryOf(ch), before);
  assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([1, 2]));
});

test("Channel.recvIntoAsync: a target detached or shrunk while it waits is checked again before the claim: the message stays in the channel", async () => {
  for (const change of ["detach", "shrink", "freeze"] as const) {
    const ch = new Channel("d", { capacity: 4, slots: 1 });
    const buffer = new ArrayBuffer(32, { maxByteLength: 32 });
    const target = change === "freeze" ? [0, 0, 0, 0] : new Float64Array(buffer);
    const pending = ch.recvIntoAsync(target, { timeout: LONG });
    await sleep(10);
    if (change === "detach") buffer.transfer();
    else if (change === "shrink") buffer.resize(8);
    else Object.freeze(target);
    ch.send([1, 2, 3]);
    if (change === "shrink") {
      await assert.rejects(pending, { name: "RangeError", message: /target of 1 elements/ });
    } else {
      await assert.rejects(pending, {
        name: "TypeError",
        message: change === "detach" ? /detached/ : /frozen/,
      });
    }
    assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([1, 2, 3]), `${change}: still queued`);
  }
});

test("Channel.recvWith: a callback that throws consumes the message (it was seen) and frees the slot; nothing is kept", () => {
  const ch = new Channel("d", { capacity: 1, slots: 1 });
  ch.send([1]);
  assert.throws(() =>
    ch.recvWith(() => {
      throw new Error("boom");
    }), /boom/);
  ch.send([2], { timeout: 0 });
  assert.deepEqual(ch.recv({ timeout: 0 }), new Float64Array([2]));
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});
