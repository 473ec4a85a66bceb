import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { decodeValue, ValueEncoder } from "../src/queue/_value_codec.ts";
import { Lock, revive } from "../mod.ts";
import { assertSameAsClone, mulberry32, randomValue, sampleValues } from "./_values.ts";

/** Encodes and decodes `value` as a queue does, with the bytes copied out of the scratch buffer. */
function roundTrip(value: unknown, encoder: ValueEncoder = new ValueEncoder()): unknown {
  const shared: SharedArrayBuffer[] = [];
  const bytes = encoder.encode(value, shared).slice();
  return decodeValue(bytes, shared);
}

function check(value: unknown, encoder?: ValueEncoder): void {
  assertSameAsClone(roundTrip(value, encoder), value);
}

test("codec: every kind on the list arrives as structuredClone gives it", () => {
  const encoder = new ValueEncoder();
  for (const [name, value] of sampleValues()) {
    try {
      check(value, encoder);
      check([value, value, { value }], encoder);
    } catch (e) {
      (e as Error).message = `${name}: ${(e as Error).message}`;
      throw e;
    }
  }
});

test("codec: a decoded error has its prototype, own message, stack and a non-enumerable cause", () => {
  const original = new TypeError("outer", { cause: { code: 7 } });
  const e = roundTrip(original) as TypeError;
  assert.ok(e instanceof TypeError);
  assert.equal(Error.isError(e), true);
  assert.equal(e.stack, original.stack);
  assert.deepEqual(Object.getOwnPropertyDescriptor(e, "message"), {
    value: "outer",
    writable: true,
    enumerable: false,
    configurable: true,
  });
  assert.deepEqual(e.cause, { code: 7 });
  assert.equal(Object.getOwnPropertyDescriptor(e, "cause")?.enumerable, false);
});

test("codec: 12,000 seeded random values of every kind arrive as structuredClone gives them", () => {
  const encoder = new ValueEncoder();
  for (let seed = 1; seed <= 12_000; seed++) {
    const value = randomValue(mulberry32(seed), 1 + (seed % 5));
    try {
      check(value, encoder);
    } catch (e) {
      (e as Error).message = `seed ${seed}: ${(e as Error).message}`;
      throw e;
    }
  }
});

test("codec: a SharedArrayBuffer travels by reference, once per buffer, as views on the same memory", () => {
  const sab = new SharedArrayBuffer(16);
  const other = new SharedArrayBuffer(8);
  const view = new Int32Array(sab, 4, 2);
  const value = { sab, view, again: new Uint8Array(sab), other, list: [other, sab] };
  const shared: SharedArrayBuffer[] = [other];
  const bytes = new ValueEncoder().encode(value, shared).slice();
  assert.equal(shared.length, 2);
  assert.equal(shared[0], other);
  assert.equal(shared[1], sab);
  const out = decodeValue(bytes, shared) as typeof value;
  assert.equal(out.sab, sab);
  assert.equal(out.other, other);
  assert.equal(out.list[1], sab);
  assert.ok(out.view instanceof Int32Array);
  assert.equal(out.view.buffer, sab);
  assert.equal(out.view.byteOffset, 4);
  assert.equal(out.view.length, 2);
  out.view[0] = 1234;
  assert.equal(view[0], 1234);
  assert.equal(out.again.buffer, sab);
  // A SharedArrayBuffer given to a worker is another object on the same memory: that works too.
  const elsewhere = [structuredClone(other), structuredClone(sab)];
  const there = decodeValue(bytes, elsewhere) as typeof value;
  there.view[1] = 99;
  assert.equal(view[1], 99);
});

test("codec: a Lock inside a value arrives, once revived, live on the same memory", () => {
  const lock = new Lock();
  const shared: SharedArrayBuffer[] = [];
  const bytes = new ValueEncoder().encode({ job: 1, lock }, shared).slice();
  assert.ok(shared.length > 0);
  const out = revive(decodeValue(bytes, shared)) as { job: number; lock: Lock };
  assert.ok(out.lock instanceof Lock);
  assert.notEqual(out.lock, lock);
  assert.equal(out.lock.acquire({ blocking: false }), true);
  assert.equal(lock.locked(), true);
  assert.equal(lock.acquire({ blocking: false }), false);
  out.lock.release();
  assert.equal(lock.locked(), false);
});

test("codec: what structuredClone refuses is a TypeError naming its kind and path; the encoder stays usable", () => {
  const encoder = new ValueEncoder();
  const sab = new SharedArrayBuffer(8);
  function* gen(): Generator<number> {
    yield 1;
  }
  const cases: [unknown, RegExp][] = [
    [() => 1, /^a function .* at value cannot be sent/],
    [{ a: [1, function named() {}] }, /^a function \(function named\) at value\.a\[1\] cannot/],
    [Symbol("s"), /^a symbol at value cannot/],
    [{ "odd key": { s: Symbol.iterator } }, /^a symbol at value\["odd key"\]\.s cannot/],
    [new WeakMap(), /^a WeakMap at value cannot/],
    [[new WeakSet()], /^a WeakSet at value\[0\]/],
    [{ r: new WeakRef({}) }, /^a WeakRef at value\.r/],
    [Promise.resolve(1), /^a Promise at value/],
    [new Map([["k", { f: Math.max }]]), /at value\.get\("k"\)\.f cannot/],
    [new Set([1, Symbol()]), /^a symbol at value \(a Set element\)/],
    [Object(Symbol("w")), /^a Symbol at value/],
    [new Error("e", { cause: () => 0 }), /at value\.cause cannot/],
    [gen(), /Generator/],
    [new Map().keys(), /Map Iterator/],
    [{ sab, bad: [() => 0] }, /at value\.bad\[0\]/],
  ];
  for (const [value, message] of cases) {
    const shared: SharedArrayBuffer[] = [];
    assert.throws(() => encoder.encode(value, shared), (e: unknown) => {
      assert.ok(e instanceof TypeError, `${String(e)}`);
      assert.match(e.message, message);
      return true;
    });
    assert.equal(shared.length, 0, "shared left as it was");
    check({ after: [1, "two", new Map([[3, 4]])] }, encoder);
  }
});

test("codec: an encode from inside an encode (a getter sending on the same end) is an Error, and the encoder stays usable", () => {
  const encoder = new ValueEncoder();
  const value = {
    get sneaky(): number {
      encoder.encode("inner", []);
      return 1;
    },
  };
  assert.throws(() => encoder.encode(value, []), { name: "Error", message: /called again while encoding/ });
  check({ after: "fine" }, encoder);
});

test("codec: decode copies everything out: the bytes changed afterwards leave the value as it was", () => {
  const buf = new ArrayBuffer(8);
  new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8]);
  const value = {
    s: "short",
    l: "long string ".repeat(20),
    u: "ü😀".repeat(100),
    w: "lone\ud800".repeat(30),
    buf,
    f: new Float64Array([1.5, 2.5]),
    v: new DataView(buf, 2, 3),
    big: 2n ** 100n,
    d: new Date(5),
  };
  const shared: SharedArrayBuffer[] = [];
  const encoded = new ValueEncoder().encode(value, shared);
  // Decoded from shared memory, as a queue does (browsers' TextDecoder refuses views on it).
  const memory = new Uint8Array(new SharedArrayBuffer(encoded.length + 13), 13);
  memory.set(encoded);
  const out = decodeValue(memory, shared);
  memory.fill(0xee);
  assertSameAsClone(out, value);
});

test("codec: buffers of every size decode from shared memory at any offset", () => {
  const encoder = new ValueEncoder();
  const memory = new SharedArrayBuffer(1 << 16);
  for (const size of [0, 7, 63, 64, 65, 800, 4096 + 3]) {
    const bytes = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
    const value = {
      b: bytes.buffer,
      f: new Float64Array(bytes.buffer, 0, size >> 3),
      tail: new Uint8Array(bytes.buffer, size >> 1),
      r: new ArrayBuffer(size, { maxByteLength: size + 8 }),
    };
    new Uint8Array(value.r).set(bytes);
    const shared: SharedArrayBuffer[] = [];
    const encoded = encoder.encode(value, shared);
    for (const offset of [0, 1, 3, 8, 13]) {
      const at = new Uint8Array(memory, offset, encoded.length);
      at.set(encoded);
      const out = decodeValue(at, shared);
      new Uint8Array(memory).fill(0x5a);
      assertSameAsClone(out, value);
    }
  }
});

test("codec: large values: a 10 MB string, a 10 MB string with a lone surrogate, a million-element array", () => {
  const encoder = new ValueEncoder();
  const ascii = "abcdefghij".repeat(1_000_000);
  assert.equal(roundTrip(ascii, encoder), ascii);
  const wide = "日本".repeat(2_500_000) + "\ud800";
  assert.equal(roundTrip(wide, encoder), wide);
  const numbers = Array.from({ length: 1_000_000 }, (_, i) => (i % 3 ? i : i + 0.5));
  assert.deepEqual(roundTrip(numbers, encoder), numbers);
  const records = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `r${i}` }));
  assert.deepEqual(roundTrip(records, encoder), records);
  const big = new Float64Array(1_000_000).map((_, i) => i / 3);
  assert.deepEqual(roundTrip(big, encoder), big);
  // The scratch buffer shrinks back after a huge value, and still works.
  check({ small: true }, encoder);
});

test("codec: truncated or foreign bytes are a RangeError, not a wrong value", () => {
  const shared: SharedArrayBuffer[] = [];
  const bytes = new ValueEncoder().encode({ a: [1, 2, "three"], m: new Map([[1, 2]]) }, shared).slice();
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeValue(bytes.subarray(0, n), shared), RangeError, `cut at ${n}`);
  }
  assert.throws(() => decodeValue(new Uint8Array([0x7f]), shared), RangeError);
  assert.throws(() => decodeValue(new Uint8Array([23, 0]), []), RangeError);
});

test("codec: as in a browser (no Buffer, a TextDecoder refusing shared memory), every kind still arrives", () => {
  const script = new URL("./workers/queue_codec_web.ts", import.meta.url).pathname;
  const args = "Deno" in globalThis ? ["run", "--allow-read", script] : [script];
  const run = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^ok \d+/m);
});

test("codec: key lists kept across values (SHAPE_DEF) on both sides: same, rotating, colliding, odd and long keys", () => {
  const encoder = new ValueEncoder();
  const rand = mulberry32(18);
  // Key lists the encoder meets again and again, more than it keeps (16), with keys that are odd for JavaScript.
  const lists: string[][] = [];
  for (let s = 0; s < 40; s++) {
    const n = 1 + (s % 7);
    lists.push(
      Array.from({ length: n }, (_, k) => ["id", "kind", "__proto__", "\ud800", "é", "", "a b", "0x"][k] + s),
    );
  }
  lists.push(["__proto__"], ["x".repeat(2000)], ["k", "x".repeat(1100)], ["1", "0"], ["b", "a"], ["a", "b"]);
  for (let i = 0; i < 3000; i++) {
    const keys = lists[Math.floor(rand() * lists.length)];
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      Object.defineProperty(o, k, {
        value: i * 7 + k.length,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    const value = rand() < 0.3 ? [o, { ...o }, o] : o;
    try {
      check(value, encoder);
    } catch (e) {
      (e as Error).message = `value ${i} (keys ${JSON.stringify(keys)}): ${(e as Error).message}`;
      throw e;
    }
  }
  // A decoder that meets a list first from another encoder (another producer) reads it the same.
  for (const keys of lists.slice(0, 5)) {
    const o = Object.fromEntries(keys.map((k) => [k, k]));
    const fresh = new ValueEncoder();
    assertSameAsClone(roundTrip(o, fresh), o);
    assertSameAsClone(roundTrip(o, encoder), o);
  }
});
