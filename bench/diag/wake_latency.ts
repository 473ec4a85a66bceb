/**
 * What parking costs on this machine, the figure the spin budgets of
 * `src/core/_spin.ts` are weighed against: a worker parks in `Atomics.wait`, the
 * main thread notifies it after it has slept a while, and the worker notes
 * when it runs again (both clocks as `timeOrigin + now()`). Prints the
 * wake-up latency per sleep length.
 *
 *   deno run --allow-read bench/diag/wake_latency.ts | bun bench/diag/wake_latency.ts | node bench/diag/wake_latency.ts
 */
import { runtime } from "../_port.ts";
import { Process } from "../../mod.ts";

const ROUNDS = 400;
const SLEEPS_MS = [0.02, 0.1, 1, 5];
const ctl = new Int32Array(new SharedArrayBuffer(16));
const times = new Float64Array(new SharedArrayBuffer(16));
const p = new Process(new URL("./wake_latency_worker.ts", import.meta.url), { args: [ctl, times, ROUNDS] })
  .start();

/** Busy-waits: the main thread must not park itself, or its own wake-up would be measured too. */
function busyUntil(test: () => boolean): void {
  while (!test());
}

const latencies = SLEEPS_MS.map(() => [] as number[]);
try {
  for (let k = 1; k <= ROUNDS; k++) {
    busyUntil(() => Atomics.load(ctl, 1) === k);
    const s = (k - 1) % SLEEPS_MS.length;
    const until = performance.now() + SLEEPS_MS[s];
    busyUntil(() => performance.now() >= until);
    times[0] = performance.timeOrigin + performance.now();
    Atomics.store(ctl, 0, k);
    Atomics.notify(ctl, 0);
    busyUntil(() => Atomics.load(ctl, 2) === k);
    latencies[s].push((times[1] - times[0]) * 1000);
  }
  await p.join(10_000);
} finally {
  p.terminate();
}
SLEEPS_MS.forEach((ms, s) => {
  const xs = latencies[s].sort((a, b) => a - b);
  const q = (f: number) => xs[Math.floor(f * (xs.length - 1))].toFixed(0);
  console.log(
    `${runtime}: parked ~${ms} ms, woken after µs: p10 ${q(0.1)}, p50 ${q(0.5)}, p90 ${q(0.9)}, max ${q(1)}`,
  );
});
