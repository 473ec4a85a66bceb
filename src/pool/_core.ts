/**
 * The machinery under `Pool`: its workers, the feed of the task queue, the
 * reader of the result queue, and the repair after a worker's death.
 *
 * Tasks wait in a local backlog until the task queue has room (at most
 * `RING_ITEMS` items queued), so the main thread puts them in bulk; workers
 * take them themselves. A task's number is the queue's count of items taken
 * before it (the pool is the queue's only producer, so the n-th item put is
 * the n-th taken): `#inflight` maps numbers to jobs, and a worker's result
 * names its number. After a worker's exit, with the results it put drained,
 * a taken task that no live worker claims was lost with the dead one: it is
 * rejected if it had started, else put again (see `_slots.ts`).
 *
 * @module
 */

import { hasExited } from "../core/_agent.ts";
import { QueueFullError } from "../core/errors.ts";
import { canBlock } from "../core/_wait.ts";
import { type Process, ProcessError } from "../process/process.ts";
import { type Endpoint, endpoints } from "../queue/_endpoint.ts";
import { GET_LOCK, GETS, type Items } from "../queue/_items.ts";
import { Queue } from "../queue/queue.ts";
import {
  CLAIM,
  DROPPED_MASK,
  HAS_CLAIM,
  HAS_RUN,
  newDropped,
  newSlot,
  RUN,
  SPIN_MISSES,
  STATE,
  STATE_INIT,
} from "./_slots.ts";
import type { ResultItem, TaskItem } from "./_worker.ts";
import { WorkerExitError } from "./worker_exit_error.ts";

/** The most task items queued at once (the rest wait in the backlog). */
const RING_ITEMS = 1024;
/** Shared memory of each queue. */
const RING_BYTES = 1 << 18;
/** The reason the reader's wait is aborted with when something needs it (a death, close, terminate). */
const KICK: Error = new Error("kick");
/**
 * How long an idle `apply` spins for its answer (ms), while spins pay off
 * (and one in `PROBE_MASK + 1` otherwise, to see whether they would again):
 * on 2 cores shared with other work a spin that fails kept a core from the
 * worker it waited for (a 0.5 ms spin fell into a 300 µs mode; with spins
 * only where they pay off, a miss costs a kernel wake-up instead).
 */
const SPIN_MS = 0.03;
const PROBE_MASK = 31;
/**
 * How long an idle `apply` may then block the thread for its answer (ms),
 * sleeping in the kernel (woken by the worker's put), while answers came
 * that fast lately: once one does not, it stops until one does again.
 */
const BLOCK_MS = 1;
/** How often a pending repair looks again for the queue's lock to be repaired (ms). */
const REPAIR_POLL_MS = 5;

/** A unit of work: one task item (an `apply`, or a chunk of a `map`). */
export interface Job {
  /** The export to call. */
  readonly name: string;
  /** `APPLY`: one call, `payload` its arguments; `MAP`: a call per item; `STARMAP`: a call per argument list. */
  readonly kind: number;
  /** The arguments, or the items. */
  readonly payload: unknown[];
  /**
   * Called once: the result (`APPLY`) or the results in order up to the
   * failing call (`MAP`, `STARMAP`; `undefined` when none ran), and the
   * error, if any.
   */
  readonly settle: (result: unknown, error: Error | undefined) => void;
  /** 0 waiting in the backlog, 1 queued or running (`index` its number), 2 settled. */
  state: number;
  /** The task number once queued. */
  index: number;
}

/** What the pool was created with (checked by `Pool`). */
export interface CoreOptions {
  url: URL;
  processes: number;
  initializer: string | undefined;
  initargs: unknown[];
  maxtasks: number;
  name: string;
  bootstrap: URL | string | undefined;
  start: (name: string, args: unknown[], bootstrap: URL | string | undefined) => Process;
}

interface Worker {
  readonly process: Process;
  readonly slot: Int32Array;
  /** Set once its exit was reported. */
  exitCode: number | null;
  error: ProcessError | undefined;
  /** The pool stopped it (a task's signal or timeout, or `terminate()`). */
  stopped: boolean;
}

/** The pool's state, as `Pool` reports it. */
export const RUNNING = 0;
export const CLOSED = 1;
export const TERMINATED = 2;

/** The machinery of one `Pool`. */
export class PoolCore {
  readonly #o: CoreOptions;
  readonly #tasks: Queue<TaskItem> = new Queue({ bytes: RING_BYTES });
  readonly #results: Queue<ResultItem> = new Queue({ bytes: RING_BYTES });
  readonly #taskItems: Items;
  readonly #resultItems: Items;
  readonly #resultEnd: Endpoint;
  readonly #dropped: Int32Array = newDropped();
  readonly #workers: Set<Worker> = new Set();
  readonly #dead: Worker[] = [];
  #backlog: Job[] = [];
  #head = 0;
  /** Jobs put again after their worker died before starting them: they go first. */
  #again: Job[] = [];
  readonly #inflight: Map<number, Job> = new Map();
  /** Items put into the task queue (the pool is its only producer). */
  #puts = 0;
  /** An item too large for one record is being streamed in (puts wait for it). */
  #streaming = false;
  #spawned = 0;
  state: number = RUNNING;
  /** Set when workers cannot start (the module or initializer failed): every task rejects with it. */
  broken: Error | undefined;
  #reading = false;
  #kick: AbortController = new AbortController();
  #exited: Promise<void> | undefined;
  #onAllExited: () => void = () => {};
  /** Spins for an idle apply's answer that missed in a row; how many idle applies did not spin. */
  #spinMisses = 0;
  #probes = 0;
  /** Whether an idle apply may sleep for its answer (the last such answer came within `BLOCK_MS`). */
  #blockOk = true;
  /** The job whose result a spin gave up on, and when that spin began. */
  #spinning: Job | undefined;
  #spunAt = 0;

  constructor(options: CoreOptions) {
    this.#o = options;
    this.#taskItems = endpoints.get(this.#tasks)!.items;
    this.#resultEnd = endpoints.get(this.#results)!;
    this.#resultItems = this.#resultEnd.items;
    for (let k = 0; k < options.processes; k++) this.#spawn();
  }

  /** Jobs not yet settled. */
  get pending(): number {
    return this.#inflight.size + this.#again.length + this.#backlog.length - this.#head;
  }

  // --- workers ---

  #spawn(): void {
    const slot = newSlot();
    const o = this.#o;
    const process = o.start(`${o.name}-${++this.#spawned}`, [
      o.url.href,
      this.#tasks,
      this.#results,
      slot,
      this.#dropped,
      o.initializer,
      o.initargs,
      o.maxtasks,
    ], o.bootstrap);
    const w: Worker = { process, slot, exitCode: null, error: undefined, stopped: false };
    this.#workers.add(w);
    process.join().then(
      (code) => this.#onExit(w, code ?? 0, undefined),
      (e) => this.#onExit(w, process.exitCode ?? 1, e instanceof ProcessError ? e : undefined),
    );
  }

  #onExit(w: Worker, code: number, error: ProcessError | undefined): void {
    w.exitCode = code;
    w.error = error;
    this.#workers.delete(w);
    this.#dead.push(w);
    if (!w.stopped && this.state !== TERMINATED && Atomics.load(w.slot, STATE) === STATE_INIT) {
      // It never took a task: the module or the initializer failed. Respawning would fail again.
      this.#break(
        error ??
          new WorkerExitError(`The worker ${w.process.name} exited with code ${code} while starting`, code),
      );
    } else if (this.#wantsWorkers()) {
      this.#spawn();
    }
    this.#wake();
    if (this.#workers.size === 0 && this.#finished()) this.#onAllExited();
  }

  /** Whether a dead worker should be replaced. */
  #wantsWorkers(): boolean {
    if (this.state === TERMINATED || this.broken !== undefined) return false;
    if (this.#workers.size - this.#stopping() >= this.#o.processes) return false;
    return this.state === RUNNING || this.pending > 0 || !this.#drained();
  }

  #stopping(): number {
    let n = 0;
    for (const w of this.#workers) if (w.stopped) n++;
    return n;
  }

  /** Whether the task queue holds nothing and no dead worker holds its get lock. */
  #drained(): boolean {
    const i32 = this.#taskItems.i32;
    const lock = Atomics.load(i32, GET_LOCK);
    return !this.#taskItems.ready(false) && (lock === 0 || !hasExited(lock >>> 1));
  }

  /** Every task fails with `error` from now on; the workers are stopped. */
  #break(error: Error): void {
    if (this.broken !== undefined) return;
    this.broken = error;
    this.#failAll(error);
    for (const w of this.#workers) this.#stop(w);
    this.#tasks.close();
  }

  #stop(w: Worker): void {
    if (w.stopped) return;
    w.stopped = true;
    w.process.terminate();
  }

  // --- jobs ---

  /** Adds a job (state 0) to the backlog and feeds the queue. */
  submit(job: Job): void {
    if (this.broken !== undefined) {
      job.state = 2;
      job.settle(undefined, this.broken);
      return;
    }
    this.#backlog.push(job);
    const idle = this.pending === 1;
    this.#feed();
    if (idle && job.state === 1) {
      // An idle pool answers one task within microseconds: spin for it rather than wait for a wake-up,
      // once this tick's code has run (a loop of calls submits many: then nobody spins).
      queueMicrotask(() => this.#spinFor(job));
      return;
    }
    // The reader needs no kick for a new task (its result will wake it): only to be started.
    if (!this.#reading && this.pending > 0) void this.#read();
  }

  /**
   * Settles `job` with `reason` now: dropped if queued; if running, its
   * worker is stopped (and replaced), or, without `stopRunning`, left to
   * finish (its result dropped).
   */
  cancel(job: Job, reason: Error, stopRunning = true): void {
    if (job.state === 2) return;
    if (job.state === 1) {
      const n = job.index;
      this.#inflight.delete(n);
      // The table first, then RUN (the worker writes RUN, then reads the table): one of us sees the other.
      Atomics.store(this.#dropped, n & DROPPED_MASK, n);
      // Else a running job finishes, and its result is dropped (nothing maps its number any more).
      if (stopRunning) this.#stopRunning(n);
    }
    job.state = 2;
    job.settle(undefined, reason);
  }

  /** Stops (and replaces) the worker running task `n`, if one does. */
  #stopRunning(n: number): void {
    for (const w of this.#workers) {
      if (!w.stopped && Atomics.load(w.slot, HAS_RUN) === 1 && Atomics.load(w.slot, RUN) === n) {
        this.#stop(w);
        if (this.#wantsWorkers()) this.#spawn();
      }
    }
  }

  #failAll(error: Error): void {
    const jobs = [...this.#again, ...this.#backlog.slice(this.#head), ...this.#inflight.values()];
    this.#again = [];
    this.#backlog = [];
    this.#head = 0;
    this.#inflight.clear();
    for (const job of jobs) {
      if (job.state === 2) continue;
      job.state = 2;
      job.settle(undefined, error);
    }
  }

  /** Puts jobs into the task queue while it has room (only here: the numbering relies on it). */
  #feed(): void {
    if (this.#streaming) return;
    const items = this.#taskItems;
    while (this.#again.length > 0 || this.#head < this.#backlog.length) {
      const again = this.#again.length > 0;
      const job = again ? this.#again[0] : this.#backlog[this.#head];
      if (job.state === 2) {
        this.#next(again);
        continue;
      }
      if (items.size() >= RING_ITEMS) break;
      const n = this.#puts | 0;
      this.#inflight.set(n, job);
      job.index = n;
      job.state = 1;
      try {
        this.#tasks.putNowait([job.kind, job.name, job.payload]);
      } catch (e) {
        this.#inflight.delete(n);
        job.state = 0;
        if (!(e instanceof QueueFullError)) {
          // structuredClone refused the arguments: nothing was put.
          this.#next(again);
          job.state = 2;
          job.settle(undefined, e as Error);
          continue;
        }
        // No room now, or too large for one record (streamed in parts): put asynchronously, the next
        // ones after it. Not left for a result to retry: none may come (a queue holding only the parts
        // of an item this very put withdrew, while nothing is in flight, hung on Deno).
        this.#stream(job, n, again);
        break;
      }
      this.#puts++;
      this.#next(again);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#backlog.length) {
      this.#backlog = this.#backlog.slice(this.#head);
      this.#head = 0;
    }
    this.#closeIfDone();
  }

  #next(again: boolean): void {
    if (again) this.#again.shift();
    else this.#head++;
  }

  #stream(job: Job, n: number, again: boolean): void {
    this.#streaming = true;
    this.#inflight.set(n, job);
    job.index = n;
    job.state = 1;
    this.#next(again);
    this.#tasks.putAsync([job.kind, job.name, job.payload]).then(
      () => {
        this.#puts++;
      },
      (e) => {
        this.#inflight.delete(n);
        if (job.state !== 2) {
          job.state = 2;
          job.settle(undefined, e as Error);
        }
      },
    ).finally(() => {
      this.#streaming = false;
      this.#feed();
      this.#wake();
    });
  }

  /** Once closed and every job settled: the task queue closes, so workers drain it and end. */
  #closeIfDone(): void {
    if (this.state === CLOSED && this.pending === 0 && !this.#streaming && this.#dead.length === 0) {
      this.#tasks.close();
    }
  }

  close(): void {
    if (this.state !== RUNNING) return;
    this.state = CLOSED;
    this.#closeIfDone();
    this.#wake();
  }

  terminate(error: Error): void {
    if (this.state === TERMINATED) return;
    this.state = TERMINATED;
    this.#failAll(error);
    this.#tasks.close();
    for (const w of this.#workers) this.#stop(w);
    this.#wake();
  }

  /** Resolves once every worker has exited (after `close` and all tasks, or `terminate`). */
  join(): Promise<void> {
    this.#exited ??= new Promise((resolve) => {
      this.#onAllExited = resolve;
      if (this.#workers.size === 0 && this.#finished()) resolve();
    });
    return this.#exited;
  }

  #finished(): boolean {
    return this.state !== RUNNING || this.broken !== undefined;
  }

  // --- results ---

  /** Makes sure the reader runs (and wakes it if it waits). */
  #wake(): void {
    if (!this.#reading) {
      if (this.pending > 0 || this.#dead.length > 0) void this.#read();
    } else if (!this.#kick.signal.aborted) {
      // A reason of our own: abort() would make a DOMException (with its stack) for nothing.
      this.#kick.abort(KICK);
    }
  }

  #onResult(r: ResultItem): void {
    const job = this.#inflight.get(r[0]);
    if (job === undefined) return;
    this.#inflight.delete(r[0]);
    if (job === this.#spinning) {
      this.#spinning = undefined;
      this.#blockOk = performance.now() - this.#spunAt < BLOCK_MS;
    }
    job.state = 2;
    const e = r[2];
    job.settle(r[1], e === undefined ? undefined : new ProcessError(e.name, e.message, e.stack));
  }

  /** Takes every result already there; `false` if one must be awaited (its shared memory). */
  #drainSync(): boolean {
    const items = this.#resultItems;
    while (items.ready(false)) {
      let r: ResultItem;
      try {
        r = this.#results.getNowait();
      } catch {
        // The item is there (this is its only consumer) but its shared memory is not yet: a TypeError on
        // Deno and Bun, a QueueEmptyError on Node. An await lets it arrive (a loop of these would not).
        return false;
      }
      this.#onResult(r);
    }
    return true;
  }

  async #drain(): Promise<void> {
    while (!this.#drainSync()) this.#onResult(await this.#results.getAsync());
  }

  /**
   * Spins a moment for `job`'s result on an idle pool. The budget learns
   * from how long answers really take (also those that came after it gave
   * up, as `_spin.ts` does), so slow tasks soon cost no spinning.
   */
  #spinFor(job: Job): void {
    if (job.state === 2 || this.pending !== 1) {
      if (!this.#reading && this.pending > 0) void this.#read();
      return;
    }
    const items = this.#resultItems;
    const start = performance.now();
    let answered = items.ready(false);
    // Spin only while spins have been paying off, and now and then to see whether they would again.
    if (!answered && (this.#spinMisses < SPIN_MISSES || (++this.#probes & PROBE_MASK) === 0)) {
      for (let k = 1; !(answered = items.ready(false)); k++) {
        if ((k & 15) === 0 && performance.now() - start >= SPIN_MS) break;
      }
      this.#spinMisses = answered ? 0 : this.#spinMisses + 1;
    }
    // Then sleep in the kernel (a wake-up through the event loop costs far more) while answers came
    // within BLOCK_MS lately: once one does not, not until one does again.
    if (!answered && this.#blockOk && canBlock()) {
      try {
        answered = this.#resultEnd.pollSync(start + BLOCK_MS) && items.ready(false);
      } catch {
        // This thread's own Process was terminated: the reader reports nothing more either.
      }
      if (!answered) this.#blockOk = false;
    }
    if (!answered) {
      // Learnt once the job settles (see #onResult); meanwhile the reader waits for it.
      this.#spinning = job;
      this.#spunAt = start;
    } else {
      this.#drainSync();
      this.#feed();
    }
    if (!this.#reading && this.pending > 0) void this.#read();
  }

  /** The reader: drains results, feeds the queue, repairs after deaths; ends when nothing is pending. */
  async #read(): Promise<void> {
    this.#reading = true;
    try {
      for (;;) {
        await this.#drain();
        this.#feed();
        if (this.#dead.length > 0 && !(await this.#repair())) {
          await this.#waitResult(REPAIR_POLL_MS);
          continue;
        }
        if (this.pending === 0) break;
        await this.#waitResult(Infinity);
      }
    } finally {
      this.#reading = false;
    }
    this.#closeIfDone();
  }

  /**
   * Waits until a result is there (or `timeout` ms, or a kick), without
   * spinning: the reader takes results in bulk when woken, and a spin per
   * result would take a core from the workers (2 workers on 2 cores).
   */
  async #waitResult(timeout: number): Promise<void> {
    if (this.#kick.signal.aborted) this.#kick = new AbortController();
    const deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    try {
      await this.#resultEnd.pollAsync(deadline, this.#kick.signal);
    } catch (e) {
      if (e !== this.#kick.signal.reason) throw e;
    }
  }

  /**
   * After workers died: finds the tasks they took and did not finish. `false`
   * if it must wait (a dead worker holds the task queue's get lock: the next
   * consumer's repair decides whether its item was taken).
   */
  async #repair(): Promise<boolean> {
    if (this.state === TERMINATED || this.broken !== undefined) {
      // Every task was settled already.
      this.#dead.length = 0;
      return true;
    }
    const i32 = this.#taskItems.i32;
    const lock = Atomics.load(i32, GET_LOCK);
    if (lock !== 0 && hasExited(lock >>> 1)) {
      if (this.#workers.size === 0 && this.#wantsWorkers()) this.#spawn();
      return false;
    }
    // The count first, then the claims: a take counted here has its claim written already.
    const taken = Atomics.load(i32, GETS);
    const claims = new Set<number>();
    for (const w of this.#workers) {
      if (Atomics.load(w.slot, HAS_CLAIM) === 1) claims.add(Atomics.load(w.slot, CLAIM));
    }
    const dead = this.#dead.splice(0);
    // Every result put before the snapshot, the dead workers' last ones included.
    await this.#drain();
    for (const [n, job] of this.#inflight) {
      if (((taken - n) | 0) <= 0 || claims.has(n)) continue;
      this.#inflight.delete(n);
      const w = dead.find((d) => Atomics.load(d.slot, HAS_RUN) === 1 && Atomics.load(d.slot, RUN) === n);
      if (w === undefined) {
        // Taken but never started: it goes again, first.
        job.state = 0;
        this.#again.push(job);
        continue;
      }
      job.state = 2;
      const code = w.exitCode;
      const why = w.stopped
        ? "was terminated"
        : w.error !== undefined
        ? `crashed (${w.error.remoteName}: ${w.error.message})`
        : `exited with code ${code}`;
      job.settle(
        undefined,
        new WorkerExitError(`The worker ${w.process.name} running the task ${why}`, code, w.error),
      );
    }
    this.#feed();
    return true;
  }
}
