/**
 * The seed program, ported: the main thread sends 1,000 messages of 100,000
 * floats to a consumer process through a FloatChannel, then the same data
 * through a four-slot Channel and through postMessage for comparison.
 *
 *   deno run --allow-read examples/float_channel.ts   |   bun examples/float_channel.ts   |   node examples/float_channel.ts
 *
 * An argument sets the number of messages (default 1,000).
 */
import { Channel, FloatChannel, Process } from "../mod.ts";

const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv ?? [];
const MESSAGES = Number(argv[2] ?? 1000);
const SIZE = 100_000;
const data = Float64Array.from({ length: SIZE }, () => Math.random());
const gb = (ms: number) => ((MESSAGES * SIZE * 8) / (ms / 1000) / 1e9).toFixed(2);

// FloatChannel: four shared slots (copying in overlaps copying out); nothing
// is serialized. The consumer first takes each message as a new Float64Array
// (recv, like the seed's consumer), then into one reused buffer (recvInto, no
// allocation). Last, a plain four-slot Channel.
const runs: Array<[string, () => Channel<"d">, string]> = [
  ["FloatChannel (recv)", () => new FloatChannel(SIZE), "recv"],
  ["FloatChannel (recvInto)", () => new FloatChannel(SIZE), "recvInto"],
  ["Channel, 4 slots (recvInto)", () => new Channel("d", { capacity: SIZE, slots: 4 }), "recvInto"],
];
for (const [name, make, how] of runs) {
  const ch = make();
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const consumer = new Process(new URL("./float_channel_worker.ts", import.meta.url), {
    args: [ch, MESSAGES, ready, how],
  });
  consumer.start();
  // Every timing leaves out the worker's start-up.
  while (Atomics.load(ready, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) ch.send(data);
  await consumer.join();
  const ms = performance.now() - t0;
  console.log(`Done: ${name} ${MESSAGES} x ${SIZE} floats in ${ms.toFixed(0)} ms (${gb(ms)} GB/s)`);
}

// postMessage: each message is cloned; at most 8 in flight, as a pipe would allow.
// The runtime's own Worker where there is one (Deno, Bun), else node:worker_threads.
interface Port {
  postMessage(data: unknown): void;
  terminate(): unknown;
}
const WebWorker = (globalThis as { Worker?: new (url: URL, options: object) => Port }).Worker;
const url = new URL("./float_channel_pm_worker.ts", import.meta.url);
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
const t0 = performance.now();
await new Promise<void>((resolve) => {
  let sent = 0;
  let received = 0;
  const pump = () => {
    for (; sent < MESSAGES && sent - received < 8; sent++) worker.postMessage(data);
  };
  onMessage = () => {
    if (++received === MESSAGES) resolve();
    else pump();
  };
  pump();
});
const ms = performance.now() - t0;
await worker.terminate();
console.log(`Done: postMessage ${MESSAGES} x ${SIZE} floats in ${ms.toFixed(0)} ms (${gb(ms)} GB/s)`);
