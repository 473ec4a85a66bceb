/**
 * What a Channel accepts as a message element: the same rule as shared data
 * (`Value`), checked on every element before anything is claimed, so a value
 * that does not fit the typecode is an error and nothing is sent. A typed
 * array of the channel's own kind is copied as it is (NaN payloads kept).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, Value } from "../mod.ts";
import { memoryOf } from "./_memory.ts";

const INTS = {
  b: [-128, 127],
  B: [0, 255],
  h: [-32768, 32767],
  H: [0, 65535],
  i: [-(2 ** 31), 2 ** 31 - 1],
  I: [0, 2 ** 32 - 1],
};
const BIGS = {
  l: [-(2n ** 63n), 2n ** 63n - 1n],
  q: [-(2n ** 63n), 2n ** 63n - 1n],
  L: [0n, 2n ** 64n - 1n],
  Q: [0n, 2n ** 64n - 1n],
};

/** The error class `Value(code, x)` throws for `x`, or undefined if it takes it. */
function valueVerdict(code: string, x: unknown): unknown {
  // Value(code, undefined) means "no initial value"; as an element, undefined is no number.
  if (x === undefined) return TypeError;
  try {
    Value(code as "d", x as number);
    return undefined;
  } catch (e) {
    return (e as Error).constructor;
  }
}

/** Sends `[ok, x]` (x at index 1): the error class, or undefined if sent; checks nothing else moved. */
function sendVerdict(ch: Channel, ok: unknown, x: unknown): unknown {
  const before = memoryOf(ch);
  try {
    ch.send([ok, x] as number[], { timeout: 0 });
  } catch (e) {
    assert.deepEqual(
      memoryOf(ch),
      before,
      `${ch.typecode} ${String(x)}: a refused message leaves the channel as it was`,
    );
    assert.match((e as Error).message, /at index 1/);
    return (e as Error).constructor;
  }
  const got = ch.recv({ timeout: 0 })!;
  assert.ok(
    Object.is(got[1], x) || got[1] === x || (typeof x === "number" && ch.typecode === "f"),
    `${ch.typecode} ${String(x)} arrives as ${got[1]}`,
  );
  return undefined;
}

test("Channel: integer channels take what Value takes: a fraction, NaN or a non-number is a TypeError, out of range a RangeError, and nothing is sent", () => {
  for (const [code, [min, max]] of Object.entries(INTS)) {
    const ch = new Channel(code as "i", { capacity: 2, slots: 1 });
    const xs = [
      min,
      max,
      -0,
      0,
      1,
      min - 1,
      max + 1,
      2 ** 40,
      -(2 ** 40),
      0.5,
      1.7,
      -1.5,
      NaN,
      Infinity,
      -Infinity,
      "1",
      1n,
      undefined,
      null,
      true,
      {},
    ];
    for (const x of xs) {
      const want = valueVerdict(code, x);
      assert.equal(sendVerdict(ch, 0, x), want, `${code}: ${String(x)}`);
    }
  }
  // The case: [2 ** 40, 1.7] on an "i" channel was sent as [0, 1].
  const i = new Channel("i", { capacity: 2 });
  assert.throws(() => i.send([2 ** 40, 1.7]), { name: "RangeError", message: /1099511627776 at index 0/ });
  assert.throws(() => i.send([1, 1.7]), { name: "TypeError", message: /1\.7 at index 1/ });
  assert.throws(() => i.recv({ timeout: 0 }));
});

test("Channel: 64-bit channels take bigints in range; float channels take any number and nothing else", () => {
  for (const [code, [min, max]] of Object.entries(BIGS)) {
    const ch = new Channel(code as "q", { capacity: 2, slots: 1 });
    for (const x of [min, max, 0n, min - 1n, max + 1n, 1, 1.5, "1", undefined]) {
      assert.equal(sendVerdict(ch, 0n, x), valueVerdict(code, x), `${code}: ${String(x)}`);
    }
  }
  for (const code of ["f", "d"]) {
    const ch = new Channel(code as "d", { capacity: 2, slots: 1 });
    for (
      const x of [0, -0, 1.5, NaN, Infinity, -Infinity, 1e300, 2 ** 53 + 1, "1", 1n, undefined, null, true]
    ) {
      assert.equal(sendVerdict(ch, 0, x), valueVerdict(code, x), `${code}: ${String(x)}`);
    }
  }
});

test("Channel: typed arrays of another kind are checked element by element; ones whose every value fits are copied as they are", () => {
  const i = new Channel("i", { capacity: 4, slots: 4 });
  assert.throws(() => i.send(new Float64Array([1, 1.5])), { name: "TypeError", message: /1\.5 at index 1/ });
  assert.throws(() => i.send(new Uint32Array([2 ** 32 - 1])), { name: "RangeError", message: /at index 0/ });
  assert.throws(() => i.send(new Float32Array([NaN])), TypeError);
  i.send(new Float64Array([3, -4]));
  i.send(new Int16Array([-32768, 7]));
  i.send(new Uint8ClampedArray([255]));
  assert.deepEqual(i.recv({ timeout: 0 }), new Int32Array([3, -4]));
  assert.deepEqual(i.recv({ timeout: 0 }), new Int32Array([-32768, 7]));
  assert.deepEqual(i.recv({ timeout: 0 }), new Int32Array([255]));
  const q = new Channel("q", { capacity: 1, slots: 1 });
  assert.throws(() => q.send(new BigUint64Array([2n ** 63n])), { name: "RangeError", message: /at index 0/ });
  q.send(new BigUint64Array([2n ** 63n - 1n]));
  assert.deepEqual(q.recv({ timeout: 0 }), new BigInt64Array([2n ** 63n - 1n]));
});

test("Channel: a fake, a swapped prototype or an own length cannot pass for a typed array of the channel's kind", () => {
  const i = new Channel("i", { capacity: 2, slots: 2 });
  // A Float64Array dressed as an Int32Array: its values are checked as a Float64Array's.
  const dressed = Object.setPrototypeOf(new Float64Array([1.5]), Int32Array.prototype) as Int32Array;
  assert.ok(dressed instanceof Int32Array);
  assert.throws(() => i.send(dressed), { name: "TypeError", message: /1\.5 at index 0/ });
  // An object that only inherits from Int32Array.prototype is an array-like like any other.
  const fake = Object.defineProperties(Object.create(Int32Array.prototype), {
    length: { value: 2 },
    0: { value: 1 },
    1: { value: "x" },
  });
  assert.throws(() => i.send(fake), { name: "TypeError", message: /"x" at index 1/ });
  // A typed array whose own `length` lies: its real length counts.
  const long = Object.defineProperty(new Int32Array(3), "length", { value: 1 });
  assert.throws(() => i.send(long), { name: "RangeError", message: /3 elements/ });
  const short = Object.defineProperty(new Int32Array([5, 6]), "length", { value: 1000 });
  const d = new Channel("d", { capacity: 2, slots: 2 });
  d.send(Object.setPrototypeOf(new Int32Array([5, 6]), Float64Array.prototype));
  i.send(short);
  assert.deepEqual(i.recv({ timeout: 0 }), new Int32Array([5, 6]));
  assert.deepEqual(d.recv({ timeout: 0 }), new Float64Array([5, 6]));
});

/** A typed array's bytes, to compare NaN payloads. */
function bytes(x: ArrayBufferView): number[] {
  return Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
}

test("Channel: NaN payloads of the channel's own kind arrive bit for bit", () => {
  const payloads = {
    d: [0x7ff8_0000_dead_beefn, 0xfff0_0000_0000_0001n, 0x7ff0_0000_0000_0002n],
    f: [0x7fc0_beef, 0xff80_0001, 0x7f80_0002],
  };
  for (const code of ["d", "f"] as const) {
    const ch = new Channel(code, { capacity: 3, slots: 2 });
    const msg = code === "d" ? new Float64Array(3) : new Float32Array(3);
    if (code === "d") new BigUint64Array(msg.buffer).set(payloads.d);
    else new Uint32Array(msg.buffer).set(payloads.f);
    const want = bytes(msg);
    ch.send(msg);
    ch.send(msg);
    assert.deepEqual(bytes(ch.recv({ timeout: 0 })!), want, `${code}: recv`);
    const into = code === "d" ? new Float64Array(3) : new Float32Array(3);
    ch.recvInto(into, { timeout: 0 });
    assert.deepEqual(bytes(into), want, `${code}: recvInto`);
    ch.send(msg);
    ch.recvWith((m) => assert.deepEqual(bytes(m), want, `${code}: recvWith`));
  }
});

test("Channel: sending a typed array whose buffer was detached is a TypeError that says so, not an empty message", async () => {
  for (const View of [Float64Array, Int32Array]) {
    const ch = new Channel("d", { capacity: 2, slots: 1 });
    const msg = new View(2);
    ch.send(msg);
    ch.recv({ timeout: 0 });
    msg.buffer.transfer();
    const before = memoryOf(ch);
    assert.throws(() => ch.send(msg), { name: "TypeError", message: /detached/ });
    await assert.rejects(ch.sendAsync(msg), { name: "TypeError", message: /detached/ });
    assert.deepEqual(memoryOf(ch), before);
    ch.send(new View(0));
    assert.equal(ch.recv({ timeout: 0 })!.length, 0, "an empty typed array is an empty message");
  }
});
