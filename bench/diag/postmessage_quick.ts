/**
 * The peer to beat, measured like `channel_quick.ts`: postMessage of a
 * Float64Array (a structured clone) from the main thread to one worker,
 * 1,000 messages of 100,000 float64 (at most 8 unacknowledged) and 100,000
 * of 16 (acknowledged by the thousand). Medians of 3 runs.
 *
 *   deno run --allow-read bench/diag/postmessage_quick.ts | bun bench/diag/postmessage_quick.ts | node bench/diag/postmessage_quick.ts
 */
import { runtime } from "../_port.ts";
interface Port {
  postMessage(data: unknown): void;
  terminate(): unknown;
}
const WebWorker = (globalThis as { Worker?: new (url: URL, options: object) => Port }).Worker;

async function once(size: number, count: number, ack: number, window: number): Promise<number> {
  // The worker acknowledges each big message and every 1,000th small one.
  const url = new URL("./postmessage_quick_worker.ts", import.meta.url);
  let onMessage: () => void = () => {};
  let worker: Port;
  if (WebWorker !== undefined) {
    const w = new WebWorker(url, { type: "module" }) as Port & { onmessage: () => void };
    w.onmessage = () => onMessage();
    worker = w;
  } else {
    const { Worker } = await import("node:worker_threads");
    const w = new Worker(url);
    w.on("message", () => onMessage());
    worker = w;
  }
  await new Promise<void>((resolve) => (onMessage = resolve));
  const msg = new Float64Array(size);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    let acked = 0;
    const pump = () => {
      for (; sent < count && sent - acked < window; sent++) {
        msg[0] = sent;
        worker.postMessage(msg);
      }
    };
    onMessage = () => {
      acked += ack;
      if (acked >= count) resolve();
      else pump();
    };
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  await worker.terminate();
  return seconds;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

const big: number[] = [];
const small: number[] = [];
for (let r = 0; r < 3; r++) {
  big.push((1000 * 100_000 * 8) / (await once(100_000, 1000, 1, 8)) / 1e9);
  small.push(100_000 / (await once(16, 100_000, 1000, 8000)));
}
console.log(
  `${runtime} postMessage(Float64Array): 100k-f64 ${median(big).toFixed(2)} GB/s, ` +
    `16-f64 ${(median(small) / 1e6).toFixed(2)} M msg/s`,
);
