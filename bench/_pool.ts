/**
 * The Pool benchmark (issue 19): sabkit's `Pool` against piscina, tinypool
 * and workerpool (devDependencies), 2 workers each, warm pools, every result
 * checked. Four sections:
 *
 * - `pool`: tiny tasks (`add(a, b)`), a batch submitted at once (tasks/s);
 * - `pool-map`: a map over many small items: sabkit's `map` with a
 *   `chunksize`; the peers have no batching, so per-item tasks (their
 *   equivalent), and, for reference, chunks made by hand (items/s);
 * - `pool-cpu`: about 1 ms of arithmetic per task (tasks/s): the work
 *   dominates, the overhead must not be in the way;
 * - `pool-lat`: one task at a time on an idle pool, apply → result (time per
 *   task; one task per sample, so the figure is the median).
 *
 * `registerPoolRows` adds them to `bench.ts`'s table; `npm run bench --
 * --filter=pool` runs only these.
 *
 * @module
 */

import { barplot, group, summary } from "mitata";
import { Pool } from "../mod.ts";
import type { Def } from "./_queue.ts";
import { runtime } from "./_port.ts";
import { BATCH_MS, type Session } from "./_scenarios.ts";
import { WORK, work } from "./_pool_tasks.ts";

const TASKS = new URL("./_pool_tasks.ts", import.meta.url);
const WORKERPOOL = new URL("./_pool_workerpool.ts", import.meta.url);
const THREADS = 2;
/** Items per chunk of the map rows. */
const CHUNK = 10_000;

type PeerName = "piscina" | "tinypool" | "workerpool";

/** One pool under test: a call by export name with a list of arguments. */
interface Runner {
  call(name: string, args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Peers that do not finish here (measured with this benchmark): their rows say so instead. */
const BROKEN: Partial<Record<PeerName, Partial<Record<typeof runtime, string>>>> = {
  piscina: { browser: "piscina runs on Node's worker_threads only" },
  workerpool: {
    bun: "workerpool never answers its first task on Bun 1.4 (hangs)",
    browser: "workerpool is not measured in browsers here (its worker would need a bundle of its own)",
  },
  tinypool: {
    deno: "tinypool on Deno 2.9 answers a lone task but never 8 submitted at once (hangs)",
    browser: "tinypool runs on Node's worker_threads only",
  },
};

/**
 * A sabkit pool of the tasks. In a browser the benchmark is bundled: sabkit's
 * worker bootstrap and pool loop are entries of their own, in one split
 * bundle beside this one (see scripts/bench_browser.ts), as a user ships them.
 */
function newPool(name: string): Pool {
  if (runtime !== "browser") return new Pool(TASKS, { processes: THREADS, name });
  return new Pool(TASKS, {
    processes: THREADS,
    name,
    bootstrap: new URL("./pool/bootstrap.js", import.meta.url),
    workerModule: new URL("./pool/pool_worker.js", import.meta.url),
  });
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function sabkit(): Promise<Runner> {
  const pool = newPool("bench");
  return Promise.resolve({
    call: (name, args) => pool.apply(name, args),
    close: () => {
      pool.terminate();
      return pool.join();
    },
  });
}

/** Single-argument peers get `[a, b]` for `add` (the `…One` export). */
function one(name: string, args: unknown[]): [string, unknown] {
  return args.length === 1 ? [name, args[0]] : [`${name}One`, args];
}

async function peer(which: PeerName): Promise<Runner> {
  if (which === "piscina") {
    const { Piscina } = await import("piscina");
    const p = new Piscina({ filename: TASKS.href, minThreads: THREADS, maxThreads: THREADS });
    return {
      call: (name, args) => {
        const [task, arg] = one(name, args);
        return p.run(arg, { name: task });
      },
      close: () => p.destroy(),
    };
  }
  if (which === "tinypool") {
    const { Tinypool } = await import("tinypool");
    const p = new Tinypool({ filename: TASKS.href, minThreads: THREADS, maxThreads: THREADS });
    return {
      call: (name, args) => {
        const [task, arg] = one(name, args);
        return p.run(arg, { name: task });
      },
      close: () => p.destroy(),
    };
  }
  const workerpool = (await import("workerpool")).default;
  const p = workerpool.pool(WORKERPOOL.pathname, {
    minWorkers: THREADS,
    maxWorkers: THREADS,
    workerType: "thread",
  });
  return {
    call: (name, args) => p.exec(name, args) as Promise<unknown>,
    close: async () => void (await p.terminate()),
  };
}

/** Opens a runner and checks it answers (the pool warm: every worker started). */
async function opened(what: string, open: () => Promise<Runner>): Promise<Runner> {
  const r = await open();
  try {
    const sums = await withDeadline(
      Promise.all(Array.from({ length: 4 * THREADS }, (_, i) => r.call("add", [i, 1]))),
      30_000,
      `${what}: warm-up`,
    );
    sums.forEach((s, i) => {
      if (s !== i + 1) throw new Error(`${what}: add(${i}, 1) gave ${s}`);
    });
  } catch (e) {
    await withDeadline(r.close(), 5_000, `${what}: close`).catch(() => {});
    throw e;
  }
  return r;
}

function session(r: Runner, what: string, run: (n: number) => Promise<void>): Session {
  return {
    run: (n) => withDeadline(run(n), BATCH_MS, what),
    close: () => withDeadline(r.close(), 10_000, `${what}: close`).catch(() => {}),
  };
}

/** `n` tiny tasks at once: `add(i, seq)`, each result checked. */
function tiny(r: Runner, what: string): Session {
  let seq = 0;
  return session(r, what, async (n) => {
    const s = seq++;
    const calls = new Array<Promise<unknown>>(n);
    for (let i = 0; i < n; i++) calls[i] = r.call("add", [i, s]);
    const out = await Promise.all(calls);
    for (let i = 0; i < n; i++) {
      if (out[i] !== i + s) throw new Error(`${what}: add(${i}, ${s}) gave ${out[i]}`);
    }
  });
}

/** Items 0…n-1 (and their squares) for the map rows, built once per size. */
const itemsOf = new Map<number, number[]>();
function items(n: number): number[] {
  let xs = itemsOf.get(n);
  if (xs === undefined) itemsOf.set(n, xs = Array.from({ length: n }, (_, i) => i));
  return xs;
}

function checkSquares(out: unknown[], n: number, what: string): void {
  if (out.length !== n) throw new Error(`${what}: ${out.length} results for ${n} items`);
  for (let i = 0; i < n; i++) if (out[i] !== i * i) throw new Error(`${what}: item ${i} gave ${out[i]}`);
}

/** A map of `n` items: sabkit's `map` with a chunksize. */
function sabkitMap(pool: Pool, r: Runner, what: string): Session {
  return session(r, what, async (n) => {
    checkSquares(await pool.map("square", items(n), { chunksize: CHUNK }), n, what);
  });
}

/** A peer's map: a task per item, or (`chunked`) a task per chunk of `CHUNK` items. */
function peerMap(r: Runner, what: string, chunked: boolean): Session {
  return session(r, what, async (n) => {
    const xs = items(n);
    if (!chunked) {
      checkSquares(await Promise.all(xs.map((x) => r.call("square", [x]))), n, what);
      return;
    }
    const parts: Promise<unknown>[] = [];
    for (let at = 0; at < n; at += CHUNK) parts.push(r.call("squareAll", [xs.slice(at, at + CHUNK)]));
    checkSquares(((await Promise.all(parts)) as number[][]).flat(), n, what);
  });
}

/** What `work(seed)` gives, for seeds 0…n-1 (computed once). */
const workDone: number[] = [];
function expected(n: number): number[] {
  while (workDone.length < n) workDone.push(work(workDone.length));
  return workDone;
}

/** `n` tasks of about 1 ms each at once. */
function cpu(r: Runner, what: string): Session {
  return session(r, what, async (n) => {
    const want = expected(n);
    const out = await Promise.all(Array.from({ length: n }, (_, i) => r.call("work", [i])));
    for (let i = 0; i < n; i++) if (out[i] !== want[i]) throw new Error(`${what}: work(${i}) gave ${out[i]}`);
  });
}

/**
 * One task at a time: apply → result. A sample is a single task of a few
 * µs, so its deadline is not a timer of its own (setting and clearing one
 * per sample added 1-2 µs to every pool's figure, a larger share of the
 * fastest): the samples race one shared deadline, renewed every
 * {@linkcode RENEW_SAMPLES} samples or second (a promise raced forever would
 * keep every race's reaction alive).
 */
async function latency(r: Runner, what: string): Promise<Session> {
  let seq = 0;
  let late: Promise<never> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let since = 0;
  let raced = 0;
  const renew = (): Promise<never> => {
    clearTimeout(timer);
    since = performance.now();
    raced = 0;
    late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${BATCH_MS} ms`)), BATCH_MS);
    });
    // Rejected only while a sample races it; a renewed one is dropped settled or not.
    late.catch(() => {});
    return late;
  };
  const session: Session = {
    async run(n) {
      for (let i = 0; i < n; i++) {
        const deadline = late === undefined || ++raced >= RENEW_SAMPLES || performance.now() - since > 1_000
          ? renew()
          : late;
        const s = seq++;
        const v = await Promise.race([r.call("add", [s, 1]), deadline]);
        if (v !== s + 1) throw new Error(`${what}: add(${s}, 1) gave ${v}`);
      }
    },
    close: () => {
      clearTimeout(timer);
      return withDeadline(r.close(), 10_000, `${what}: close`).catch(() => {});
    },
  };
  // Every pool first answers one task at a time for LATENCY_WARM_MS: a pool's figure then is its
  // steady state, not its JIT warm-up (sabkit's median over the first 20,000 such tasks was 2-4×
  // its later one on Bun, measured), and the peers get the same time.
  try {
    const until = performance.now() + LATENCY_WARM_MS;
    while (performance.now() < until) await session.run(16);
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

/** How long each pool answers tasks one at a time before its latency row is sampled (ms). */
const LATENCY_WARM_MS = 1_500;

/** Latency samples that race one deadline before it is renewed. */
const RENEW_SAMPLES = 256;

/** The name of a peer's row in a section. */
export function peerRow(which: PeerName, section: string): string {
  return `${which} ${section}`;
}

/** Row names the report's targets look for. */
export const POOL_ROWS = {
  tiny: "sabkit Pool.apply × n at once",
  map: `sabkit Pool.map, chunksize ${CHUNK.toLocaleString("en-US")}`,
  cpu: "sabkit Pool.apply × n at once (≈1 ms each)",
  lat: "sabkit Pool.apply, one at a time",
  /** Suffixes of the peers' rows. */
  peerTiny: "run × n at once",
  peerMap: "a task per item",
  peerChunks: `chunks of ${CHUNK.toLocaleString("en-US")} by hand`,
  peerCpu: "run × n at once (≈1 ms each)",
  peerLat: "run, one at a time",
} as const;

const PEERS: readonly PeerName[] = ["piscina", "tinypool", "workerpool"];

/** Adds the Pool benchmark's rows to the table, through `bench.ts`'s `def`. */
export function registerPoolRows(def: Def, skip: (meta: Parameters<Def>[0], why: string) => void): void {
  /** The peers' rows of a section (a skip where a peer does not finish here). */
  const peers = (
    meta: { section: "pool" | "pool-map" | "pool-cpu" | "pool-lat"; bytes: 0; vs: string },
    suffix: string,
    counts: { full: number; quick: number },
    open: (r: Runner, what: string) => Session | Promise<Session>,
  ): void => {
    for (const which of PEERS) {
      const name = peerRow(which, suffix);
      const row = {
        ...meta,
        name,
        role: which === "piscina" ? "baseline" as const : "peer" as const,
        ...counts,
      };
      const broken = BROKEN[which]?.[runtime];
      if (broken !== undefined) {
        skip(row, broken);
        continue;
      }
      const b = def(row, async () => open(await opened(name, () => peer(which)), name));
      if (which === "piscina") b.baseline();
    }
  };

  const tinyMeta = { section: "pool", bytes: 0, vs: peerRow("piscina", POOL_ROWS.peerTiny) } as const;
  group(`Pool: tiny tasks add(a, b) submitted at once, ${THREADS} workers, warm`, () => {
    summary(() => {
      barplot(() => {
        peers(tinyMeta, POOL_ROWS.peerTiny, { full: 20_000, quick: 5_000 }, tiny);
        def(
          { ...tinyMeta, name: POOL_ROWS.tiny, role: "sabkit", full: 100_000, quick: 20_000 },
          async () => tiny(await opened(POOL_ROWS.tiny, sabkit), POOL_ROWS.tiny),
        );
      });
    });
  });

  const mapMeta = { section: "pool-map", bytes: 0, vs: peerRow("piscina", POOL_ROWS.peerMap) } as const;
  group(`Pool: map of small items (square), ${THREADS} workers`, () => {
    summary(() => {
      barplot(() => {
        peers(mapMeta, POOL_ROWS.peerMap, { full: 20_000, quick: 5_000 }, (r, w) => peerMap(r, w, false));
        for (const which of PEERS) {
          const name = peerRow(which, POOL_ROWS.peerChunks);
          const row = { ...mapMeta, name, role: "limit" as const, full: 1_000_000, quick: 100_000 };
          const broken = BROKEN[which]?.[runtime];
          if (broken !== undefined) skip(row, broken);
          else def(row, async () => peerMap(await opened(name, () => peer(which)), name, true));
        }
        def(
          { ...mapMeta, name: POOL_ROWS.map, role: "sabkit", full: 1_000_000, quick: 100_000 },
          async () => {
            const pool = newPool("bench-map");
            const r: Runner = {
              call: (name, args) => pool.apply(name, args),
              close: () => {
                pool.terminate();
                return pool.join();
              },
            };
            return sabkitMap(pool, await opened(POOL_ROWS.map, () => Promise.resolve(r)), POOL_ROWS.map);
          },
        );
      });
    });
  });

  const cpuMeta = { section: "pool-cpu", bytes: 0, vs: peerRow("piscina", POOL_ROWS.peerCpu) } as const;
  group(
    `Pool: CPU-bound tasks (${WORK.toLocaleString("en-US")} xorshift rounds ≈ 1 ms), ${THREADS} workers`,
    () => {
      barplot(() => {
        peers(cpuMeta, POOL_ROWS.peerCpu, { full: 200, quick: 40 }, cpu);
        def(
          { ...cpuMeta, name: POOL_ROWS.cpu, role: "sabkit", full: 200, quick: 40 },
          async () => cpu(await opened(POOL_ROWS.cpu, sabkit), POOL_ROWS.cpu),
        );
      });
    },
  );

  const latMeta = { section: "pool-lat", bytes: 0, vs: peerRow("piscina", POOL_ROWS.peerLat) } as const;
  group("Pool: latency of one task on an idle pool (apply → result; the median of one-task samples)", () => {
    summary(() => {
      barplot(() => {
        peers(latMeta, POOL_ROWS.peerLat, { full: 1, quick: 1 }, latency);
        def(
          { ...latMeta, name: POOL_ROWS.lat, role: "sabkit", full: 1, quick: 1 },
          async () => latency(await opened(POOL_ROWS.lat, sabkit), POOL_ROWS.lat),
        );
      });
    });
  });
}
