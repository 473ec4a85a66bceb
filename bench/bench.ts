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
 * Each sabkit channel scenario also times a one-thread control loop on both
 * cores (`_control.ts`) as it opens and as it closes, so that the report can
 * tell the machine's swings from the channel's.
 *
 * ```sh
 * node bench/bench.ts [--quick] [--filter=REGEX] [--out bench/results/node.json] [--colors|--no-colors]
 * ```
 *
 * @module
 */

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import process from "node:process";
import { type B, barplot, bench, flags, group, measure, run, summary } from "mitata";
import { machineNow, startMachineProbe, stopMachineProbe } from "./_control.ts";
import { LIMIT_NO_LOCK_RM, LIMIT_NO_LOCK_RO } from "./_shared.ts";
import { runtime, terminateAll } from "./_port.ts";
import * as lk from "./_locks.ts";
import * as mt from "./_multithreading.ts";
import * as s from "./_scenarios.ts";
import { registerQueueRows } from "./_queue.ts";
import { registerPoolRows } from "./_pool.ts";
import type { Session } from "./_scenarios.ts";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
/** `--filter=REGEX`: only the rows whose "section name" it matches (e.g. `--filter=queue`, see `_queue.ts`). */
const filterArg = argv.find((a) => a.startsWith("--filter="))?.slice("--filter=".length);
const filter = filterArg === undefined ? undefined : new RegExp(filterArg, "i");
/** The names of the rows to run (all, without `--filter`). */
const wanted = new Set<string>();
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
  section:
    | "100k"
    | "16"
    | "rt"
    | "lock"
    | "rec"
    | "rec-rt"
    | "1mb"
    | "pool"
    | "pool-map"
    | "pool-cpu"
    | "pool-lat";
  /** `baseline`: the postMessage (or Web Locks) peer ratios are taken against. */
  role: "baseline" | "sabkit" | "peer" | "limit" | "transfer";
  /** The scenario this one's ratio is taken against (the postMessage peer, or Web Locks). */
  vs?: string;
  /**
   * Another way of measuring the scenario named here (postMessage as a
   * burst): ratios against that scenario use the faster of the two.
   */
  alt?: string;
  /**
   * sabkit channels of the 100k section: what the receiving side copies.
   * `recv`: allocates and copies out; `into`: copies into the caller's array
   * (`recvInto`) or reads in place (`recvWith`) after a `send` copied in;
   * `none`: `sendWith` + `recvWith`, no copy on either side.
   */
  copies?: "recv" | "into" | "none";
  /** Payload bytes per iteration (0: report operations per second). */
  bytes: number;
  /** Iterations per sample. */
  batch: number;
  /** Why it did not run here, if it did not. */
  skipped?: string;
  /**
   * Channels only: the machine's speed beside this scenario, from `_control.ts`:
   * the main thread's and the helper's ns per copy of its one-thread loop, each
   * the mean of a timing as the scenario opened and one as it closed.
   */
  cores?: [number, number];
}

const scenarios: Scenario[] = [];

/** mitata's sampling budget per benchmark in `--quick` mode (its default is 642 ms). */
const QUICK_BUDGET_NS = 60e6;

/**
 * Measures through mitata's own `measure()` with these options (`bench()` has
 * no per-benchmark options in mitata 1.0): in `--quick` mode a smaller time
 * budget; for the Pool's latency rows, no heap statistics (see `def`).
 */
function measureWith(b: B, name: string, options: { min_cpu_time?: number }): void {
  const trial = b as unknown as { f: () => AsyncGenerator<() => unknown>; _group: number; flags: number };
  b.run = async (thrw = false) => {
    let stats;
    let error;
    try {
      stats = await measure(trial.f, options);
    } catch (e) {
      error = e;
      if (thrw) throw e;
    }
    return {
      kind: "static",
      args: {},
      alias: name,
      group: trial._group,
      baseline: (trial.flags & flags.baseline) !== 0,
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
  const { full: _f, quick: _q, per: _p, ...rest } = meta;
  const entry: Scenario = { ...rest, batch: n * per };
  if (matches(meta)) {
    scenarios.push(entry);
    wanted.add(meta.name);
  }
  const timed = meta.role === "sabkit" && (meta.section === "100k" || meta.section === "16");
  const b = bench(meta.name, async function* () {
    progress(meta.name);
    const before = timed ? machineNow() : [0, 0];
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
    if (timed) {
      const after = machineNow();
      const cores: [number, number] = [(before[0] + after[0]) / 2, (before[1] + after[1]) / 2];
      // A helper that did not answer leaves NaN: no figure rather than half of one.
      if (Number.isFinite(cores[0] + cores[1])) entry.cores = cores;
    }
  });
  // mitata's bench() reads the heap's statistics before and after each sample (Bun's memoryUsage: ~9 µs
  // a call here, V8's ~1 µs): a gap between one-task samples that no loop of awaited applies has, and
  // in which a pool's idle workers go to sleep. The Pool's latency rows are sampled back to back.
  if (quick || meta.section === "pool-lat") {
    measureWith(b, meta.name, quick ? { min_cpu_time: QUICK_BUDGET_NS } : {});
  }
  return b;
}

/**
 * Writes the scenario about to run next to the results (`<out>.progress`),
 * so the runner can name the scenario if this process hangs or crashes.
 */
function progress(name: string): void {
  if (out !== undefined) writeFileSync(`${out}.progress`, name);
}

/** Whether `--filter` (if given) picks this row: its section (`queue` picks the Queue's three) or name. */
function matches(meta: { section: string; name: string }): boolean {
  const section = ["rec", "rec-rt", "1mb"].includes(meta.section) ? `queue ${meta.section}` : meta.section;
  return filter === undefined || filter.test(`${section} ${meta.name}`);
}

/** Records a scenario that does not run on this runtime. */
function skip(meta: Omit<Scenario, "batch" | "skipped"> & { per?: number }, why: string): void {
  const { per: _, ...rest } = meta;
  if (matches(meta)) scenarios.push({ ...rest, batch: 0, skipped: why });
}

const BIG = 100_000;
/** The name suffix of postMessage measured as a burst (see `openCloneBurst`). */
const BURST = ", burst (post all, then await the count)";
const SMALL = 16;
const WEB_LOCKS = "no navigator.locks (Web Locks) in this runtime";

// 5. The limits of one thread, so every channel figure can be read as a fraction of what the machine can do.
const PM_BIG = "postMessage(Float64Array) clone";
const big = { section: "100k", bytes: BIG * 8, vs: PM_BIG } as const;
group("limits of one thread: 100,000 float64 (800 kB) per copy", () => {
  barplot(() => {
    def(
      { ...big, name: "memcpy: Float64Array.set → ArrayBuffer", role: "limit", full: 1000, quick: 100 },
      () => s.openMemcpy(BIG, false),
    );
    def({
      ...big,
      name: s.LIMIT_COPY_IN,
      role: "limit",
      full: 1000,
      quick: 100,
    }, () => s.openMemcpy(BIG, true));
    def(
      { ...big, name: s.LIMIT_ALLOC_COPY, role: "limit", full: 1000, quick: 100 },
      () => s.openAllocCopy(BIG),
    );
  });
});

// 1. Large messages.
group("100,000 float64 (800 kB) per message, main → worker", () => {
  summary(() => {
    barplot(() => {
      def(
        { ...big, name: "postMessage(number[]) clone", role: "peer", full: 10, quick: 2 },
        () => s.openClone("postMessage(number[])", BIG, true),
      );
      def(
        { ...big, name: `postMessage(number[]) clone${BURST}`, role: "peer", full: 10, quick: 2 },
        () => s.openCloneBurst("postMessage(number[]) burst", BIG, true),
      );
      def(
        { ...big, name: PM_BIG, role: "baseline", full: 100, quick: 10 },
        () => s.openClone(PM_BIG, BIG, false),
      ).baseline();
      def(
        { ...big, name: `${PM_BIG}${BURST}`, role: "baseline", alt: PM_BIG, full: 300, quick: 30 },
        () => s.openCloneBurst(`${PM_BIG} burst`, BIG, false),
      );
      def(
        { ...big, name: "transfer, pool of 4 buffers", role: "transfer", full: 1000, quick: 100 },
        () => s.openTransferPool("transfer pool", BIG, 4),
      );
      def({
        ...big,
        name: "sabkit FloatChannel, the seed's calls (send + recv)",
        role: "sabkit",
        copies: "recv",
        full: 1000,
        quick: 100,
      }, () => s.openChannel("FloatChannel", BIG, { slots: 1, seed: true }));
      for (const slots of [2, 4, 8]) {
        const name = `sabkit Channel ${slots} slots ← Float64Array, recvInto`;
        def(
          { ...big, name, role: "sabkit", copies: "into", full: 1000, quick: 100 },
          () => s.openChannel(name, BIG, { slots }),
        );
      }
      for (const slots of [1, 2, 4]) {
        const name = `sabkit Channel ${slots} slot${
          slots > 1 ? "s" : ""
        } ← Float64Array, recvWith (in place)`;
        def(
          { ...big, name, role: "sabkit", copies: "into", full: 1000, quick: 100 },
          () => s.openChannel(name, BIG, { slots, inPlace: true }),
        );
      }
      const noCopy = "sabkit Channel 4 slots, sendWith + recvWith (no copy)";
      def(
        { ...big, name: noCopy, role: "sabkit", copies: "none", full: 2000, quick: 200 },
        () => s.openChannel(noCopy, BIG, { slots: 4, sendWith: true }),
      );
      const name = "sabkit Channel 4 slots ← number[]";
      def(
        { ...big, name, role: "sabkit", full: 1000, quick: 100 },
        () => s.openChannel(name, BIG, { slots: 4, array: true }),
      );
    });
  });
});

// 3. Round trips.
const PM_RT = "postMessage ping-pong";
const rt = { section: "rt", bytes: 0, vs: PM_RT } as const;
group("round trip (ping-pong) of a one-number message", () => {
  summary(() => {
    barplot(() => {
      def({ ...rt, name: PM_RT, role: "baseline", full: 2000, quick: 200 }, () => s.openPingPongPost(PM_RT))
        .baseline();
      const name = "sabkit Channel ping-pong (2 Channels)";
      def({ ...rt, name, role: "sabkit", full: 5000, quick: 500 }, () => s.openPingPongChannel(name));
    });
  });
});

// 2. Small messages (multithreading last: importing it changes globals).
const PM_SMALL = "postMessage(Float64Array(16)) clone";
const small = { section: "16", bytes: SMALL * 8, vs: PM_SMALL } as const;
group("16 float64 (128 B) per message, main → worker", () => {
  summary(() => {
    barplot(() => {
      def(
        { ...small, name: PM_SMALL, role: "baseline", full: 20_000, quick: 2_000 },
        () => s.openClone(PM_SMALL, SMALL, false),
      ).baseline();
      def(
        {
          ...small,
          name: `${PM_SMALL}${BURST}`,
          role: "baseline",
          alt: PM_SMALL,
          full: 20_000,
          quick: 2_000,
        },
        () => s.openCloneBurst(`${PM_SMALL} burst`, SMALL, false),
      );
      for (const slots of [256, 1024]) {
        const name = `sabkit Channel ${slots} slots, recvInto`;
        def(
          { ...small, name, role: "sabkit", full: 100_000, quick: 10_000 },
          () => s.openChannel(name, SMALL, { slots }),
        );
      }
      const name = "sabkit Channel 1024 slots, recvWith (in place)";
      def(
        { ...small, name, role: "sabkit", full: 100_000, quick: 10_000 },
        () => s.openChannel(name, SMALL, { slots: 1024, inPlace: true }),
      );
      def(
        { ...small, name: "ringbuf.js SPSC ring (both spin)", role: "peer", full: 100_000, quick: 10_000 },
        () => s.openRingbuf("ringbuf.js", SMALL, 1024),
      );
      def(
        { ...small, name: "multithreading channel() (32 slots)", role: "peer", full: 20_000, quick: 2_000 },
        () => mt.openMtChannel("multithreading channel", SMALL),
      );
    });
  });
});

// 4. Locks.
const WL = "navigator.locks.request";
const lock1 = { section: "lock", bytes: 0, vs: WL } as const;
group("locks: uncontended acquire + release (one thread)", () => {
  barplot(() => {
    def(
      { ...lock1, name: "sabkit Lock acquire+release", role: "sabkit", full: 100_000, quick: 10_000 },
      () => s.openLockUncontended(),
    );
    if (s.webLocks() !== undefined) {
      def(
        { ...lock1, name: WL, role: "baseline", full: 10_000, quick: 1_000 },
        () => s.openWebLocksUncontended(),
      );
    } else skip({ ...lock1, name: WL, role: "baseline" }, WEB_LOCKS);
    const name = "multithreading Mutex blockingLock+dispose";
    def({ ...lock1, name, role: "peer", full: 100_000, quick: 10_000 }, () => mt.openMtMutexUncontended());
  });
});

const WL2 = "navigator.locks contended (FIFO: every grant a hand-off)";
const lock2 = { section: "lock", bytes: 0, vs: WL2, per: 2 } as const;
group("locks: main thread and a worker", () => {
  barplot(() => {
    const handoff = "sabkit Lock hand-off (2 Locks, strict turns)";
    def(
      { ...lock2, name: handoff, role: "sabkit", full: 5_000, quick: 500 },
      () => s.openLockHandoff(handoff),
    );
    const contended = "sabkit Lock contended (both hammer it)";
    def(
      { ...lock2, name: contended, role: "sabkit", full: 20_000, quick: 2_000 },
      () => s.openLockContended(contended),
    );
    if (s.webLocks() !== undefined) {
      def(
        { ...lock2, name: WL2, role: "baseline", full: 2_000, quick: 200 },
        () => s.openWebLocksContended(WL2),
      );
    } else skip({ ...lock2, name: WL2, role: "baseline" }, WEB_LOCKS);
    const mtName = "multithreading Mutex contended (both hammer it)";
    def(
      { ...lock2, name: mtName, role: "peer", full: 20_000, quick: 2_000 },
      () => mt.openMtMutexContended(mtName),
    );
  });
});

// 6. RwLock and LockManager (scenarios in _locks.ts; multithreading's RwLock last, see _multithreading.ts).
// The read-mostly sections scan 32 kB (_locks.ts says why): 2,000 (quick: 200) of them per sample.
const RM = "sabkit Lock, read-mostly (8 reads : 1 write, 2 threads)";
const rm = { section: "lock", bytes: 0, vs: RM, per: 2 } as const;
group(
  "read-mostly: reads scan a 4096-float64 (32 kB) table, 8 reads : 1 write, main thread and a worker",
  () => {
    barplot(() => {
      def(
        { ...rm, name: RM, role: "baseline", full: 2_000, quick: 200 },
        () => lk.openReadMostly(RM, "lock"),
      );
      const rw = "sabkit RwLock, read-mostly (8 reads : 1 write, 2 threads)";
      def(
        { ...rm, name: rw, role: "sabkit", full: 2_000, quick: 200 },
        () => lk.openReadMostly(rw, "rwlock"),
      );
      const mtRw = "multithreading RwLock, read-mostly (8 reads : 1 write, 2 threads)";
      def({ ...rm, name: mtRw, role: "peer", full: 2_000, quick: 200 }, () => lk.openMtReadMostly(mtRw));
      def(
        { ...rm, name: LIMIT_NO_LOCK_RM, role: "limit", full: 2_000, quick: 200 },
        () => lk.openReadMostly(LIMIT_NO_LOCK_RM, "none"),
      );
    });
  },
);
const RO = "sabkit Lock, reads only (2 readers)";
const ro = { section: "lock", bytes: 0, vs: RO, per: 2 } as const;
group("reads only: the same table, 2 readers on 2 cores", () => {
  barplot(() => {
    def(
      { ...ro, name: RO, role: "baseline", full: 2_000, quick: 200 },
      () => lk.openReadMostly(RO, "lock", Infinity),
    );
    const rw = "sabkit RwLock, reads only (2 readers)";
    def(
      { ...ro, name: rw, role: "sabkit", full: 2_000, quick: 200 },
      () => lk.openReadMostly(rw, "rwlock", Infinity),
    );
    def(
      { ...ro, name: LIMIT_NO_LOCK_RO, role: "limit", full: 2_000, quick: 200 },
      () => lk.openReadMostly(LIMIT_NO_LOCK_RO, "none", Infinity),
    );
  });
});
group("LockManager: the Web Locks API on shared memory", () => {
  barplot(() => {
    const one = "sabkit LockManager request+release";
    def(
      { ...lock1, name: one, role: "sabkit", full: 20_000, quick: 2_000 },
      () => lk.openLockManagerUncontended(),
    );
    const two = "sabkit LockManager contended (FIFO: every grant a hand-off)";
    def(
      { ...lock2, name: two, role: "sabkit", full: 5_000, quick: 500 },
      () => lk.openLockManagerContended(two),
    );
  });
});

// 7. Queue, SimpleQueue, JoinableQueue and Pipe: any value (issue 18; rows in _queue.ts).
registerQueueRows(def);

// 8. Pool against piscina, tinypool and workerpool (issue 19; rows in _pool.ts).
registerPoolRows(def, skip);

const versions: Record<string, string | undefined> = {
  deno: (globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno,
  bun: (globalThis as { Bun?: { version: string } }).Bun?.version,
  node: process.versions.node,
};

let failed = 0;
const peerFailures: string[] = [];
if (out !== undefined) mkdirSync(dirname(out), { recursive: true });
try {
  const loadBefore = os.loadavg();
  const date = new Date().toISOString();
  await startMachineProbe();
  const started = Date.now();
  const result = await run({
    format: "mitata",
    colors,
    print: (line: string) => console.log(line),
    // mitata calls `filter.test(name)`: the rows `--filter` picked.
    filter: { test: (name: string) => wanted.has(name) } as RegExp,
  });
  for (const t of result.benchmarks) {
    for (const r of t.runs) {
      if (r.error === undefined) continue;
      // A peer that breaks its own contract (Node's Web Locks once let two threads in) is
      // a finding for the table, not a failure of this benchmark; a broken sabkit run is.
      if (r.name.startsWith("sabkit")) failed++;
      else peerFailures.push(r.name);
    }
  }
  if (out !== undefined) {
    const file = {
      runtime,
      version: versions[runtime],
      quick,
      date,
      seconds: (Date.now() - started) / 1000,
      machine: {
        cores: os.availableParallelism?.() ?? os.cpus().length,
        cpu: os.cpus()[0]?.model ?? "unknown",
        loadavg: { before: loadBefore, after: os.loadavg() },
        os: { platform: os.platform(), arch: os.arch(), release: os.release() },
        memory: os.totalmem(),
      },
      scenarios,
      mitata: result,
    };
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
  stopMachineProbe();
  terminateAll();
  if (out !== undefined) rmSync(`${out}.progress`, { force: true });
}
if (peerFailures.length > 0) {
  console.error(`\nPeers that failed their own checks (reported in the table): ${peerFailures.join("; ")}`);
}
if (failed > 0) console.error(`\n${failed} benchmark(s) failed: a broken run is an error, not a number.`);
// Workers that are still blocked must not keep the process alive.
process.exit(failed > 0 ? 1 : 0);
