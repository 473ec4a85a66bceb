/**
 * Property-based tests of shared data: random typecodes (in every spelling)
 * and values drawn from each code's whole domain (integer ranges, bigint for
 * `l L q Q`, every float64 for `d` including NaN, ±Infinity and -0,
 * float32-representable numbers for `f`, one-byte characters for `c`, any
 * UTF-16 code unit for `u`, booleans for `?`) round-trip through Value,
 * RawValue, SharedArray and RawArray, and through `structuredClone` +
 * `revive` onto the same memory. Values outside a code's domain are refused
 * with the right error class and change nothing. Seeds are fixed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  RawArray,
  RawValue,
  revive,
  SharedArray,
  SynchronizedArray,
  SynchronizedString,
  SynchronizedValue,
  type Typecode,
  type TypeName,
  Value,
} from "../mod.ts";
import { memoryOf } from "./_memory.ts";

const RUNS = 300;

/** Every spelling of every code (the keys of `TypeNames`). */
const SPELLINGS: Record<Typecode, TypeName[]> = {
  b: ["b", "c_byte", "c_int8", "int8"],
  B: ["B", "c_ubyte", "c_uint8", "uint8"],
  h: ["h", "c_short", "c_int16", "int16"],
  H: ["H", "c_ushort", "c_uint16", "uint16"],
  i: ["i", "c_int", "c_int32", "int32"],
  I: ["I", "c_uint", "c_uint32", "uint32"],
  l: ["l", "c_long"],
  L: ["L", "c_ulong"],
  q: ["q", "c_longlong", "c_int64", "bigint64"],
  Q: ["Q", "c_ulonglong", "c_uint64", "biguint64"],
  f: ["f", "c_float", "float32"],
  d: ["d", "c_double", "float64"],
  c: ["c", "c_char"],
  u: ["u", "c_wchar"],
  "?": ["?", "c_bool"],
};
const CODES = Object.keys(SPELLINGS) as Typecode[];

const I64 = 2n ** 63n;

/** A range with its edges drawn often (fast-check alone rarely draws a range's very ends). */
function edged<T>(arbitrary: fc.Arbitrary<T>, ...edges: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

function ints(min: number, max: number): fc.Arbitrary<number> {
  return edged(fc.integer({ min, max }), min, max, 0, min + 1, max - 1);
}

function bigints(min: bigint, max: bigint): fc.Arbitrary<bigint> {
  return edged(fc.bigInt({ min, max }), min, max, 0n, min + 1n, max - 1n);
}

const char = (max: number) => ints(0, max).map((n) => String.fromCharCode(n));

/** Each code's whole domain. */
const DOMAIN: Record<Typecode, fc.Arbitrary<unknown>> = {
  b: ints(-128, 127),
  B: ints(0, 255),
  h: ints(-32768, 32767),
  H: ints(0, 65535),
  i: ints(-(2 ** 31), 2 ** 31 - 1),
  I: ints(0, 2 ** 32 - 1),
  l: bigints(-I64, I64 - 1n),
  L: bigints(0n, 2n * I64 - 1n),
  q: bigints(-I64, I64 - 1n),
  Q: bigints(0n, 2n * I64 - 1n),
  f: edged(fc.float(), NaN, -0, Infinity, -Infinity, 2 ** -149, 3.4028234663852886e38),
  d: edged(fc.double(), NaN, -0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE),
  c: char(255),
  u: char(65535),
  "?": fc.boolean(),
};

/** The raw element a value is stored as (what a RawArray holds). */
function rawOf(code: Typecode, x: unknown): unknown {
  if (code === "c" || code === "u") return (x as string).charCodeAt(0);
  if (code === "?") return x ? 1 : 0;
  return x;
}

/** A code, one of its spellings, and a list of values of its domain. */
const typed = (minValues: number, maxValues: number) =>
  fc.constantFrom(...CODES).chain((code) =>
    fc.record({
      code: fc.constant(code),
      name: fc.constantFrom(...SPELLINGS[code]),
      values: fc.array(DOMAIN[code], { minLength: minValues, maxLength: maxValues, size: "medium" }),
    })
  );

/** The array API without its per-typecode types: the codes here are known only at run time. */
interface LooseArray extends Iterable<unknown> {
  readonly typecode: string;
  get(index: number): unknown;
  at(index: number): unknown;
  set(index: number, value: unknown): void;
  setFrom(source: unknown, offset?: number): void;
  slice(): ArrayLike<unknown>;
}

/** `Object.is` per element: -0 is not 0, NaN is NaN. */
function same(actual: ArrayLike<unknown>, expected: ArrayLike<unknown>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Object.is(actual[i], expected[i]),
      `${what}[${i}]: ${String(actual[i])} is not ${String(expected[i])}`,
    );
  }
}

test("props: every typecode and value round-trips through RawValue and Value, and through a revived copy", () => {
  fc.assert(
    fc.property(typed(2, 2), ({ code, name, values: [first, second] }) => {
      const raw = RawValue(name, first as never);
      const synced = Value(name, first as never);
      const unlocked = Value(name, first as never, { lock: false });
      assert.ok(
        raw instanceof RawValue && unlocked instanceof RawValue && synced instanceof SynchronizedValue,
      );
      for (const v of [raw, synced, unlocked]) {
        assert.equal(v.typecode, code);
        same([v.value], [first], `${name} read`);
        const copy = revive(structuredClone(v));
        assert.equal(Object.getPrototypeOf(copy), Object.getPrototypeOf(v));
        same([copy.value], [first], `${name} revived read`);
        // Same memory: a write through either view shows in the other.
        copy.value = second as never;
        same([v.value], [second], `${name} write through the revived copy`);
        v.value = first as never;
        same([copy.value], [first], `${name} write through the original`);
      }
      assert.equal(synced.getLock().locked(), false);
    }),
    { seed: 0x5ab0710, numRuns: RUNS },
  );
});

test("props: every typecode and list of values round-trips through SharedArray and RawArray, and revived copies", () => {
  fc.assert(
    fc.property(typed(0, 30), ({ code, name, values }) => {
      const raws = values.map((x) => rawOf(code, x));
      // RawArray: a plain typed array of the code's class holding the raw elements.
      const plain = RawArray(name, values as never);
      assert.ok(plain.buffer instanceof SharedArrayBuffer);
      same(plain, raws, `RawArray(${name})`);
      const shared = structuredClone(plain);
      assert.equal(revive(shared), shared, "a RawArray needs no revive");
      same(shared, raws, `cloned RawArray(${name})`);
      if (plain.length > 0) {
        (shared as Uint8Array)[0] = (plain as Uint8Array)[plain.length - 1];
        assert.ok(Object.is(plain[0], plain[plain.length - 1]), "the clone shares the memory");
      }
      // SharedArray: decoded elements through get, at, slice, iteration, and a revived copy.
      const a = SharedArray(name, values as never) as unknown as LooseArray;
      assert.ok(a instanceof (code === "c" || code === "u" ? SynchronizedString : SynchronizedArray));
      assert.equal(a.typecode, code);
      same([...a], values, `SharedArray(${name}) iterated`);
      same(values.map((_, i) => a.get(i)), values, `SharedArray(${name}).get`);
      same(values.map((_, i) => a.at(i - values.length)), values, `SharedArray(${name}).at(negative)`);
      same(a.slice(), raws, `SharedArray(${name}).slice`);
      const copy = revive(structuredClone(a));
      assert.equal(Object.getPrototypeOf(copy), Object.getPrototypeOf(a));
      same([...copy], values, `revived SharedArray(${name})`);
      // setFrom on a zeroed array of the same length, then element writes through the copy.
      const b = SharedArray(name, values.length) as unknown as LooseArray;
      b.setFrom(values);
      same([...b], values, `SharedArray(${name}).setFrom`);
      const reversed = [...values].reverse();
      reversed.forEach((x, i) => copy.set(i, x));
      same([...a], reversed, `writes through the revived SharedArray(${name})`);
      // lock: false is the RawArray.
      const unlocked = SharedArray(name, values as never, { lock: false });
      assert.equal(Object.getPrototypeOf(unlocked), Object.getPrototypeOf(plain));
      same(unlocked, raws, `SharedArray(${name}, …, { lock: false })`);
    }),
    { seed: 0x5ab0711, numRuns: RUNS },
  );
});

/** Whether `x` is in `code`'s domain, and if not, which error its refusal must be. */
function verdict(code: Typecode, x: unknown): "ok" | "TypeError" | "RangeError" {
  switch (code) {
    case "f":
    case "d":
      return typeof x === "number" ? "ok" : "TypeError";
    case "l":
    case "q":
    case "L":
    case "Q": {
      if (typeof x !== "bigint") return "TypeError";
      const min = code === "l" || code === "q" ? -I64 : 0n;
      const max = code === "l" || code === "q" ? I64 - 1n : 2n * I64 - 1n;
      return x >= min && x <= max ? "ok" : "RangeError";
    }
    case "c":
    case "u": {
      const limit = code === "c" ? 256 : 65536;
      return typeof x === "string" && x.length === 1 && x.charCodeAt(0) < limit ? "ok" : "TypeError";
    }
    case "?":
      return typeof x === "boolean" ? "ok" : "TypeError";
    default: {
      if (typeof x !== "number" || !Number.isInteger(x)) return "TypeError";
      const bits = { b: 8, B: 8, h: 16, H: 16, i: 32, I: 32 }[code];
      const signed = code === code.toLowerCase();
      const min = signed ? -(2 ** (bits - 1)) : 0;
      const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
      return x >= min && x <= max ? "ok" : "RangeError";
    }
  }
}

/** Values of every kind: any code's domain, edges of every range, and things no code takes. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  ...CODES.map((c) => DOMAIN[c]),
  fc.constantFrom(-129, 128, 256, -32769, 65536, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 0.5, -0, NaN, Infinity),
  fc.constantFrom(-I64 - 1n, I64, 2n * I64, -1n),
  fc.string({ maxLength: 3 }),
  fc.constantFrom("é", "€", "😀", ""),
  fc.constantFrom(null, undefined, {}, [], [1], new Uint8Array(1), Symbol.for("x"), () => 1),
);

test("props: a value outside its typecode's domain is refused with the right error and changes nothing", () => {
  fc.assert(
    fc.property(fc.constantFrom(...CODES), anyValue, fc.integer({ min: 0, max: 3 }), (code, x, where) => {
      const expected = verdict(code, x);
      const raw = RawValue(code);
      const synced = Value(code);
      const array = SharedArray(code, 3) as unknown as LooseArray;
      const targets: Array<() => unknown> = [
        () => (raw.value = x as never),
        () => (synced.value = x as never),
        () => array.set(1, x),
        () => array.setFrom([array.get(0), x]),
      ];
      const before = memoryOf(raw, synced, array);
      let error: unknown;
      try {
        targets[where]();
      } catch (e) {
        error = e;
      }
      if (expected === "ok") {
        assert.equal(error, undefined, `${code} takes ${String(x)}`);
        return;
      }
      assert.ok(error instanceof Error, `${code} must refuse ${String(x)}`);
      assert.equal(error.constructor.name, expected, `${code} refusing ${String(x)}: ${error.message}`);
      assert.deepEqual(memoryOf(raw, synced, array), before, "nothing changed");
      // Refused as an initial value too (`undefined` there means the default), before any memory is shared.
      if (x !== undefined) assert.throws(() => Value(code, x as never), { name: expected });
      assert.throws(() => RawArray(code, [x] as never), { name: expected });
    }),
    { seed: 0x5ab0712, numRuns: 1000 },
  );
});

test("props: text round-trips through c arrays (one byte per character, U+0000 to U+00FF, up to the first NUL) and u arrays (any UTF-16 units); get(i) agrees with .value", () => {
  const units = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
  const bytes = fc.integer({ min: 0, max: 0xff }).map((n) => String.fromCharCode(n));
  // Mostly characters a c element holds, sometimes one it does not.
  const mostlyBytes = fc.oneof({ weight: 6, arbitrary: bytes }, { weight: 1, arbitrary: units });
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.string({ unit: mostlyBytes, maxLength: 12, size: "medium" }),
      fc.string({ unit: units, maxLength: 12, size: "medium" }),
      fc.integer({ min: 0, max: 40 }),
      (wide, text8, text16, capacity) => {
        const text = wide ? text16 : text8;
        const s = SharedArray(wide ? "u" : "c", capacity);
        const copy = revive(structuredClone(s));
        const before = memoryOf(s);
        const notBytes = !wide && [...text].some((ch) => ch.charCodeAt(0) > 0xff);
        if (notBytes) {
          assert.throws(() => (copy.value = text), TypeError);
          if (text.length <= capacity) assert.throws(() => copy.setFrom(text), TypeError);
          assert.deepEqual(memoryOf(s), before);
          return;
        }
        if (text.length > capacity) {
          assert.throws(() => (copy.value = text), RangeError);
          assert.deepEqual(memoryOf(s), before);
          return;
        }
        copy.value = text;
        // ctypes semantics: the value ends at the first NUL.
        assert.equal(s.value, text.split("\0")[0]);
        const codes = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
        assert.deepEqual([...s.slice(0, text.length)], codes);
        for (let i = 0; i < text.length; i++) {
          assert.equal(s.get(i), text[i], "get(i) reads what .value wrote");
        }
        if (!wide) assert.deepEqual([...s.raw.subarray(0, text.length)], codes, "one byte per character");
        // And the other way: what set(i) writes, .value reads.
        const other = SharedArray(wide ? "u" : "c", text.length);
        for (let i = 0; i < text.length; i++) other.set(i, text[i]);
        assert.equal(other.value, text.split("\0")[0]);
      },
    ),
    { seed: 0x5ab0713, numRuns: RUNS },
  );
});
