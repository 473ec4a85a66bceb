/**
 * The read-mostly rows of `bench/_locks.ts` alone, sample by sample: for
 * each batch of `n` sections on both threads, the time per section of the
 * pair (as the row reports it) and each thread's own time per section, to
 * see whether the two threads run their scans at the same speed (the
 * engines compile the same scan to very different code from one tier to
 * the next).
 *
 *   node bench/diag/rwlock_scan.ts [kind=rwlock|lock|none] [every=9|Infinity] [batches=40] [n=2000]
 *
 * @module
 */
import process from "node:process";
import { openReadMostly } from "../_locks.ts";

const kind = (process.argv[2] ?? "rwlock") as "rwlock" | "lock" | "none";
const every = Number(process.argv[3] ?? 9);
const batches = Number(process.argv[4] ?? 40);
const n = Number(process.argv[5] ?? 2000);
const session = await openReadMostly(`diag ${kind}`, kind, every);
try {
  const rows: string[] = [];
  for (let b = 0; b < batches; b++) {
    const [m0, w0] = session.busy();
    const t0 = performance.now();
    await session.run(n);
    const t = performance.now() - t0;
    const [m1, w1] = session.busy();
    const us = (ms: number): string => (ms * 1e3 / n).toFixed(1);
    rows.push(`${us(t / 2)} (main ${us(m1 - m0)}, worker ${us(w1 - w0)})`);
  }
  console.log(`${kind} every ${every}, µs per section: pair (main, worker)\n${rows.join("\n")}`);
} finally {
  await session.close();
}
