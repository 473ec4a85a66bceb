/**
 * A quick local throughput check of `Channel`, main thread → one worker:
 * 1,000 messages of 100,000 float64 (GB/s) and 100,000 messages of 16
 * float64 (messages/s), for 1, 4 and 8 slots. Medians of 3 runs.
 *
 *   deno run --allow-read bench/channel_quick.ts | bun bench/channel_quick.ts | node bench/channel_quick.ts
 */
import { Channel, Process } from "../mod.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const worker = new URL("./channel_quick_worker.ts", import.meta.url);

async function once(slots: number, size: number, count: number): Promise<number> {
  const ch = new Channel("d", { capacity: size, slots });
  const flags = new Int32Array(new SharedArrayBuffer(32));
  const p = new Process(worker, { args: [ch, flags] }).start();
  try {
    while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1));
    const msg = new Float64Array(size);
    const parks0 = (globalThis as any).__parks ?? 0;
    const copy0 = (globalThis as any).__copy ?? 0;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      msg[0] = i;
      msg[size - 1] = i;
      ch.send(msg);
    }
    ch.close();
    while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 1000);
    const seconds = (performance.now() - t0) / 1000;
    if (globalThis.process?.env?.PARKS) console.log(`  slots=${slots} size=${size}: ${(count * size * 8 / seconds / 1e9).toFixed(2)} GB/s ${(count / seconds / 1e6).toFixed(2)} M/s parks: sender ${((globalThis as any).__parks ?? 0) - parks0}, receiver ${flags[3]}; copy ms: sender ${(((globalThis as any).__copy ?? 0) - copy0).toFixed(0)} receiver ${flags[4] / 1000} total ${(seconds*1000).toFixed(0)}`);
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

const runs = Number(globalThis.process?.env?.RUNS ?? 3);
const slotList = (globalThis.process?.env?.SLOTS ?? "1,4,8").split(",").map(Number);
for (const slots of slotList) {
  const big: number[] = [];
  const small: number[] = [];
  for (let r = 0; r < runs; r++) {
    big.push((1000 * 100_000 * 8) / (await once(slots, 100_000, 1000)) / 1e9);
    small.push(100_000 / (await once(slots, 16, 100_000)));
  }
  console.log(
    `${runtime} slots=${slots}: 100k-f64 ${median(big).toFixed(2)} GB/s [${big.map((x) => x.toFixed(1)).join(" ")}]` +
      `, 16-f64 ${(median(small) / 1e6).toFixed(2)} M msg/s [${small.map((x) => (x / 1e6).toFixed(2)).join(" ")}]`,
  );
}
