/**
 * The one place that waits. Every blocking or async wait in sabkit goes
 * through {@linkcode waitSync} or {@linkcode waitAsync}, so deadlines,
 * keep-alive, abort and termination behave the same everywhere.
 *
 * @module
 */

import { abandonedCount, addAbandoned } from "./_agent.ts";
import { describe } from "./_describe.ts";
import { runtime } from "../runtime/mod.ts";

/**
 * How often a sleeper looks again on its own (ms): nobody notifies a death,
 * so waiters that a dead agent's claim or lost wake-up could strand re-check
 * at least this often.
 */
export const DEATH_POLL_MS = 100;

/** A deadline on the `performance.now()` clock; `Infinity` means never. */
export type Deadline = number;

/** Validates a timeout (ms) and turns it into an absolute deadline. */
export function deadlineOf(timeout: number | undefined, what = "timeout"): Deadline {
  if (timeout === undefined || timeout === Infinity) return Infinity;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(`The ${what} must be a number of milliseconds, got ${describe(timeout)}`);
  }
  return performance.now() + Math.max(0, timeout);
}

const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Checks the options argument of a wait: `undefined` or an object, whose
 * `signal`, if any, is an `AbortSignal`. A number or a boolean (Python's
 * `acquire(False)`, a bare timeout) is refused, never read as "no options".
 */
export function waitOptions<T extends object>(
  options: T | undefined,
  what: string,
): Partial<T> {
  // Shared, so a call without options allocates nothing (Channel.recvInto's promise).
  if (options === undefined) return NO_OPTIONS as Partial<T>;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    const hint = typeof options === "number"
      ? ` (a timeout is passed as { timeout: ${options} })`
      : typeof options === "boolean"
      ? ` (pass { blocking: ${options} })`
      : "";
    throw new TypeError(`The options of ${what}() must be an object, got ${describe(options)}${hint}`);
  }
  const { signal, recover } = options as { signal?: unknown; recover?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`The signal option of ${what}() must be an AbortSignal, got ${describe(signal)}`);
  }
  // The robust locks' option: a truthy non-boolean taken as false would silently not recover.
  if (recover !== undefined && typeof recover !== "boolean") {
    throw new TypeError(`The recover option of ${what}() must be a boolean, got ${describe(recover)}`);
  }
  return options;
}

/** Milliseconds left until `deadline` (never negative). */
export function remaining(deadline: Deadline): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

/**
 * Termination support for workers started by `Process`: Deno's
 * `worker.terminate()` cannot interrupt `Atomics.wait`, so a worker that has
 * a stop word sleeps in bounded slices and gives up once the word is set.
 */
let stopWord: Int32Array | undefined;
const SLICE_MS = 50;

/** Thrown inside a worker whose `Process` was terminated while it waited. */
export class TerminatedError extends Error {
  /** Creates the error. */
  constructor() {
    super("The worker was terminated while it waited");
    this.name = "TerminatedError";
  }
}

/** Installs the stop word of this agent (called once by the worker bootstrap). */
export function setStopWord(word: Int32Array): void {
  stopWord = word;
}

/** The stop word's index inside its `Int32Array`. */
export const STOP_INDEX = 0;

/** Throws {@linkcode TerminatedError} once this agent's `Process` was terminated. */
export function checkStop(): void {
  // A plain read, as this runs on every sabkit operation of a worker: it sees the
  // parent's store a few operations later at the latest (each does atomic accesses).
  if (stopWord !== undefined && stopWord[STOP_INDEX] !== 0) {
    throw new TerminatedError();
  }
}

let canBlockCache: boolean | undefined;

/** Whether this agent may call `Atomics.wait` (not a browser window's main thread). */
export function canBlock(): boolean {
  if (canBlockCache === undefined) {
    // Deno and Bun always may (a `document` there is a library's, e.g. a DOM shim); elsewhere only a
    // page's main thread has a `document`, and whether it forbids blocking is probed once.
    const g = globalThis as { document?: unknown };
    if (g.document === undefined || runtime === "deno" || runtime === "bun") {
      canBlockCache = true;
    } else {
      try {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
        canBlockCache = true;
      } catch {
        canBlockCache = false;
      }
    }
  }
  return canBlockCache;
}

/** Throws a clear error where blocking is forbidden, naming the async variant. */
export function assertCanBlock(method: string, asyncMethod: string): void {
  if (!canBlock()) {
    throw new TypeError(
      `${method}() would block, which this thread does not allow (a browser window's main thread); use ${asyncMethod}() instead`,
    );
  }
}

/**
 * Sleeps while `i32[index] === value`, until woken or `deadline`. May return
 * early (a spurious wake-up, or after `sliceMs` for callers that poll
 * something no one notifies): callers re-check their condition and call
 * again. Returns `false` only once the deadline has passed.
 */
export function waitSync(
  i32: Int32Array,
  index: number,
  value: number,
  deadline: Deadline,
  sliceMs: number = Infinity,
): boolean {
  checkStop();
  let ms = Math.min(remaining(deadline), sliceMs);
  if (ms <= 0) return false;
  // A wake-up may land on an abandoned async waiter of this very thread, which
  // cannot pass it on while this thread blocks: re-check often until they are gone.
  if (abandoned > 0 && ms > ABANDONED_SLICE_MS) ms = ABANDONED_SLICE_MS;
  if (stopWord !== undefined && ms > SLICE_MS) ms = SLICE_MS;
  // This thread's live async waiters cannot act on a wake-up while it blocks either (their
  // callbacks wait for its event loop): a notify meant for this very wait may land on one queued
  // before it on the same word (a pending getAsync beside a blocking get took the get's wake-up:
  // 18-89 ms until its re-check). While it blocks, they count as abandoned, so every `wake`
  // notifies that many more. Nothing of this thread runs meanwhile: the count cannot change.
  const stuck = live;
  if (stuck === 0) {
    Atomics.wait(i32, index, value, ms);
  } else {
    countStuck(stuck);
    try {
      Atomics.wait(i32, index, value, ms);
    } finally {
      countStuck(-stuck);
    }
  }
  checkStop();
  return deadline === Infinity || performance.now() < deadline;
}

/** This agent's async waiters still queued in the engine and not given up (see `waitSync`). */
let live = 0;

/**
 * Adds `n` (negative: takes it back) to the abandoned waiters of every
 * agent: for {@linkcode abandon}, and for this agent's live async waiters
 * while it blocks. A worker's share is also kept in its control block, so
 * a worker killed meanwhile has it taken back by `Process`.
 *
 * The order of the two adds is what a kill between them leaves: too many
 * counted is harmless (a few extra notifies), too few is not (a wake-up
 * spent on a stuck waiter, a live one left asleep until its re-check). So
 * the total goes up before the share, and the share down before the total:
 * a worker killed between them leaves the total too high, never too low.
 */
function countStuck(n: number): void {
  if (stopWord === undefined) {
    addAbandoned(n);
  } else if (n > 0) {
    addAbandoned(n);
    Atomics.add(stopWord, ABANDONED_INDEX, n);
  } else if (Atomics.sub(stopWord, ABANDONED_INDEX, -n) >= -n) {
    addAbandoned(n);
  } else {
    // The parent already took this worker's count off the total (it saw the worker end).
    Atomics.add(stopWord, ABANDONED_INDEX, -n);
  }
}

/** Async waiters of this agent that gave up (abort, timeout) but are still queued in the engine. */
let abandoned = 0;
const ABANDONED_SLICE_MS = 10;
/**
 * The longest an async waiter stays queued in the engine. One that gave up
 * (abort, timeout) cannot leave the engine's futex queue, where it may take
 * a notify meant for a live waiter (see {@linkcode wake}) and holds its
 * closure: bounding its stay bounds both. A live wait just re-arms.
 */
const ASYNC_SLICE_MS = 1000;

/** The worker's count of its abandoned waiters, in its control block (see `Process`). */
const ABANDONED_INDEX = 3;

function abandon(delta: 1 | -1): void {
  abandoned += delta;
  countStuck(delta);
}

/**
 * Takes a dead worker's abandoned waiters off the total (called by `Process`
 * once the worker has ended: the engine dropped its queued waiters with it).
 */
export function forgetAbandoned(control: Int32Array): void {
  const n = Atomics.exchange(control, ABANDONED_INDEX, 0);
  if (n > 0) addAbandoned(-n);
}

/**
 * Wakes `count` waiters on `i32[index]`: `Atomics.notify` plus one more for
 * every abandoned async waiter (in any agent) that may sit in the queue
 * first. Extra wake-ups are harmless (waiters re-check their condition);
 * a wake-up spent on an abandoned waiter would leave a live one asleep.
 */
export function wake(i32: Int32Array, index: number, count: number): void {
  Atomics.notify(i32, index, count + abandonedCount());
}

/** The longest delay `setTimeout` takes. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * The async form of {@linkcode waitSync}: resolves `true` when woken (or
 * spuriously, or after `sliceMs`), `false` once the deadline has passed, and
 * rejects with `signal.reason` when `signal` aborts.
 *
 * The timeout is our own ref'd timer, not only V8's: a pending
 * `Atomics.waitAsync` neither keeps Node or Deno alive nor gets its own
 * timeout served once nothing else is pending (both verified).
 */
export function waitAsync(
  i32: Int32Array,
  index: number,
  value: number,
  deadline: Deadline,
  signal?: AbortSignal,
  sliceMs: number = Infinity,
): Promise<boolean> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  // A terminated worker (Deno runs on after terminate()) takes nothing more.
  try {
    checkStop();
  } catch (e) {
    return Promise.reject(e);
  }
  const ms = remaining(deadline);
  if (ms <= 0) return Promise.resolve(false);
  const sleep = Math.min(ms, sliceMs, ASYNC_SLICE_MS, MAX_TIMER);
  // The engine gets the same timeout, so a waiter that gives up leaves its queue by then.
  const result = Atomics.waitAsync(i32, index, value, sleep);
  if (!result.async) return Promise.resolve(result.value === "not-equal");
  live++;
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let queued = true;
    const settle = (): void => {
      settled = true;
      if (queued) {
        live--;
        abandon(1);
      }
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    // At the deadline: `false`; at a slice's end: a spurious wake-up. Timers may
    // fire a little early (a loop's cached clock): re-arm until the deadline is real.
    const onTimer = (): void => {
      const left = remaining(deadline);
      if (left > 0 && left <= sleep) {
        timer = setTimeout(onTimer, left);
        return;
      }
      settle();
      resolve(left > 0);
    };
    let timer = setTimeout(onTimer, sleep);
    const onAbort = (): void => {
      settle();
      // Flush the abandoned waiter out of the engine's queue now (the others there just re-check):
      // left to its own timeout, Deno kept 100,000 aborted waiters' memory for good.
      Atomics.notify(i32, index);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    result.value.then((outcome) => {
      queued = false;
      if (!settled) live--;
      if (settled) {
        abandon(-1);
        // This abandoned waiter spent a wake-up meant for a live one: pass it on.
        if (outcome === "ok") Atomics.notify(i32, index, 1);
      } else if (outcome === "ok") {
        // The engine's own timeout is left to our timer, which goes by the same clock as the deadline.
        settle();
        resolve(true);
      }
    });
  });
}
