import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, ChannelClosedError, FloatChannel, revive, TimeoutError } from "../mod.ts";
import { stamp } from "./_chan.ts";
import { memoryOf } from "./_memory.ts";
import { spawnSync } from "node:child_process";
import { runtime, sleep, until, withProcesses } from "./_util.ts";

const LONG = 30000;
const SLOW = { timeout: 120_000 };

function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

for (const inPlace of [false, true]) {
  test(
    `Channel: 200 messages of 100,000 float64 from number[] and Float64Array arrive intact in a worker (${
      inPlace ? "recvWith, read in place" : "recvInto"
    })`,
    SLOW,
    async () => {
      const size = 100_000;
      const ch = new Channel("d", { capacity: size, slots: 2 });
      const out = shared(1);
      await withProcesses(async (start) => {
        const p = start("chan_bulk_check", { args: [ch, out, inPlace] });
        const typed = new Float64Array(size);
        const plain = new Array<number>(size);
        for (let i = 0; i < 200; i++) {
          const msg = i % 2 === 0 ? typed : plain;
          for (let j = 0; j < size; j++) msg[j] = stamp(i, j);
          ch.send(msg, { timeout: LONG });
        }
        ch.close();
        assert.equal(await p.join(LONG), 0);
      });
      assert.equal(out[0], 200);
    },
  );
}

test(
  "Channel: 1,000 messages of 1,000 float64 from a worker arrive in order with exact checksums",
  SLOW,
  async () => {
    const ch = new Channel("float64", { capacity: 1000, slots: 4 });
    await withProcesses(async (start) => {
      const p = start("chan_bulk_send", { args: [ch, 1000, 1000] });
      let i = 0;
      const buf = new Float64Array(1000);
      for (let n; (n = ch.recvInto(buf, { timeout: LONG })) !== null; i++) {
        assert.equal(n, 1000);
        assert.equal(buf[0], i, "stamp");
        let sum = 0;
        for (let j = 1; j < 999; j++) sum += buf[j];
        assert.equal(buf[999], sum + i, `checksum of message ${i}`);
      }
      assert.equal(i, 1000);
      assert.equal(await p.join(LONG), 0);
    });
  },
);

test(
  "Channel: every numeric typecode and name round-trips through a worker, bigints included",
  SLOW,
  async () => {
    const cases: Array<[string, Array<number | bigint>, ArrayLike<number | bigint>]> = [
      ["b", [-128, 127, 5], new Int8Array([-128, 127, 5])],
      ["B", [0, 255], new Uint8Array([0, 255])],
      ["h", [-32768, 32767], new Int16Array([-32768, 32767])],
      ["H", [65535], new Uint16Array([65535])],
      ["i", [-(2 ** 31), 2 ** 31 - 1], new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
      ["I", [2 ** 32 - 1], new Uint32Array([2 ** 32 - 1])],
      ["l", [-(2n ** 63n), 2n ** 63n - 1n], new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
      ["L", [2n ** 64n - 1n, 0n], new BigUint64Array([2n ** 64n - 1n, 0n])],
      ["q", [-1n], new BigInt64Array([-1n])],
      ["Q", [2n ** 63n], new BigUint64Array([2n ** 63n])],
      ["f", [1.5, -0.25], new Float32Array([1.5, -0.25])],
      ["d", [Math.PI, -0, NaN], new Float64Array([Math.PI, -0, NaN])],
      ["int32", [7], new Int32Array([7])],
      ["bigint64", [3n], new BigInt64Array([3n])],
      ["c_double", [0.1], new Float64Array([0.1])],
    ];
    const pairs = cases.map(([code]) =>
      [0, 1].map(() => new Channel(code as "d", { capacity: 4, slots: 2 }))
    );
    await withProcesses(async (start) => {
      const p = start("chan_echo", { args: [pairs, "Channel"] });
      cases.forEach(([, values, expected], k) => {
        pairs[k][0].send(values as number[], { timeout: LONG });
        pairs[k][0].send(expected as Float64Array, { timeout: LONG });
        pairs[k][0].close();
      });
      for (const [k, [code, , expected]] of cases.entries()) {
        for (let i = 0; i < 2; i++) {
          const got = pairs[k][1].recv({ timeout: LONG });
          assert.ok(got !== null, code);
          assert.equal(got.constructor, (expected as Float64Array).constructor, code);
          assert.deepEqual(Array.from(got as ArrayLike<unknown>), Array.from(expected), code);
        }
        assert.equal(pairs[k][1].recv({ timeout: LONG }), null);
      }
      assert.equal(await p.join(LONG), 0);
    });
  },
);

test(
  "Channel: FloatChannel round-trips the seed's messages and revives as a FloatChannel",
  SLOW,
  async () => {
    const there = new FloatChannel(100_000);
    const back = new FloatChannel(100_000);
    assert.equal(there.capacity, 100_000);
    assert.equal(there.slots, 4);
    assert.equal(there.typecode, "d");
    assert.deepEqual(Object.keys(there), ["__sabkit"]);
    const revived = revive(structuredClone(there));
    assert.ok(revived instanceof FloatChannel);
    await withProcesses(async (start) => {
      const p = start("chan_echo", { args: [[[there, back]], "FloatChannel"] });
      for (let i = 0; i < 20; i++) {
        const msg = Array.from({ length: 100_000 - i }, (_, j) => stamp(i, j));
        there.send(msg, { timeout: LONG });
        const got = back.recv({ timeout: LONG });
        assert.ok(got instanceof Float64Array);
        assert.equal(got.length, msg.length);
        assert.ok(got.every((x, j) => x === msg[j]), `message ${i}`);
      }
      there.close();
      assert.equal(back.recv({ timeout: LONG }), null);
      assert.equal(await p.join(LONG), 0);
    });
  },
);

test(
  "Channel: lone messages on 1,024-slot channels (the look-ahead finds nothing ahead): 2,000 round trips in order",
  SLOW,
  async () => {
    const there = new Channel("d", { capacity: 2, slots: 1024 });
    const back = new Channel("d", { capacity: 2, slots: 1024 });
    await withProcesses(async (start) => {
      const p = start("chan_echo", { args: [[[there, back]], "Channel"] });
      for (let i = 0; i < 2000; i++) {
        there.send([i, -i], { timeout: LONG });
        const got = i % 2 === 0 ? back.recv({ timeout: LONG }) : await back.recvAsync({ timeout: LONG });
        assert.deepEqual(Array.from(got!), [i, -i], `round trip ${i}`);
      }
      there.close();
      assert.equal(back.recv({ timeout: LONG }), null);
      assert.equal(await p.join(LONG), 0);
    });
  },
);

test("Channel: close wakes a worker blocked in recv; it first drains what was sent", SLOW, async () => {
  for (const mode of ["sync", "async"]) {
    const ch = new Channel("i", { capacity: 1, slots: 4 });
    const flags = shared(2);
    await withProcesses(async (start) => {
      const p = start("chan_drain_count", { args: [ch, flags, mode] });
      for (let i = 0; i < 6; i++) ch.send([i], { timeout: LONG });
      await until(() => Atomics.load(flags, 0) === 6);
      await sleep(50);
      assert.equal(Atomics.load(flags, 1), 0, "still waiting");
      ch.send([6]);
      ch.close();
      assert.equal(await p.join(LONG), 0);
    });
    assert.equal(flags[0], 7, mode);
    assert.equal(flags[1], 1, mode);
  }
});

test(
  "Channel: close wakes a worker blocked in send on a full channel; what was sent before stays",
  SLOW,
  async () => {
    for (const mode of ["sync", "async"]) {
      const ch = new Channel("d", { capacity: 1, slots: 3 });
      const flags = shared(2);
      await withProcesses(async (start) => {
        const p = start("chan_fill_block", { args: [ch, flags, mode] });
        await until(() => Atomics.load(flags, 0) === 1);
        await sleep(50);
        ch.close();
        assert.equal(await p.join(LONG), 0);
      });
      assert.equal(flags[1], 1, `${mode}: the blocked send threw ChannelClosedError`);
      assert.deepEqual([...ch].map((m) => m[0]), [0, 1, 2]);
      assert.equal(ch.recv(), null);
      assert.throws(() => ch.send([1]), ChannelClosedError);
      await assert.rejects(ch.sendAsync([1]), ChannelClosedError);
    }
  },
);

test("Channel: close from a worker wakes recvAsync and for await in the main thread", async () => {
  const ch = new Channel("d", { capacity: 2, slots: 2 });
  await withProcesses(async (start) => {
    const pending = ch.recvAsync();
    const p = start("chan_close_later", { args: [ch, 30, [[1, 2], [3]]] });
    assert.deepEqual(Array.from((await pending)!), [1, 2]);
    const rest: number[][] = [];
    for await (const m of ch) rest.push(Array.from(m));
    assert.deepEqual(rest, [[3]]);
    assert.equal(await p.join(LONG), 0);
  });
  assert.equal(await ch.recvAsync(), null);
  assert.equal(ch.recvInto(new Float64Array(2)), null);
  assert.equal(await ch.recvIntoAsync(new Float64Array(2)), null);
});

test(
  "Channel: recv on an empty and send on a full channel time out after their timeout, losing nothing",
  SLOW,
  async () => {
    const ch = new Channel("d", { capacity: 2, slots: 2 });
    for (const timeout of [0, -5, 40]) {
      let t0 = performance.now();
      assert.throws(() => ch.recv({ timeout }), TimeoutError);
      assert.ok(performance.now() - t0 >= Math.max(0, timeout), `recv ${timeout}`);
      t0 = performance.now();
      assert.throws(() => ch.recvInto(new Float64Array(2), { timeout }), TimeoutError);
      assert.ok(performance.now() - t0 >= Math.max(0, timeout), `recvInto ${timeout}`);
      t0 = performance.now();
      await assert.rejects(ch.recvAsync({ timeout }), TimeoutError);
      assert.ok(performance.now() - t0 >= Math.max(0, timeout), `recvAsync ${timeout}`);
    }
    ch.send([1]);
    ch.send([2, 3]);
    for (const timeout of [0, 40]) {
      let t0 = performance.now();
      assert.throws(() => ch.send([9], { timeout }), TimeoutError);
      assert.ok(performance.now() - t0 >= timeout, `send ${timeout}`);
      t0 = performance.now();
      await assert.rejects(ch.sendAsync([9], { timeout }), TimeoutError);
      assert.ok(performance.now() - t0 >= timeout, `sendAsync ${timeout}`);
    }
    // A worker drains it: exactly the two messages, then the channel still works both ways.
    const flags = shared(2);
    await withProcesses(async (start) => {
      const p = start("chan_drain_count", { args: [ch, flags, "sync"] });
      ch.send([4], { timeout: LONG });
      await until(() => Atomics.load(flags, 0) === 3);
      ch.close();
      assert.equal(await p.join(LONG), 0);
    });
    assert.deepEqual([flags[0], flags[1]], [3, 1]);
  },
);

test("Channel: an over-long message is a RangeError that writes nothing; a too-short target leaves it queued", () => {
  const ch = new Channel("d", { capacity: 3, slots: 2 });
  assert.throws(() => ch.send([1, 2, 3, 4]), { name: "RangeError", message: /4 elements.*capacity 3/ });
  assert.throws(() => ch.send(new Float64Array(4)), RangeError);
  ch.send([1, 2, 3]);
  assert.throws(() => ch.recvInto(new Float64Array(2)), { name: "RangeError", message: /2 elements/ });
  assert.throws(() => ch.recvInto([0]), RangeError);
  const target = new Float64Array(5).fill(-1);
  assert.equal(ch.recvInto(target), 3);
  assert.deepEqual(Array.from(target), [1, 2, 3, -1, -1]);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});

test("Channel: zero-length messages are messages", () => {
  const ch = new Channel("i", { capacity: 0, slots: 3 });
  ch.send([]);
  ch.send(new Int32Array(0));
  assert.deepEqual(ch.recv(), new Int32Array(0));
  assert.equal(ch.recvInto([]), 0);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  assert.throws(() => ch.send([1]), RangeError);
});

test("Channel: wrong kinds are TypeErrors that write nothing", () => {
  const q = new Channel("q", { capacity: 2 });
  assert.throws(() => q.send([1, 2]), { name: "TypeError", message: /bigints, got 1 at index 0/ });
  assert.throws(() => q.send(new Float64Array(1)), { name: "TypeError", message: /Float64Array/ });
  assert.throws(() => q.recvInto(new Float64Array(2)), TypeError);
  const d = new Channel("d", { capacity: 2 });
  assert.throws(() => d.send([1, 2n] as number[]), { name: "TypeError", message: /2n at index 1/ });
  assert.throws(() => d.send(["1"] as unknown as number[]), { name: "TypeError", message: /"1"/ });
  assert.throws(() => d.send(new BigInt64Array(1) as unknown as number[]), TypeError);
  assert.throws(() => d.send(5 as unknown as number[]), TypeError);
  assert.throws(() => d.recvInto(new BigInt64Array(2) as unknown as number[]), TypeError);
  assert.throws(() => d.recvInto({ length: 3 } as unknown as number[]), TypeError);
  assert.throws(() => d.recv({ timeout: 0 }), TimeoutError);
  // A typed array of the other signedness is checked element by element, as shared data is.
  assert.throws(() => q.send(new BigUint64Array([2n ** 64n - 1n])), {
    name: "RangeError",
    message: /at index 0/,
  });
  q.send(new BigUint64Array([5n]));
  assert.deepEqual(q.recv(), new BigInt64Array([5n]));
});

test("Channel: bad constructor arguments and options are TypeErrors or RangeErrors", () => {
  // One message shape with Value's, listing the numeric spellings only.
  assert.throws(() => new Channel("x" as "d", { capacity: 1 }), {
    name: "TypeError",
    message: /^Unknown typecode "x": expected one of b B h H i I l L q Q f d, .*float64\)$/,
  });
  for (const code of ["Float64Array", 100]) {
    assert.throws(() => new Channel(code as "d", { capacity: 1 }), {
      name: "TypeError",
      message: new RegExp(
        `^Unknown typecode ${typeof code === "string" ? `"${code}"` : code}: expected one of b B`,
      ),
    });
  }
  for (const code of ["c", "u", "?", "c_char", "c_wchar", "c_bool"]) {
    const quoted = code.replace("?", "\\?");
    assert.throws(() => new Channel(code as "d", { capacity: 1 }), {
      name: "TypeError",
      message: new RegExp(
        `^Typecode "${quoted}" is not numeric \\(a Channel carries numbers only\\): expected one of b B`,
      ),
    });
  }
  assert.throws(() => new Channel("d", undefined as unknown as { capacity: number }), TypeError);
  assert.throws(() => new Channel("d", { capacity: "1" as unknown as number }), TypeError);
  assert.throws(() => new Channel("d", { capacity: -1 }), RangeError);
  assert.throws(() => new Channel("d", { capacity: 1.5 }), RangeError);
  assert.throws(() => new Channel("d", { capacity: 1, slots: 0 }), RangeError);
  assert.throws(() => new Channel("d", { capacity: 1, slots: 2 ** 21 }), RangeError);
  assert.throws(() => new FloatChannel(-3), RangeError);
  const ch = new Channel("d", { capacity: 1 });
  assert.throws(() => ch.recv({ timeout: "5" as unknown as number }), TypeError);
  assert.throws(() => ch.send([1], { timeout: NaN }), TypeError);
  ch.send([1]);
  assert.deepEqual(ch.recv(), new Float64Array([1]));
});

test("Channel: getters, sync iteration, and a handle that survives structured clone", () => {
  const ch = new Channel("uint16", { capacity: 5, slots: 3 });
  assert.deepEqual([ch.typecode, ch.capacity, ch.slots, ch.closed], ["H", 5, 3, false]);
  assert.deepEqual(Object.keys(ch), ["__sabkit"]);
  const twin = revive(structuredClone({ ch })).ch;
  assert.ok(twin instanceof Channel);
  assert.deepEqual([twin.typecode, twin.capacity, twin.slots], ["H", 5, 3]);
  twin.send([1, 2]);
  ch.send(new Uint16Array([3]));
  twin.close();
  assert.equal(ch.closed, true);
  assert.deepEqual([...ch].map((m) => Array.from(m)), [[1, 2], [3]]);
});

test("Channel: a forged or mismatched handle is a TypeError", () => {
  const ch = new Channel("d", { capacity: 8, slots: 2 });
  const handle = structuredClone((ch as unknown as { __sabkit: Record<string, unknown> }).__sabkit);
  const forge = (patch: Record<string, unknown>) => () => revive({ __sabkit: { ...handle, ...patch } });
  assert.throws(forge({ meta: { typecode: "f", capacity: 16, slots: 2 } }), {
    name: "TypeError",
    message: /does not hold this Channel/,
  });
  assert.throws(forge({ meta: { typecode: "z", capacity: 8, slots: 2 } }), TypeError);
  assert.throws(forge({ meta: { typecode: "d", capacity: 8, slots: 0 } }), TypeError);
  assert.throws(forge({ meta: null }), TypeError);
  assert.throws(forge({ meta: { typecode: "d", capacity: 8, slots: 3 } }), TypeError);
  assert.throws(forge({ kind: "FloatChannel" }), TypeError);
  const fc = structuredClone(
    (new FloatChannel(4) as unknown as { __sabkit: Record<string, unknown> }).__sabkit,
  );
  assert.throws(() => revive({ __sabkit: { ...fc, kind: "Channel" } }), TypeError);
  assert.ok(revive({ __sabkit: handle }) instanceof Channel);
});

test("Channel: an aborted async call rejects with the reason and takes nothing", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 1 });
  const reason = new Error("stop");
  await assert.rejects(ch.recvAsync({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const controller = new AbortController();
  const pending = ch.recvIntoAsync(new Float64Array(1), { signal: controller.signal });
  await sleep(10);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  // The abandoned waiter must not swallow the next message or its wake-up.
  const later = ch.recvAsync({ timeout: LONG });
  await sleep(10);
  ch.send([5]);
  assert.deepEqual(await later, new Float64Array([5]));
  ch.send([6]);
  const blocked = new AbortController();
  const send = ch.sendAsync([7], { signal: blocked.signal });
  await sleep(10);
  blocked.abort(reason);
  await assert.rejects(send, (e) => e === reason);
  assert.deepEqual(ch.recv(), new Float64Array([6]));
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  await assert.rejects(ch.sendAsync([1], { signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
});

test("Channel: a receiver whose target is too short passes its wake-up on to one the message fits", async () => {
  const ch = new Channel("d", { capacity: 4, slots: 2 });
  const small = ch.recvIntoAsync(new Float64Array(1), { timeout: LONG });
  const big = ch.recvAsync({ timeout: 5000 });
  await sleep(20);
  ch.send([1, 2, 3]);
  await assert.rejects(small, RangeError);
  assert.deepEqual(await big, new Float64Array([1, 2, 3]));
});

test("Channel: a message is read once, before anything is claimed: a getter that throws sends nothing, one that changes is read once", async () => {
  const ch = new Channel("q", { capacity: 2, slots: 2 });
  const before = memoryOf(ch);
  const failing = {
    length: 2,
    0: 1n,
    get 1(): bigint {
      throw new Error("gone");
    },
  };
  assert.throws(() => ch.send(failing), { message: "gone" });
  await assert.rejects(ch.sendAsync(failing), { message: "gone" });
  assert.deepEqual(memoryOf(ch), before, "nothing claimed, nothing written");
  let reads = 0;
  const fickle = {
    length: 1,
    get 0(): bigint | string {
      return ++reads === 1 ? 2n : "two";
    },
  };
  ch.send(fickle as ArrayLike<bigint>);
  assert.equal(reads, 1);
  assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([2n]));
  let lengthReads = 0;
  const liar = {
    get length(): number {
      return ++lengthReads === 1 ? 1 : 1000;
    },
    0: 14n,
  };
  ch.send(liar);
  assert.equal(lengthReads, 1);
  assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([14n]));
  assert.throws(() => ch.send({ length: 1.5, 0: 1n } as unknown as bigint[]), TypeError);
  // sendAsync of an Array copies it when called: edits while it waits for room change nothing.
  ch.send([4n]);
  ch.send([40n]);
  const edited: Array<bigint | number> = [5n];
  const pending = ch.sendAsync(edited as bigint[], { timeout: LONG });
  edited[0] = 5;
  edited.push(6n, 7n);
  await sleep(10);
  assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([4n]));
  await pending;
  assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([40n]));
  assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([5n]));
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  assert.throws(() => ch.recvInto(Object.freeze([0n, 0n]) as bigint[]), TypeError);
});

test("Channel: a typed array resized while sendAsync waits: its message is withdrawn, never half-seen and never past its slot", async () => {
  const ch = new Channel("q", { capacity: 2, slots: 2 });
  for (const change of ["shrink", "grow", "detach"] as const) {
    ch.send([8n]);
    ch.send([9n]);
    const buffer = new ArrayBuffer(16, { maxByteLength: 64 });
    // Length-tracking: its length follows the buffer's.
    const source = new BigInt64Array(buffer).fill(3n);
    const pending = ch.sendAsync(source, { timeout: LONG });
    if (change === "shrink") buffer.resize(8);
    else if (change === "grow") buffer.resize(64);
    else buffer.transfer();
    await sleep(10);
    assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([8n]));
    await assert.rejects(pending, { name: "RangeError", message: /changed length/ }, change);
    // The withdrawn message holds its slot behind 9 until a receiver passes it.
    assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([9n]));
    assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
    ch.send([15n, 16n]);
    assert.deepEqual(ch.recv({ timeout: 0 }), new BigInt64Array([15n, 16n]));
    assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
  }
  // The oldest withdrawn message is passed by its own sender: a one-slot channel stays usable.
  const seed = new FloatChannel(2);
  seed.send([1]);
  const buffer = new ArrayBuffer(16, { maxByteLength: 64 });
  const pending = seed.sendAsync(new Float64Array(buffer), { timeout: LONG });
  buffer.resize(8);
  assert.deepEqual(seed.recv({ timeout: 0 }), new Float64Array([1]));
  await assert.rejects(pending, RangeError);
  seed.send([2], { timeout: 0 });
  assert.deepEqual(seed.recv({ timeout: 0 }), new Float64Array([2]));
});

test("Channel: examples/float_channel.ts runs and prints Done for both transports", SLOW, () => {
  const path = new URL("../examples/float_channel.ts", import.meta.url).pathname;
  const args = runtime === "deno" ? ["run", "--no-check", "--allow-read", path, "100"] : [path, "100"];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Done: FloatChannel \(recv\) 100 x 100000 floats in \d+ ms/m);
  assert.match(r.stdout, /^Done: FloatChannel \(recvInto\) 100 x 100000 floats in \d+ ms/m);
  assert.match(r.stdout, /^Done: Channel, 4 slots \(recvInto\) 100 x 100000 floats in \d+ ms/m);
  assert.match(r.stdout, /^Done: postMessage 100 x 100000 floats in \d+ ms/m);
});

test("Channel.recvWith: the message in place, as a view of the shared memory, then the slot is free", () => {
  const ch = new Channel("i", { capacity: 4 });
  ch.send([1, 2, 3]);
  let seen: Int32Array | undefined;
  assert.equal(ch.recvWith((m) => (seen = m)), 3);
  assert.ok(seen instanceof Int32Array);
  assert.ok(seen.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(seen), [1, 2, 3]);
  // One slot, so this send only fits because recvWith freed it.
  ch.send([4], { timeout: 0 });
  assert.equal(ch.recvWith((m) => assert.deepEqual(Array.from(m), [4])), 1);
  const q = new Channel("q", { capacity: 2 });
  q.send([-1n, 2n ** 62n]);
  assert.equal(q.recvWith((m) => assert.deepEqual(Array.from(m), [-1n, 2n ** 62n])), 2);
  const empty = new Channel("d", { capacity: 0 });
  empty.send([]);
  assert.equal(empty.recvWith((m) => assert.equal(m.length, 0)), 0);
});

test("Channel.recvWith: a throwing callback consumes the message, frees the slot and passes the error on", () => {
  const ch = new Channel("d", { capacity: 2 });
  ch.send([1, 2]);
  assert.throws(() =>
    ch.recvWith(() => {
      throw new Error("boom");
    }), /boom/);
  ch.send([3], { timeout: 0 });
  assert.deepEqual(Array.from(ch.recv({ timeout: 0 }) ?? []), [3]);
});

test("Channel.recvWith and recvWithAsync: null once closed and drained, timeouts, aborts; the callback is not called", async () => {
  const ch = new Channel("d", { capacity: 1, slots: 2 });
  let calls = 0;
  const count = () => void calls++;
  const t0 = performance.now();
  assert.throws(() => ch.recvWith(count, { timeout: 20 }), TimeoutError);
  assert.ok(performance.now() - t0 >= 20);
  await assert.rejects(ch.recvWithAsync(count, { timeout: 20 }), TimeoutError);
  const controller = new AbortController();
  const pending = ch.recvWithAsync(count, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  ch.send([5]);
  ch.close();
  const got: number[] = [];
  assert.equal(await ch.recvWithAsync((m) => got.push(m[0])), 1);
  assert.equal(ch.recvWith(count), null);
  assert.equal(await ch.recvWithAsync(count), null);
  assert.deepEqual(got, [5]);
  assert.equal(calls, 0);
});

test(
  "Channel.recvWithAsync: 300 messages from a worker, checked in place, in order with exact checksums",
  SLOW,
  async () => {
    const ch = new Channel("float64", { capacity: 1000, slots: 4 });
    await withProcesses(async (start) => {
      const p = start("chan_bulk_send", { args: [ch, 300, 1000] });
      let i = 0;
      for (;;) {
        const n = await ch.recvWithAsync((m) => {
          assert.equal(m[0], i, "stamp");
          let sum = 0;
          for (let j = 1; j < 999; j++) sum += m[j];
          assert.equal(m[999], sum + i, `checksum of message ${i}`);
        }, { timeout: LONG });
        if (n === null) break;
        assert.equal(n, 1000);
        i++;
      }
      assert.equal(i, 300);
      assert.equal(await p.join(LONG), 0);
    });
  },
);
