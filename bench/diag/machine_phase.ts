/**
 * Is a slow run the channel's fault or the machine's? Sends batches through
 * one `Channel` (main thread → a worker reading in place, stamps checked)
 * for a while, and times the control loop of `_control.ts` on both cores
 * before and after every batch. Then it groups the batches by the state of
 * the machine (each core fast or slow: slow is 1.3× its fastest reading or
 * more, both before and after the batch) and prints the channel's spread in
 * each group next to the spread over all of them.
 *
 * If the channel had a slow mode of its own, it would show inside a group;
 * if the groups are tight and apart, the spread is the machine's.
 *
 *   deno run --allow-read bench/diag/machine_phase.ts [seconds=60] [elements=16] [verbose]
 *   bun bench/diag/machine_phase.ts   |   node bench/diag/machine_phase.ts
 *
 * 16 elements: batches of 100,000 messages through 1,024 slots (the 16-f64
 * row of the benchmark); more: batches of 1,000 through 1 slot (the 100k-f64
 * row).
 *
 * @module
 */
import { Channel, Process } from "../../mod.ts";
import { machineNow, startMachineProbe, stopMachineProbe } from "../_control.ts";
import { runtime } from "../_port.ts";

const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv?.slice(2) ?? [];
const seconds = Number(argv[0] ?? 60);
const size = Number(argv[1] ?? 16);
const verbose = argv.includes("verbose");
const small = size <= 1024;
const batch = small ? 100_000 : 1_000;
const slots = small ? 1024 : 1;
/** Batches left out at the start: the code is still being compiled. */
const WARM_UP = 3;
/** A core is slow when its loop takes this much longer than its fastest reading. */
const SLOW = 1.3;

interface Row {
  /** ns per copy on [main, other], before and after the batch. */
  before: [number, number];
  after: [number, number];
  /** Messages per second. */
  rate: number;
}

async function measure(): Promise<Row[]> {
  const ch = new Channel("d", { capacity: size, slots });
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await startMachineProbe();
  const p = new Process(new URL("./machine_phase_worker.ts", import.meta.url), { args: [ch, flags, batch] });
  p.start();
  try {
    for (let waited = 0; Atomics.load(flags, 0) === 0; waited += 10) {
      if (waited > 30_000) throw new Error("The consumer did not start within 30 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    const message = new Float64Array(size);
    const rows: Row[] = [];
    let sent = 0;
    for (let done = 1, end = performance.now() + seconds * 1000; performance.now() < end; done++) {
      const before = machineNow();
      const t0 = performance.now();
      for (let i = 0; i < batch; i++, sent++) {
        message[0] = sent;
        message[size - 1] = sent;
        ch.send(message);
      }
      const deadline = t0 + 30_000;
      for (let got; (got = Atomics.load(flags, 1)) < done;) {
        if (performance.now() > deadline || !p.alive) {
          throw new Error(`The consumer stopped after ${got} of ${done} batches`);
        }
        Atomics.wait(flags, 1, got, 100);
      }
      const rate = batch / ((performance.now() - t0) / 1000);
      rows.push({ before, after: machineNow(), rate });
    }
    ch.close();
    await p.join(10_000);
    if (p.exitCode !== 0) throw new Error(`The consumer exited with ${p.exitCode}`);
    return rows.slice(WARM_UP);
  } finally {
    p.terminate();
    stopMachineProbe();
  }
}

const fmt = (rate: number): string =>
  small ? `${(rate / 1e6).toFixed(2)} M msg/s` : `${(rate * size * 8 / 1e9).toFixed(1)} GB/s`;

/** The value a fraction `q` of the way up the sorted `xs`. */
const quantile = (xs: number[], q: number): number => xs[Math.round(q * (xs.length - 1))];

/** The rates of `rows`: median, the middle 80 % and the extremes. */
function spread(rows: Row[]): string {
  if (rows.length === 0) return "no batches";
  const rates = rows.map((r) => r.rate).sort((a, b) => a - b);
  const [p10, p90] = [quantile(rates, 0.1), quantile(rates, 0.9)];
  return `${String(rows.length).padStart(4)} batches, median ${fmt(quantile(rates, 0.5))}, ` +
    `p10–p90 ${fmt(p10)} – ${fmt(p90)} (${(p90 / p10).toFixed(2)}×), ` +
    `least–most ${fmt(rates[0])} – ${fmt(rates[rates.length - 1])} (${
      (rates[rates.length - 1] / rates[0]).toFixed(2)
    }×)`;
}

const rows = await measure();
const fastest = [0, 1].map((c) => Math.min(...rows.flatMap((r) => [r.before[c], r.after[c]])));
/** "fast", "slow", or "" when the core changed during the batch (or did not answer). */
const state = (r: Row, c: number): string => {
  const slow = [r.before[c], r.after[c]].map((ns) => ns >= SLOW * fastest[c]);
  return Number.isNaN(r.before[c] + r.after[c]) || slow[0] !== slow[1] ? "" : slow[0] ? "slow" : "fast";
};
console.log(
  `${runtime}: ${size} float64 per message, ${slots} slot(s), batches of ${batch.toLocaleString("en-US")}`,
);
if (verbose) {
  console.log("batch  main core ns/copy  other core ns/copy  channel");
  rows.forEach((r, k) => {
    const ns = (c: number) => `${r.before[c].toFixed(1)} → ${r.after[c].toFixed(1)}`.padEnd(19);
    console.log(`${String(k + 1).padStart(5)}  ${ns(0)}${ns(1)}${fmt(r.rate)}`);
  });
}
console.log(
  `fastest loop, ns per copy: main core ${fastest[0].toFixed(1)}, other core ${fastest[1].toFixed(1)}`,
);
console.log(`all:                    ${spread(rows)}`);
for (const main of ["fast", "slow"]) {
  for (const other of ["fast", "slow"]) {
    const group = rows.filter((r) => state(r, 0) === main && state(r, 1) === other);
    console.log(`main ${main}, other ${other}: `.padEnd(24) + spread(group));
  }
}
console.log(
  `a core changed during the batch: ${
    rows.filter((r) => state(r, 0) === "" || state(r, 1) === "").length
  } batches`,
);
