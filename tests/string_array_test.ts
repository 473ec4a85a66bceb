import { test } from "node:test";
import assert from "node:assert/strict";
import { RawArray, RawValue, SharedArray, SynchronizedArray, SynchronizedString, Value } from "../mod.ts";
import { memoryOf } from "./_memory.ts";
import { withProcesses } from "./_util.ts";

test("SharedArray: c arrays have one-byte .value and .raw, u arrays .value; a worker's text is seen", async () => {
  const c = SharedArray("c", 8);
  const u = SharedArray("u", "wide");
  assert.ok(c instanceof SynchronizedString && c instanceof SynchronizedArray);
  assert.equal(c.value, "");
  c.value = "héllo";
  assert.equal(c.value, "héllo");
  assert.deepEqual([...c.raw], [104, 0xe9, 108, 108, 111, 0, 0, 0]);
  assert.equal(c.get(0), "h");
  assert.throws(() => (c.value = "123456789"), {
    name: "RangeError",
    message: /at most 8 characters \(one byte each\), got 9/,
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
    assert.equal(await start("data_set_values", { args: [[c, u], ["ÿé\u0080", "😀"]] }).join(), 0);
  });
  assert.equal(c.value, "ÿé\u0080");
  assert.deepEqual([...c.raw.subarray(0, 4)], [0xff, 0xe9, 0x80, 0]);
  assert.equal(u.value, "😀");
});

test("c arrays: one rule for an element, one byte read and written as U+0000..U+00FF, everywhere (bug 8)", () => {
  // set(i) then .value: the byte 0xE9 reads back as "é", not U+FFFD.
  const a = SharedArray("c", 4);
  a.set(0, "é");
  assert.equal(a.value, "é");
  assert.deepEqual([...a.raw], [0xe9, 0, 0, 0]);
  // .value then get(i): one byte per character, not two UTF-8 bytes read back as "Ã".
  const b = SharedArray("c", 4);
  b.value = "é";
  assert.equal(b.get(0), "é");
  assert.deepEqual([...b.raw], [0xe9, 0, 0, 0]);
  // Value("c") and RawValue("c") hold the same byte for the same character.
  const v = Value("c", "é");
  const r = RawValue("c", "\u00ff");
  assert.equal(v.value, "é");
  assert.equal(r.value, "\u00ff");
  // Every byte round-trips through every path.
  const all = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1)).join("");
  const s = SharedArray("c", 256);
  s.value = all;
  assert.equal(s.value, all);
  for (let i = 0; i < 255; i++) {
    assert.equal(s.get(i), all[i]);
    assert.equal(s.raw[i], i + 1);
  }
  const t = SharedArray("c", all);
  assert.deepEqual(
    [...t.raw],
    [...s.raw.subarray(0, 255)],
    "contents given as a string: one byte per character",
  );
  const w = SharedArray("c", 255);
  w.setFrom(all);
  assert.equal(w.value, all);
  assert.deepEqual([...RawArray("c", "é")], [0xe9]);
  // UTF-8 goes through .raw, explicitly.
  const utf8 = SharedArray("c", 8);
  utf8.raw = new TextEncoder().encode("日本");
  assert.equal(new TextDecoder().decode(utf8.raw.subarray(0, 6)), "日本");
});

test("c arrays: a character above U+00FF is a TypeError naming it and pointing at .raw; nothing is written", () => {
  const s = SharedArray("c", 8);
  s.value = "abc";
  const before = memoryOf(s);
  const refusals: Array<[string, () => unknown, RegExp]> = [
    [".value = 'a€b'", () => (s.value = "a€b"), /"€" \(U\+20AC\) at index 1 of "a€b".*TextEncoder.*\.raw/],
    [".value = '😀'", () => (s.value = "😀"), /"😀" \(U\+1F600\) at index 0/],
    ["set(0, '€')", () => s.set(0, "€"), /Element 0 of a Synchronized\w+\("c"\).*"€" \(U\+20AC\)/],
    ["setFrom('x€')", () => s.setFrom("x€"), /"€" \(U\+20AC\) at index 1/],
    // A character that does not fit wins over the length: a wrong kind is reported first.
    [".value = too long and wide", () => (s.value = "€".repeat(20)), /U\+20AC/],
  ];
  for (const [what, call, message] of refusals) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof TypeError, `${what}: ${e}`);
      assert.match((e as Error).message, message, what);
      return true;
    });
    assert.deepEqual(memoryOf(s), before, `${what} changes nothing`);
  }
  assert.equal(s.getLock().locked(), false);
  assert.throws(() => SharedArray("c", "日本"), {
    name: "TypeError",
    message: /"日" \(U\+65E5\) at index 0/,
  });
  assert.throws(() => RawArray("c", "ok€"), { name: "TypeError", message: /U\+20AC/ });
  assert.throws(() => Value("c", "日"), { name: "TypeError", message: /"日" \(U\+65E5\).*\.raw/ });
  assert.throws(() => (s.value = "123456789"), { name: "RangeError", message: /at most 8/ });
  assert.deepEqual(memoryOf(s), before);
});

test("u arrays and Value('u'): one UTF-16 code unit per element, the same rule for get/set, .value and Value", () => {
  const u = SharedArray("u", 4);
  u.value = "😀é";
  assert.equal(u.length, 4);
  assert.equal(u.get(0), "\ud83d");
  assert.equal(u.get(1), "\ude00");
  assert.equal(u.get(2), "é");
  const x = SharedArray("u", 3);
  x.set(0, "\ud83d");
  x.set(1, "\ude00");
  x.set(2, "日");
  assert.equal(x.value, "😀日");
  assert.equal(Value("u", "\ud83d").value, "\ud83d");
  assert.equal(Value("u", "日").value, "日");
  assert.throws(() => Value("u", "😀"), {
    name: "TypeError",
    message: /1-character string \(one UTF-16 code unit\)/,
  });
  assert.throws(() => u.set(0, "😀"), TypeError);
  assert.equal(u.value, "😀é", "a refused set changes nothing");
});
