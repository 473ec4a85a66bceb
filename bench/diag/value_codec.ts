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
 * RESULTS (2-core machine shared with other agents; best of 3 interleaved
 * rounds; run of 5 Dec 2026 at commit "Value codec: long non-ASCII strings as
 * UTF-16"). Per runtime: encode/s, decode/s (from shared memory),
 * encode+copy+decode/s. "fresh": the value is built anew for each encode
 * (building alone: Node 202M/s for (a), 30k/s for (c)), so identity maps pay
 * each object's first hash. structuredClone has no bytes: its figure is one
 * call. msgpackr-records and -maps decode a Float64Array as a view on the
 * input bytes (no copy: retains the queue's memory), hence 19M/s.
 *
 * case                   codec            | Node 26.10           | Deno 2.9.6           | Bun 1.4.5
 *                                         |    enc    dec   both |    enc    dec   both |    enc    dec   both
 * (a) record             sabkit           |  3.31M  5.31M  1.33M |  3.42M  6.13M  1.53M |  3.78M  7.19M  1.79M
 * (a) record             msgpackr-sc      |  2.48M  3.78M 950.8k |  3.08M  3.71M  1.00M |  4.64M  2.15M 818.1k
 * (a) record             msgpackr-records |  2.94M  3.85M 995.8k |  2.95M  4.02M  1.08M |  5.28M  2.09M 812.8k
 * (a) record             cbor-x-sc        |  2.36M  4.41M 942.9k |  2.41M  4.69M  1.02M |  4.96M  2.51M  1.00M
 * (a) record             node:v8          | 373.5k  1.05M 198.0k | 187.8k 419.6k 160.1k | 966.8k  1.94M 548.8k
 * (a) record             structuredClone  |      -      -  1.12M |      -      -  83.2k |      -      -  1.11M
 * (a) record             JSON+UTF-8       |  2.44M  2.42M  1.03M |  1.70M 849.6k 469.7k |  9.56M  7.55M  2.42M
 * (a) fresh              sabkit           |  3.16M  5.19M  1.25M |  2.01M  2.45M 949.4k |  3.13M  7.29M  1.60M
 * (a) fresh              msgpackr-sc      |  2.17M  3.78M 888.2k |  1.63M  2.37M 639.5k |  3.98M  2.02M 861.9k
 * (a) fresh              msgpackr-records |  2.77M  3.74M  1.00M |  2.24M  2.05M 711.6k |  4.96M  2.01M 775.7k
 * (a) fresh              cbor-x-sc        |  2.13M  4.46M 888.9k |  1.38M  2.61M 649.9k |  4.83M  2.68M  1.02M
 * (a) fresh              node:v8          | 255.7k  1.01M 242.7k |  72.1k 228.5k  65.4k | 934.9k  1.75M 510.6k
 * (a) fresh              structuredClone  |      -      -  1.11M |      -      -  25.9k |      -      - 973.8k
 * (a) fresh              JSON+UTF-8       |  2.59M  2.37M  1.06M |  1.14M 618.5k 363.2k |  8.75M  7.20M  2.13M
 * issue's record         sabkit           |  2.02M  2.66M 865.6k |  1.61M  1.45M 578.9k |  1.40M  3.62M 854.5k
 * issue's record         msgpackr-sc      |  1.68M  2.13M 676.1k |  1.30M  1.46M 523.2k |  1.99M  1.20M 526.6k
 * issue's record         msgpackr-records |  2.02M  2.10M 706.2k |  1.62M  1.47M 538.9k |  2.19M 713.4k 497.7k
 * issue's record         cbor-x-sc        |  1.65M  2.30M 672.2k |  1.03M  1.59M 464.8k |  2.88M  1.38M 585.8k
 * issue's record         node:v8          | 262.1k 709.9k 257.2k | 162.3k 275.6k  90.9k | 464.9k  1.07M 273.5k
 * issue's record         structuredClone  |      -      - 790.9k |      -      -  23.7k |      -      - 573.9k
 * issue's record         JSON+UTF-8       |  1.83M  1.75M 771.4k | 990.5k 546.1k 300.2k |  3.76M  3.98M  1.36M
 * (b) string 20          sabkit           |  8.50M 12.08M  3.38M |  6.21M 11.47M  3.63M | 14.47M 12.42M  4.99M
 * (b) string 20          msgpackr-sc      |  8.89M 11.19M  2.55M |  7.85M  9.99M  2.52M | 17.60M  7.12M  2.76M
 * (b) string 20          msgpackr-records |  9.69M 11.06M  2.63M |  7.77M  6.65M  2.11M | 15.86M  7.63M  2.78M
 * (b) string 20          cbor-x-sc        |  9.13M 12.92M  2.74M |  5.34M  7.08M  2.05M | 18.39M  9.31M  3.25M
 * (b) string 20          node:v8          |  1.27M  2.45M 636.9k | 222.3k 200.4k 119.8k |  1.75M  5.09M  1.34M
 * (b) string 20          structuredClone  |      -      -  5.29M |      -      - 169.94M |      -      - 12.79M
 * (b) string 20          JSON+UTF-8       |  2.49M  9.30M  1.45M |  1.11M 751.8k 405.2k | 18.87M 16.84M  5.53M
 * (b) string 2000        sabkit           |  6.63M  3.53M  1.57M |  4.79M  1.23M 882.2k | 11.26M  4.12M  2.14M
 * (b) string 2000        msgpackr-sc      |  2.74M  3.18M  1.02M |  1.97M 577.0k 415.6k |  5.93M  3.72M  1.34M
 * (b) string 2000        msgpackr-records |  3.70M  3.21M 966.8k |  2.18M 706.2k 369.3k |  5.90M  3.17M  1.26M
 * (b) string 2000        cbor-x-sc        |  3.05M  3.13M 841.6k |  1.98M 612.0k 398.4k |  5.95M  3.53M  1.30M
 * (b) string 2000        node:v8          | 693.6k  1.94M 501.1k | 282.3k  1.02M 169.5k |  1.43M  2.98M 788.4k
 * (b) string 2000        structuredClone  |      -      -  2.52M |      -      - 166.07M |      -      -  3.57M
 * (b) string 2000        JSON+UTF-8       | 685.6k  1.67M 433.0k | 381.8k 632.5k 274.8k |  2.39M  2.06M 852.3k
 * string 2000 mixed      sabkit           |  4.02M  2.88M  1.30M | 257.9k 341.7k 131.6k |  9.61M  3.81M  2.05M
 * string 2000 mixed      msgpackr-sc      | 748.8k 664.9k 295.5k | 239.6k 317.1k  87.8k |  1.37M 863.8k 439.2k
 * string 2000 mixed      msgpackr-records | 782.2k 665.4k 300.1k | 201.1k 294.2k  82.4k |  1.40M 860.0k 448.6k
 * string 2000 mixed      cbor-x-sc        | 760.4k 657.3k 268.2k | 221.1k 288.2k 101.6k |  1.36M 861.8k 435.8k
 * string 2000 mixed      node:v8          | 588.2k  1.99M 455.8k | 343.7k  1.28M 182.0k |  1.52M  2.59M 772.3k
 * string 2000 mixed      structuredClone  |      -      -  2.24M |      -      - 170.71M |      -      -  3.12M
 * string 2000 mixed      JSON+UTF-8       | 204.6k 538.2k 136.2k |  83.8k 258.0k  71.6k | 368.4k 675.1k 232.5k
 * (c) 1000 objects       sabkit           |   7.5k  15.0k   5.4k |   7.3k  12.5k   2.5k |  14.1k  21.1k   7.6k
 * (c) 1000 objects       msgpackr-sc      |   9.4k  25.9k   6.9k |   9.9k  22.6k   6.5k |  11.0k  12.5k   7.0k
 * (c) 1000 objects       msgpackr-records |  13.0k  26.0k   8.7k |  14.2k  23.1k   8.3k |  13.9k  13.6k   7.9k
 * (c) 1000 objects       cbor-x-sc        |   8.3k  22.4k   6.0k |   8.7k  22.6k   5.5k |  13.1k   8.7k   5.6k
 * (c) 1000 objects       node:v8          |  10.1k   4.8k   3.3k |  10.1k   3.1k   2.2k |   2.6k   6.3k   1.8k
 * (c) 1000 objects       structuredClone  |      -      -   3.7k |      -      -   3.3k |      -      -   4.1k
 * (c) 1000 objects       JSON+UTF-8       |  26.3k   8.4k   6.4k |  20.0k   8.3k   5.2k |  31.3k  11.3k   8.2k
 * (c) fresh              sabkit           |   4.1k  15.1k   3.1k |   2.9k   8.6k   2.2k |   4.0k  20.3k   3.0k
 * (c) fresh              msgpackr-sc      |   6.8k  26.0k   5.4k |   5.9k  17.1k   4.5k |   6.2k  13.0k   3.0k
 * (c) fresh              msgpackr-records |   9.2k  26.0k   6.8k |   8.1k  17.9k   5.5k |   7.4k  14.4k   5.1k
 * (c) fresh              cbor-x-sc        |   6.7k  21.4k   5.2k |   5.0k  18.2k   3.9k |   5.2k   7.7k   3.0k
 * (c) fresh              node:v8          |   4.2k   4.6k   2.2k |   2.8k   2.8k   1.4k |   1.8k   5.3k   1.4k
 * (c) fresh              structuredClone  |      -      -   3.3k |      -      -   2.5k |      -      -   2.7k
 * (c) fresh              JSON+UTF-8       |  14.3k   8.4k   5.3k |   9.5k   6.9k   3.9k |   7.9k  11.2k   4.1k
 * (d) Float64Array 100k  sabkit           |  93.2k  10.5k   8.2k |  92.7k  21.8k  12.7k |  80.6k  50.1k  20.2k
 * (d) Float64Array 100k  msgpackr-sc      |  36.5k   5.7k   6.2k |  12.8k   7.6k   4.9k |  33.4k  51.4k  14.4k
 * (d) Float64Array 100k  msgpackr-records |  39.5k 19.33M  25.0k |   7.5k 15.61M   6.5k |  34.7k 14.20M  17.1k
 * (d) Float64Array 100k  cbor-x-sc        |  37.9k   5.4k   4.6k |   7.1k   5.7k   2.5k |  36.8k  50.7k  13.4k
 * (d) Float64Array 100k  node:v8          |  15.5k   9.6k   6.7k |   9.0k   1.9k    320 |  24.3k  46.9k  10.4k
 * (d) Float64Array 100k  structuredClone  |      -      -  13.9k |      -      -   4.0k |      -      -  28.6k
 * (d) Float64Array 100k  JSON+UTF-8       |    109    271     78 |     94    259     62 |     38    118     29
 *
 * Fidelity (tests/_values.ts: 92 named samples, 2,000 seeded random values,
 * each compared with structuredClone of it): sabkit 92/92 and 2000/2000 on
 * all three; msgpackr structuredClone 48/92, 1267/2000 (-0, lone surrogates,
 * holes, array properties, __proto__ keys, Map keys, resizable buffers,
 * ...); msgpackr records/maps 38/92; cbor-x structuredClone 45/92, 1171/2000;
 * node:v8 74/92 on Node and Deno (typed arrays arrive as other kinds/without
 * their buffers' sharing), 89/92 on Bun (no error cause); structuredClone
 * itself 89/92 on Bun (drops error causes); JSON 34/92.
 *
 * Decision: sabkit's own codec (src/queue/_value_codec.ts). It is the only
 * one correct on the value list, and the fastest on the issue's target (small
 * records: encode+copy+decode 1.33M/1.53M/1.79M per s against msgpackr
 * structuredClone's 0.95M/1.00M/0.82M, Node/Deno/Bun) and on strings and
 * typed arrays; on arrays of 1000 records msgpackr is ahead on V8 (decode
 * 26k/s against 15k/s on Node), behind on Bun.
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
