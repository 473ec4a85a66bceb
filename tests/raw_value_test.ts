import { test } from "node:test";
import assert from "node:assert/strict";
import { RawValue, type TypeName, Value } from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

test("RawValue: callable with or without new; every spelling maps to its one-letter code", () => {
  const a = RawValue("c_double", 2.5);
  const b = new RawValue("float64", 2.5);
  assert.ok(a instanceof RawValue && b instanceof RawValue);
  assert.equal(a.constructor, RawValue);
  const spellings: Array<[TypeName, string, unknown]> = [
    ["c_byte", "b", 0],
    ["uint8", "B", 0],
    ["c_short", "h", 0],
    ["c_ushort", "H", 0],
    ["int32", "i", 0],
    ["c_uint", "I", 0],
    ["c_long", "l", 0n],
    ["c_ulong", "L", 0n],
    ["bigint64", "q", 0n],
    ["c_ulonglong", "Q", 0n],
    ["float32", "f", 0],
    ["c_char", "c", "\0"],
    ["c_wchar", "u", "\0"],
    ["c_bool", "?", false],
  ];
  for (const [name, code, zero] of spellings) {
    const v = RawValue(name);
    assert.equal(v.typecode, code, name);
    assert.ok(Object.is(v.value, zero), name);
  }
  assert.equal(Value("c_int").typecode, "i");
});

test("RawValue: a 64-bit integer is never seen torn while a worker writes it", async () => {
  const v = RawValue("q");
  const stop = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("data_flip", { args: [v, stop] });
    await until(() => Atomics.load(stop, 1) > 0);
    const end = performance.now() + 150;
    let reads = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++, reads++) {
        const x = v.value;
        if (x !== 0n && x !== -1n) assert.fail(`torn read ${x}`);
      }
    }
    Atomics.store(stop, 0, 1);
    assert.equal(await p.join(), 0);
    assert.ok(reads > 0 && Atomics.load(stop, 1) > 0);
  });
});
