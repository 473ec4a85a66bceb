/**
 * Large items decoded where they lie in the ring (`Items.tryGet`'s decode):
 * values of 32 KiB and more of every large kind (ASCII and non-ASCII text,
 * lone surrogates, typed arrays and views, shared references, big arrays
 * and maps) arrive as structuredClone gives them, whether their record lies
 * whole in the ring, wraps at its end or is streamed in parts, through
 * getNowait, get and getAsync on this thread, and getAsync on a worker
 * (values that carry shared memory need it there on Deno and Bun); a
 * Pipe's recvBytes of such an item still gets its bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pipe, Queue } from "../mod.ts";
import { assertSameAsClone, mulberry32, randomValue, type Rng } from "./_values.ts";
import { withProcesses } from "./_util.ts";

const SLOW = { timeout: 120_000 };
const ASCII = "abcdefghijklmnopqrstuvwxyz0123456789 ";
const WIDE = "é€😀日本語\u00ff";

function text(rng: Rng, n: number, wide: boolean): string {
  let s = "";
  while (s.length < n) {
    const r = rng();
    if (wide && r < 0.01) s += "\ud800"; // a lone surrogate
    else if (wide && r < 0.3) s += WIDE[Math.floor(rng() * WIDE.length)];
    else s += ASCII[Math.floor(rng() * ASCII.length)];
  }
  return s;
}

/** Value `i` (32 KiB to ~200 KiB encoded), of kind `i % 7`. */
function bigValue(rng: Rng, i: number): unknown {
  switch (i % 7) {
    case 0:
      return { i, text: text(rng, 40_000 + Math.floor(rng() * 80_000), false) };
    case 1:
      return { i, text: text(rng, 20_000 + Math.floor(rng() * 40_000), true) };
    case 2: {
      const data = new Float64Array(5_000 + Math.floor(rng() * 15_000)).map(() => rng() * 1e6 - 5e5);
      return { i, data, tail: new Uint8Array(data.buffer, 8, 100), view: new DataView(data.buffer, 16, 64) };
    }
    case 3: {
      const list = Array.from({ length: 600 }, () => randomValue(rng, 2));
      return { i, list, again: list };
    }
    case 4: {
      const m = new Map<string, unknown>();
      for (let k = 0; k < 300; k++) {
        m.set(text(rng, 100, k % 2 === 0), k % 3 === 0 ? new Int32Array(30) : [k, -0, NaN]);
      }
      return { i, m, set: new Set(m.keys()) };
    }
    case 5: {
      const shared = new Float32Array(12_000).map(() => rng());
      const o: Record<string, unknown> = { i, a: shared, b: shared, buf: new ArrayBuffer(40_000) };
      o.self = o;
      return o;
    }
    default:
      return [
        i,
        text(rng, 35_000, i % 2 === 0),
        10n ** 40n,
        new Date(i),
        /x+/gi,
        new Error("e", { cause: i }),
      ];
  }
}

test(
  "Queue: large values arrive as structuredClone gives them, whole in the ring, wrapping or streamed (get, getAsync)",
  SLOW,
  async () => {
    const rng = mulberry32(0x1a9);
    for (const bytes of [1 << 20, 1 << 18]) {
      const q = new Queue({ bytes });
      for (let i = 0; i < 42; i++) {
        const v = bigValue(rng, i);
        const put = i % 2 === 0 ? q.putAsync(v) : Promise.resolve(q.put(v));
        // A value larger than the ring streams: its get must run beside its put.
        const got = i % 3 === 0
          ? q.getAsync()
          : Promise.resolve().then(() => i % 3 === 1 ? q.get() : q.getAsync());
        const [out] = await Promise.all([got, put]);
        assertSameAsClone(out, v);
      }
      assert.ok(q.empty());
      q.close();
    }
  },
);

test("Queue: a few large values queued at once, then taken by getNowait, in order", SLOW, () => {
  const rng = mulberry32(0x2b7);
  const q = new Queue({ bytes: 1 << 20 });
  for (let round = 0; round < 6; round++) {
    const vs = Array.from({ length: 4 }, (_, k) => bigValue(rng, round * 4 + k));
    for (const v of vs) q.putNowait(v);
    for (const v of vs) assertSameAsClone(q.getNowait(), v);
  }
  q.close();
});

test("Pipe: recvBytes of a large value's item gets its bytes; recv of the next one its value", () => {
  const rng = mulberry32(0x3c1);
  const [a, b] = Pipe(true, { bytes: 1 << 20 });
  const v = bigValue(rng, 0);
  a.send(v);
  const raw = b.recvBytes();
  assert.ok(raw.length >= 40_000, `${raw.length} bytes`);
  a.send(v);
  assertSameAsClone(b.recv(), v);
  a.sendBytes(raw.subarray(0, 50_000));
  assert.deepEqual(b.recvBytes(), raw.subarray(0, 50_000));
  a.close();
  b.close();
});

test(
  "Queue: large values through a worker and back (its getAsync decodes them in the ring too)",
  SLOW,
  async () => {
    const rng = mulberry32(0x4d3);
    const n = 30;
    const q = new Queue({ bytes: 1 << 19 });
    const back = new Queue({ bytes: 1 << 19 });
    await withProcesses(async (start) => {
      const p = start("queue_ops", { exportName: "relay", args: [q, back, n] });
      for (let i = 0; i < n; i++) {
        const v = bigValue(rng, i);
        const [, out] = await Promise.all([
          q.putAsync(v, { timeout: 30000 }),
          back.getAsync({ timeout: 30000 }),
        ]);
        assertSameAsClone(out, v);
      }
      assert.equal(await p.join(30000), 0);
    });
    q.close();
    back.close();
  },
);
