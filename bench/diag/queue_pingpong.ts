/**
 * Pipe ping-pong and Queue throughput of small records, alone, a few rounds
 * (a short A/B diagnostic for the Queue's hot path; `bench/_queue.ts` has the rows).
 *
 *   node bench/diag/queue_pingpong.ts [rounds=5] [which=rt,ch,q,pm,codec,str,str64k,pmstr,f64,pmf64]
 *
 * @module
 */
import process from "node:process";
import { openCodec, openPipePingPong, openPostValues, openQueueValues } from "../_queue.ts";
import { terminateAll } from "../_port.ts";
import { openPingPongChannel } from "../_scenarios.ts";

const rounds = Number(process.argv[2] ?? 5);
const which = (process.argv[3] ?? "rt,q,codec").split(",");
try {
  for (
    const [name, n, open] of [
      ["rt", 20_000, () => openPipePingPong("pipe ping-pong")],
      ["ch", 20_000, () => openPingPongChannel("channel ping-pong")],
      ["q", 100_000, () => openQueueValues("queue", "rec", "Queue")],
      ["pm", 100_000, () => openPostValues("pm burst", "rec", true)],
      ["codec", 100_000, () => openCodec("rec")],
      ["str", 200, () => openQueueValues("queue str", "str", "Queue", 4 << 20)],
      ["str64k", 200, () => openQueueValues("queue str 64k", "str", "Queue")],
      ["pmstr", 200, () => openPostValues("pm str", "str", true)],
      ["f64", 200, () => openQueueValues("queue f64", "f64", "Queue", 4 << 20)],
      ["pmf64", 200, () => openPostValues("pm f64", "f64", true)],
    ] as const
  ) {
    if (!which.includes(name)) continue;
    const s = await open();
    const figs: string[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      await s.run(n);
      figs.push(((performance.now() - t0) * 1e3 / n).toFixed(2));
    }
    await s.close();
    console.log(`${name}: µs per item/round trip: ${figs.join(" ")}`);
  }
} finally {
  terminateAll();
}
process.exit(0);
