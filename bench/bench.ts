/**
 * The sabkit benchmark: shared-memory channels and locks against what users
 * would use instead, with mitata. Runs unchanged on Deno, Bun and Node; the
 * runner (`bench/run.ts`, `npm run bench`) runs it on each in turn.
 *
 * Every sample runs a batch of messages (iterations) and mitata records the
 * batch's time divided by its size, so every figure reads as time per
 * message (round trip, lock operation) and peers measured with different
 * batch sizes compare directly. The consumer verifies every message; a
 * broken run is an error in mitata's table and in the JSON, never a number.
 *
 * ```sh
 * node bench/bench.ts [--quick] [--out bench/results/node.json] [--colors|--no-colors]
 * ```
 *
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import process from "node:process";
import { type B, barplot, bench, group, measure, run, summary } from "mitata";
import { terminateAll } from "./_port.ts";
import * as mt from "./_multithreading.ts";
import * as s from "./_scenarios.ts";
import type { Session } from "./_scenarios.ts";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const outIndex = argv.indexOf("--out");
const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
const colors = argv.includes("--colors")
  ? true
  : argv.includes("--no-colors")
  ? false
  : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** Which table row a benchmark is, and how to turn its time into throughput. */
export interface Scenario {
  /** The mitata benchmark name (unique). */
  name: string;
  /** The section of the combined table. */
  section: "100k" | "16" | "rt" | "lock";
  /** `baseline`: the postMessage (or Web Locks) peer ratios are taken against. */
  role: "baseline" | "sabkit" | "peer" | "limit" | "transfer";
  /** The scenario this one's ratio is taken against (the postMessage peer, or Web Locks). */
  vs?: string;
  /** Payload bytes per iteration (0: report operations per second). */
  bytes: number;
  /** Iterations per sample. */
  batch: number;
  /** Why it did not run here, if it did not. */
  skipped?: string;
}

const scenarios: Scenario[] = [];

/** mitata's sampling budget per benchmark in `--quick` mode (its default is 642 ms). */
const QUICK_BUDGET_NS = 60e6;

/**
 * In `--quick` mode, measure with a smaller time budget through mitata's own
 * `measure()` options (`bench()` has no per-benchmark options in mitata 1.0).
 */
function quicken(b: B, name: string): void {
  const trial = b as unknown as { f: () => AsyncGenerator<() => unknown>; _group: number };
  b.run = async (thrw = false) => {
    let stats;
    let error;
    try {
      stats = await measure(trial.f, { min_cpu_time: QUICK_BUDGET_NS });
    } catch (e) {
      error = e;
      if (thrw) throw e;
    }
    return {
      kind: "static",
      args: {},
      alias: name,
      group: trial._group,
      baseline: false,
      runs: [{ stats, error, args: {}, name }],
      style: { highlight: false, compact: false },
    } as unknown as Awaited<ReturnType<B["run"]>>;
  };
}

/**
 * Registers one scenario: `open` sets it up (worker, verification pass);
 * each sample runs a batch of `full` (or `quick`) iterations; `per` is how
 * many reported units one iteration is (2 hand-offs per lock round).
 */
function def(
  meta: Omit<Scenario, "batch"> & { full: number; quick: number; per?: number },
  open: () => Session | Promise<Session>,
): B {
  const n = quick ? meta.quick : meta.full;
  const per = meta.per ?? 1;
  scenarios.push({ name: meta.name, section: meta.section, role: meta.role, bytes: meta.bytes, batch: n * per });
  const b = bench(meta.name, async function* () {
    const session = await open();
    const sample = async (): Promise<number> => {
      const t0 = performance.now();
      try {
        await session.run(n);
      } catch (e) {
        try {
          await session.close();
        } catch { /* the first error is the one to report */ }
        throw e;
      }
      return ((performance.now() - t0) * 1e6) / (n * per);
    };
    // mitata's manual timing: each sample is the time this function returns (ns per iteration).
    yield { manual: sample } as unknown as () => unknown;
    await session.close();
  });
  if (quick) quicken(b, meta.name);
  return b;
}

/** Records a scenario that does not run on this runtime. */
function skip(meta: Omit<Scenario, "batch" | "skipped">, why: string): void {
  scenarios.push({ ...meta, batch: 0, skipped: why });
}

const BIG = 100_000;
const SMALL = 16;
const bigBytes = BIG * 8;
const smallBytes = SMALL * 8;

// 5. The memcpy ceiling, so every channel figure can be read as a fraction of it.
group("memcpy ceiling: 100,000 float64 (800 kB) per copy", () => {
  barplot(() => {
    def(
      { name: "Float64Array.set → ArrayBuffer", section: "100k", role: "limit", bytes: bigBytes, full: 1000, quick: 100 },
      () => s.openMemcpy(BIG, false),
    );
    def(
      { name: "Float64Array.set → SharedArrayBuffer", section: "100k", role: "limit", bytes: bigBytes, full: 1000, quick: 100 },
      () => s.openMemcpy(BIG, true),
    );
  });
});

// 1. Large messages.
group("100,000 float64 (800 kB) per message, main → worker", () => {
  summary(() => {
    barplot(() => {
      def(
        { name: "postMessage(number[]) clone", section: "100k", role: "peer", bytes: bigBytes, full: 10, quick: 2 },
        () => s.openClone("postMessage(number[])", BIG, true),
      );
      def(
        { name: "postMessage(Float64Array) clone", section: "100k", role: "baseline", bytes: bigBytes, full: 100, quick: 10 },
        () => s.openClone("postMessage(Float64Array)", BIG, false),
      ).baseline();
      def(
        { name: "transfer, pool of 4 buffers", section: "100k", role: "transfer", bytes: bigBytes, full: 1000, quick: 100 },
        () => s.openTransferPool("transfer pool", BIG, 4),
      );
    });
  });
});

// 3. Round trips.
group("round trip (ping-pong) of a one-number message", () => {
  summary(() => {
    barplot(() => {
      def(
        { name: "postMessage ping-pong", section: "rt", role: "baseline", bytes: 0, full: 2000, quick: 200 },
        () => s.openPingPongPost("postMessage ping-pong"),
      ).baseline();
    });
  });
});

// 2. Small messages.
group("16 float64 (128 B) per message, main → worker", () => {
  summary(() => {
    barplot(() => {
      def(
        { name: "postMessage(Float64Array(16))", section: "16", role: "baseline", bytes: smallBytes, full: 20_000, quick: 2_000 },
        () => s.openClone("postMessage(Float64Array(16))", SMALL, false),
      ).baseline();
      def(
        { name: "ringbuf.js SPSC ring (spins)", section: "16", role: "peer", bytes: smallBytes, full: 100_000, quick: 10_000 },
        () => s.openRingbuf("ringbuf.js", SMALL, 1024),
      );
      def(
        { name: "multithreading channel() (32 slots)", section: "16", role: "peer", bytes: smallBytes, full: 20_000, quick: 2_000 },
        () => mt.openMtChannel("multithreading channel", SMALL),
      );
    });
  });
});

// 4. Locks.
group("locks: uncontended acquire + release (one thread)", () => {
  barplot(() => {
    def(
      { name: "sabkit Lock acquire+release", section: "lock", role: "sabkit", bytes: 0, full: 100_000, quick: 10_000 },
      () => s.openLockUncontended(),
    );
    const webLocks = { name: "navigator.locks.request", section: "lock", role: "peer", bytes: 0 } as const;
    if (s.webLocks() !== undefined) def({ ...webLocks, full: 10_000, quick: 1_000 }, () => s.openWebLocksUncontended());
    else skip(webLocks, "no navigator.locks (Web Locks) in this runtime");
    def(
      { name: "multithreading Mutex blockingLock+dispose", section: "lock", role: "peer", bytes: 0, full: 100_000, quick: 10_000 },
      () => mt.openMtMutexUncontended(),
    );
  });
});

group("locks: main thread and a worker", () => {
  barplot(() => {
    def(
      { name: "sabkit Lock hand-off (2 Locks, strict turns)", section: "lock", role: "sabkit", bytes: 0, full: 5_000, quick: 500, per: 2 },
      () => s.openLockHandoff("sabkit Lock hand-off"),
    );
    def(
      { name: "sabkit Lock contended (both hammer)", section: "lock", role: "sabkit", bytes: 0, full: 20_000, quick: 2_000, per: 2 },
      () => s.openLockContended("sabkit Lock contended"),
    );
    const webLocks = { name: "navigator.locks contended (FIFO hand-offs)", section: "lock", role: "baseline", bytes: 0 } as const;
    if (s.webLocks() !== undefined) {
      def({ ...webLocks, full: 2_000, quick: 200, per: 2 }, () => s.openWebLocksContended("Web Locks contended"));
    } else skip(webLocks, "no navigator.locks (Web Locks) in this runtime");
    def(
      { name: "multithreading Mutex contended (both hammer)", section: "lock", role: "peer", bytes: 0, full: 20_000, quick: 2_000, per: 2 },
      () => mt.openMtMutexContended("multithreading Mutex contended"),
    );
  });
});

const versions: Record<string, string | undefined> = {
  deno: (globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno,
  bun: (globalThis as { Bun?: { version: string } }).Bun?.version,
  node: process.versions.node,
};
const runtime = versions.deno ? "deno" : versions.bun ? "bun" : "node";

let failed = 0;
try {
  const loadBefore = os.loadavg();
  const started = Date.now();
  const result = await run({ format: "mitata", colors, print: (line: string) => console.log(line) });
  for (const t of result.benchmarks) for (const r of t.runs) if (r.error !== undefined) failed++;
  if (out !== undefined) {
    const file = {
      runtime,
      version: versions[runtime],
      quick,
      seconds: (Date.now() - started) / 1000,
      machine: {
        cores: os.availableParallelism?.() ?? os.cpus().length,
        cpu: os.cpus()[0]?.model ?? "unknown",
        loadavg: { before: loadBefore, after: os.loadavg() },
      },
      scenarios,
      mitata: result,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(file, (k, v) => {
        // mitata's generated code, and the millions of samples of its calibration (context.noop).
        if (k === "debug" || k === "noop") return undefined;
        if (v instanceof Error) return { message: v.message, stack: v.stack };
        return v;
      }, 1),
    );
  }
} finally {
  terminateAll();
}
if (failed > 0) console.error(`\n${failed} benchmark(s) failed: a broken run is an error, not a number.`);
// Workers that are still blocked must not keep the process alive.
process.exit(failed > 0 ? 1 : 0);
