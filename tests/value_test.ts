import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Lock,
  RawValue,
  revive,
  RLock,
  SharedArray,
  synchronized,
  SynchronizedValue,
  TimeoutError,
  type TypeName,
  Value,
} from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

/** CPython's `_TestValue.codes_values`: code, initial value, value a worker writes. */
const CODES_VALUES: Array<[TypeName, unknown, unknown]> = [
  ["i", 4 << 24, 1 << 24],
  ["d", 3.625, -4.25],
  ["h", -232, 234],
  ["q", 2n ** 33n, 2n ** 34n],
  ["c", "x", "y"],
];

test("Value: i d h q c read back their initial values and see a worker's writes (CPython _TestValue)", async () => {
  const values = CODES_VALUES.map(([code, init]) => Value(code, init as never));
  const raws = CODES_VALUES.map(([code, init]) => RawValue(code, init as never));
  const unlocked = CODES_VALUES.map(([code, init]) => Value(code, init as never, { lock: false }));
  for (const [i, [, init]] of CODES_VALUES.entries()) {
    assert.equal(values[i].value, init);
    assert.equal(raws[i].value, init);
    assert.equal(unlocked[i].value, init);
  }
  const next = CODES_VALUES.map(([, , v]) => v);
  await withProcesses(async (start) => {
    const targets = [...values, ...raws, ...unlocked];
    assert.equal(await start("data_set_values", { args: [targets, [...next, ...next, ...next]] }).join(), 0);
  });
  for (const [i, [, , written]] of CODES_VALUES.entries()) {
    assert.equal(values[i].value, written);
    assert.equal(raws[i].value, written);
    assert.equal(unlocked[i].value, written);
  }
});

test("Value: 4 workers x 5,000 guarded `v.value += 1` give exactly 20,000", async () => {
  const v = Value("i", 0);
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("data_add", { args: [v, 5000, true] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  assert.equal(v.value, 20000);
  assert.equal(v.getLock().locked(), false);
});

test("Value: an unguarded `v.value += 1` is two acquisitions and may lose updates, as in Python", async () => {
  const v = Value("i", 0);
  await withProcesses(async (start) => {
    const procs = [0, 1, 2, 3].map(() => start("data_add", { args: [v, 5000, false] }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.join())), [0, 0, 0, 0]);
  });
  // Every single read and write is whole; only increments can be lost.
  assert.ok(v.value >= 1 && v.value <= 20000, `got ${v.value}`);
  assert.equal(v.getLock().locked(), false);
});

const F32_MAX = 3.4028234663852886e38;

const EXTREMES: Array<[TypeName, unknown[]]> = [
  ["b", [-128, 127, 0]],
  ["B", [0, 255]],
  ["h", [-32768, 32767]],
  ["H", [0, 65535]],
  ["i", [-(2 ** 31), 2 ** 31 - 1]],
  ["I", [0, 2 ** 32 - 1]],
  ["l", [-(2n ** 63n), 2n ** 63n - 1n]],
  ["L", [0n, 2n ** 64n - 1n]],
  ["q", [-(2n ** 63n), 2n ** 63n - 1n, -1n]],
  ["Q", [0n, 2n ** 64n - 1n]],
  ["f", [NaN, Infinity, -Infinity, -0, F32_MAX, -F32_MAX, 2 ** -149, 0.5]],
  ["d", [NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 0.1]],
  ["c", ["\0", "\xff", "A"]],
  ["u", ["\0", "\uffff", "\ud800", "é"]],
  ["?", [true, false]],
];

test("Value: every typecode round-trips its extreme values through a worker", async () => {
  const from: Array<SynchronizedValue | RawValue> = [];
  const to: Array<SynchronizedValue | RawValue> = [];
  const expected: unknown[] = [];
  for (const [code, xs] of EXTREMES) {
    for (const [j, x] of xs.entries()) {
      from.push(j % 2 === 0 ? Value(code, x as never) : RawValue(code, x as never));
      to.push(j % 2 === 0 ? RawValue(code) : Value(code));
      expected.push(x);
    }
  }
  from.forEach((v, i) => assert.ok(Object.is(v.value, expected[i]), `${v.typecode} ${String(expected[i])}`));
  await withProcesses(async (start) => {
    assert.equal(await start("data_echo", { args: [from, to] }).join(), 0);
  });
  to.forEach((v, i) => assert.ok(Object.is(v.value, expected[i]), `${v.typecode} ${String(expected[i])}`));
});

test("Value: a worker holding the value's lock excludes the main thread; the lock comes along", async () => {
  const v = Value("d", 1.5);
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const holder = start("hold", { args: [v, flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(v.acquire({ blocking: false }), false);
    assert.equal(v.getLock().locked(), true);
    assert.throws(() => v.guard({ timeout: 20 }), TimeoutError);
    const pending = v.guardAsync({ timeout: 10000 });
    Atomics.store(flags, 1, 1);
    {
      using _ = await pending;
      v.value += 1;
    }
    assert.equal(await holder.join(), 0);
  });
  assert.equal(v.value, 2.5);
  assert.equal(v.getLock().locked(), false);
});

test("Value: a given Lock is shared by several values and guards them all", async () => {
  const lock = new Lock();
  const a = Value("i", 1, { lock });
  const b = Value("q", 2n, { lock });
  assert.equal(a.getLock(), lock);
  assert.equal(b.getLock(), lock);
  const out = new Int32Array(new SharedArrayBuffer(4));
  b.acquire();
  await withProcesses(async (start) => {
    // The worker's `a` arrives with the same lock, which main holds through `b`.
    assert.equal(await start("try_acquire", { args: [a, out, 30] }).join(), 0);
    assert.equal(out[0], 2);
    b.release();
    assert.equal(await start("try_acquire", { args: [a, out, 5000] }).join(), 0);
    assert.equal(out[0], 1);
  });
  // With a plain Lock, `.value` inside a guard would deadlock: use getObj() there.
  {
    using _ = a.guard();
    a.getObj().value += 1;
  }
  assert.equal(a.value, 2);
});

test("Value: lock true, false, a Lock or an RLock; getObj and getLock; RLock guard re-enters", () => {
  const v = Value("i", 3);
  assert.ok(v instanceof SynchronizedValue);
  assert.ok(v.getLock() instanceof RLock);
  assert.ok(v.getObj() instanceof RawValue);
  assert.equal(Value("i", 0, { lock: true }).getLock() instanceof RLock, true);
  const raw = Value("i", 4, { lock: false });
  assert.ok(raw instanceof RawValue);
  assert.ok(!(raw instanceof SynchronizedValue));
  const rlock = new RLock();
  assert.equal(Value("h", 0, { lock: rlock }).getLock(), rlock);
  {
    using _ = v.guard();
    v.value += 1;
    assert.equal(v.getLock().locked(), true);
  }
  assert.equal(v.value, 4);
  assert.equal(v.getLock().locked(), false);
  v.getObj().value = 9;
  assert.equal(v.value, 9);
});

test("Value: structuredClone + revive gives a live value on the same memory, with the same lock", () => {
  const v = Value("q", 5n);
  const r = RawValue("u", "z");
  const got = revive(structuredClone({ v, r }));
  assert.ok(got.v instanceof SynchronizedValue);
  assert.ok(got.r instanceof RawValue);
  got.v.value = 6n;
  assert.equal(v.value, 6n);
  got.r.value = "y";
  assert.equal(r.value, "y");
  v.acquire();
  assert.equal(got.v.getLock().locked(), true);
  v.release();
  assert.deepEqual(Object.keys(v), ["__sabkit"]);
});

test("Value: wrong kinds are TypeErrors, out-of-range integers RangeErrors, and nothing changes", () => {
  assert.throws(() => Value("x" as never), (e) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /Unknown typecode "x".*b B h H i I l L q Q f d c u \?.*c_double.*float64/);
    return true;
  });
  assert.throws(() => RawValue("int64" as never), { name: "TypeError", message: /"int64"/ });
  const bad: Array<[TypeName, unknown, string, RegExp]> = [
    ["i", 1.5, "TypeError", /integer.*1\.5/],
    ["i", "1", "TypeError", /integer.*"1"/],
    ["i", 2 ** 31, "RangeError", /between -2147483648 and 2147483647, got 2147483648/],
    ["B", -1, "RangeError", /between 0 and 255/],
    ["q", 1, "TypeError", /bigint, got 1/],
    ["Q", -1n, "RangeError", /got -1n/],
    ["q", 2n ** 63n, "RangeError", /9223372036854775807n/],
    ["d", 1n, "TypeError", /number, got 1n/],
    ["c", "ab", "TypeError", /1-character string.*"ab"/],
    ["c", "€", "TypeError", /from U\+0000 to U\+00FF \(one byte\), got "€" \(U\+20AC\).*\.raw/],
    ["u", "😀", "TypeError", /1-character string/],
    ["?", 1, "TypeError", /boolean, got 1/],
  ];
  for (const [code, x, name, message] of bad) {
    assert.throws(() => Value(code, x as never), { name, message }, `Value ${code} ${String(x)}`);
    const v = Value(code);
    const before = v.value;
    assert.throws(() => (v.value = x as never), { name, message }, `set ${code} ${String(x)}`);
    assert.ok(Object.is(v.value, before));
    assert.equal(v.getLock().locked(), false, "a refused write releases the lock");
    const raw = RawValue(code);
    assert.throws(() => (raw.value = x as never), { name, message });
    assert.ok(Object.is(raw.value, before));
  }
  assert.throws(() => Value("i", 0, { lock: {} as never }), {
    name: "TypeError",
    message: /lock of Value\("i"\) must be a boolean, a Lock or an RLock/,
  });
  assert.throws(() => Value("i", 0, { lock: "yes" as never }), { name: "TypeError" });
  assert.throws(() => Value("i", 0, 5 as never), { name: "TypeError", message: /options/ });
  assert.throws(() => new SynchronizedValue({ value: 1 } as never), { name: "TypeError" });
  const raw = RawValue("i");
  assert.throws(() => synchronized(raw, {} as never), { name: "TypeError", message: /Lock or an RLock/ });
  assert.throws(() => synchronized(Value("i") as never), {
    name: "TypeError",
    message: /synchronized already/,
  });
});

test("Value: forged handles are TypeErrors", () => {
  type Rec = { __sabkit: { meta: Record<string, unknown> } };
  const raw = structuredClone(RawValue("i")) as unknown as Rec;
  raw.__sabkit.meta.typecode = "z";
  assert.throws(() => revive(raw), { name: "TypeError", message: /RawValue typecode is "z"/ });
  const sv = structuredClone(Value("i")) as unknown as Rec;
  sv.__sabkit.meta.obj = sv.__sabkit.meta.lock;
  assert.throws(() => revive(sv), {
    name: "TypeError",
    message: /holds an RLock|holds a RLock, not a RawValue/,
  });
  const sl = structuredClone(Value("i")) as unknown as Rec;
  sl.__sabkit.meta.lock = 5;
  assert.throws(() => revive(sl), { name: "TypeError", message: /lock is 5/ });
});

test("Value: TypeScript infers the value type from the typecode", () => {
  const d: number = Value("d").value;
  const q: bigint = Value("c_longlong", 1n).value;
  const c: string = Value("c", "a").value;
  const flag: boolean = RawValue("?", true).value;
  const raw: RawValue<"i"> = Value("int32", 1, { lock: false });
  assert.deepEqual([d, q, c, flag, raw.value], [0, 1n, "a", true, 1]);
  // @ts-expect-error a number where a bigint is expected
  assert.throws(() => Value("q", 1), TypeError);
  // @ts-expect-error a bigint where a number is expected
  assert.throws(() => RawValue("d", 1n), TypeError);
  // @ts-expect-error an unknown typecode
  assert.throws(() => Value("z"), TypeError);
});

test("Value/Array: a look-alike lock (Object.create(Lock.prototype)) is a TypeError", () => {
  const fake = Object.create(Lock.prototype);
  assert.throws(() => Value("i", 0, { lock: fake }), { name: "TypeError", message: /look-alike/ });
  assert.throws(() => SharedArray("i", 2, { lock: fake }), { name: "TypeError", message: /look-alike/ });
});
