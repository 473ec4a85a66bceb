/**
 * Seeded random values of every kind a Queue carries, and the check that a
 * value arrived as `structuredClone` would have given it. Shared by the codec
 * tests and the Queue/Pipe tests on workers.
 *
 * @module
 */

import assert from "node:assert/strict";

/** A seeded generator of numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a small, fast seeded generator (32-bit state), enough for tests.
 *
 * @example
 * ```ts ignore
 * const rng = mulberry32(42);
 * rng(); // 0.6011037519201636
 * ```
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[int(rng, items.length)];
}

const g = globalThis as Record<string, unknown>;
type AnyView = new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayBufferView;
/** Every typed array the runtime has, and DataView. */
export const VIEW_CLASSES: readonly AnyView[] = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "DataView",
].map((n) => g[n] as AnyView | undefined).filter((c): c is AnyView => c !== undefined);

const ERRORS: readonly ErrorConstructor[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
];

/** Odd strings: empty, non-ASCII, astral, lone surrogates, NUL, keys that look special. */
const STRINGS: readonly string[] = [
  "",
  "a",
  "abc",
  "héllo wörld",
  "日本語テキスト",
  "😀 emoji 🎉",
  "\ud800",
  "x\udc00y",
  "\udbff\udfff",
  "tail\ud83d",
  "\u0000nul\u0000",
  "__proto__",
  "constructor",
  "0",
  "42",
  "-1",
  "4294967295",
  "ÿ\u0080\u07ff\u0800\uffff",
];

function randomString(rng: Rng): string {
  switch (int(rng, 6)) {
    case 0:
      return pick(rng, STRINGS);
    case 1: {
      // ASCII of any short length.
      let s = "";
      for (let n = int(rng, 40); n > 0; n--) s += String.fromCharCode(32 + int(rng, 95));
      return s;
    }
    case 2: {
      // Any UTF-16 units, lone surrogates included.
      let s = "";
      for (let n = int(rng, 20); n > 0; n--) s += String.fromCharCode(int(rng, 0x10000));
      return s;
    }
    case 3: {
      // Long: over the codec's short-string cut, sometimes with a lone surrogate.
      let s = "";
      for (let n = 60 + int(rng, 300); n > 0; n--) s += String.fromCharCode(32 + int(rng, 95));
      const r = int(rng, 4);
      if (r === 0) s += "\ud800";
      if (r === 1) s = "é" + s + "😀";
      return s;
    }
    case 4:
      return pick(rng, STRINGS) + pick(rng, STRINGS);
    default:
      return String.fromCodePoint(int(rng, 0x110000));
  }
}

function randomNumber(rng: Rng): number {
  switch (int(rng, 10)) {
    case 0:
      return pick(rng, [
        0,
        -0,
        NaN,
        Infinity,
        -Infinity,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        2 ** 53,
        -(2 ** 31),
      ]);
    case 1:
      return int(rng, 128);
    case 2:
      return int(rng, 2 ** 32) - 2 ** 31;
    case 3:
      return (rng() - 0.5) * 2 ** int(rng, 1100) * (rng() < 0.5 ? 1 : 2 ** -1000);
    case 4:
      return int(rng, 2 ** 53) * (rng() < 0.5 ? -1 : 1);
    default:
      return (rng() - 0.5) * 1000;
  }
}

function randomBigint(rng: Rng): bigint {
  const bits = pick(rng, [0, 8, 63, 64, 65, 200, 1000]);
  let x = 0n;
  for (let i = 0; i < bits; i += 16) x = (x << 16n) | BigInt(int(rng, 65536));
  if (bits === 64 && rng() < 0.5) x = -(2n ** 63n);
  return rng() < 0.5 ? -x : x;
}

function randomPrimitive(rng: Rng): unknown {
  switch (int(rng, 8)) {
    case 0:
      return pick(rng, [undefined, null, true, false]);
    case 1:
    case 2:
      return randomNumber(rng);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return randomBigint(rng);
    default:
      return int(rng, 100);
  }
}

/** Values built so far in one `randomValue` call, to make shared references and cycles. */
interface Gen {
  rng: Rng;
  pool: object[];
  buffers: ArrayBuffer[];
  shared: SharedArrayBuffer[];
}

class Point {
  x: number;
  y: unknown;
  constructor(x: number, y: unknown) {
    this.x = x;
    this.y = y;
  }
}

function randomBytes(rng: Rng, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 256);
  return b;
}

function randomView(cx: Gen): ArrayBufferView {
  const rng = cx.rng;
  const View = pick(rng, VIEW_CLASSES);
  const unit = (View as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  let buffer: ArrayBufferLike;
  const where = int(rng, 5);
  if (where === 0 && cx.buffers.length > 0) buffer = pick(rng, cx.buffers);
  else if (where === 1 && typeof SharedArrayBuffer === "function") {
    buffer = cx.shared.length > 0 && rng() < 0.5 ? pick(rng, cx.shared) : new SharedArrayBuffer(64);
    if (!cx.shared.includes(buffer as SharedArrayBuffer)) cx.shared.push(buffer as SharedArrayBuffer);
  } else if (where === 2) {
    buffer = new ArrayBuffer(32, { maxByteLength: 128 });
    new Uint8Array(buffer).set(randomBytes(rng, 32));
  } else {
    const b = randomBytes(rng, 8 * int(rng, 9)).buffer;
    cx.buffers.push(b);
    buffer = b;
  }
  const units = Math.floor(buffer.byteLength / unit);
  const offset = int(rng, units + 1);
  const length = int(rng, units - offset + 1);
  return new View(buffer, offset * unit, View === DataView ? length * unit : length);
}

function randomError(cx: Gen, depth: number): Error {
  const rng = cx.rng;
  const E = pick(rng, ERRORS);
  const withCause = rng() < 0.5;
  // A cause is built fresh (no references into the rest of the value): Bun's structuredClone
  // drops causes, and the check then compares the cause against a clone of its own.
  const cause = withCause ? randomValue(rng, depth - 1) : undefined;
  const e = rng() < 0.2
    ? new E()
    : withCause
    ? new E(randomString(rng), { cause })
    : new E(randomString(rng));
  if (rng() < 0.1) e.name = pick(rng, ["TypeError", "Custom", "RangeError"]);
  return e;
}

function randomObject(cx: Gen, depth: number): unknown {
  const rng = cx.rng;
  if (cx.pool.length > 0 && rng() < 0.1) return pick(rng, cx.pool);
  const child = (): unknown => node(cx, depth - 1);
  switch (int(rng, 19)) {
    case 0:
    case 1: {
      const a: unknown[] = [];
      cx.pool.push(a);
      const n = int(rng, 8);
      for (let i = 0; i < n; i++) a.push(child());
      if (rng() < 0.2) delete a[int(rng, n + 1)];
      if (rng() < 0.1) a.length += int(rng, 3);
      if (rng() < 0.15) {
        const key = randomString(rng);
        const value = child();
        try {
          // A "__proto__" key sets the prototype (a case the codec must meet: see the named samples).
          (a as unknown as Record<string, unknown>)[key] = value;
        } catch {
          // ... unless that makes a cycle of prototypes (the value holds the array): an own property then.
          Object.defineProperty(a, key, { value, enumerable: true, writable: true, configurable: true });
        }
      }
      return a;
    }
    case 2:
    case 3:
    case 4: {
      const o: Record<string, unknown> = rng() < 0.1 ? Object.create(null) : {};
      cx.pool.push(o);
      for (let n = int(rng, 6); n > 0; n--) {
        Object.defineProperty(o, randomString(rng), {
          value: child(),
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
      return o;
    }
    case 5: {
      // Records of one shape, and one of another shape between them.
      const a: unknown[] = [];
      cx.pool.push(a);
      for (let n = int(rng, 6); n > 0; n--) {
        a.push(
          rng() < 0.2
            ? { other: child() }
            : { id: int(rng, 1000), kind: randomString(rng), payload: child() },
        );
      }
      return a;
    }
    case 6: {
      const m = new Map();
      cx.pool.push(m);
      for (let n = int(rng, 5); n > 0; n--) m.set(rng() < 0.5 ? randomPrimitive(rng) : child(), child());
      return m;
    }
    case 7: {
      const s = new Set();
      cx.pool.push(s);
      for (let n = int(rng, 5); n > 0; n--) s.add(rng() < 0.5 ? randomPrimitive(rng) : child());
      return s;
    }
    case 8:
      return new Date(rng() < 0.1 ? NaN : int(rng, 2 ** 42) - 2 ** 41);
    case 9: {
      const re = new RegExp(
        pick(rng, ["a+", "[\\u{1F600}]", "^x$", "(?<n>\\d+)", "\\p{L}"]),
        pick(rng, ["", "g", "gimsu", "y", "d", "v"]),
      );
      re.lastIndex = int(rng, 3);
      return re;
    }
    case 10: {
      const b = rng() < 0.8
        ? randomBytes(rng, int(rng, 40)).buffer
        : new ArrayBuffer(4, { maxByteLength: 64 });
      cx.buffers.push(b);
      return b;
    }
    case 11:
    case 12:
      return randomView(cx);
    case 13: {
      const e = randomError(cx, depth);
      cx.pool.push(e);
      return e;
    }
    case 14:
      return pick(rng, [
        () => Object(randomBigint(rng)),
        () => new Number(randomNumber(rng)),
        () => new String(randomString(rng)),
        () => new Boolean(rng() < 0.5),
      ])();
    case 15: {
      const p = new Point(randomNumber(rng), child());
      cx.pool.push(p);
      return p;
    }
    case 16: {
      if (typeof SharedArrayBuffer !== "function") return null;
      const s = cx.shared.length > 0 && rng() < 0.5
        ? pick(rng, cx.shared)
        : new SharedArrayBuffer(int(rng, 32));
      if (!cx.shared.includes(s)) cx.shared.push(s);
      return s;
    }
    case 17: {
      // A cycle: an object holding itself, or an array holding an ancestor.
      const o: Record<string, unknown> = { self: null };
      o.self = o;
      if (cx.pool.length > 0) o.up = pick(rng, cx.pool);
      cx.pool.push(o);
      return o;
    }
    default:
      return [child(), child()];
  }
}

function node(cx: Gen, depth: number): unknown {
  if (depth <= 0 || cx.rng() < 0.35) return randomPrimitive(cx.rng);
  return randomObject(cx, depth);
}

/**
 * A random value of any kind `structuredClone` accepts, nested up to `depth`:
 * primitives (bigint, -0, NaN, lone surrogates), arrays with holes and extra
 * properties, plain and null-prototype objects, class instances, Map, Set,
 * Date, RegExp, ArrayBuffer (resizable too), every typed array and DataView
 * (views sharing a buffer), errors with causes, wrapper objects,
 * SharedArrayBuffers and views on them, shared references and cycles.
 *
 * @example
 * ```ts ignore
 * const rng = mulberry32(1);
 * const value = randomValue(rng, 4);
 * ```
 */
export function randomValue(rng: Rng, depth: number): unknown {
  return node({ rng, pool: [], buffers: [], shared: [] }, depth);
}

const F16 = (globalThis as Record<string, unknown>).Float16Array as Float64ArrayConstructor | undefined;

/**
 * One value of each kind on the Queue's value list (and the edge cases of
 * each), named: what `structuredClone` keeps, drops and turns into something else.
 *
 * @example
 * ```ts ignore
 * for (const [name, value] of sampleValues()) assertSameAsClone(roundTrip(value), value);
 * ```
 */
export function sampleValues(): [string, unknown][] {
  const sparse: unknown[] = [1, , 3];
  const withProps = Object.assign([1, 2], { extra: "x", "-1": 9 });
  // A prototype with elements (what `arr.__proto__ = [...]` makes): its indices are holes to structuredClone.
  const protoElements: unknown[] = [1, , 3, , 5];
  Object.setPrototypeOf(protoElements, ["a", "b", "c", "d"]);
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
    ["array whose prototype has elements", protoElements],
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

const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
/**
 * Firefox's structuredClone carries an error's captured stack, not one
 * assigned to it (and a stack names the thread that made it): no copy made
 * elsewhere can have it, so stacks are not compared there (the browser suite).
 */
const STACKS: boolean = !/\bFirefox\//.test(
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "",
);

/**
 * Asserts that `actual` is what `structuredClone(original)` gives, compared
 * deeply: prototypes, own enumerable keys in order, array holes, Map/Set
 * order, typed array kinds, offsets and lengths, buffer contents, error name,
 * message, stack and cause, and the identity structure (shared references and
 * cycles map one to one). A SharedArrayBuffer compares by length and contents
 * (whether it is the same memory is for the caller: across workers only
 * writes can tell).
 *
 * Where runtimes' structuredClone differ, the rule sabkit's codec keeps is
 * checked: an error's cause travels (Bun's drops it); Bun's extra error
 * properties (`line`, `column`, `sourceURL`) are not compared.
 */
export function assertSameAsClone(actual: unknown, original: unknown): void {
  const expected = structuredClone(original);
  compare(actual, expected, original, "value", new Map(), new Map());
}

function fail(path: string, what: string): never {
  assert.fail(`${path}: ${what}`);
}

function same(a: unknown, b: unknown, path: string): void {
  if (!Object.is(a, b)) fail(path, `${String(a)} (${typeof a}) !== ${String(b)} (${typeof b})`);
}

function bytesOf(b: ArrayBufferLike): Uint8Array {
  return new Uint8Array(b);
}

function compare(
  actual: unknown,
  expected: unknown,
  original: unknown,
  path: string,
  seen: Map<object, object>,
  seenBack: Map<object, object>,
  originals: Map<object, object> = new Map(),
): void {
  if (typeof expected !== "object" || expected === null) {
    if (typeof expected === "string" && typeof actual === "string" && actual !== expected) {
      fail(
        path,
        `strings differ: ${JSON.stringify(actual.slice(0, 80))} vs ${JSON.stringify(expected.slice(0, 80))}`,
      );
    }
    return same(actual, expected, path);
  }
  if (typeof actual !== "object" || actual === null) fail(path, `expected an object, got ${String(actual)}`);
  const known = seen.get(actual);
  if (known !== undefined) {
    if (known !== expected) fail(path, "identity structure differs (one object where the clone has two)");
    return;
  }
  if (seenBack.has(expected)) fail(path, "identity structure differs (two objects where the clone has one)");
  seen.set(actual, expected);
  seenBack.set(expected, actual);
  if (typeof original === "object" && original !== null) originals.set(original, actual);
  const proto = Object.getPrototypeOf(expected);
  if (Object.getPrototypeOf(actual) !== proto) {
    fail(path, `prototype differs: ${actual.constructor?.name} vs ${(expected as object).constructor?.name}`);
  }
  const o = original as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const sub = (key: string | number, x: unknown, y: unknown, z: unknown): void =>
    compare(x, y, z, `${path}[${JSON.stringify(key)}]`, seen, seenBack, originals);
  if (typeof DOMException === "function" && expected instanceof DOMException) {
    same((actual as DOMException).name, expected.name, `${path}.name`);
    if (STACKS && typeof expected.stack === "string") {
      same((actual as DOMException).stack, expected.stack, `${path}.stack`);
    }
    return same((actual as DOMException).message, expected.message, `${path}.message`);
  }
  if (expected instanceof Error) {
    const act = actual as Error;
    same(act.name, expected.name, `${path}.name`);
    same(Object.hasOwn(act, "message"), Object.hasOwn(expected, "message"), `${path} has message`);
    same(act.message, expected.message, `${path}.message`);
    if (STACKS && typeof expected.stack === "string") same(act.stack, expected.stack, `${path}.stack`);
    const origError = original as Error;
    same(Object.hasOwn(act, "cause"), Object.hasOwn(origError, "cause"), `${path} has cause`);
    if (Object.hasOwn(origError, "cause")) {
      if (Object.hasOwn(expected, "cause")) sub("cause", act.cause, expected.cause, origError.cause);
      else {
        // Bun's structuredClone dropped the cause: compare with a clone of its own, or, when the
        // cause was met before (an error that is its own cause), by identity.
        const met = typeof origError.cause === "object" && origError.cause !== null
          ? originals.get(origError.cause)
          : undefined;
        if (met !== undefined) assert.equal(act.cause, met, `${path}.cause: identity`);
        else {
          const clone = structuredClone(origError.cause);
          compare(act.cause, clone, origError.cause, `${path}.cause`, new Map(), new Map(), originals);
        }
      }
    }
    if (!IS_BUN) assert.deepEqual(Object.keys(actual), Object.keys(expected), `${path}: keys`);
    return;
  }
  if (Array.isArray(expected)) {
    const act = actual as unknown[];
    same(act.length, expected.length, `${path}.length`);
    for (let i = 0; i < expected.length; i++) {
      same(i in act, i in expected, `${path}: has index ${i}`);
      sub(i, act[i], expected[i], (original as unknown[])[i]);
    }
    if (expected.length <= 64) {
      const keys = Object.keys(expected).filter((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= 2 ** 32 - 1);
      const actKeys = Object.keys(act).filter((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= 2 ** 32 - 1);
      assert.deepEqual(actKeys, keys, `${path}: non-index keys`);
      for (const k of keys) sub(k, a[k], e[k], o[k]);
    }
    return;
  }
  if (expected instanceof Map) {
    const act = actual as Map<unknown, unknown>;
    same(act.size, expected.size, `${path}.size`);
    const ak = [...act.entries()];
    const ok = [...(original as Map<unknown, unknown>).entries()];
    let i = 0;
    for (const [k, v] of expected) {
      sub(`key ${i}`, ak[i][0], k, ok[i][0]);
      sub(`value ${i}`, ak[i][1], v, ok[i][1]);
      i++;
    }
    return;
  }
  if (expected instanceof Set) {
    const act = actual as Set<unknown>;
    same(act.size, expected.size, `${path}.size`);
    const av = [...act];
    const ov = [...(original as Set<unknown>)];
    let i = 0;
    for (const v of expected) {
      sub(`element ${i}`, av[i], v, ov[i]);
      i++;
    }
    return;
  }
  if (expected instanceof Date) {
    return same((actual as Date).getTime(), expected.getTime(), `${path}.getTime()`);
  }
  if (expected instanceof RegExp) {
    const act = actual as RegExp;
    same(act.source, expected.source, `${path}.source`);
    same(act.flags, expected.flags, `${path}.flags`);
    return same(act.lastIndex, expected.lastIndex, `${path}.lastIndex`);
  }
  if (expected instanceof ArrayBuffer) {
    const act = actual as ArrayBuffer;
    same(act.resizable, expected.resizable, `${path}.resizable`);
    same(act.maxByteLength, expected.maxByteLength, `${path}.maxByteLength`);
    return assert.deepEqual(bytesOf(act), bytesOf(expected), `${path}: bytes`);
  }
  if (typeof SharedArrayBuffer === "function" && expected instanceof SharedArrayBuffer) {
    const act = actual as SharedArrayBuffer;
    same(act.growable, expected.growable, `${path}.growable`);
    return assert.deepEqual(bytesOf(act), bytesOf(expected), `${path}: bytes`);
  }
  if (ArrayBuffer.isView(expected)) {
    const act = actual as ArrayBufferView;
    same(act.byteOffset, expected.byteOffset, `${path}.byteOffset`);
    same(act.byteLength, expected.byteLength, `${path}.byteLength`);
    return compare(
      act.buffer,
      expected.buffer,
      (original as ArrayBufferView).buffer,
      `${path}.buffer`,
      seen,
      seenBack,
      originals,
    );
  }
  for (const W of [Number, String, Boolean, BigInt] as const) {
    if (expected instanceof W) {
      return same((actual as { valueOf(): unknown }).valueOf(), expected.valueOf(), `${path}.valueOf()`);
    }
  }
  const keys = Object.keys(expected);
  assert.deepEqual(Object.keys(actual), keys, `${path}: keys`);
  for (const k of keys) sub(k, a[k], e[k], o[k]);
}
