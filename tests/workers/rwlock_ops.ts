/**
 * Workers of the RwLock tests (rwlock_test.ts, rwlock_killpoints_test.ts,
 * rwlock_kill_test.ts). Outcomes are coded as in ./_record.ts.
 */
import { revive, type RwLock } from "../../mod.ts";
import { settle } from "./_record.ts";

export { FALSE, OTHER, OWNER_DIED, TRUE } from "./_record.ts";

/** Control words of `mixed` and `readTogether`. */
export const READERS = 0;
export const WRITERS = 1;
export const COUNTER = 2;
export const VIOLATIONS = 3;
export const DONE = 4;
export const READS = 5;
export const WRITES = 6;

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Inside a read lock: no writer may be inside. */
function readSection(ctl: Int32Array, spin: number): void {
  Atomics.add(ctl, READERS, 1);
  if (Atomics.load(ctl, WRITERS) !== 0) Atomics.add(ctl, VIOLATIONS, 1);
  for (let i = 0; i < spin; i++) if (Atomics.load(ctl, WRITERS) !== 0) Atomics.add(ctl, VIOLATIONS, 1);
  Atomics.sub(ctl, READERS, 1);
  Atomics.add(ctl, READS, 1);
}

/** Inside the write lock: alone. The counter is bumped non-atomically: a lost update shows a second writer. */
function writeSection(ctl: Int32Array, spin: number): void {
  if (Atomics.exchange(ctl, WRITERS, 1) !== 0 || Atomics.load(ctl, READERS) !== 0) {
    Atomics.add(ctl, VIOLATIONS, 1);
  }
  const c = ctl[COUNTER];
  for (let i = 0; i < spin; i++) if (Atomics.load(ctl, READERS) !== 0) Atomics.add(ctl, VIOLATIONS, 1);
  ctl[COUNTER] = c + 1;
  Atomics.store(ctl, WRITERS, 0);
  Atomics.add(ctl, WRITES, 1);
}

/**
 * `ops` seeded operations, a write with probability `writeShare`, through
 * the blocking forms (`async`: the async forms, guards every other time).
 * `fresh`: each operation through a new object of the lock (revived from a
 * clone), so every read claims its slot anew (and gives it up if a writer
 * came meanwhile), the path a thread takes on its first read.
 */
export async function mixed(
  lock: RwLock,
  ctl: Int32Array,
  seed: number,
  ops: number,
  writeShare: number,
  useAsync: boolean,
  fresh = false,
): Promise<void> {
  const next = random(seed);
  for (let i = 0; i < ops; i++) {
    const rw = fresh ? revive(structuredClone(lock)) : lock;
    const write = next() < writeShare;
    const spin = Math.floor(next() * 50);
    const guard = (i & 1) === 1;
    if (write) {
      if (useAsync) {
        if (guard) {
          using _ = await rw.writeGuardAsync();
          writeSection(ctl, spin);
        } else {
          await rw.acquireWriteAsync();
          writeSection(ctl, spin);
          rw.releaseWrite();
        }
      } else if (guard) {
        using _ = rw.writeGuard();
        writeSection(ctl, spin);
      } else {
        rw.acquireWrite();
        writeSection(ctl, spin);
        rw.releaseWrite();
      }
    } else if (useAsync) {
      if (guard) {
        using _ = await rw.readGuardAsync();
        readSection(ctl, spin);
      } else {
        await rw.acquireReadAsync();
        readSection(ctl, spin);
        rw.releaseRead();
      }
    } else if (guard) {
      using _ = rw.readGuard();
      readSection(ctl, spin);
    } else {
      rw.acquireRead();
      readSection(ctl, spin);
      rw.releaseRead();
    }
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}

/**
 * Takes a read lock, then waits (holding it) until `parties` threads hold
 * one at once: possible only if readers share the lock. Records TRUE, or
 * FALSE if they never were all inside within `ms`.
 */
export function readTogether(
  rw: RwLock,
  ctl: Int32Array,
  out: Int32Array,
  slot: number,
  parties: number,
  ms: number,
): void {
  rw.acquireRead();
  Atomics.add(ctl, READERS, 1);
  const end = performance.now() + ms;
  let ok = true;
  while (Atomics.load(ctl, READERS) < parties) {
    if (performance.now() > end) {
      ok = false;
      break;
    }
  }
  // Stay until everyone has seen the others, then leave.
  Atomics.add(ctl, DONE, 1);
  while (ok && Atomics.load(ctl, DONE) < parties && performance.now() < end) { /* spin */ }
  Atomics.sub(ctl, READERS, 1);
  rw.releaseRead();
  Atomics.store(out, slot, ok ? 1 : 2);
}

/**
 * Takes `mode` ("read" or "write", `depth` times), raises `flags[0]`, holds
 * until `flags[1]` is raised (or it is terminated), then releases as often.
 */
export async function hold(rw: RwLock, mode: string, flags: Int32Array, depth = 1): Promise<void> {
  for (let i = 0; i < depth; i++) {
    if (mode === "read") rw.acquireRead();
    else rw.acquireWrite();
  }
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) await sleep(2);
  for (let i = 0; i < depth; i++) {
    if (mode === "read") rw.releaseRead();
    else rw.releaseWrite();
  }
  Atomics.store(flags, 2, 1);
}

/**
 * One acquire of `mode` ("read", "write", "readAsync", "writeAsync") with
 * `timeout` (and `recover`); records its outcome in `out[slot]` and how long
 * it took (ms) in `out[slot + 1]`, holding the lock for `holdMs` if it got it.
 * `flags[0]` counts arrivals, `flags[1]` departures.
 */
export async function attempt(
  rw: RwLock,
  mode: string,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
  holdMs = 0,
  recover = false,
): Promise<void> {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  const t0 = performance.now();
  let result: number;
  let got = false;
  if (mode.endsWith("Async")) {
    try {
      got = mode === "readAsync"
        ? await rw.acquireReadAsync({ timeout, recover })
        : await rw.acquireWriteAsync({ timeout, recover });
      result = got ? 1 : 2;
    } catch (e) {
      result = settle(() => {
        throw e;
      });
    }
  } else {
    result = settle(() => {
      got = mode === "read" ? rw.acquireRead({ timeout, recover }) : rw.acquireWrite({ timeout, recover });
      return got;
    });
  }
  Atomics.store(out, slot + 1, Math.round(performance.now() - t0));
  Atomics.store(out, slot, result);
  Atomics.notify(out, slot);
  if (got) {
    if (holdMs > 0) await sleep(holdMs);
    if (mode.startsWith("read")) rw.releaseRead();
    else rw.releaseWrite();
  }
  Atomics.add(flags, 1, 1);
  Atomics.notify(flags, 1);
}

/** For the kill tests: reads (nested twice) and writes forever, counting in `n[0]`. */
export function hammer(rw: RwLock, n: Int32Array): void {
  for (;;) {
    rw.acquireRead();
    rw.acquireRead();
    n[0]++;
    rw.releaseRead();
    rw.releaseRead();
    rw.acquireWrite();
    n[0]++;
    rw.releaseWrite();
  }
}
