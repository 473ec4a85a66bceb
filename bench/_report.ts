/**
 * The combined report: one markdown table (rows = scenarios, columns =
 * runtimes) built from the per-runtime JSON files the benchmark writes, and
 * the targets with met/FAIL per runtime. `report()` is the
 * table the runner prints; `resultsDocument()` is `bench/RESULTS.md` (the
 * machine, the method, the table, the targets and the stability analysis).
 *
 * @module
 */

import type { Scenario } from "./bench.ts";
import { LIMIT_ALLOC_COPY, LIMIT_COPY_IN, LIMIT_NO_LOCK_RM, LIMIT_NO_LOCK_RO } from "./_shared.ts";
import { codecLimitRow, MT_REC, PM_F64, PM_STR } from "./_queue_record.ts";
import { peerRow, POOL_ROWS } from "./_pool.ts";

interface Stats {
  p50: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
  samples: number[];
}

interface Run {
  name: string;
  stats?: Stats;
  error?: { message?: string } | string;
}

/** What `bench/bench.ts --out` writes. */
export interface RuntimeResult {
  runtime: string;
  version: string;
  quick: boolean;
  seconds: number;
  /** When the run started (ISO 8601); absent in results of an older benchmark. */
  date?: string;
  machine: {
    cores: number;
    cpu: string;
    loadavg: { before: number[]; after: number[] };
    /** `os.platform()`, `os.arch()`, `os.release()`; absent in results of an older benchmark. */
    os?: { platform: string; arch: string; release: string };
    /** Total memory in bytes; absent in results of an older benchmark. */
    memory?: number;
  };
  scenarios: Scenario[];
  mitata: { benchmarks: { runs: Run[] }[] };
}

/** One measured (or failed, or skipped) row for one runtime. */
interface Cell {
  scenario: Scenario;
  /** Median ns per iteration. */
  ns?: number;
  /** With `--repeat`: each repetition's median. */
  reps?: number[];
  /** With `--repeat`, channels only: the machine's speed beside each of `reps` (both cores' ns per copy, summed). */
  machine?: number[];
  error?: string;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The cells of one runtime over its repetitions: the median of the
 * repetitions' medians, and each repetition's median in `reps`. A row that
 * failed in any repetition is an error.
 */
function merged(results: RuntimeResult[]): Map<string, Cell> {
  const each = results.map(cells);
  const out = new Map<string, Cell>();
  for (const [name, first] of each[0]) {
    const all = each.map((c) => c.get(name)).filter((c) => c !== undefined);
    const failed = all.find((c) => c.error !== undefined);
    if (failed !== undefined || first.ns === undefined) out.set(name, failed ?? first);
    else {
      const ok = all.filter((c) => c.ns !== undefined);
      const reps = ok.map((c) => c.ns!);
      const machine = ok.map((c) => c.scenario.cores && c.scenario.cores[0] + c.scenario.cores[1]);
      out.set(name, {
        scenario: first.scenario,
        ns: median(reps),
        reps,
        machine: machine.every((m) => m !== undefined) ? machine as number[] : undefined,
      });
    }
  }
  return out;
}

function cells(result: RuntimeResult): Map<string, Cell> {
  const runs = new Map<string, Run>();
  for (const t of result.mitata.benchmarks) for (const r of t.runs) runs.set(r.name, r);
  const out = new Map<string, Cell>();
  for (const scenario of result.scenarios) {
    const run = runs.get(scenario.name);
    if (scenario.skipped !== undefined) out.set(scenario.name, { scenario });
    else if (run === undefined) out.set(scenario.name, { scenario, error: "did not run" });
    else if (run.error !== undefined || run.stats === undefined) {
      const e = run.error;
      const message = typeof e === "string" ? e : e?.message ?? "failed";
      out.set(scenario.name, { scenario, error: message });
    } else out.set(scenario.name, { scenario, ns: run.stats.p50 });
  }
  return out;
}

function num(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function time(ns: number): string {
  if (ns >= 1e6) return `${num(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${num(ns / 1e3)} µs`;
  return `${num(ns)} ns`;
}

function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${num(perSecond / 1e6)}M`;
  if (perSecond >= 1e3) return `${num(perSecond / 1e3)}k`;
  return num(perSecond);
}

/** GB/s from bytes per message and ns per message. */
function gbps(cell: Cell): number {
  return cell.scenario.bytes / cell.ns!;
}

/** The figure of a cell: throughput for data, time for round trips and locks. */
function figure(cell: Cell): string {
  const s = cell.scenario;
  const ns = cell.ns!;
  if (s.section === "100k" || s.section === "1mb") return `${num(gbps(cell))} GB/s`;
  if (s.section === "16") return `${rate(1e9 / ns)} msgs/s`;
  if (s.section === "rec") return `${rate(1e9 / ns)} values/s`;
  if (s.section === "rt" || s.section === "rec-rt") return `${num(ns / 1e3)} µs/round trip`;
  if (s.section === "pool" || s.section === "pool-cpu") return `${rate(1e9 / ns)} tasks/s`;
  if (s.section === "pool-map") return `${rate(1e9 / ns)} items/s`;
  if (s.section === "pool-lat") return `${time(ns)}/task`;
  return `${time(ns)}/op`;
}

function truncate(text: string, max = 90): string {
  const one = text.replace(/\s+/g, " ").replaceAll("|", "\\|");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * What the row `name` is compared with: that row, or another measurement of
 * the same peer (`alt`: postMessage as a burst) if it was faster.
 */
function reference(c: Map<string, Cell>, name: string): Cell | undefined {
  let ref = c.get(name);
  for (const cell of c.values()) {
    if (cell.scenario.alt !== name || cell.ns === undefined) continue;
    if (ref?.ns === undefined || cell.ns < ref.ns) ref = cell;
  }
  return ref;
}

function show(cell: Cell | undefined, ref: Cell | undefined): string {
  if (cell === undefined) return "—";
  if (cell.scenario.skipped !== undefined) return `— (${cell.scenario.skipped})`;
  if (cell.error !== undefined) return `**error**: ${truncate(cell.error)}`;
  let text = figure(cell);
  if (ref !== undefined && ref.ns !== undefined && ref !== cell) text += ` · ${num(ref.ns / cell.ns!)}×`;
  if (ref === cell) text += " · 1×";
  return text;
}

const SECTIONS: Record<Scenario["section"], string> = {
  "100k":
    "100,000 float64 (800 kB) per message, main → worker (ratio: vs postMessage(Float64Array) at its best, the faster of its two rows)",
  "16":
    "16 float64 (128 B) per message, main → worker (ratio: vs postMessage(Float64Array(16)) at its best, the faster of its two rows)",
  rt: "Round trip of a one-number message (ratio: vs postMessage ping-pong)",
  lock:
    "Locks, time per acquire+release or per hand-off (ratio: vs navigator.locks; read-mostly and reads-only rows: vs a sabkit Lock)",
  rec:
    "Queue: small records (3 short strings, 8 numbers, a nested array), built anew for each put, main → worker (ratio: vs postMessage(record) at its best, the faster of its two rows)",
  "rec-rt": "Queue: round trip of a small record (ratio: vs a postMessage ping-pong of the record)",
  pool: "Pool: tiny tasks add(a, b) submitted at once, 2 workers, warm (ratio: vs piscina)",
  "pool-map":
    "Pool: a map of small items, 2 workers (ratio: vs piscina, a task per item: no peer batches; chunks by hand for reference)",
  "pool-cpu": "Pool: tasks of ≈1 ms of arithmetic, 2 workers (ratio: vs piscina)",
  "pool-lat": "Pool: one task at a time on an idle pool, apply → result, median (ratio: vs piscina)",
  "1mb":
    "Queue: a 1 MB string and a 1 MB Float64Array inside an object, main → worker (ratio: vs postMessage of the same value at its best, the faster of its two rows)",
};

interface Target {
  text: string;
  check(c: Map<string, Cell>): string;
}

/** The fastest sabkit row of a section (that `pick` accepts). */
function best(
  c: Map<string, Cell>,
  section: Scenario["section"],
  pick: (s: Scenario) => boolean = () => true,
): Cell | undefined {
  let top: Cell | undefined;
  for (const cell of c.values()) {
    const s = cell.scenario;
    if (s.section !== section || s.role !== "sabkit" || cell.ns === undefined || !pick(s)) continue;
    if (top === undefined || cell.ns < top.ns!) top = cell;
  }
  return top;
}

/** The best channel of the 100k section that copies on both sides (not `sendWith` + `recvWith`). */
const copying = (c: Map<string, Cell>): Cell | undefined => best(c, "100k", (s) => s.copies !== "none");

function find(c: Map<string, Cell>, test: (s: Scenario) => boolean): Cell | undefined {
  for (const cell of c.values()) if (test(cell.scenario)) return cell;
  return undefined;
}

/** The row named `name` (or, with `prefix`, the first whose name starts so). */
function named(c: Map<string, Cell>, name: string, prefix = false): Cell | undefined {
  return prefix ? find(c, (s) => s.name.startsWith(name)) : c.get(name);
}

/** The baseline of a section at its best: the faster of its rows (as today and as a burst). */
function baseline(c: Map<string, Cell>, section: Scenario["section"]): Cell | undefined {
  const first = find(c, (s) => s.section === section && s.role === "baseline" && s.alt === undefined);
  return first === undefined ? undefined : reference(c, first.scenario.name);
}

/** Met/FAIL of `ours` against `theirs` scaled by `factor` (higher throughput, or less time, wins). */
function compare(
  ours: Cell | undefined,
  theirs: Cell | undefined,
  factor: number,
  label: (c: Cell) => string,
): string {
  if (ours === undefined) return "n/a: no sabkit row measured";
  if (ours.ns === undefined) return `FAIL: the sabkit row failed (${truncate(ours.error ?? "", 40)})`;
  if (theirs === undefined || theirs.scenario.skipped !== undefined) return "n/a: peer not available";
  if (theirs.ns === undefined) return `n/a: peer failed (${truncate(theirs.error ?? "", 40)})`;
  const ratio = theirs.ns / ours.ns;
  const pass = ratio >= factor;
  return `${pass ? "met" : "FAIL"} ${num(ratio)}× (${label(ours)} vs ${label(theirs)}; ${
    truncate(ours.scenario.name, 40)
  } vs ${truncate(theirs.scenario.name, 40)})`;
}

const byGbps = (c: Cell): string => `${num(gbps(c))} GB/s`;
/** The row of a section whose name starts with `prefix`, for a section's baseline at its best (with its burst). */
const atBest = (c: Map<string, Cell>, name: string): Cell | undefined => reference(c, name);
const byRate = (c: Cell): string => `${rate(1e9 / c.ns!)}/s`;
const byTime = (c: Cell): string => time(c.ns!);

/** The fastest of the peers' rows of a Pool section (the row name ends with `suffix`). */
function bestPeer(c: Map<string, Cell>, suffix: string): Cell | undefined {
  const rows = (["piscina", "tinypool", "workerpool"] as const).map((p) => c.get(peerRow(p, suffix)));
  const ok = rows.filter((x) => x?.ns !== undefined).sort((a, b) => a!.ns! - b!.ns!);
  return ok[0] ?? rows.find((x) => x !== undefined);
}

/**
 * The 1 MB targets: the best Queue row against postMessage of `pm` at its
 * best; a miss is out of reach when encoding `what` alone, on one thread, is
 * slower than postMessage: the producer (this thread, as the row measures)
 * encodes every value. (The decode row is shown beside it, not used here:
 * it runs on this thread, the consumer on a worker with its own heap.)
 */
function bigValueTarget(c: Map<string, Cell>, pm: string, what: string): string {
  const peer = atBest(c, pm);
  const verdict = compare(
    best(c, "1mb", (s) => s.name.startsWith("sabkit Queue") && s.vs === pm),
    peer,
    1,
    byGbps,
  );
  const encode = c.get(codecLimitRow("encode", what));
  if (!verdict.startsWith("FAIL") || encode?.ns === undefined || peer?.ns === undefined) return verdict;
  const most = peer.ns / encode.ns;
  return most >= 1
    ? verdict
    : `${verdict}; out of reach here: encoding the value alone, on one thread, is ${
      num(most)
    }× postMessage at its best (${byGbps(encode)})`;
}

const POOL_TARGETS: Target[] = [
  ...(["piscina", "tinypool", "workerpool"] as const).map((p): Target => ({
    text: `Pool: tiny tasks submitted at once, tasks/s ≥ 3× ${p}`,
    check: (c) => compare(c.get(POOL_ROWS.tiny), c.get(peerRow(p, POOL_ROWS.peerTiny)), 3, byRate),
  })),
  {
    text: "Pool: map of small items with a chunksize ≥ 3× the best peer's equivalent (a task per item)",
    check: (c) => compare(c.get(POOL_ROWS.map), bestPeer(c, POOL_ROWS.peerMap), 3, byRate),
  },
  {
    text: "Pool: CPU-bound tasks (≈1 ms) within 5 % of the best peer (tasks/s ≥ 0.95×)",
    check: (c) => compare(c.get(POOL_ROWS.cpu), bestPeer(c, POOL_ROWS.peerCpu), 0.95, byRate),
  },
  {
    text: "Pool: latency of one task on an idle pool, median ≤ 1/5 of piscina's",
    check: (c) => compare(c.get(POOL_ROWS.lat), c.get(peerRow("piscina", POOL_ROWS.peerLat)), 5, byTime),
  },
];

const TARGETS: Target[] = [
  {
    text: "100k-f64: FloatChannel, the seed's calls (send + recv) ≥ 2× postMessage(Float64Array) at its best",
    check(c) {
      const verdict = compare(named(c, "sabkit FloatChannel", true), baseline(c, "100k"), 2, byGbps);
      // recv allocates and copies out every message: one thread doing only that is its ceiling.
      const limit = named(c, LIMIT_ALLOC_COPY);
      const peer = baseline(c, "100k");
      if (!verdict.startsWith("FAIL") || limit?.ns === undefined || peer?.ns === undefined) return verdict;
      const most = peer.ns / limit.ns;
      return most >= 2
        ? verdict
        : `${verdict}; out of reach here: allocate + copy out alone, on one thread, is ${
          num(most)
        }× postMessage at its best (${byGbps(limit)})`;
    },
  },
  {
    text: "100k-f64: best channel with recv ≥ 80 % of allocate + copy out (one thread)",
    check: (c) =>
      compare(best(c, "100k", (s) => s.copies === "recv"), named(c, LIMIT_ALLOC_COPY), 0.8, byGbps),
  },
  {
    text: "100k-f64: best channel with recvInto / recvWith ≥ 80 % of copy into shared memory (one thread)",
    check: (c) => compare(best(c, "100k", (s) => s.copies === "into"), named(c, LIMIT_COPY_IN), 0.8, byGbps),
  },
  {
    text: "100k-f64: sendWith + recvWith (no copy) ≥ 3× transfer pool",
    check: (c) =>
      compare(best(c, "100k", (s) => s.copies === "none"), find(c, (s) => s.role === "transfer"), 3, byGbps),
  },
  {
    text: "100k-f64: best channel with a copy each side ≥ 5× postMessage(Float64Array) at its best",
    check: (c) => compare(copying(c), baseline(c, "100k"), 5, byGbps),
  },
  {
    text: "100k-f64: best channel with a copy each side ≥ transfer pool",
    check: (c) => compare(copying(c), find(c, (s) => s.role === "transfer"), 1, byGbps),
  },
  {
    text: "100k-f64: best channel with a copy each side ≥ 50 % of memcpy (→ ArrayBuffer)",
    check: (c) => compare(copying(c), named(c, "memcpy: Float64Array.set → ArrayBuffer"), 0.5, byGbps),
  },
  {
    text: "16-f64: best channel ≥ 10× postMessage(Float64Array(16)) at its best",
    check: (c) => compare(best(c, "16"), baseline(c, "16"), 10, byRate),
  },
  {
    text: "16-f64: best channel ahead of multithreading's channel",
    check: (c) => compare(best(c, "16"), named(c, "multithreading channel", true), 1, byRate),
  },
  {
    text: "Queue: small records, Queue put → get ≥ 5× postMessage(record) at its best",
    check(c) {
      const peer = baseline(c, "rec");
      const verdict = compare(named(c, "sabkit Queue put", true), peer, 5, byRate);
      // The producer encodes every record: one thread's encode alone bounds the queue.
      const encode = c.get("limit: sabkit value codec, encode only (one thread)");
      if (!verdict.startsWith("FAIL") || encode?.ns === undefined || peer?.ns === undefined) return verdict;
      const most = peer.ns / encode.ns;
      return most >= 5
        ? verdict
        : `${verdict}; out of reach here: encoding alone, on one thread, is ${
          num(most)
        }× postMessage at its best (${byRate(encode)})`;
    },
  },
  {
    text: "Queue: small records, Queue put → get ahead of multithreading's channel()",
    check(c) {
      // The faster of its rows that passed the checks (records as objects, or as JSON strings).
      const rows = [...c.values()].filter((x) => x.scenario.name.startsWith(MT_REC));
      const ok = rows.filter((x) => x.ns !== undefined).sort((a, b) => a.ns! - b.ns!);
      return compare(named(c, "sabkit Queue put", true), ok[0] ?? rows[0], 1, byRate);
    },
  },
  {
    text: "Queue: round trip of a small record over 2 Pipes ≥ 10× faster than a postMessage ping-pong",
    check(c) {
      const peer = baseline(c, "rec-rt");
      const verdict = compare(best(c, "rec-rt"), peer, 10, byTime);
      // A round trip encodes and decodes the record twice, on one thread after the other.
      const encode = c.get("limit: sabkit value codec, encode only (one thread)");
      const decode = c.get("limit: sabkit value codec, decode only (one thread)");
      if (
        !verdict.startsWith("FAIL") || encode?.ns === undefined || decode?.ns === undefined ||
        peer?.ns === undefined
      ) return verdict;
      const codec = 2 * (encode.ns + decode.ns);
      const most = peer.ns / codec;
      return most >= 10
        ? verdict
        : `${verdict}; out of reach here: its 2 encodes and 2 decodes alone take ${time(codec)}, ${
          num(most)
        }× faster than the ping-pong`;
    },
  },
  {
    text: "Queue: a 1 MB string inside an object, best Queue ≥ 1× postMessage at its best",
    check: (c) => bigValueTarget(c, PM_STR, "{ id, text: 1 MB string }"),
  },
  {
    text: "Queue: a 1 MB Float64Array inside an object, best Queue ≥ 1× postMessage at its best",
    check: (c) => bigValueTarget(c, PM_F64, "{ id, data: 1 MB Float64Array }"),
  },
  {
    text: "Lock hand-off ≥ 5× Web Locks (Web Locks contended = FIFO hand-offs)",
    check: (c) =>
      compare(named(c, "sabkit Lock hand-off", true), named(c, "navigator.locks contended", true), 5, byTime),
  },
  {
    text: "LockManager contended (FIFO hand-offs) ≥ 5× navigator.locks contended, where the runtime has it",
    check: (c) =>
      compare(
        named(c, "sabkit LockManager contended", true),
        named(c, "navigator.locks contended", true),
        5,
        byTime,
      ),
  },
  {
    text: "RwLock read-mostly (8 reads : 1 write, 2 threads) ≥ 2× Lock",
    check: (c) => rwlockVerdict(c, "read-mostly", LIMIT_NO_LOCK_RM),
  },
  {
    text: "RwLock reads only (2 readers) ≥ 2× Lock",
    check: (c) => rwlockVerdict(c, "reads only", LIMIT_NO_LOCK_RO),
  },
  ...POOL_TARGETS,
];

/**
 * RwLock against Lock for the same sections on two threads; a miss also says
 * how far the same work with no lock at all got past the Lock in that run:
 * two threads on two cores can at most double one, and only while both
 * cores are free. Read-mostly has a lower ceiling, whatever the lock: a
 * writer must wait for the read the other thread is in (half a read on
 * average), so with 1 write in 9 sections on each thread even a free RwLock
 * takes 8.5 reads' time where the no-lock limit takes 8: at most 16/17 of
 * the limit's speed.
 */
function rwlockVerdict(c: Map<string, Cell>, shape: string, limitName: string): string {
  const lock = named(c, `sabkit Lock, ${shape}`, true);
  const verdict = compare(named(c, `sabkit RwLock, ${shape}`, true), lock, 2, byTime);
  const limit = named(c, limitName);
  if (!verdict.startsWith("FAIL") || limit?.ns === undefined || lock?.ns === undefined) return verdict;
  const most = lock.ns / limit.ns;
  const writes = shape === "read-mostly";
  const reach = writes ? most * 16 / 17 : most;
  if (reach >= 2) return verdict;
  const why = `the same work with no lock at all was ${num(most)}× the Lock`;
  return writes
    ? `${verdict}; out of reach in this run: ${why}, and a writer waits for the other thread's read in progress (half a read on average): at most ${
      num(reach)
    }×`
    : `${verdict}; out of reach in this run: ${why}`;
}

const spread = (xs: number[]): number => Math.max(...xs) / Math.min(...xs);

/** The repetitions of the best channel of a section, or why there are none to judge. */
function repeated(c: Map<string, Cell>, section: Scenario["section"]): Cell | string {
  const top = best(c, section);
  if (top === undefined) return "n/a: no sabkit channel measured";
  if ((top.reps ?? []).length < 2) return "n/a: run with --repeat=5";
  return top;
}

/** Max/min over repetitions of the best channel of a section (the stability target). */
function stability(section: Scenario["section"]): Target {
  return {
    text: `${section}-f64: best sabkit channel stable over the repetitions (max/min ≤ 1.5×)`,
    check(c) {
      const top = repeated(c, section);
      if (typeof top === "string") return top;
      const reps = top.reps!;
      const ratio = spread(reps);
      const label = section === "100k" ? byGbps : byRate;
      const range = reps.map((ns) => label({ ...top, ns })).join(", ");
      const machine = top.machine === undefined
        ? ""
        : `; the machine (a one-thread loop timed beside it on both cores) varied ${
          num(spread(top.machine))
        }×`;
      return `${ratio <= 1.5 ? "met" : "FAIL"} ${num(ratio)}× over ${reps.length} runs (${range}; ${
        truncate(top.scenario.name, 40)
      })${machine}`;
    },
  };
}

/**
 * The same repetitions measured in units of the machine's speed at the time
 * (ns per message ÷ both cores' ns per copy of the control loop, summed):
 * whether the channel swings more than the machine under it does.
 */
function steadiness(section: Scenario["section"]): Target {
  return {
    text:
      `${section}-f64: best sabkit channel steady relative to the machine (÷ the control loop on both cores, max/min ≤ 1.5×; a diagnostic, not a target)`,
    check(c) {
      const top = repeated(c, section);
      if (typeof top === "string") return top;
      if (top.machine === undefined) return "n/a: no control loop timings (results of an older benchmark)";
      const relative = top.reps!.map((ns, i) => ns / top.machine![i]);
      const ratio = spread(relative);
      // A diagnostic: never FAIL, which would count as a missed target.
      return `${ratio <= 1.5 ? "steady" : "unsteady"} ${
        num(ratio)
      }× over ${relative.length} runs (ns per message ÷ ns per copy, both cores: ${
        relative.map(num).join(", ")
      })`;
    },
  };
}

interface Prepared {
  runs: RuntimeResult[][];
  results: RuntimeResult[];
  columns: string[];
  all: Map<string, Cell>[];
  scenarios: Scenario[];
  repeated: boolean;
  quick: boolean;
}

function prepare(runs: RuntimeResult[][]): Prepared {
  const results = runs.map((r) => r[0]);
  const scenarios: Scenario[] = [];
  for (const r of results) {
    for (const s of r.scenarios) if (!scenarios.some((x) => x.name === s.name)) scenarios.push(s);
  }
  return {
    runs,
    results,
    columns: results.map((r) => `${r.runtime} ${r.version}`),
    all: runs.map(merged),
    scenarios,
    repeated: runs.some((r) => r.length > 1),
    quick: results.some((r) => r.quick),
  };
}

/** How the figures are made, in one sentence (two with `--quick`). */
function figuresNote(p: Prepared): string {
  return `Figures are medians of mitata's samples${
    p.repeated ? ` (then the median over the ${p.runs[0].length} runs of each runtime)` : ""
  }; each sample is a batch of messages, verified by the consumer.${
    p.quick
      ? " **Quick run** (`--quick`): small batches and a 60 ms budget per benchmark; rough figures."
      : ""
  }`;
}

/** The load average (1 min) before→after, per runtime (the range over its runs). */
function loads(p: Prepared): string {
  const range = (xs: number[]): string => {
    const lo = Math.min(...xs).toFixed(2);
    const hi = Math.max(...xs).toFixed(2);
    return lo === hi ? lo : `${lo}–${hi}`;
  };
  return p.runs.map((rs) =>
    `${rs[0].runtime} ${range(rs.map((r) => r.machine.loadavg.before[0]))}→${
      range(rs.map((r) => r.machine.loadavg.after[0]))
    }`
  ).join(", ");
}

function tableLines(p: Prepared): string[] {
  const lines = [`| scenario | ${p.columns.join(" | ")} |`, `|---|${p.columns.map(() => "---").join("|")}|`];
  let section: string | undefined;
  for (const s of p.scenarios) {
    if (s.section !== section) {
      section = s.section;
      lines.push(`| **${SECTIONS[s.section]}** |${p.columns.map(() => "").join(" |")} |`);
    }
    const ref = s.vs;
    const row = p.all.map((c) => show(c.get(s.name), ref === undefined ? undefined : reference(c, ref)));
    lines.push(`| ${s.name} | ${row.join(" | ")} |`);
  }
  return lines;
}

function targetLines(p: Prepared, targets: Target[]): string[] {
  const lines = [`| target | ${p.columns.join(" | ")} |`, `|---|${p.columns.map(() => "---").join("|")}|`];
  for (const t of targets) {
    const verdicts = p.all.map((c) => t.check(c));
    // A run of some rows only (`--filter`) leaves out the targets none of whose rows ran.
    if (verdicts.every((v) => /^n\/a: no sabkit (row|channel) measured/.test(v))) continue;
    lines.push(`| ${t.text} | ${verdicts.join(" | ")} |`);
  }
  return lines;
}

/** Every measured row's spread over the runs (max/min of the per-run medians), per runtime. */
function spreadLines(p: Prepared): string[] {
  const lines = [`| scenario | ${p.columns.join(" | ")} |`, `|---|${p.columns.map(() => "---").join("|")}|`];
  for (const s of p.scenarios) {
    const row = p.all.map((c) => {
      const cell = c.get(s.name);
      if (cell === undefined || cell.ns === undefined) return "—";
      const reps = cell.reps ?? [];
      return reps.length < 2 ? "—" : `${num(spread(reps))}×`;
    });
    lines.push(`| ${s.name} | ${row.join(" | ")} |`);
  }
  return lines;
}

const STABLE: Target[] = [stability("100k"), stability("16")];
const STEADY: Target[] = [steadiness("100k"), steadiness("16")];

/**
 * Every missed target (a FAIL cell), as "runtime: target: figures", so the
 * runner can say what failed and exit non-zero.
 */
export function failures(runs: RuntimeResult[][]): string[] {
  const p = prepare(runs);
  const out: string[] = [];
  for (const t of [...TARGETS, ...STABLE]) {
    p.all.forEach((c, i) => {
      const verdict = t.check(c);
      if (verdict.startsWith("FAIL")) out.push(`${p.columns[i]}: ${t.text}: ${verdict}`);
    });
  }
  return out;
}

/**
 * The combined markdown report the runner prints: `runs` holds, per
 * runtime, its runs (one, or `--repeat` of them).
 */
export function report(runs: RuntimeResult[][], notes: string[] = []): string {
  const p = prepare(runs);
  const lines: string[] = [];
  const m = p.results[0]?.machine;
  if (m !== undefined) {
    lines.push(
      `Machine: ${m.cores} cores, ${m.cpu}. Load average (1 min) before→after each run: ${loads(p)}.`,
      figuresNote(p),
      "",
    );
  }
  lines.push(...tableLines(p));
  lines.push(
    "",
    "Targets (same run, per runtime):",
    "",
    ...targetLines(p, [...TARGETS, ...STABLE, ...STEADY]),
  );
  if (notes.length > 0) lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}

/** When the runs started, as a range (UTC), if the results say. */
function started(p: Prepared): string {
  const dates = p.runs.flat().map((r) => r.date).filter((d) => d !== undefined).sort();
  if (dates.length === 0) return "";
  const at = (d: string): string => `${d.slice(0, 10)} ${d.slice(11, 16)}`;
  const first = at(dates[0]);
  const lastDate = dates[dates.length - 1];
  // The day once if all ran on one day.
  const last = lastDate.slice(0, 10) === dates[0].slice(0, 10) ? lastDate.slice(11, 16) : at(lastDate);
  return first === last ? `, started ${first} UTC` : `, started between ${first} and ${last} UTC`;
}

/** What the document says about the machine, from the first run's record. */
function machineLines(p: Prepared): string[] {
  const m = p.results[0].machine;
  const os = m.os === undefined ? "" : `${m.os.platform} ${m.os.arch} (kernel ${m.os.release}), `;
  const memory = m.memory === undefined ? "" : `, ${(m.memory / 2 ** 30).toFixed(1)} GiB of memory`;
  const seconds = p.runs.map((rs) => {
    const xs = rs.map((r) => r.seconds);
    const lo = Math.min(...xs).toFixed(0);
    const hi = Math.max(...xs).toFixed(0);
    return `${rs[0].runtime} ${lo === hi ? lo : `${lo}–${hi}`} s`;
  });
  // During the runs the load average counts the benchmark's own threads (both sides of a scenario, the
  // runtimes' compiler and GC threads: 2.7 on 2 cores with nothing else running, measured), and each run's
  // "before" is the previous run's tail: only the load before the first run shows other programs.
  const first = p.runs.flat().reduce((a, r) => ((r.date ?? "~") < (a.date ?? "~") ? r : a));
  const before = first.machine.loadavg.before[0];
  // Above the cores: more runnable threads than cores before the benchmark began (a load that merely
  // decays from earlier work, 1.3 a minute after another benchmark here, is no sign of that).
  const busy = before > m.cores
    ? [
      `- **The machine was busy**: the load average was ${
        before.toFixed(2)
      } on ${m.cores} cores before the first run, so other programs took turns on the cores the benchmark ran on. Figures that depend on both sides running at once (hand-offs, round trips, small messages) suffer most; on an idle machine they are higher and steadier.`,
    ]
    : [];
  return [
    `- ${os}${m.cores} cores (as the runtime reports them: \`availableParallelism\`), ${m.cpu}${memory}.`,
    `- Runtimes: ${p.columns.join(", ")}; ${p.runs[0].length} run${p.runs[0].length > 1 ? "s" : ""} of each${
      started(p)
    }.`,
    `- Load average (1 min) before→after the runs: ${
      loads(p)
    }. During the runs it counts the benchmark's own threads (both sides of a scenario, the runtimes' compiler and GC threads), so only the load before the first run shows other programs; anything else the machine runs at the time shows in the figures.`,
    `- Time to measure one runtime: ${seconds.join(", ")}.`,
    ...busy,
  ];
}

/**
 * `bench/RESULTS.md`: the machine, how the figures are made, the full
 * combined table, the targets and the stability analysis. `command` is how
 * the results were made; `notes` are the runner's (failed runs).
 */
export function resultsDocument(
  runs: RuntimeResult[][],
  options: { command: string; notes?: string[] },
): string {
  const p = prepare(runs);
  const n = p.runs[0].length;
  const lines: string[] = [
    "# sabkit benchmark results",
    "",
    `Written by \`${options.command}\`${
      options.command.includes("--rebuild") ? " from the results in `bench/results/`" : ""
    }. Rerun \`npm run bench -- --report\` to measure your own machine (it`,
    "replaces this file).",
    "",
    "## Machine",
    "",
    ...machineLines(p),
    "",
    "## Method",
    "",
    "`bench/bench.ts` ([mitata](https://github.com/evanwashere/mitata)) runs on each runtime in turn. The producer",
    "is the main thread, the consumer a worker. Every message carries stamps that the consumer checks (the first",
    "ones element by element), so a lost, repeated, reordered or torn message makes the row an error, never a",
    "number. Each sample is a batch of messages, reported per message. The ratio after each figure is against",
    "the section's postMessage peer (for locks: Web Locks, `navigator.locks`).",
    ...(runs.some((r) => ["chromium", "firefox"].includes(r[0].runtime))
      ? [
        "",
        "In the browsers (`scripts/bench_browser.ts`) the same `bench.ts`, bundled by esbuild, runs in a dedicated",
        "worker of a cross-origin-isolated page (a window may not block): that worker is the producer, the worker it",
        "starts the consumer. multithreading is not measured there (its pool loads files a bundle does not have).",
      ]
      : []),
    "",
    "Peers: `postMessage` (structured clone of a `number[]` or a `Float64Array`, and transfer with a pool of 4",
    "buffers returned by the consumer), [ringbuf.js](https://github.com/padenot/ringbuf.js) (a wait-free",
    "single-producer single-consumer ring; both sides spin), [multithreading](https://github.com/W4G1/multithreading)",
    "(its `channel()` and `Mutex`, through its own worker pool), Web Locks where the runtime has them. Each clone is",
    "measured twice: as a batch whose producer blocks until the consumer has verified it, and as a burst (post the",
    "batch, then await the consumer's count as a message, the producer's event loop free); ratios use the faster.",
    "multithreading's `channel()` runs at its default capacity (larger ones fail its checks or run out of memory, see",
    "`bench/_multithreading.ts`); ringbuf.js with room for 1,024 messages, both sides spinning (it has no wake-up).",
    "",
    "Limits of one thread, so each channel row reads as a fraction of what the machine can do: memcpy",
    "(`Float64Array.set`) into an `ArrayBuffer` and into shared memory (what `send` does per message), and allocate +",
    "copy out of shared memory (what `recv` does per message, the way the runtime layer chose: `allocCopy`). The",
    "`sendWith + recvWith` row writes each message in place (its stamps; the first laps of the slots get the whole",
    "pattern) and reads it in place: nothing is copied. A peer that fails the consumer's checks shows as an error",
    "in its cell.",
    "",
    "The Queue rows (issue 18, `bench/_queue.ts`, `npm run bench:queue` runs only them) send values built anew for",
    "each put through `Queue`, `SimpleQueue`, `JoinableQueue` (the producer then `join`s: every item `taskDone`) and",
    "a one-way `Pipe`: a record of 3 short strings, 8 numbers and a nested array (208 bytes as JSON), and a 1 MB",
    "ASCII string or a 1 MB `Float64Array` inside an object (through the default 64 KiB, streamed in parts, and",
    "through 4 MiB). The consumer checks every value's stamps and the first ones field by field. Peers: postMessage",
    "of the same values (blocking and as a burst; ratios use the faster), multithreading's `channel()` with the",
    "record as an object and as a JSON string, and the limits of one thread: sabkit's value codec (encode, copy,",
    "decode) and `structuredClone`, and for each 1 MB value its encode alone (the producer's share, on the thread",
    "that puts: a target missed while this alone is slower than postMessage is out of reach) and its decode alone",
    "out of shared memory. Round trips: a record over two one-way Pipes against a postMessage ping-pong of the",
    "record.",
    "",
    "The Pool rows (issue 19, `bench/_pool.ts`) run sabkit's `Pool` and piscina, tinypool and workerpool with 2",
    "warm workers each, every result checked. The latency rows first answer tasks one at a time for 1.5 s on",
    "every pool (their JIT warm-up is not their latency), then sample one task per sample, back to back, as a",
    "loop of awaited calls does: without mitata's heap statistics between samples (Bun's took ~9 µs a call, a gap",
    "no such loop has), and each sample racing a shared deadline rather than a timer of its own.",
    "",
    figuresNote(p),
    "",
    "## Results",
    "",
    ...tableLines(p),
    "",
    "## Targets",
    "",
    "Each target compares the best sabkit row of a section with a peer measured in the same run on the same runtime.",
    "",
    ...targetLines(p, TARGETS),
    "",
    "## Stability",
    "",
  ];
  if (n < 2) {
    lines.push(
      "One run per runtime: nothing to judge. `npm run bench -- --report` measures each runtime 5 times",
      "(`--repeat=N` to change it).",
    );
  } else {
    lines.push(
      `Each runtime was measured ${n} times in a row; the figures above are the medians of the ${n} runs.`,
      "The target: the best channel of each section varies by at most 1.5× (max/min) over the runs.",
      "",
      ...targetLines(p, STABLE),
      "",
      "The machine under the benchmark is not steady either. On shared virtual machines a core runs a",
      "plain loop at one speed for seconds, then up to about half as fast, then back, as other tenants of the",
      "host come and go, and each core does so on its own; code bound by instruction throughput swings with",
      "it, and the engines' channel code is such code (V8 calls out to a builtin for every `Atomics` operation).",
      "So each channel row also times a one-thread loop that shares nothing (`bench/_control.ts`: 128-byte",
      "copies into a 256 kB ring) on both cores at once, as the row opens and as it closes. The rows above give",
      "that loop's spread over the same runs; the rows below divide each run's time per message by the sum of",
      "the two cores' time per copy: if the channel is steady relative to the machine, its own swings are the",
      "machine's (a diagnostic, not a target).",
      "",
      ...targetLines(p, STEADY),
      "",
      "Every row's spread over the runs (max/min of the per-run medians):",
      "",
      ...spreadLines(p),
      "",
      "The diagnostics in `bench/diag/` look closer: `machine_phase.ts` sends batches through one channel for a",
      "minute and sorts them by the state of the two cores; `memcpy_pair.ts` times two copies at once;",
      "`wake_latency.ts` what parking a thread costs; `channel_quick.ts` and `postmessage_quick.ts` are short",
      "A/B runs; `native/machine.c` and `native/ring.c` are the control loop and the channel's ring in C.",
    );
  }
  if ((options.notes ?? []).length > 0) {
    lines.push(
      "",
      "## Notes",
      "",
      ...options.notes!.map((x) => `- ${x}`),
    );
  }
  return lines.join("\n") + "\n";
}
