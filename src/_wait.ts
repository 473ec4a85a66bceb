/**
 * The one place that waits. Every blocking or async wait in sabkit goes
 * through {@linkcode waitSync} or {@linkcode waitAsync}, so deadlines,
 * keep-alive, abort and termination behave the same everywhere.
 *
 * @module
 */

import { describe } from "./_describe.ts";

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
  const { signal } = options as { signal?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`The signal option of ${what}() must be an AbortSignal, got ${describe(signal)}`);
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
  if (stopWord !== undefined && Atomics.load(stopWord, STOP_INDEX) !== 0) {
    throw new TerminatedError();
  }
}

let canBlockCache: boolean | undefined;

/** Whether this agent may call `Atomics.wait` (not a browser window's main thread). */
export function canBlock(): boolean {
  if (canBlockCache === undefined) {
    const g = globalThis as { document?: unknown; Deno?: unknown; Bun?: unknown };
    if (g.document === undefined || g.Deno !== undefined || g.Bun !== undefined) {
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
  Atomics.wait(i32, index, value, ms);
  checkStop();
  return deadline === Infinity || performance.now() < deadline;
}

/** Async waiters of this agent that gave up (abort, timeout) but are still queued in V8. */
let abandoned = 0;
const ABANDONED_SLICE_MS = 10;

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
  const ms = remaining(deadline);
  if (ms <= 0) return Promise.resolve(false);
  const sleep = Math.min(ms, sliceMs, MAX_TIMER);
  // V8 gets the same timeout so a slice's waiter leaves its queue when the slice ends.
  const result = Atomics.waitAsync(i32, index, value, sleep);
  if (!result.async) return Promise.resolve(result.value === "not-equal");
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let queued = true;
    const settle = (): void => {
      settled = true;
      if (queued) abandoned++;
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
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    result.value.then((outcome) => {
      queued = false;
      if (settled) {
        abandoned--;
        // This abandoned waiter spent a wake-up meant for a live one: pass it on.
        if (outcome === "ok") Atomics.notify(i32, index, 1);
      } else if (outcome === "ok") {
        // V8's own timeout is left to our timer, which goes by the same clock as the deadline.
        settle();
        resolve(true);
      }
    });
  });
}
