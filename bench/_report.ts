/**
 * The combined report: one markdown table (rows = scenarios, columns =
 * runtimes) built from the per-runtime JSON files the benchmark writes, and
 * the targets of the channel with PASS/FAIL per runtime.
 *
 * @module
 */

import type { Scenario } from "./bench.ts";

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
  machine: { cores: number; cpu: string; loadavg: { before: number[]; after: number[] } };
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
  if (s.section === "100k") return `${num(gbps(cell))} GB/s`;
  if (s.section === "16") return `${rate(1e9 / ns)} msgs/s`;
  if (s.section === "rt") return `${num(ns / 1e3)} µs/round trip`;
  return `${time(ns)}/op`;
}

function truncate(text: string, max = 90): string {
  const one = text.replace(/\s+/g, " ").replaceAll("|", "\\|");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
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
  "100k": "100,000 float64 (800 kB) per message, main → worker (ratio: vs postMessage(Float64Array))",
  "16": "16 float64 (128 B) per message, main → worker (ratio: vs postMessage(Float64Array(16)))",
  rt: "Round trip of a one-number message (ratio: vs postMessage ping-pong)",
  lock: "Locks, time per acquire+release or per hand-off (ratio: vs navigator.locks)",
};

interface Target {
  text: string;
  check(c: Map<string, Cell>): string;
}

function best(c: Map<string, Cell>, section: Scenario["section"]): Cell | undefined {
  let top: Cell | undefined;
  for (const cell of c.values()) {
    const s = cell.scenario;
    if (s.section !== section || s.role !== "sabkit" || cell.ns === undefined) continue;
    if (top === undefined || cell.ns < top.ns!) top = cell;
  }
  return top;
}

function find(c: Map<string, Cell>, test: (s: Scenario) => boolean): Cell | undefined {
  for (const cell of c.values()) if (test(cell.scenario)) return cell;
  return undefined;
}

/** PASS/FAIL of `ours` against `theirs` scaled by `factor` (higher throughput wins). */
function compare(
  ours: Cell | undefined,
  theirs: Cell | undefined,
  factor: number,
  label: (c: Cell) => string,
): string {
  if (ours === undefined) return "n/a: no sabkit channel measured";
  if (theirs === undefined || theirs.scenario.skipped !== undefined) return "n/a: peer not available";
  if (theirs.ns === undefined) return `n/a: peer failed (${truncate(theirs.error ?? "", 40)})`;
  const ratio = theirs.ns / ours.ns!;
  const pass = ratio >= factor;
  return `${pass ? "PASS" : "FAIL"} ${num(ratio)}× (${label(ours)} vs ${label(theirs)}; ${
    truncate(ours.scenario.name, 40)
  })`;
}

const byGbps = (c: Cell): string => `${num(gbps(c))} GB/s`;
const byRate = (c: Cell): string => `${rate(1e9 / c.ns!)}/s`;
const byTime = (c: Cell): string => time(c.ns!);

const TARGETS: Target[] = [
  {
    text: "100k-f64: best sabkit channel ≥ 5× postMessage(Float64Array)",
    check: (c) =>
      compare(best(c, "100k"), find(c, (s) => s.section === "100k" && s.role === "baseline"), 5, byGbps),
  },
  {
    text: "100k-f64: best sabkit channel ≥ transfer pool",
    check: (c) => compare(best(c, "100k"), find(c, (s) => s.role === "transfer"), 1, byGbps),
  },
  {
    text: "100k-f64: best sabkit channel ≥ 50 % of memcpy (→ ArrayBuffer)",
    check: (c) =>
      compare(best(c, "100k"), find(c, (s) => s.role === "limit" && !s.name.includes("Shared")), 0.5, byGbps),
  },
  {
    text: "16-f64: best sabkit channel ≥ 10× postMessage",
    check: (c) =>
      compare(best(c, "16"), find(c, (s) => s.section === "16" && s.role === "baseline"), 10, byRate),
  },
  {
    text: "16-f64: best sabkit channel ahead of multithreading's channel",
    check: (c) =>
      compare(best(c, "16"), find(c, (s) => s.name.startsWith("multithreading channel")), 1, byRate),
  },
  {
    text: "Lock hand-off ≥ 5× Web Locks (issue target; Web Locks contended = FIFO hand-offs)",
    check: (c) =>
      compare(
        find(c, (s) => s.name.startsWith("sabkit Lock hand-off")) as Cell | undefined,
        find(c, (s) => s.name.startsWith("navigator.locks contended")),
        5,
        byTime,
      ),
  },
];

const spread = (xs: number[]): number => Math.max(...xs) / Math.min(...xs);

/** The repetitions of the best channel of a section, or why there are none to judge. */
function repeated(c: Map<string, Cell>, section: Scenario["section"]): Cell | string {
  const top = best(c, section);
  if (top === undefined) return "n/a: no sabkit channel measured";
  if ((top.reps ?? []).length < 2) return "n/a: run with --repeat=5";
  return top;
}

/** Max/min over repetitions of the best channel of a section (the issue's stability target). */
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
      return `${ratio <= 1.5 ? "PASS" : "FAIL"} ${num(ratio)}× over ${reps.length} runs (${range}; ${
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
      `${section}-f64: best sabkit channel steady relative to the machine (÷ the control loop on both cores, max/min ≤ 1.5×; a diagnostic, not an issue target)`,
    check(c) {
      const top = repeated(c, section);
      if (typeof top === "string") return top;
      if (top.machine === undefined) return "n/a: no control loop timings (results of an older benchmark)";
      const relative = top.reps!.map((ns, i) => ns / top.machine![i]);
      const ratio = spread(relative);
      return `${ratio <= 1.5 ? "PASS" : "FAIL"} ${
        num(ratio)
      }× over ${relative.length} runs (ns per message ÷ ns per copy, both cores: ${
        relative.map(num).join(", ")
      })`;
    },
  };
}

/**
 * The combined markdown report: `results` holds, per runtime, its runs
 * (one, or `--repeat` of them).
 */
export function report(runs: RuntimeResult[][], notes: string[] = []): string {
  const results = runs.map((r) => r[0]);
  const repeated = runs.some((r) => r.length > 1);
  const columns = results.map((r) => `${r.runtime} ${r.version}`);
  const all = runs.map(merged);
  const scenarios: Scenario[] = [];
  for (const r of results) {
    for (const s of r.scenarios) if (!scenarios.some((x) => x.name === s.name)) scenarios.push(s);
  }
  const lines: string[] = [];
  const m = results[0]?.machine;
  const quick = results.some((r) => r.quick);
  if (m !== undefined) {
    const load = results.map((r) =>
      `${r.runtime} ${r.machine.loadavg.before[0].toFixed(2)}→${r.machine.loadavg.after[0].toFixed(2)}`
    );
    lines.push(
      `Machine: ${m.cores} cores, ${m.cpu}. Load average (1 min) before→after each run: ${load.join(", ")}.`,
      `Figures are medians of mitata's samples${
        repeated ? ` (then the median over ${runs[0].length} runs)` : ""
      }; each sample is a batch of messages, verified by the consumer.${
        quick
          ? " **Quick run** (`--quick`): small batches and a 60 ms budget per benchmark; rough figures."
          : ""
      }`,
      "",
    );
  }
  lines.push(`| scenario | ${columns.join(" | ")} |`, `|---|${columns.map(() => "---").join("|")}|`);
  let section: string | undefined;
  for (const s of scenarios) {
    if (s.section !== section) {
      section = s.section;
      lines.push(`| **${SECTIONS[s.section]}** |${columns.map(() => "").join(" |")} |`);
    }
    const ref = s.vs;
    const row = all.map((c) => show(c.get(s.name), ref === undefined ? undefined : c.get(ref)));
    lines.push(`| ${s.name} | ${row.join(" | ")} |`);
  }
  lines.push("", "Targets (same run, per runtime):", "", `| target | ${columns.join(" | ")} |`);
  lines.push(`|---|${columns.map(() => "---").join("|")}|`);
  const stable = [stability("100k"), stability("16"), steadiness("100k"), steadiness("16")];
  for (const t of [...TARGETS, ...stable]) {
    lines.push(`| ${t.text} | ${all.map((c) => t.check(c)).join(" | ")} |`);
  }
  if (notes.length > 0) lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}
