/**
 * The Queue's transport share (issue 18): a Queue put → get of a small int
 * (1 byte encoded: the ring alone), of the benchmark's record (the codec on
 * both sides too), and the codec alone in one thread (encode only, decode
 * only). Main thread → one worker, a few rounds, values per second.
 *
 *   node bench/diag/value_codec_transport.ts [rounds=5] [n=200000]
 *
 * @module
 */
import process from "node:process";
import { Process, Queue } from "../../mod.ts";
import { decodeValue, ValueEncoder } from "../../src/queue/_value_codec.ts";
import { record } from "../_queue_record.ts";

const rounds = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 200_000);
const WORKER = new URL("./value_codec_transport_worker.ts", import.meta.url);

async function queueRate(kind: "int" | "rec"): Promise<number[]> {
  const q = new Queue();
  const done = new Int32Array(new SharedArrayBuffer(16));
  Atomics.store(done, 1, N);
  const p = new Process(WORKER, { args: [q, done, kind] }).start();
  const rates: number[] = [];
  const putMs: number[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const t0 = performance.now();
      if (kind === "int") { for (let i = 0; i < N; i++) q.put(i & 127); }
      else for (let i = 0; i < N; i++) q.put(record(i));
      putMs.push(performance.now() - t0);
      while (Atomics.load(done, 0) !== r) Atomics.wait(done, 0, r - 1, 10);
      rates.push(N / (performance.now() - t0) * 1e3);
      const want = kind === "int" ? (N - 1) & 127 : N - 1;
      if (Atomics.load(done, 2) !== want) {
        throw new Error(`${kind}: last ${Atomics.load(done, 2)}, expected ${want}`);
      }
      if (r === rounds) Atomics.store(done, 1, 0);
      Atomics.store(done, 3, r);
      Atomics.notify(done, 3);
    }
  } finally {
    await p.join();
    q.close();
  }
  if (process.env.SPLIT) {
    console.log(`  ${kind}: put loop ${putMs.map((m) => (m * 1e3 / N).toFixed(2)).join(" ")} µs/item`);
  }
  return rates;
}

function codecRate(part: "enc" | "dec"): number[] {
  const enc = new ValueEncoder();
  const none: SharedArrayBuffer[] = [];
  const sample = new Uint8Array(new SharedArrayBuffer(512));
  const bytes = enc.encode(record(7), none);
  sample.set(bytes);
  const view = sample.subarray(0, bytes.length);
  const rates: number[] = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    if (part === "enc") { for (let i = 0; i < N; i++) sink += enc.encode(record(i), none).length; }
    else for (let i = 0; i < N; i++) sink += (decodeValue(view, none) as { id: number }).id;
    rates.push(N / (performance.now() - t0) * 1e3);
  }
  if (sink === 0.5) console.log(sink);
  return rates;
}

const fmt = (rates: number[]): string =>
  `best ${(Math.max(...rates) / 1e6).toFixed(2)}M/s (${rates.map((x) => (x / 1e6).toFixed(2)).join(" ")})`;
console.log(`Queue put → get, small int: ${fmt(await queueRate("int"))}`);
console.log(`Queue put → get, record:    ${fmt(await queueRate("rec"))}`);
console.log(`encode record (fresh):      ${fmt(codecRate("enc"))}`);
console.log(`decode record:              ${fmt(codecRate("dec"))}`);
process.exit(0);
