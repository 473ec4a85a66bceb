/**
 * Property-based test of `Channel` against a FIFO queue model. One thread,
 * timeouts of 0 (or 1 ms), so every step is deterministic: random sequences
 * of send / sendAsync / recv / recvAsync / recvInto / recvIntoAsync with
 * random message lengths (some over capacity, some of the wrong element
 * kind), receive targets of random length, and close; each operation goes
 * through the channel or a revived copy of it. The seed is fixed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Channel,
  ChannelClosedError,
  FloatChannel,
  revive,
  SharedArray,
  TimeoutError,
  Value,
} from "../mod.ts";
import { memoryOf } from "./_memory.ts";

const CODES = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"] as const;
type Code = typeof CODES[number];
const SPELLINGS: Record<Code, string[]> = {
  b: ["b", "int8", "c_byte"],
  B: ["B", "uint8", "c_ubyte"],
  h: ["h", "int16", "c_short"],
  H: ["H", "uint16", "c_ushort"],
  i: ["i", "int32", "c_int"],
  I: ["I", "uint32", "c_uint"],
  l: ["l", "c_long"],
  L: ["L", "c_ulong"],
  q: ["q", "bigint64", "c_longlong"],
  Q: ["Q", "biguint64", "c_ulonglong"],
  f: ["f", "float32", "c_float"],
  d: ["d", "float64", "c_double"],
};
const BIG = new Set<Code>(["l", "L", "q", "Q"]);
const I64 = 2n ** 63n;
const DOMAIN: Record<Code, fc.Arbitrary<number | bigint>> = {
  b: fc.integer({ min: -128, max: 127 }),
  B: fc.integer({ min: 0, max: 255 }),
  h: fc.integer({ min: -32768, max: 32767 }),
  H: fc.integer({ min: 0, max: 65535 }),
  i: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  I: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  l: fc.bigInt({ min: -I64, max: I64 - 1n }),
  L: fc.bigInt({ min: 0n, max: 2n * I64 - 1n }),
  q: fc.bigInt({ min: -I64, max: I64 - 1n }),
  Q: fc.bigInt({ min: 0n, max: 2n * I64 - 1n }),
  f: fc.oneof(fc.float(), fc.constantFrom(NaN, -0, Infinity, -Infinity)),
  d: fc.oneof(fc.double(), fc.constantFrom(NaN, -0, Infinity, -Infinity)),
};
const VIEWS = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
} as const;

type Values = Array<number | bigint>;
type Op =
  | {
    op: "send" | "sendAsync" | "send1ms";
    via: number;
    values: Values;
    as: "array" | "typed" | "shared" | "wrongKind" | "otherTyped" | "unfit";
    /** For "unfit": where the value that does not fit goes, and which one. */
    at: number;
    bad: unknown;
  }
  | { op: "recv" | "recvAsync" | "recv1ms"; via: number }
  | { op: "recvInto" | "recvIntoAsync"; via: number; length: number; as: "typed" | "array" | "wrongKind" }
  | { op: "close"; via: number };

function ops(code: Code, capacity: number): fc.Arbitrary<Op[]> {
  const via = fc.constantFrom(0, 1);
  const values = fc.array(DOMAIN[code], { maxLength: capacity + 2 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constantFrom("send", "send", "sendAsync", "send1ms"),
        via,
        values,
        as: fc.constantFrom("array", "typed", "shared", "wrongKind", "otherTyped", "unfit"),
        at: fc.nat(),
        bad: fc.constantFrom(...UNFIT),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom("recv", "recv", "recvAsync", "recv1ms"), via }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constantFrom("recvInto", "recvIntoAsync"),
        via,
        length: fc.integer({ min: 0, max: capacity + 1 }),
        as: fc.constantFrom("typed", "typed", "array", "wrongKind"),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("close"), via }) },
  ) as fc.Arbitrary<Op>;
  return fc.array(op, { maxLength: 50, size: "medium" });
}

const shape = fc.constantFrom(...CODES).chain((code) =>
  fc.record({
    code: fc.constant(code),
    name: fc.constantFrom(...SPELLINGS[code]),
    capacity: fc.integer({ min: 0, max: 6 }),
    slots: fc.integer({ min: 1, max: 4 }),
    float: fc.boolean(),
  }).chain((s) => fc.tuple(fc.constant(s), ops(code, s.capacity)))
);

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

/** Values that do not fit some typecodes (each is checked against `Value`). */
const UNFIT: unknown[] = [
  0.5,
  -1.5,
  NaN,
  Infinity,
  2 ** 40,
  -(2 ** 31) - 1,
  256,
  -1,
  2n ** 64n,
  -1n,
  "1",
  null,
  undefined,
];

/** The same message as a typed array of another kind (its values converted as the constructor does). */
function otherTyped(code: Code, values: Values): ArrayLike<number | bigint> {
  if (BIG.has(code)) {
    return code === "q" || code === "l"
      ? new BigUint64Array(values as bigint[])
      : new BigInt64Array(values as bigint[]);
  }
  return code === "d" ? new Float32Array(values as number[]) : new Float64Array(values as number[]);
}

/**
 * What `Value` says of each element in turn: the class of the first error,
 * or undefined if every element fits (the channel must agree).
 */
function verdict(code: Code, source: ArrayLike<unknown>): unknown {
  for (let i = 0; i < source.length; i++) {
    const x = source[i];
    if (x === undefined) return TypeError;
    try {
      Value(code as "d", x as number);
    } catch (e) {
      return (e as Error).constructor;
    }
  }
  return undefined;
}

/** The same message with elements of the other kind (number for bigint and vice versa). */
function wrongKind(code: Code, values: Values): Values {
  if (values.length === 0) return [BIG.has(code) ? 1 : 1n];
  return values.map((x) =>
    BIG.has(code) ? Number(x) : Number.isFinite(x as number) ? BigInt(Math.trunc(x as number)) : 0n
  );
}

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    return { value: await call() };
  } catch (e) {
    return e;
  }
}

test("props: Channel follows a FIFO queue model (timeouts 0 and 1 ms, over-long and wrong-kind messages, short targets, close)", async () => {
  await fc.assert(
    fc.asyncProperty(shape, async ([{ code, name, capacity, slots, float }, steps]) => {
      const made = float && code === "d" && slots === 1
        ? new FloatChannel(capacity)
        : new Channel(name as "d", { capacity, slots });
      const both = [made, revive(structuredClone(made))];
      assert.equal(Object.getPrototypeOf(both[1]), Object.getPrototypeOf(made));
      const View = VIEWS[code] as unknown as new (x: number | Values) => ArrayLike<number | bigint>;
      const queue: Values[] = [];
      let closed = false;
      for (const step of steps) {
        const ch = both[step.via];
        const before = memoryOf(made);
        const unchanged = () =>
          assert.deepEqual(memoryOf(made), before, `${step.op}: the channel is unchanged`);
        switch (step.op) {
          case "send":
          case "sendAsync":
          case "send1ms": {
            const { values } = step;
            const source = step.as === "typed"
              ? new View(values)
              : step.as === "shared"
              ? SharedArray(code, values as never)
              : step.as === "wrongKind"
              ? wrongKind(code, values)
              : step.as === "otherTyped"
              ? otherTyped(code, values)
              : step.as === "unfit"
              ? values.map((x, i) => (i === step.at % values.length ? step.bad : x))
              : values;
            // The elements the channel reads (a sabkit array's through its raw view).
            const read = (step.as === "shared" ? values : source) as ArrayLike<unknown>;
            const options = { timeout: step.op === "send1ms" ? 1 : 0 };
            const result = await outcome(() =>
              step.op === "sendAsync"
                ? ch.sendAsync(source as never, options)
                : ch.send(source as never, options)
            );
            if (values.length > capacity && step.as !== "wrongKind") {
              assert.ok(result instanceof RangeError, `over-long: ${result}`);
              assert.match(
                result.message,
                new RegExp(`has ${values.length} elements, more than the Channel capacity ${capacity}`),
              );
              unchanged();
            } else if (step.as === "wrongKind") {
              const n = (source as Values).length;
              assert.ok(result instanceof (n > capacity ? RangeError : TypeError), `wrong kind: ${result}`);
              unchanged();
            } else if (verdict(code, read) !== undefined) {
              // As shared data: a value that does not fit is the error Value throws, and nothing is sent.
              const want = verdict(code, read) as ErrorConstructor;
              assert.ok(
                result instanceof want,
                `unfit ${String(step.as === "unfit" ? step.bad : "")}: ${result}`,
              );
              assert.match((result as Error).message, /at index \d+/);
              unchanged();
            } else if (closed) {
              assert.ok(result instanceof ChannelClosedError, `closed: ${result}`);
              unchanged();
            } else if (queue.length === slots) {
              assert.ok(result instanceof TimeoutError, `full: ${result}`);
              unchanged();
            } else {
              assert.deepEqual(result, { value: undefined });
              // What was sent is the values as read, stored as the channel's kind stores them.
              queue.push(Array.from(new View(Array.from(read) as Values)));
            }
            break;
          }
          case "recv":
          case "recvAsync":
          case "recv1ms": {
            const options = { timeout: step.op === "recv1ms" ? 1 : 0 };
            const result = await outcome(() =>
              step.op === "recvAsync" ? ch.recvAsync(options) : ch.recv(options)
            );
            if (queue.length > 0) {
              const { value } = result as { value: ArrayLike<unknown> };
              assert.equal(Object.getPrototypeOf(value), View.prototype);
              same(value, queue.shift()!, "received");
            } else if (closed) assert.deepEqual(result, { value: null });
            else {
              assert.ok(result instanceof TimeoutError, `empty: ${result}`);
              unchanged();
            }
            break;
          }
          case "recvInto":
          case "recvIntoAsync": {
            const fill = BIG.has(code) ? 7n : 7;
            const target: ArrayLike<unknown> & { [i: number]: unknown } = step.as === "typed"
              ? new View(step.length)
              : step.as === "array"
              ? new Array(step.length).fill(fill)
              : BIG.has(code)
              ? new Float64Array(step.length)
              : new BigInt64Array(step.length);
            const call = () =>
              step.op === "recvIntoAsync"
                ? ch.recvIntoAsync(target as never, { timeout: 0 })
                : ch.recvInto(target as never, { timeout: 0 });
            const result = await outcome(call);
            const head = queue[0];
            if (step.as === "wrongKind") {
              assert.ok(result instanceof TypeError, `wrong target: ${result}`);
              unchanged();
            } else if (head === undefined) {
              if (closed) assert.deepEqual(result, { value: null });
              else assert.ok(result instanceof TimeoutError, `empty: ${result}`);
              unchanged();
            } else if (head.length > step.length && step.length < capacity) {
              assert.ok(result instanceof RangeError, `too long: ${result}`);
              assert.match(result.message, new RegExp(`target of ${step.length} elements`));
              unchanged();
            } else {
              assert.deepEqual(result, { value: head.length });
              same(Array.from({ length: head.length }, (_, i) => target[i]), head, "received into");
              queue.shift();
            }
            break;
          }
          case "close":
            ch.close();
            closed = true;
            break;
        }
        for (const view of both) assert.equal(view.closed, closed);
      }
      // Whatever is left comes out in order, through either view, then null.
      both[1].close();
      const rest = [...both[0]];
      assert.equal(rest.length, queue.length);
      rest.forEach((m, i) => same(m, queue[i], `drained ${i}`));
      assert.equal(both[1].recv({ timeout: 0 }), null);
    }),
    { seed: 0x5ab0730, numRuns: 250 },
  );
});
