/**
 * The loop every `Pool` worker runs (the `Process` target): load the task
 * module, run the initializer, then take tasks from the shared task queue
 * itself, run them and put their results, until the queue is closed and
 * drained (or `maxtasksperchild` tasks are done).
 *
 * While tasks keep coming it never returns to the event loop between them
 * (`next`: it watches the queue a moment, sleeps in the kernel on the
 * queue's data word, then takes with `getNowait`), except every `YIELD_MS`
 * so timers and messages still run; a worker idle for `BLOCK_MS` waits with
 * `getAsync`, its event loop free.
 *
 * @module
 */

import { ChannelClosedError } from "../channel/channel.ts";
import { QueueEmptyError } from "../core/errors.ts";
import { errorRecord } from "../process/_control.ts";
import { type Endpoint, endpoints } from "../queue/_endpoint.ts";
import { DATA, Items } from "../queue/_items.ts";
import { waitSync } from "../core/_wait.ts";
import { pause } from "../core/_spin.ts";
import type { Queue } from "../queue/queue.ts";
import {
  CLAIM,
  DONE,
  DROPPED_MASK,
  HAS_CLAIM,
  HAS_RUN,
  RUN,
  SPIN_MISSES,
  STATE,
  STATE_READY,
} from "./_slots.ts";

/** Task kinds: one call with `payload` as its arguments. */
export const APPLY = 0;
/** A call per item of `payload`, the item its one argument (`map`, `imap`). */
export const MAP = 1;
/** A call per argument list of `payload` (`starmap`). */
export const STARMAP = 2;

/** A task item: its kind, the export's name, the arguments (or the items). */
export type TaskItem = [kind: number, name: string, payload: unknown[]];
/**
 * A result item: the task number, the result (`APPLY`) or the results in
 * order (up to the failing call), and the error that stopped it, if any.
 */
export type ResultItem = [
  n: number,
  result: unknown,
  error?: { name: string; message: string; stack?: string },
];

/** How long a blocking get waits before the worker waits with `getAsync` (its event loop free). */
const BLOCK_MS = 20;
/** How long a busy worker may run tasks before it lets its event loop run once (ms). */
const YIELD_MS = 250;

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null &&
    typeof (x as { then?: unknown }).then === "function";
}

/**
 * How long a worker that just finished a task watches for the next one
 * before its blocking get (ms): a caller that submits one task at a time
 * sends the next within microseconds, or, when the caller slept for the
 * answer, after its wake-up (about 20 µs here): a watch shorter than that
 * missed after each such sleep, and the worker then slept too, each side's
 * wait including the other's wake-up (with free cores, median 5 µs and 10 %
 * of tasks over 25 µs with 20 µs; 3 µs and 12 µs with 50). Not longer: on 2
 * cores with other work a spin keeps a core from the thread it waits for
 * (one-at-a-time applies fell into a 300 µs mode with 0.1 ms), and misses
 * stop it (see `SPIN_MISSES`).
 */
const WATCH_MS = 0.05;
/** Watches that missed in a row (it stops after `SPIN_MISSES`, as the pool's spins); how many times it did not watch. */
let misses = 0;
let probes = 0;

/**
 * Sleeps (in the kernel) until an item may be there: `false` at `deadline`.
 * As `Endpoint.pollSync` but without passing the wake-up on to another
 * sleeper while the item is still there: this worker takes it next, and
 * waking the other idle worker for nothing cost one-at-a-time tasks half
 * their time on a busy machine (2 workers: 16-28 µs, 1 worker: 10-12).
 */
function sleep(items: Items, deadline: number): boolean {
  const i32 = items.i32;
  const epoch = Atomics.load(i32, DATA + 1);
  Atomics.add(i32, DATA, 1);
  try {
    if (items.ready(true)) return true;
    return waitSync(i32, DATA + 1, epoch, deadline, Items.SLICE_MS);
  } finally {
    Atomics.sub(i32, DATA, 1);
  }
}

/**
 * The next task item: watched for a moment, then slept for in the kernel
 * (no spin: on a loaded machine a spinning idle worker keeps a core from the
 * threads that have work), then, once idle for `BLOCK_MS`, awaited with the
 * event loop free.
 */
function next(tasks: Queue<TaskItem>, end: Endpoint): TaskItem | Promise<TaskItem> {
  const items = end.items;
  if (!items.ready(true) && (misses < SPIN_MISSES || (++probes & 31) === 0)) {
    const until = performance.now() + WATCH_MS;
    for (let k = 1; !items.ready(true); k++) {
      pause();
      if ((k & 15) === 0 && performance.now() >= until) break;
    }
    // Watch on while it pays off (and one time in 32 otherwise, to see whether it would again).
    misses = items.ready(true) ? 0 : misses + 1;
  }
  const idleUntil = performance.now() + BLOCK_MS;
  for (;;) {
    if (items.ready(true)) {
      try {
        // The item (or, closed and drained, a ChannelClosedError).
        return tasks.getNowait();
      } catch (e) {
        // Its shared memory not here yet (a TypeError on Deno and Bun; on Node a QueueEmptyError, as when
        // the other worker took it first): getAsync awaits it, with the event loop free to receive it.
        if (e instanceof TypeError || e instanceof QueueEmptyError) return tasks.getAsync();
        throw e;
      }
    }
    if (!sleep(items, idleUntil)) return tasks.getAsync(); // idle: wait with the event loop free
  }
}

/**
 * The pool worker. Exported as the default so `Process` runs it.
 *
 * @param url The task module.
 * @param tasks The task queue (items numbered by the queue's take count).
 * @param results The result queue.
 * @param slot This worker's words (`_slots.ts`).
 * @param dropped The table of tasks dropped while queued.
 * @param initializer The export to call first, if any.
 * @param initargs Its arguments.
 * @param maxtasks Tasks to run before ending (0: no limit).
 */
export default async function poolWorker(
  url: string,
  tasks: Queue<TaskItem>,
  results: Queue<ResultItem>,
  slot: Int32Array,
  dropped: Int32Array,
  initializer: string | undefined,
  initargs: unknown[],
  maxtasks: number,
): Promise<void> {
  const mod = await import(url) as Record<string, unknown>;
  if (initializer !== undefined) {
    const init = mod[initializer];
    if (typeof init !== "function") {
      throw new TypeError(`The module ${url} has no function export ${JSON.stringify(initializer)}`);
    }
    await init(...initargs);
  }
  Atomics.store(slot, STATE, STATE_READY);
  let taken = 0;
  // Under the queue's get lock, before the take is visible: the claim (see _slots.ts).
  const end = endpoints.get(tasks)!;
  end.items.onTake = (n) => {
    taken = n;
    Atomics.store(slot, CLAIM, n);
    Atomics.store(slot, HAS_CLAIM, 1);
  };
  const fns = new Map<string, (...args: unknown[]) => unknown>();
  let done = 0;
  let since = performance.now();
  for (;;) {
    let item: TaskItem;
    try {
      const got = next(tasks, end);
      item = isThenable(got) ? await got : got;
    } catch (e) {
      if (e instanceof ChannelClosedError) return;
      throw e;
    }
    const n = taken;
    Atomics.store(slot, RUN, n);
    Atomics.store(slot, HAS_RUN, 1);
    // Dropped while it was queued (after RUN: the pool, which writes the table first, then reads RUN,
    // either sees this worker run it, and stops it, or this worker sees it dropped).
    if (Atomics.load(dropped, n & DROPPED_MASK) === n) {
      // Answered anyway (the pool ignores it): a result is what tells the pool there is room for more.
      results.put([n, undefined]);
      continue;
    }
    const [kind, name, payload] = item;
    let result: unknown;
    let error: ResultItem[2];
    let fn = fns.get(name);
    if (fn === undefined) {
      const f = mod[name];
      if (typeof f === "function") fns.set(name, fn = f as (...args: unknown[]) => unknown);
    }
    if (fn === undefined) {
      error = errorRecord(new TypeError(`The module ${url} has no function export ${JSON.stringify(name)}`));
    } else if (kind === APPLY) {
      try {
        result = fn(...payload);
        if (isThenable(result)) result = await result;
      } catch (e) {
        result = undefined;
        error = errorRecord(e);
      }
    } else {
      const values: unknown[] = [];
      for (const x of payload) {
        try {
          let r = kind === MAP ? fn(x) : fn(...(x as unknown[]));
          if (isThenable(r)) r = await r;
          values.push(r);
        } catch (e) {
          error = errorRecord(e);
          break;
        }
      }
      result = values;
    }
    try {
      results.put(error === undefined ? [n, result] : [n, result, error]);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      // A result structuredClone refuses: the task fails with that error.
      results.put([n, undefined, errorRecord(e)]);
    }
    Atomics.store(slot, DONE, ++done);
    if (maxtasks > 0 && done >= maxtasks) return;
    if (performance.now() - since > YIELD_MS) {
      await new Promise((r) => setTimeout(r, 0));
      since = performance.now();
    }
  }
}
