import { test } from "node:test";
import assert from "node:assert/strict";
import * as mp from "../mod.ts";
import { Lock, RawArray, SharedArray, SynchronizedArray, SynchronizedString, type TypeName } from "../mod.ts";
import { withProcesses } from "./_util.ts";

const CLASSES: Array<[TypeName, unknown]> = [
  ["b", Int8Array],
  ["B", Uint8Array],
  ["h", Int16Array],
  ["H", Uint16Array],
  ["i", Int32Array],
  ["I", Uint32Array],
  ["l", BigInt64Array],
  ["L", BigUint64Array],
  ["q", BigInt64Array],
  ["Q", BigUint64Array],
  ["f", Float32Array],
  ["d", Float64Array],
  ["c", Uint8Array],
  ["u", Uint16Array],
  ["?", Uint8Array],
  ["c_double", Float64Array],
  ["biguint64", BigUint64Array],
];

test("RawArray: a plain typed array on shared memory, shared by postMessage with no revive", async () => {
  for (const [code, cls] of CLASSES) {
    const a = RawArray(code, 2);
    assert.equal(Object.getPrototypeOf(a), (cls as { prototype: object }).prototype, code);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
  }
  assert.deepEqual([...RawArray("c", "hé")], [104, 0xe9], "c: one byte per character (Latin-1)");
  assert.deepEqual([...RawArray("?", [true, false])], [1, 0]);
  const xs = RawArray("d", [0.5, -1, 3]);
  const qs = RawArray(
    "q",
    (function* () {
      yield 1n;
      yield -(2n ** 62n);
    })(),
  );
  await withProcesses(async (start) => {
    assert.equal(await start("data_raw_double", { args: [xs, qs] }).join(), 0);
  });
  assert.deepEqual([...xs], [1, -2, 6]);
  assert.deepEqual([...qs], [2n, -(2n ** 63n)]);
});

test("copy and synchronized: new memory with the same contents; a lock around raw data", () => {
  const raw = RawArray("i", [1, 2, 3]);
  const c = mp.copy(raw);
  assert.ok(c instanceof Int32Array && c.buffer instanceof SharedArrayBuffer && c.buffer !== raw.buffer);
  assert.deepEqual([...c], [1, 2, 3]);
  assert.deepEqual([...mp.copy(new Float32Array([0.5]))], [0.5]);
  const sa = SharedArray("c", "héllo");
  const sc = mp.copy(sa);
  assert.ok(sc instanceof SynchronizedString && sc.getLock() !== sa.getLock());
  sc.value = "x";
  assert.equal(sa.value, "héllo");
  assert.equal(sc.value, "x");
  const v = mp.Value("q", 5n);
  const vc = mp.copy(v);
  assert.ok(vc instanceof mp.SynchronizedValue && vc.value === 5n && vc.getLock() !== v.getLock());
  const rv = mp.copy(mp.RawValue("d", -0));
  assert.ok(rv instanceof mp.RawValue && Object.is(rv.value, -0));
  assert.throws(() => mp.copy({} as never), { name: "TypeError", message: /copy\(\) takes/ });
  assert.throws(() => mp.copy(new Uint8ClampedArray(1) as never), TypeError);

  const s = mp.synchronized(raw);
  assert.ok(s instanceof SynchronizedArray);
  assert.equal(s.typecode, "i");
  assert.equal(s.getObj(), raw);
  s.set(0, 9);
  assert.equal(raw[0], 9);
  const lock = new Lock();
  assert.equal(mp.synchronized(RawArray("c", 2), lock).typecode, "B");
  assert.equal(mp.synchronized(mp.RawValue("d"), lock).getLock(), lock);
  assert.throws(() => mp.synchronized(new Int32Array(2) as never), {
    name: "TypeError",
    message: /SharedArrayBuffer/,
  });
  assert.throws(() => mp.synchronized(s as never), { name: "TypeError", message: /synchronized already/ });
});
