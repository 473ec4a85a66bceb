import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeValue, ValueEncoder } from "../src/queue/_value_codec.ts";
import { Lock, revive } from "../mod.ts";
import { assertSameAsClone, mulberry32, randomValue, VIEW_CLASSES } from "./_values.ts";

/** Encodes and decodes `value` as a queue does, with the bytes copied out of the scratch buffer. */
function roundTrip(value: unknown, encoder: ValueEncoder = new ValueEncoder()): unknown {
  const shared: SharedArrayBuffer[] = [];
  const bytes = encoder.encode(value, shared).slice();
  return decodeValue(bytes, shared);
}

function check(value: unknown, encoder?: ValueEncoder): void {
  assertSameAsClone(roundTrip(value, encoder), value);
}

const F16 = (globalThis as Record<string, unknown>).Float16Array as Float64ArrayConstructor | undefined;

/** One value of each kind on the list, named. */
function kinds(): [string, unknown][] {
  const sparse: unknown[] = [1, , 3];
  const withProps = Object.assign([1, 2], { extra: "x", "-1": 9 });
  const buf = new ArrayBuffer(16);
  new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const cyclic: Record<string, unknown> = { name: "c" };
  cyclic.self = cyclic;
  const shared = { n: 1 };
  const rab = new ArrayBuffer(8, { maxByteLength: 64 });
  const re = /a(?<n>b+)/gimsuyd;
  re.lastIndex = 5;
  const nullProto = Object.create(null);
  nullProto.a = 1;
  const cause = new RangeError("inner", { cause: 42 });
  const errSelf = new Error("self");
  errSelf.cause = errSelf;
  const list: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["true", true],
    ["false", false],
    ["0", 0],
    ["-0", -0],
    ["127", 127],
    ["128", 128],
    ["-1", -1],
    ["int32 min", -(2 ** 31)],
    ["int32 max", 2 ** 31 - 1],
    ["2^53", 2 ** 53],
    ["1.5", 1.5],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["MIN_VALUE", Number.MIN_VALUE],
    ["bigint 0", 0n],
    ["bigint -1", -1n],
    ["bigint int64 min", -(2n ** 63n)],
    ["bigint 2^64", 2n ** 64n],
    ["bigint -2^200-1", -(2n ** 200n) - 1n],
    ["empty string", ""],
    ["ascii", "hello"],
    ["latin1", "héllo ÿ"],
    ["bmp", "日本語"],
    ["astral", "😀🎉"],
    ["lone high", "\ud800"],
    ["lone low in text", "a\udc00b"],
    ["high at end", "abc\ud83d"],
    ["long ascii", "x".repeat(1000)],
    ["long unicode", "é😀日".repeat(500)],
    ["long lone surrogate", "y".repeat(500) + "\udfff"],
    ["array", [1, "a", true, null, undefined]],
    ["holes", sparse],
    ["trailing holes", Object.assign([1], { length: 4 })],
    ["array props", withProps],
    ["regexp match array", "xabbby".match(/a(?<n>b+)/)],
    ["nested", { a: [{ b: { c: [1, [2, [3]]] } }] }],
    ["object", { id: 123, kind: "put", payload: [1.5, "abc", true] }],
    ["__proto__ key", JSON.parse('{"__proto__": {"x": 1}, "a": 2}')],
    ["integer keys", { 2: "b", 1: "a", x: "c", "-1": "d" }],
    ["null prototype", nullProto],
    [
      "class instance",
      new (class P {
        x = 1;
        #hidden = 2;
        get hidden(): number {
          return this.#hidden;
        }
      })(),
    ],
    ["getter", {
      get g(): number {
        return 7;
      },
    }],
    ["non-enumerable", Object.defineProperty({ a: 1 }, "h", { value: 2, enumerable: false })],
    ["symbol key dropped", { [Symbol("s")]: 1, a: 2 }],
    ["map", new Map<unknown, unknown>([[1, "a"], ["k", { v: 1 }], [{ o: 1 }, [2]], [NaN, -0]])],
    ["set", new Set<unknown>([1, "a", { o: 1 }, -0, NaN])],
    ["date", new Date(1_700_000_000_123)],
    ["invalid date", new Date(NaN)],
    ["regexp", re],
    ["regexp v", new RegExp(String.raw`[\p{L}--[a-z]]`, ["v"].join(""))],
    ["arraybuffer", buf],
    ["empty arraybuffer", new ArrayBuffer(0)],
    ["resizable arraybuffer", rab],
    ["views sharing a buffer", {
      a: new Uint8Array(buf, 4, 4),
      b: new DataView(buf, 8),
      c: new Int32Array(buf, 4, 2),
      d: buf,
    }],
    ["view on a resizable buffer", new Uint16Array(rab, 2, 2)],
    ["node-like Uint8Array subclass", new (class Bytes extends Uint8Array {})([1, 2, 3])],
    ...VIEW_CLASSES.map((V): [string, unknown] => {
      const b = new ArrayBuffer(48);
      new Uint8Array(b).forEach((_, i, a) => (a[i] = i * 7));
      return [V.name, new V(b, 8, V === DataView ? 24 : 3)];
    }),
    ["error", new Error("boom")],
    ["error no message", new RangeError()],
    ["error types", [
      new EvalError("e"),
      new ReferenceError("r"),
      new SyntaxError("s"),
      new TypeError("t"),
      new URIError("u"),
    ]],
    ["error with cause", new TypeError("outer", { cause })],
    ["error cause undefined", new Error("u", { cause: undefined })],
    ["error cause itself", errSelf],
    ["custom error name", Object.assign(new Error("n"), { name: "Custom" })],
    ["renamed error", Object.assign(new Error("n"), { name: "SyntaxError" })],
    ["error subclass", new (class MyError extends Error {})("sub")],
    ["aggregate error", new AggregateError([1], "agg")],
    ["error message number", Object.assign(new Error(), { message: 42 })],
    ["DOMException", new DOMException("gone", "AbortError")],
    ["wrappers", [
      Object(1n),
      new Number(-0),
      new Number(NaN),
      new String("s\ud800"),
      new Boolean(false),
      new Boolean(true),
    ]],
    ["big bigint wrapper", Object(-(2n ** 100n))],
    ["cycle", cyclic],
    ["shared references", [shared, shared, { s: shared }]],
    [
      "map cycle",
      (() => {
        const m = new Map<unknown, unknown>();
        m.set(m, m);
        return m;
      })(),
    ],
    ["records", Array.from({ length: 20 }, (_, i) => i % 3 ? { id: i, kind: "put", v: [i] } : { other: i })],
    ["shapes with __proto__", [JSON.parse('{"__proto__": 1}'), JSON.parse('{"__proto__": 2}')]],
  ];
  if (F16 !== undefined) list.push(["Float16Array", new F16([1.5, -0, NaN, 65504])]);
  return list;
}

test("codec: every kind on the list arrives as structuredClone gives it", () => {
  const encoder = new ValueEncoder();
  for (const [name, value] of kinds()) {
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
