/**
 * The Queue's value codec against the alternatives (issue 18): encode,
 * decode and both together, one thread, per value shape; and each codec's
 * fidelity on the value list (tests/_values.ts: the named samples and 2,000
 * seeded random values, compared with structuredClone).
 *
 * msgpackr and cbor-x are not dependencies: install them apart and point
 * SABKIT_CODEC_LIBS at their node_modules (default /tmp/codec_try/node_modules):
 *
 *   mkdir -p /tmp/codec_try && cd /tmp/codec_try && npm install --no-save msgpackr cbor-x
 *   node bench/diag/value_codec.ts | deno run -A bench/diag/value_codec.ts | bun bench/diag/value_codec.ts
 *   (--only=sabkit,msgpackr-sc picks codecs; --ms=200 per figure, --rounds=3: best of)
 *
 * FIGURES: filled in below from runs on the 2-core machine (see RESULTS).
 *
 * @module
 */

import { decodeValue, ValueEncoder } from "../../src/queue/_value_codec.ts";
import { assertSameAsClone, mulberry32, randomValue, sampleValues } from "../../tests/_values.ts";

interface Codec {
  name: string;
  encode(value: unknown): unknown;
  decode(bytes: unknown): unknown;
  /** The encoded size in bytes. */
  size(bytes: unknown): number;
  /** Encode and decode as one step (structuredClone has no bytes between). */
  roundTrip?(value: unknown): unknown;
}

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const arg = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const MS = Number(arg("ms") ?? 200);
const ROUNDS = Number(arg("rounds") ?? 3);
const ONLY = arg("only")?.split(",");
const env =
  (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ??
    {};
const LIBS = env.SABKIT_CODEC_LIBS ?? "/tmp/codec_try/node_modules";
const RUNTIME = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : "Deno" in globalThis
  ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : `Node ${(globalThis as unknown as { process: { version: string } }).process.version}`;

const codecs: Codec[] = [];
const shared: SharedArrayBuffer[] = [];
const encoder = new ValueEncoder();
codecs.push({
  name: "sabkit",
  encode: (v) => {
    shared.length = 0;
    return encoder.encode(v, shared);
  },
  decode: (b) => decodeValue(b as Uint8Array, shared),
  size: (b) => (b as Uint8Array).length,
});

type Lib = Record<string, new (options: object) => Record<string, (x: unknown) => unknown>>;
async function load(path: string): Promise<Lib | undefined> {
  try {
    return await import(`file://${LIBS}/${path}`) as Lib;
  } catch (e) {
    console.error(`(${path} not loaded: ${(e as Error).message.split("\n")[0]})`);
    return undefined;
  }
}
const bytesOf = (b: unknown): number => (b as Uint8Array).length;
const msgpackr = await load("msgpackr/index.js");
if (msgpackr !== undefined) {
  // Separate packer and unpacker instances: a queue's consumers are other agents, so each
  // message must carry its own record definitions (no structures shared across messages).
  for (
    const [name, options] of [
      ["msgpackr-sc", { structuredClone: true }],
      ["msgpackr-records", { useRecords: true }],
      ["msgpackr-maps", { useRecords: false }],
    ] as const
  ) {
    const packr = new msgpackr.Packr(options);
    const unpackr = new msgpackr.Unpackr(options);
    codecs.push({ name, encode: (v) => packr.pack(v), decode: (b) => unpackr.unpack(b), size: bytesOf });
  }
}
const cbor = await load("cbor-x/index.js");
if (cbor !== undefined) {
  const enc = new cbor.Encoder({ structuredClone: true });
  const dec = new cbor.Decoder({ structuredClone: true });
  codecs.push({
    name: "cbor-x-sc",
    encode: (v) => enc.encode(v),
    decode: (b) => dec.decode(b),
    size: bytesOf,
  });
}
try {
  const v8 = await import("node:v8");
  v8.deserialize(v8.serialize({ a: 1 }));
  codecs.push({
    name: "node:v8",
    encode: (v) => v8.serialize(v),
    decode: (b) => v8.deserialize(b as Uint8Array),
    size: bytesOf,
  });
} catch (e) {
  console.error(`(node:v8 not usable: ${(e as Error).message})`);
}
codecs.push({
  name: "structuredClone",
  encode: (v) => v,
  decode: (v) => structuredClone(v),
  size: () => NaN,
  roundTrip: (v) => structuredClone(v),
});
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
codecs.push({
  name: "JSON+UTF-8",
  encode: (v) => textEncoder.encode(JSON.stringify(v)),
  decode: (b) => JSON.parse(textDecoder.decode(b as Uint8Array)),
  size: bytesOf,
});

const chars = (n: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + (i * 7) % 26);
  return s;
};
/** A value built anew for each encode (as a producer does): identity maps pay for each object's first hash. */
class Fresh {
  readonly make: () => unknown;
  constructor(make: () => unknown) {
    this.make = make;
  }
}
let serial = 0;
const CASES: [string, unknown, number][] = [
  ["record {id,kind,payload}", { id: 123, kind: "put", payload: [1.5, "abc", true] }, 0],
  [
    "same, built fresh each time",
    new Fresh(() => ({ id: serial++, kind: "put", payload: [1.5, "abc", true] })),
    0,
  ],
  ["issue record (102 B JSON)", {
    id: 48213,
    kind: "quote",
    sym: "ACME",
    venue: "XNAS",
    px: [101.25, 101.5, 100.75, 101, 250, 300, 0.25, 1.5],
    tags: [7, 12, "x"],
  }, 0],
  ["string 20", chars(20), 0],
  ["string 2000", chars(2000), 2000],
  ["string 2000 non-ASCII", "é日😀".repeat(500), 0],
  [
    "1000 small objects",
    Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item${i}`, ok: i % 2 === 0 })),
    0,
  ],
  [
    "same, built fresh each time",
    new Fresh(() => Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item${i}`, ok: i % 2 === 0 }))),
    0,
  ],
  ["Float64Array(100k)", new Float64Array(100_000).map((_, i) => i / 7), 800_000],
];

const RING = new Uint8Array(new SharedArrayBuffer(8 << 20));

function rate(f: () => void): number {
  let n = 0;
  let batch = 1;
  const warm = performance.now() + MS / 4;
  while (performance.now() < warm) f();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS) {
    for (let i = 0; i < batch; i++) f();
    n += batch;
    t = performance.now();
    if (t - t0 < MS / 20) batch *= 2;
  }
  return n / ((t - t0) / 1000);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "-";
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** How many of the samples and random values a codec gets wrong, and which samples. */
function fidelity(c: Codec): string {
  const wrong: string[] = [];
  let randomWrong = 0;
  const one = (v: unknown): boolean => {
    try {
      const out = c.roundTrip ? c.roundTrip(v) : c.decode(c.encode(v));
      assertSameAsClone(out, v);
      return true;
    } catch {
      return false;
    }
  };
  for (const [name, v] of sampleValues()) if (!one(v)) wrong.push(name);
  for (let seed = 1; seed <= 2000; seed++) {
    if (!one(randomValue(mulberry32(seed), 1 + (seed % 5)))) randomWrong++;
  }
  const samples = sampleValues().length;
  return `${samples - wrong.length}/${samples} samples, ${2000 - randomWrong}/2000 random` +
    (wrong.length > 0 ? `; wrong: ${wrong.slice(0, 12).join(", ")}${wrong.length > 12 ? ", ..." : ""}` : "");
}

const chosen = codecs.filter((c) => ONLY === undefined || ONLY.includes(c.name));
console.log(`# ${RUNTIME}: ops/s (MB/s of payload where given), best of ${ROUNDS} rounds of ${MS} ms`);
console.log("case | codec | bytes | encode | decode | encode+copy+decode | MB/s");
interface Row {
  size: number;
  enc: number;
  dec: number;
  both: number;
  failed?: string;
}

/** One round of one codec on one case: the three rates. */
function measure(c: Codec, sample: unknown, make: (() => unknown) | undefined): Row {
  const value = make === undefined ? sample : make();
  let bytes: unknown;
  try {
    bytes = c.encode(value);
    c.decode(bytes);
  } catch (e) {
    return { size: NaN, enc: NaN, dec: NaN, both: NaN, failed: (e as Error).message.slice(0, 60) };
  }
  const size = c.size(bytes);
  const enc = c.roundTrip ? NaN : rate(make ? () => c.encode(make()) : () => c.encode(value));
  // Decoded from shared memory, as a queue does (sabkit's encode returns scratch memory anyway).
  let kept = bytes;
  if (!c.roundTrip) {
    kept = RING.subarray(0, size);
    (kept as Uint8Array).set(bytes as Uint8Array);
  }
  const dec = c.roundTrip ? NaN : rate(() => c.decode(kept));
  // What a queue does: encode, copy into shared memory, decode from there.
  const both = rate(() => {
    const v = make === undefined ? value : make();
    if (c.roundTrip) return c.roundTrip(v);
    const b = c.encode(v) as Uint8Array;
    RING.set(b);
    return c.decode(RING.subarray(0, b.length));
  });
  return { size, enc, dec, both };
}

const best = (a: number, b: number): number => Number.isNaN(a) ? b : Math.max(a, b);
for (const [label, sample, payload] of CASES) {
  const make = sample instanceof Fresh ? sample.make : undefined;
  if (make !== undefined) console.log(`${label} | (building alone) | | ${fmt(rate(make))} | | |`);
  // Rounds interleave the codecs (in a rotating order) and keep each one's best: the machine
  // is shared, and a burst of load elsewhere should not decide a comparison.
  const rows = new Map<Codec, Row>();
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < chosen.length; k++) {
      const c = chosen[(k + round) % chosen.length];
      const r = measure(c, sample, make);
      const prev = rows.get(c);
      rows.set(
        c,
        prev === undefined ? r : {
          ...r,
          enc: best(prev.enc, r.enc),
          dec: best(prev.dec, r.dec),
          both: best(prev.both, r.both),
        },
      );
    }
  }
  for (const c of chosen) {
    const r = rows.get(c)!;
    if (r.failed !== undefined) {
      console.log(`${label} | ${c.name} | fails: ${r.failed}`);
      continue;
    }
    const mbs = payload > 0 ? ((r.both * payload) / 1e6).toFixed(0) : "";
    console.log(
      `${label} | ${c.name} | ${Number.isNaN(r.size) ? "-" : r.size} | ${fmt(r.enc)} | ${fmt(r.dec)} | ${
        fmt(r.both)
      } | ${mbs}`,
    );
  }
}
console.log("\ncodec | fidelity vs structuredClone");
for (const c of chosen) console.log(`${c.name} | ${fidelity(c)}`);
