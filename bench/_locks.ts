/**
 * Benchmark scenarios of `RwLock` and `LockManager` (main-thread side; the
 * worker side is `_locks_worker.ts`):
 *
 * - read-mostly: the main thread and one worker each run `n` sections, 8
 *   reads to 1 write (or reads only), on a table of 4096 float64 (32 kB) in
 *   shared memory, as a lookup table is used: a read scans the whole table
 *   and checks that its first and last entries agree (a writer beside it
 *   would show); a write bumps both, so the count of writes is checked
 *   exactly. Under a sabkit `RwLock`, under a sabkit `Lock` (the same work,
 *   one at a time), with no lock at all (the limit: speed only), and under
 *   multithreading's `RwLock` (through its own pool).
 *
 *   Why 32 kB: a read-write lock pays off only when reads are long enough to
 *   overlap (Java's `ReadWriteLock` documentation says as much: with too
 *   short reads the lock's own cost dominates). Every write costs any
 *   read-write lock a few cache-line transfers between the cores (the writer
 *   marks the other reader's place, waits for its release, clears the mark:
 *   a round trip between cores took 0.1–0.4 µs on an idle 2-core VM, more
 *   under load), and the writer waits for the read in progress. The 256-float64 table used
 *   before was read in ~0.1 µs on Bun and Deno: those transfers were as long
 *   as the 9 sections around each write, so the rows measured line traffic,
 *   which no read-write lock can avoid, not reads. A 32 kB read takes ~2.3 µs
 *   on every runtime once compiled: a write's traffic is then a few percent
 *   of its 9 sections, the use read-write locks are made for. For sections
 *   of ~0.1 µs a `Lock` is the right tool, and the `Lock` rows of the lock
 *   group measure that.
 * - The same scan on both threads, at the same speed. The rows used to vary
 *   with V8's compilers, not with the locks: with a table of whole numbers,
 *   Node 26's optimizing tier compiled the sum as a float → int64 → float
 *   round trip per entry (15–22 µs per scan), so the table holds fractions
 *   (`newTable`); a loop written inside a session's `run` closure stayed in
 *   V8's middle tier (Maglev) on the main thread (13–16 µs per scan) while
 *   the worker's was optimized (2.1), so each kind of section is one
 *   function both threads call (`rwlockSections` …); and Maglev runs every
 *   section loop for about the first second, so each session first runs its
 *   sections for {@linkcode WARM_MS} on both threads. `bench/diag/rwlock_scan.ts`
 *   shows each thread's own time per section.
 * - Both threads start each batch together: the worker waits on a control
 *   word (`GO`; spinning briefly, then sleeping) rather than for a message (a
 *   Deno worker could start a message after the main thread's whole batch,
 *   and the rows would time one thread), and the main thread waits for the
 *   worker to begin, and at the end for it to finish, the same way.
 * - `LockManager` request + release on one thread, and contended between
 *   the main thread and a worker (FIFO: every grant a hand-off), against
 *   `navigator.locks` rows of the same shape in `_scenarios.ts`.
 *
 * @module
 */

import type * as MT from "multithreading";
import { Lock, LockManager, RwLock } from "../mod.ts";
import { type BenchWorker, startWorker } from "./_port.ts";
import type { Session } from "./_scenarios.ts";
import {
  COUNTER,
  deadlineSignal,
  DONE,
  INSIDE,
  newControl,
  READY,
  STOP,
  throwIfFailed,
  waitAtLeast,
  waitAtLeastAsync,
} from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;

/** Milliseconds a worker may take to start, and one batch to run. */
const SETUP_MS = 30_000;
const BATCH_MS = 60_000;
/** Operations of the verification pass: every kind of step at least once on both threads. */
const VERIFY_OPS = 90;
/** Float64 entries of the table each read scans (32 kB: see the module header for why). */
const DATA = 4096;
/** Read-mostly rows: bumped by the main thread to start a batch of `COUNT` sections on the worker. */
export const GO = 9;
/** The size of the batch `GO` starts. */
export const COUNT = 10;
/** Sections the worker has begun (its batches summed): the main thread starts its own only then. */
export const BEGUN = 11;
/** The worker's time inside its batches, summed, in tenths of a µs (a diagnostic: `bench/diag/rwlock_scan.ts`). */
export const BUSY = 12;
/**
 * How long either thread spins for the other before it sleeps (ms): longer
 * than a gap between samples, and short, as a spinning thread that shares
 * its core with the one it waits for (a busy machine) keeps it from running.
 */
export const SPIN_MS = 0.2;

/** The first and last entries before any write (every entry is `BASE` plus a fraction of its index). */
const BASE = 0.5;

/**
 * The table: fractional values, as a lookup table of float64 holds. Whole
 * numbers would measure an engine quirk instead of the locks: V8 (Node 26,
 * Deno 2.9) speculates that a sum of whole-valued doubles stays a safe
 * integer and compiles the scan to a float → int64 → float round trip per
 * entry, 2.3 µs per scan in one tier and 15–22 µs in another, so the two
 * threads of a row ran at different speeds from one session to the next.
 * Measured on this machine's Node and Deno with the table's scan alone.
 */
function newTable(): Float64Array {
  const data = new Float64Array(new SharedArrayBuffer(DATA * 8));
  for (let i = 0; i < DATA; i++) data[i] = BASE + (i % 8) / 8;
  data[DATA - 1] = BASE;
  return data;
}

/** Scans the table; its first and last entries agree, or a writer was inside beside this reader. */
export function readAll(data: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  if (data[0] !== data[data.length - 1]) {
    throw new Error("A reader saw a half-written table: a writer was inside beside it");
  }
  return sum;
}

/**
 * The same scan as {@linkcode readAll} without its check: the no-lock limit's
 * reads, which a racing write may tear (that row measures speed only).
 */
export function scanAll(data: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return sum === -1 ? 1 : 0;
}

/** Updates the table: its first and last entries, one more than before. */
export function writeAll(data: Float64Array): void {
  const v = data[0] + 1;
  data[0] = v;
  data[data.length - 1] = v;
}

/*
 * The sections of one batch, operations `from` … `end - 1`, the same code on
 * both threads (the worker imports them), each a function of its own: V8
 * compiled the loop inside a session's `run` closure with its middle tier
 * only (Maglev, whose scan took 13–16 µs against 2.1 for the optimizing
 * tier's), on the main thread while the worker's ran optimized, so the two
 * threads of a row ran at different speeds.
 */

/** Read-mostly sections under an `RwLock`. */
export function rwlockSections(
  rw: RwLock,
  data: Float64Array,
  from: number,
  end: number,
  every: number,
): void {
  for (let op = from; op < end; op++) {
    if (isWrite(op, every)) {
      rw.acquireWrite();
      writeAll(data);
      rw.releaseWrite();
    } else {
      rw.acquireRead();
      readAll(data);
      rw.releaseRead();
    }
  }
}

/** The same sections under a `Lock`, one at a time. */
export function lockSections(lock: Lock, data: Float64Array, from: number, end: number, every: number): void {
  for (let op = from; op < end; op++) {
    lock.acquire();
    if (isWrite(op, every)) writeAll(data);
    else readAll(data);
    lock.release();
  }
}

/** The same sections with no lock (the limit: racy, so the reads are not checked). */
export function noLockSections(data: Float64Array, from: number, end: number, every: number): void {
  for (let op = from; op < end; op++) {
    if (isWrite(op, every)) writeAll(data);
    else scanAll(data);
  }
}

/** Whether operation `i` is a write, with one write every `every` operations (8 reads : 1 write: 9). */
export function isWrite(i: number, every: number): boolean {
  return i % every === every - 1;
}

/** Writes among operations `from` … `from + n - 1`. */
function writesIn(from: number, n: number, every: number): number {
  let w = 0;
  for (let i = from; i < from + n; i++) if (isWrite(i, every)) w++;
  return w;
}

/** A critical section: alone inside, a non-atomic counter bumped. */
export function section(ctl: Ctl): void {
  if (Atomics.exchange(ctl, INSIDE, 1) !== 0) throw new Error("Two threads were inside the lock at once");
  ctl[COUNTER] = ctl[COUNTER] + 1;
  Atomics.store(ctl, INSIDE, 0);
}

const WORKER = new URL("./_locks_worker.ts", import.meta.url);

/** Starts a `_locks_worker.ts` of `kind` and waits until it is set up. */
async function start(
  what: string,
  kind: string,
  extra: Record<string, unknown>,
): Promise<[BenchWorker, Ctl]> {
  const ctl = newControl();
  const worker = startWorker(WORKER, `bench ${what}`);
  try {
    // The parent starts every handshake (a worker's first message can be lost on Deno).
    worker.post({ kind, ctl: ctl.buffer, ...extra });
    await waitAtLeastAsync(ctl, READY, 1, SETUP_MS, `${what}: start`, () => worker.error);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return [worker, ctl];
}

/**
 * Starts a batch of `n` sections on a read-mostly worker (which spins on
 * `GO` for {@linkcode SPIN_MS} after each batch, so between samples it starts
 * within a microsecond, not a message's latency) and returns once it has
 * begun (spinning, then sleeping): both threads run their sections at once,
 * and a row's time is that of the two together, whatever the runtime's
 * message latency (a Deno worker could otherwise start a message later than
 * the main thread's whole batch, and the rows would measure one thread).
 */
function startBatch(ctl: Ctl, n: number, begun: number, what: string): void {
  Atomics.store(ctl, COUNT, n);
  Atomics.add(ctl, GO, 1);
  Atomics.notify(ctl, GO);
  const spinEnd = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(ctl, BEGUN) < begun; i++) {
    if ((i & 255) === 0 && performance.now() > spinEnd) {
      waitAtLeast(ctl, BEGUN, begun, BATCH_MS, what);
      return;
    }
  }
}

/**
 * Waits until the worker has done `sent` sections in all: spinning (its
 * batch ends about when the main thread's does; a sleep would add a wake-up,
 * tens of µs, to every sample), then after {@linkcode SPIN_MS} sleeping.
 */
function endBatch(ctl: Ctl, sent: number, what: string): void {
  const spinEnd = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(ctl, DONE) < sent; i++) {
    if ((i & 255) === 0 && performance.now() > spinEnd) break;
  }
  waitAtLeast(ctl, DONE, sent, BATCH_MS, what);
}

/** Stops a read-mostly worker's loop (it sleeps at most `SPIN_MS` + 100 ms at a time), then the worker. */
function stopReadMostly(ctl: Ctl, worker: BenchWorker): void {
  Atomics.store(ctl, STOP, 1);
  Atomics.add(ctl, GO, 1);
  Atomics.notify(ctl, GO);
  worker.terminate();
}

/**
 * How long a read-mostly session runs its sections on both threads before
 * its first sample (ms). V8 first compiles the section loop with the scan
 * inlined by its middle tier (Maglev): 6–16 µs per scan against 2.3 once
 * the optimizing tier takes over, which took about 1 s of sections (Node 26,
 * Deno 2.9; `bench/diag/rwlock_scan.ts`), longer than mitata's warm-up and
 * samples of a row. The rows measure the locks at the scan's steady speed.
 */
const WARM_MS = 1500;
/** Sections per thread of each warm-up batch. */
const WARM_BATCH = 200;

/** Runs the verification pass, then `warmMs` of batches; stops everything if one fails. */
async function verified<S extends Session>(session: S, verify: number, warmMs = 0): Promise<S> {
  try {
    await session.run(verify);
    for (const end = performance.now() + warmMs; performance.now() < end;) await session.run(WARM_BATCH);
    return session;
  } catch (e) {
    await session.close();
    throw e;
  }
}

/** A read-mostly session, which also tells how long each thread spent in its sections. */
export interface ReadMostlySession extends Session {
  /** Milliseconds inside the sections so far: the main thread's, the worker's (a diagnostic). */
  busy(): [main: number, worker: number];
}

/**
 * Read-mostly sections on two threads under a sabkit `RwLock` (`"rwlock"`)
 * or `Lock` (`"lock"`), one write every `every` operations (`Infinity`:
 * reads only). `"none"`: the same work with no lock at all, the most any
 * lock could give on this machine at this moment (its writes race, so
 * nothing is checked: a limit, never a way to share data).
 */
export async function openReadMostly(
  what: string,
  kind: "rwlock" | "lock" | "none",
  every = 9,
): Promise<ReadMostlySession> {
  const data = newTable();
  const rw = new RwLock();
  const lock = new Lock();
  const [worker, ctl] = kind === "rwlock"
    ? await start(what, "rwlockReadMostly", { rw, data, every })
    : kind === "lock"
    ? await start(what, "lockReadMostly", { lock, data, every })
    : await start(what, "noLockReadMostly", { data, every });
  let op = 0;
  let sent = 0;
  let writes = 0;
  let mainBusy = 0;
  return verified(
    {
      run(n) {
        sent += n;
        startBatch(ctl, n, sent, what);
        const end = op + n;
        writes += 2 * writesIn(op, n, every);
        const t0 = performance.now();
        if (kind === "rwlock") rwlockSections(rw, data, op, end, every);
        else if (kind === "lock") lockSections(lock, data, op, end, every);
        else noLockSections(data, op, end, every);
        op = end;
        mainBusy += performance.now() - t0;
        endBatch(ctl, sent, what);
        throwIfFailed(ctl, what);
        // Unlocked writes race and may be lost: the limit row is not checked.
        if (kind !== "none" && data[0] - BASE !== writes) {
          throw new Error(`${what}: ${data[0] - BASE} writes seen, ${writes} made (a lost write)`);
        }
      },
      close() {
        stopReadMostly(ctl, worker);
      },
      busy() {
        return [mainBusy, Atomics.load(ctl, BUSY) / 1e4];
      },
    },
    VERIFY_OPS,
    WARM_MS,
  );
}

/** The same read-mostly sections under multithreading's `RwLock`, its worker from its own pool. */
export async function openMtReadMostly(what: string): Promise<Session> {
  const mt: typeof MT = await import("multithreading");
  const ctl = newControl();
  const data = newTable();
  const rw = new mt.RwLock();
  // Stringified and run in the pool's worker: nothing from this module is in scope there.
  const handle = mt.spawn(mt.move(rw, { ctl, data }), (rw, box) => {
    const { ctl, data } = box;
    const fail = (text: string): string => {
      new Uint8Array(ctl.buffer, 64, 2048).set(new TextEncoder().encode(text));
      Atomics.store(ctl, 3, 1); // ERROR
      Atomics.notify(ctl, 1); // DONE
      return text;
    };
    Atomics.store(ctl, 0, 1); // READY
    let seen = 0;
    let op = 0;
    for (;;) {
      // As serveGo in _locks_worker.ts: spin on GO for 0.2 ms (SPIN_MS), then sleep.
      const spinEnd = performance.now() + 0.2;
      while (Atomics.load(ctl, 9) === seen) { // GO
        if (performance.now() > spinEnd) Atomics.wait(ctl, 9, seen, 100);
      }
      if (Atomics.load(ctl, 4) !== 0) return "stopped"; // STOP
      seen = Atomics.load(ctl, 9);
      const n = Atomics.load(ctl, 10); // COUNT
      Atomics.add(ctl, 11, n); // BEGUN
      Atomics.notify(ctl, 11);
      for (const end = op + n; op < end; op++) {
        if (op % 9 === 8) {
          const guard = rw.blockingWrite();
          const v = data[0] + 1;
          data[0] = v;
          data[data.length - 1] = v;
          guard.dispose();
        } else {
          const guard = rw.blockingRead();
          let sum = 0;
          for (let i = 0; i < data.length; i++) sum += data[i];
          const torn = data[0] !== data[data.length - 1];
          guard.dispose();
          if (torn || sum !== sum) {
            return fail("A reader saw a half-written table: a writer was inside beside it");
          }
        }
      }
      Atomics.add(ctl, 1, n); // DONE
      Atomics.notify(ctl, 1);
    }
  });
  let failure: Error | undefined;
  void handle.join().then((r) => {
    if (!r.ok) failure = r.error instanceof Error ? r.error : new Error(String(r.error));
  });
  const stop = async (): Promise<void> => {
    Atomics.store(ctl, STOP, 1);
    Atomics.add(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([handle.join(), new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    mt.shutdown();
  };
  try {
    await waitAtLeastAsync(ctl, READY, 1, SETUP_MS, `${what}: start`, () => failure);
  } catch (e) {
    await stop();
    throw e;
  }
  let op = 0;
  let sent = 0;
  let writes = 0;
  return verified(
    {
      run(n) {
        sent += n;
        startBatch(ctl, n, sent, what);
        writes += 2 * writesIn(op, n, 9);
        mtSections(rw, data, op, op + n);
        op += n;
        endBatch(ctl, sent, what);
        throwIfFailed(ctl, what);
        if (data[0] - BASE !== writes) {
          throw new Error(`${what}: ${data[0] - BASE} writes seen, ${writes} made (a lost write)`);
        }
      },
      close: stop,
    },
    VERIFY_OPS,
    WARM_MS,
  );
}

/** The main thread's sections under multithreading's `RwLock` (a function of its own, as `rwlockSections`). */
function mtSections(rw: MT.RwLock, data: Float64Array, from: number, end: number): void {
  for (let op = from; op < end; op++) {
    if (isWrite(op, 9)) {
      const guard = rw.blockingWrite();
      writeAll(data);
      guard.dispose();
    } else {
      const guard = rw.blockingRead();
      readAll(data);
      guard.dispose();
    }
  }
}

/** `LockManager.request` + release on one thread, nobody else asking. */
export function openLockManagerUncontended(): Session {
  const locks = new LockManager();
  let count = 0;
  const body = (): void => void count++;
  return {
    async run(n) {
      const before = count;
      for (let i = 0; i < n; i++) await locks.request("sabkit-bench-uncontended", body);
      if (count !== before + n) throw new Error("LockManager: wrong count");
    },
    close() {},
  };
}

/** The main thread and a worker each make `n` requests for one name: every grant a FIFO hand-off. */
export async function openLockManagerContended(what: string): Promise<Session> {
  const locks = new LockManager();
  const name = "sabkit-bench-contended";
  const [worker, ctl] = await start(what, "lockManagerContended", { locks, name });
  const body = (): void => section(ctl);
  let sent = 0;
  return verified({
    async run(n) {
      sent += n;
      worker.post(n);
      const [signal, disarm] = deadlineSignal(BATCH_MS, what);
      try {
        for (let i = 0; i < n; i++) await locks.request(name, { signal }, body);
      } finally {
        disarm();
      }
      await waitAtLeastAsync(ctl, DONE, sent, BATCH_MS, what, () => worker.error);
      throwIfFailed(ctl, what);
      if (ctl[COUNTER] !== 2 * sent) {
        throw new Error(`${what}: the counter is ${ctl[COUNTER]}, expected ${2 * sent} (lost updates)`);
      }
    },
    close() {
      worker.terminate();
    },
  }, 3);
}
