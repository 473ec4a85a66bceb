/**
 * A quick local throughput check of `Channel`, main thread → one worker
 * (`recvInto` or `recvWith` on the worker side): 1,000 messages of 100,000 float64 (GB/s)
 * and 100,000 messages of 16 float64 (messages/s), per slot count. Prints
 * the median and every run. Not a test: the figures are the benchmark's (`bench/bench.ts`).
 *
 *   deno run --allow-read bench/diag/channel_quick.ts [runs=3] [slots=1,4,8] [into|with]
 *   bun bench/diag/channel_quick.ts   |   node bench/diag/channel_quick.ts
 */
import { runtime } from "../_port.ts";
import { Channel, Process } from "../../mod.ts";

const worker = new URL("./channel_quick_worker.ts", import.meta.url);
const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv?.slice(2) ?? [];
const runs = Number(argv[0] ?? 3);
const slotList = (argv[1] ?? "1,4,8").split(",").map(Number);
const mode = argv[2] === "with" ? "with" : "into";

/** Seconds to move `count` messages of `size` elements, from the first send to the last receive. */
async function once(slots: number, size: number, count: number): Promise<number> {
  const ch = new Channel("d", { capacity: size, slots });
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const p = new Process(worker, { args: [ch, flags, mode] }).start();
  try {
    while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1));
    const msg = new Float64Array(size);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      msg[0] = i;
      msg[size - 1] = i;
      ch.send(msg);
    }
    ch.close();
    while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 1000);
    const seconds = (performance.now() - t0) / 1000;
    await p.join();
    if (flags[2] !== count) throw new Error(`received ${flags[2]} of ${count}`);
    return seconds;
  } finally {
    p.terminate();
  }
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

for (const slots of slotList) {
  const big: number[] = [];
  const small: number[] = [];
  for (let r = 0; r < runs; r++) {
    big.push((1000 * 100_000 * 8) / (await once(slots, 100_000, 1000)) / 1e9);
    small.push(100_000 / (await once(slots, 16, 100_000)));
  }
  const all = (xs: number[], scale: number) => xs.map((x) => (x / scale).toFixed(2)).join(" ");
  console.log(
    `${runtime} ${mode} slots=${slots}: 100k-f64 ${median(big).toFixed(2)} GB/s [${all(big, 1)}], ` +
      `16-f64 ${(median(small) / 1e6).toFixed(2)} M msg/s [${all(small, 1e6)}]`,
  );
}
