import { test } from "node:test";
import assert from "node:assert/strict";
import { SharedArray, SynchronizedArray, SynchronizedString } from "../mod.ts";
import { withProcesses } from "./_util.ts";

test("SharedArray: c arrays have UTF-8 .value and .raw, u arrays .value; a worker's text is seen", async () => {
  const c = SharedArray("c", 8);
  const u = SharedArray("u", "wide");
  assert.ok(c instanceof SynchronizedString && c instanceof SynchronizedArray);
  assert.equal(c.value, "");
  c.value = "héllo";
  assert.equal(c.value, "héllo");
  assert.deepEqual([...c.raw], [104, 195, 169, 108, 108, 111, 0, 0]);
  assert.equal(c.get(0), "h");
  assert.throws(() => (c.value = "123456789"), {
    name: "RangeError",
    message: /at most 8 UTF-8 bytes, got 9/,
  });
  assert.equal(c.value, "héllo", "a too-long value changes nothing");
  c.value = "12345678";
  assert.equal(c.value, "12345678");
  c.value = "ab";
  assert.deepEqual([...c.raw], [97, 98, 0, 52, 53, 54, 55, 56], "ctypes writes one NUL and keeps the rest");
  c.raw = new Uint8Array([120, 121]);
  assert.equal(c.value, "xy");
  assert.throws(() => (c.raw = new Uint8Array(9) as never), RangeError);
  assert.throws(() => (c.raw = [300] as never), RangeError);
  assert.equal(c.value, "xy");
  assert.equal(u.value, "wide");
  assert.equal(u.length, 4);
  assert.throws(() => (u.value = "wider"), { name: "RangeError", message: /4 UTF-16 code units/ });
  assert.throws(() => u.raw, { name: "TypeError", message: /Only c arrays/ });
  assert.throws(() => (u.value = 5 as never), TypeError);
  assert.equal(SharedArray("c", "abc").value, "abc");
  assert.equal(SharedArray("u", "😀").length, 2);
  await withProcesses(async (start) => {
    assert.equal(await start("data_set_values", { args: [[c, u], ["日本", "😀"]] }).join(), 0);
  });
  assert.equal(c.value, "日本");
  assert.equal(u.value, "😀");
});
