/**
 * The ceiling of a copying channel on this machine: a channel copies every
 * byte twice (into the slot, out of it) on two threads at once, so it cannot
 * beat two `Float64Array.set` loops running side by side. Prints the rate of
 * one copy alone and of each of two concurrent copies (100,000 float64 per
 * block, into SharedArrayBuffer-backed arrays).
 *
 *   deno run --allow-read bench/diag/memcpy_pair.ts | bun bench/diag/memcpy_pair.ts | node bench/diag/memcpy_pair.ts
 */
import { Process } from "../../mod.ts";

const SIZE = 100_000;
const MS = 1500;
const src = new Float64Array(SIZE).fill(2.5);
const dst = new Float64Array(new SharedArrayBuffer(SIZE * 8));

function copyFor(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 16; i++) dst.set(src);
    n += 16;
  }
  return n;
}

const gbs = (blocks: number, ms: number) => (blocks * SIZE * 8) / (ms / 1000) / 1e9;
copyFor(200); // warm-up
const alone = gbs(copyFor(MS), MS);

const flags = new Int32Array(new SharedArrayBuffer(12));
const worker = new Process(new URL("./memcpy_pair_worker.ts", import.meta.url), { args: [flags, SIZE] })
  .start();
try {
  while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  const mine = copyFor(MS);
  Atomics.store(flags, 1, 1);
  await worker.join();
  const elapsed = performance.now() - t0;
  const theirs = Atomics.load(flags, 2);
  console.log(
    `memcpy into SAB, 800 kB blocks: alone ${alone.toFixed(1)} GB/s; two threads at once: ` +
      `${gbs(mine, MS).toFixed(1)} + ${gbs(theirs, elapsed).toFixed(1)} GB/s`,
  );
} finally {
  worker.terminate();
}
