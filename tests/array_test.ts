import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import {
  Lock,
  RawArray,
  revive,
  RLock,
  SharedArray,
  SynchronizedArray,
  SynchronizedString,
  type TypeName,
} from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

const SEQ = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];
const CUMSUM = SEQ.map((_, i) => SEQ.slice(0, i + 1).reduce((a, b) => a + b, 0));

test("SharedArray: a worker's in-place cumulative sum is seen by the main thread (CPython _TestArray)", async () => {
  const arr = mp.Array("i", SEQ);
  const raw = mp.Array("i", SEQ, { lock: false });
  assert.deepEqual([...arr], SEQ);
  assert.equal(arr.length, SEQ.length);
  assert.ok(raw instanceof Int32Array && raw.buffer instanceof SharedArrayBuffer);
  await withProcesses(async (start) => {
    const procs = [start("data_cumsum", { args: [arr] }), start("data_cumsum", { args: [raw] })];
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0]);
  });
  assert.deepEqual([...arr], CUMSUM);
  assert.deepEqual([...raw], CUMSUM);
  assert.equal(arr.getLock().locked(), false);
});

const CODES: TypeName[] = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "c", "u", "?"];
const ZERO: Record<string, unknown> = { l: 0n, L: 0n, q: 0n, Q: 0n, c: "\0", u: "\0", "?": false };

test("SharedArray: an array from a size is zero-filled, for every typecode (CPython test_array_from_size)", () => {
  for (const code of CODES) {
    for (let round = 0; round < 3; round++) {
      const arr = SharedArray(code, 10);
      assert.equal(arr.length, 10);
      assert.deepEqual([...arr], new Array(10).fill(ZERO[code] ?? 0), code);
      assert.ok(arr.getObj().every((x: number | bigint) => x == 0), code);
      assert.equal(RawArray(code, 10).length, 10);
    }
  }
  const arr = SharedArray("i", 10);
  arr.setFrom([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...arr], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(SharedArray("d", 0).length, 0);
});

test("SharedArray: 4 workers x 200 guarded whole-array updates give exact elements and checksum", async () => {
  const n = 1000;
  const xs = SharedArray("d", n);
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("data_rounds", { args: [xs, 200] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  const snapshot = xs.slice();
  snapshot.forEach((x, k) => assert.equal(x, 800 * (k + 1)));
  assert.equal(snapshot.reduce((a, b) => a + b, 0), 800 * n * (n + 1) / 2);
});

test("SharedArray: slice and setFrom each hold the lock once: a reader never sees a torn copy", async () => {
  const xs = SharedArray("i", 20000);
  const out = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const reader = start("data_snapshot", { args: [xs, "reader", 1000, out] });
    const writer = start("data_snapshot", { args: [xs, "writer", 1000, out] });
    assert.deepEqual(await Promise.all([writer.join(), reader.join()]), [0, 0]);
  });
  assert.equal(out[0], 0, `${out[0]} torn snapshots out of ${out[1]}`);
  assert.ok(out[1] >= 1);
  assert.ok(xs.slice().every((x) => x === 1000));
});

test("SharedArray: get, at and set take negative indices; bad indices throw", () => {
  const xs = SharedArray("q", [1n, 2n, 3n]);
  assert.equal(xs.get(0), 1n);
  assert.equal(xs.get(-1), 3n);
  assert.equal(xs.at(-3), 1n);
  xs.set(-1, 30n);
  xs.set(1, -(2n ** 63n));
  assert.deepEqual([...xs], [1n, -(2n ** 63n), 30n]);
  for (const i of [3, -4, 100]) {
    assert.throws(() => xs.get(i), {
      name: "RangeError",
      message: new RegExp(`Index ${i} is out of range.*length 3`),
    });
    assert.throws(() => xs.at(i), RangeError);
    assert.throws(() => xs.set(i, 0n), RangeError);
  }
  for (const i of [1.5, NaN, "1", 1n]) {
    assert.throws(() => xs.get(i as never), { name: "TypeError", message: /index.*must be an integer/ });
  }
  assert.throws(() => xs.set(0, 1 as never), { name: "TypeError", message: /bigint, got 1/ });
  assert.throws(() => xs.set(0, 2n ** 64n), RangeError);
  assert.deepEqual([...xs], [1n, -(2n ** 63n), 30n]);
  assert.equal(xs.getLock().locked(), false);
});

test("SharedArray: slice copies (not shared), iteration is a snapshot, setFrom checks everything first", () => {
  const xs = SharedArray("h", [1, 2, 3, 4, 5]);
  const s = xs.slice(1, -1);
  assert.ok(s instanceof Int16Array && !(s.buffer instanceof SharedArrayBuffer));
  assert.deepEqual([...s], [2, 3, 4]);
  assert.deepEqual([...xs.slice()], [1, 2, 3, 4, 5]);
  assert.deepEqual([...xs.slice(-2)], [4, 5]);
  assert.throws(() => xs.slice("1" as never), TypeError);
  xs.setFrom(new Int16Array([7, 8]), 3);
  xs.setFrom(new Set([9]));
  assert.deepEqual([...xs], [9, 2, 3, 7, 8]);
  const before = [...xs];
  assert.throws(() => xs.setFrom([1, 2, 3], 3), {
    name: "RangeError",
    message: /3 elements at offset 3.*length 5/,
  });
  assert.throws(() => xs.setFrom([1], -1), RangeError);
  assert.throws(() => xs.setFrom([1], 0.5), TypeError);
  assert.throws(() => xs.setFrom([1, 2, 40000]), { name: "RangeError", message: /Element 2.*40000/ });
  assert.throws(() => xs.setFrom([1, 2, 3.5]), { name: "TypeError", message: /Element 2/ });
  assert.throws(() => xs.setFrom(5 as never), TypeError);
  assert.throws(() => xs.setFrom("12" as never), TypeError);
  assert.deepEqual([...xs], before, "a refused setFrom writes nothing");
  const it = xs[Symbol.iterator]();
  assert.equal(it.next().value, 9);
  xs.set(1, 100);
  assert.equal(it.next().value, 2, "the iterator reads its snapshot");
});

test("SharedArray: bad sizes and contents are RangeErrors or TypeErrors", () => {
  for (const size of [-1, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53]) {
    assert.throws(() => SharedArray("d", size), {
      name: "RangeError",
      message: /size of SharedArray\("d"\)/,
    });
    assert.throws(() => RawArray("i", size), { name: "RangeError", message: /size of RawArray\("i"\)/ });
  }
  assert.throws(() => SharedArray("d", 10n as never), TypeError);
  assert.throws(() => SharedArray("d", undefined as never), {
    name: "TypeError",
    message: /size or initial/,
  });
  assert.throws(() => SharedArray("d", {} as never), {
    name: "TypeError",
    message: /array-like or an iterable/,
  });
  assert.throws(() => SharedArray("q", [1n, 2] as never), {
    name: "TypeError",
    message: /Element 1.*bigint, got 2/,
  });
  assert.throws(() => RawArray("d", [1, 2n] as never), {
    name: "TypeError",
    message: /Element 1.*number, got 2n/,
  });
  assert.throws(() => RawArray("b", [128]), RangeError);
  assert.throws(() => SharedArray("?", [1] as never), TypeError);
  assert.throws(() => SharedArray("nope" as never, 3), {
    name: "TypeError",
    message: /Unknown typecode "nope"/,
  });
  assert.throws(() => SharedArray("i", 3, { lock: new Int32Array(1) as never }), {
    name: "TypeError",
    message: /lock of SharedArray\("i"\)/,
  });
  assert.throws(() => new SynchronizedArray(new Float64Array(3) as never), { name: "TypeError" });
  assert.throws(
    () => new SynchronizedArray(new Float64Array(new SharedArrayBuffer(8)), 1 as never),
    TypeError,
  );
});

test("SharedArray: a worker holding the array's lock excludes the main thread; the lock comes along", async () => {
  const xs = SharedArray("i", [1, 2]);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const holder = start("hold", { args: [xs, flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(xs.acquire({ blocking: false }), false);
    assert.equal(await xs.acquireAsync({ timeout: 20 }), false);
    Atomics.store(flags, 1, 1);
    assert.equal(await xs.acquireAsync({ timeout: 10000 }), true);
    xs.set(0, 5);
    xs.release();
    assert.equal(await holder.join(), 0);
  });
  assert.deepEqual([...xs], [5, 2]);
});

test("SharedArray: exported as Array; lock false gives the RawArray; a given lock is used", () => {
  assert.equal(mp.Array, SharedArray);
  const lock = new Lock();
  const a = SharedArray("f", [0.5], { lock });
  assert.equal(a.getLock(), lock);
  assert.ok(SharedArray("f", 3).getLock() instanceof RLock);
  const raw = SharedArray("f", [0.5], { lock: false });
  assert.ok(raw instanceof Float32Array && raw.buffer instanceof SharedArrayBuffer);
  assert.equal(a.getObj()[0], 0.5);
  assert.equal(a.typecode, "f");
  assert.equal(SharedArray("c_char", 1).typecode, "c");
});

test("SharedArray: structuredClone + revive gives live arrays on the same memory; forged parts throw", () => {
  const xs = SharedArray("d", [1, 2]);
  const s = SharedArray("c", "hi");
  const got = revive(structuredClone({ xs, s }));
  assert.ok(got.xs instanceof SynchronizedArray && !(got.xs instanceof SynchronizedString));
  assert.ok(got.s instanceof SynchronizedString);
  got.xs.set(0, 10);
  assert.equal(xs.get(0), 10);
  assert.equal(got.s.value, "hi");
  xs.acquire();
  assert.equal(got.xs.getLock().locked(), true);
  xs.release();
  assert.deepEqual(Object.keys(xs), ["__sabkit"]);
  type Rec = { __sabkit: { meta: Record<string, unknown> } };
  const forge = (f: (meta: Record<string, unknown>) => void): unknown => {
    const r = structuredClone(SharedArray("d", 2)) as unknown as Rec;
    f(r.__sabkit.meta);
    return r;
  };
  const cases: Array<[(m: Record<string, unknown>) => void, RegExp]> = [
    [(m) => (m.typecode = "x"), /typecode is "x"/],
    [(m) => (m.typecode = "i"), /SynchronizedArray\("i"\) holds a Float64Array/],
    [(m) => (m.obj = new Float64Array(2)), /holds a Float64Array/],
    [(m) => (m.lock = null), /lock is null/],
  ];
  for (const [f, message] of cases) assert.throws(() => revive(forge(f)), { name: "TypeError", message });
});

test("SharedArray: TypeScript infers element and array types from the typecode", () => {
  const d: number = SharedArray("d", 1).get(0);
  const q: bigint = SharedArray("q", 1).get(0);
  const text: string = SharedArray("c", "a").value;
  const f64: Float64Array<SharedArrayBuffer> = RawArray("float64", 1);
  const u64: BigUint64Array<SharedArrayBuffer> = SharedArray("Q", 1, { lock: false });
  const copy: Int16Array<ArrayBuffer> = SharedArray("h", 2).slice();
  const s: SynchronizedArray<"i"> = mp.synchronized(RawArray("i", 1));
  assert.deepEqual([d, q, text, f64.length, u64.length, copy.length, s.length], [0, 0n, "a", 1, 1, 2, 1]);
  // @ts-expect-error a number element in a bigint array
  assert.throws(() => SharedArray("q", [1]), TypeError);
  // @ts-expect-error numeric arrays have no text value
  assert.equal(SharedArray("d", 1).value, undefined);
});
