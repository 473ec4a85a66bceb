/**
 * Pool latency alone: one task at a time on an idle pool of 2 workers,
 * apply → result, the median and spread of single samples (a short A/B
 * diagnostic for the `pool-lat` row of `bench/_pool.ts`).
 *
 *   node bench/diag/pool_latency.ts [rounds=5] [n=20000]
 *
 * @module
 */
import process from "node:process";
import { Pool } from "../../mod.ts";

const rounds = Number(process.argv[2] ?? 5);
const n = Number(process.argv[3] ?? 20_000);
const pool = new Pool(new URL("../_pool_tasks.ts", import.meta.url), { processes: 2, name: "diag-lat" });
try {
  for (let i = 0; i < 2_000; i++) await pool.apply("add", [i, 1]);
  for (let r = 0; r < rounds; r++) {
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const v = await pool.apply("add", [i, 1]);
      t[i] = performance.now() - t0;
      if (v !== i + 1) throw new Error(`add(${i}, 1) gave ${v}`);
    }
    t.sort();
    const q = (p: number) => (t[Math.floor(p * (n - 1))] * 1e3).toFixed(1);
    console.log(`µs: p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)}`);
  }
} finally {
  pool.terminate();
  await pool.join();
}
