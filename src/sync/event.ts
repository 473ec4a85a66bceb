/**
 * `Event`: Python's `multiprocessing.Event` for workers.
 *
 * One word counts the flag's transitions: odd means set. A waiter that saw
 * the word even returns `true` once it changed, so a `set` followed at once
 * by `clear` still releases every thread that was waiting. Each change is one
 * compare-and-swap, and waiters record nothing, so a worker killed at any
 * instruction leaves one of these states:
 *
 * | the worker is killed…                  | it leaves                           | repaired by |
 * |----------------------------------------|-------------------------------------|-------------|
 * | in `set` or `clear`, before the CAS    | the flag as it was                  | nothing: it never changed |
 * | in `set`, after the CAS, before notify | the flag set, sleepers not woken    | the sleepers: they re-read the word every 100 ms |
 * | while it waits                         | nothing                             | nothing |
 *
 * @module
 */

import { attach, defineKind, takePreset } from "../core/_handle.ts";
import {
  assertCanBlock,
  checkStop,
  deadlineOf,
  DEATH_POLL_MS,
  waitAsync,
  waitOptions,
  waitSync,
} from "../core/_wait.ts";

/** The transition count (see the module's comment); tests/sync_killpoints_test.ts writes it too. */
const STATE = 1;
const BYTES = 8;
/** How often sleepers re-read the word: a setter killed before its notify wakes nobody. */
const POLL_MS = DEATH_POLL_MS;

/**
 * Options of {@linkcode Event.waitAsync}.
 *
 * @example Cancelling a wait
 * ```ts
 * import { Event } from "@sabkit/sabkit";
 * const ev = new Event();
 * const ac = new AbortController();
 * const waiting = ev.waitAsync(undefined, { signal: ac.signal });
 * ac.abort(new Error("shutdown"));
 * await waiting.catch((e) => console.assert(e.message === "shutdown"));
 * ```
 */
export interface EventWaitOptions {
  /** Aborting it rejects the pending wait with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * A flag that threads wait for: `set()` releases every waiter in every
 * worker, `clear()` makes later waits block again. A worker that dies while
 * it waits changes nothing for the others; one killed inside `set()` has
 * set the flag or not, and if it has, every waiter sees it within 100 ms.
 *
 * @example Starting workers together
 * ```ts
 * import { Event } from "@sabkit/sabkit";
 * const go = new Event();
 * go.set();
 * console.assert(go.wait(1000) && go.isSet());
 * ```
 */
export class Event {
  static {
    defineKind(this, "Event", { bytes: BYTES });
  }

  #i32: Int32Array;

  /**
   * Creates an event whose flag is clear.
   *
   * @example A flag set once
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * const ev = new Event();
   * console.assert(!ev.isSet());
   * ev.set();
   * console.assert(ev.isSet() && ev.wait(0));
   * ```
   */
  constructor() {
    const { handle } = takePreset();
    this.#i32 = attach(this, Event, BYTES, handle);
  }

  /**
   * Whether the flag is set.
   *
   * @returns `true` between `set()` and `clear()`.
   *
   * @example Checking
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * console.assert(!new Event().isSet());
   * ```
   */
  isSet(): boolean {
    checkStop();
    return (Atomics.load(this.#i32, STATE) & 1) === 1;
  }

  /**
   * Sets the flag and wakes every thread waiting for it.
   *
   * @example Setting
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * const e = new Event();
   * e.set();
   * console.assert(e.isSet());
   * ```
   */
  set(): void {
    if (this.#flip(0)) Atomics.notify(this.#i32, STATE);
  }

  /**
   * Clears the flag: later waits block until the next `set()`.
   *
   * @example Clearing
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * const e = new Event();
   * e.set();
   * e.clear();
   * console.assert(!e.isSet());
   * ```
   */
  clear(): void {
    this.#flip(1);
  }

  /** Moves the flag off `from` (0 clear, 1 set); `false` if it was not there. */
  #flip(from: number): boolean {
    // A terminated worker (Deno runs on after terminate()) changes nothing more.
    checkStop();
    let s = Atomics.load(this.#i32, STATE);
    while ((s & 1) === from) {
      const seen = Atomics.compareExchange(this.#i32, STATE, s, (s + 1) | 0);
      if (seen === s) return true;
      s = seen;
    }
    return false;
  }

  /**
   * Blocks until the flag is set, or until `timeout` ms have passed.
   *
   * @param timeout Milliseconds to wait at most; negative counts as 0. Default `Infinity`.
   * @returns `true` once set, `false` only on timeout.
   * @throws {TypeError} On a bad timeout, or where this thread may not block (use `waitAsync()`).
   *
   * @example Waiting with a timeout
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * console.assert(new Event().wait(10) === false);
   * ```
   */
  wait(timeout?: number): boolean {
    const deadline = deadlineOf(timeout);
    checkStop();
    const s = Atomics.load(this.#i32, STATE);
    if ((s & 1) === 1) return true;
    assertCanBlock("Event.wait", "Event.waitAsync");
    while (Atomics.load(this.#i32, STATE) === s) {
      if (!waitSync(this.#i32, STATE, s, deadline, POLL_MS)) return Atomics.load(this.#i32, STATE) !== s;
    }
    return true;
  }

  /**
   * Waits without blocking the thread until the flag is set, or until `timeout` ms have passed.
   *
   * @param timeout Milliseconds to wait at most; negative counts as 0. Default `Infinity`.
   * @param options `signal` rejects the wait with its reason.
   * @returns `true` once set, `false` only on timeout.
   * @throws {TypeError} On a bad timeout (as a rejection).
   *
   * @example Waiting in an async function
   * ```ts
   * import { Event } from "@sabkit/sabkit";
   * const e = new Event();
   * setTimeout(() => e.set(), 5);
   * console.assert(await e.waitAsync(1000));
   * ```
   */
  async waitAsync(timeout?: number, options?: EventWaitOptions): Promise<boolean> {
    const deadline = deadlineOf(timeout);
    const { signal } = waitOptions(options, "Event.waitAsync");
    checkStop();
    const s = Atomics.load(this.#i32, STATE);
    if ((s & 1) === 1) return true;
    while (Atomics.load(this.#i32, STATE) === s) {
      if (!await waitAsync(this.#i32, STATE, s, deadline, signal, POLL_MS)) {
        return Atomics.load(this.#i32, STATE) !== s;
      }
    }
    return true;
  }
}
