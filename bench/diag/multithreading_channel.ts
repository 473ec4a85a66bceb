/**
 * multithreading's `channel()` (0.3.52, the benchmark's peer) delivering
 * values it was not sent: the smallest program that shows it. The receiver
 * checks that the i-th message is the i-th sent; with JSON strings it gets a
 * stale one (message 0 again) after about a thousand, with objects the keys
 * and values of a record shift after about 300 (`bench/_queue.ts` rows).
 *
 *   node bench/diag/multithreading_channel.ts [count=5000] [json|object]
 *
 * Seen on Node 26 (and by the benchmark on Deno 2.9 and Bun 1.4):
 * `at 1166: got {"id":0,…}` with JSON strings.
 *
 * @module
 */
import process from "node:process";
import { channel, move, shutdown, spawn } from "multithreading";

const count = Number(process.argv[2] ?? 5000);
const json = (process.argv[3] ?? "json") === "json";
const [tx, rx] = channel<unknown>();
const handle = spawn(move(rx, { count, json }), (rx, box) => {
  for (let i = 0; i < box.count; i++) {
    const r = rx.blockingRecv();
    if (!r.ok) return `closed at ${i}`;
    const v = (box.json ? JSON.parse(r.value as string) : r.value) as { id: number; kind: unknown };
    if (v.id !== i || v.kind !== "quote") return `at ${i}: got ${JSON.stringify(v)}`;
  }
  return `all ${box.count} in order`;
});
for (let i = 0; i < count; i++) {
  const v = { id: i, kind: "quote", px: [i + 0.5, 2] };
  tx.blockingSend(json ? JSON.stringify(v) : v);
}
console.log(await handle.join());
shutdown();
