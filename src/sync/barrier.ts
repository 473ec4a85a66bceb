/**
 * `Barrier`: Python's `multiprocessing.Barrier` for workers, and
 * `BrokenBarrierError`.
 *
 * @module
 */

import {
  abort,
  BROKEN,
  BYTES,
  COUNT,
  FILLING,
  PARTIES,
  pass,
  passAsync,
  reset,
  stateOf,
  type Turn,
} from "./_barrier.ts";
import { checkCount } from "./_count.ts";
import { describe } from "../core/_describe.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import { assertCanBlock, checkStop, deadlineOf, waitOptions } from "../core/_wait.ts";

/**
 * Thrown by `Barrier.wait` when the barrier is or becomes broken: aborted,
 * reset while the party waited, a party timed out, or the action threw.
 *
 * @example Telling a broken barrier from other failures
 * ```ts
 * import { Barrier, BrokenBarrierError } from "@sabkit/sabkit";
 * const barrier = new Barrier(2);
 * barrier.abort();
 * try {
 *   barrier.wait();
 * } catch (e) {
 *   console.assert(e instanceof BrokenBarrierError);
 * }
 * ```
 */
export class BrokenBarrierError extends Error {
  /**
   * Creates the error with an explanatory message.
   *
   * @example A broken barrier's error
   * ```ts
   * import { BrokenBarrierError } from "@sabkit/sabkit";
   * const e = new BrokenBarrierError();
   * console.assert(e.name === "BrokenBarrierError" && e.message === "The Barrier is broken");
   * ```
   */
  constructor(message = "The Barrier is broken") {
    super(message);
    this.name = "BrokenBarrierError";
  }
}

const MESSAGES: Record<string, string> = {
  broken: "The Barrier is broken (aborted, or a party timed out or failed); reset() repairs it",
  reset: "The Barrier was reset while this party waited",
  timeout: "The Barrier wait timed out, which broke the barrier",
};

function indexOf(turn: Turn): number {
  if (turn.why !== undefined) throw new BrokenBarrierError(MESSAGES[turn.why]);
  return turn.index;
}

function checkTimeout(timeout: unknown, what: string): number {
  if (timeout === undefined) return Infinity;
  deadlineOf(timeout as number, what);
  return timeout as number;
}

/**
 * Options of {@linkcode Barrier}.
 *
 * @example An action and a default timeout
 * ```ts
 * import { Barrier } from "@sabkit/sabkit";
 * let rounds = 0;
 * const barrier = new Barrier(1, { action: () => rounds++, timeout: 5000 });
 * barrier.wait();
 * console.assert(rounds === 1);
 * ```
 */
export interface BarrierOptions {
  /**
   * Called by one party, the one that completes a round, before any party is
   * released; if it throws, the barrier breaks and that party's `wait`
   * throws the error. A function cannot be posted: a revived barrier has no
   * action until its `action` is set in that worker too.
   */
  action?: () => void;
  /** Default timeout (ms) of `wait` and `waitAsync`. Default `Infinity`. */
  timeout?: number;
}

/**
 * Options of {@linkcode Barrier.waitAsync}.
 *
 * @example An async wait that can be cancelled
 * ```ts
 * import { Barrier } from "@sabkit/sabkit";
 * const barrier = new Barrier(1);
 * const ac = new AbortController();
 * console.assert((await barrier.waitAsync(undefined, { signal: ac.signal })) === 0);
 * ```
 */
export interface BarrierWaitOptions {
  /** Aborting it rejects with `signal.reason`; a party that had arrived breaks the barrier, as a timeout does. */
  signal?: AbortSignal;
}

/**
 * A meeting point for a fixed number of parties, reusable round after
 * round: each `wait` blocks until `parties` threads (in any workers) have
 * called it, then all are released, each with a distinct index.
 *
 * The action is per thread, as a function cannot travel: it runs only where
 * the completing party's `Barrier` object has one. Set the same `action` in
 * every worker (the constructor option here, `barrier.action = fn` on a
 * revived barrier) and it runs exactly once per round.
 *
 * A party whose worker exits while it waits (a terminated `Process`) breaks
 * the barrier, as a party that fails does: the others get
 * `BrokenBarrierError` within about 100 ms, and `reset()` repairs it. A party
 * that exits after its round was released does not hold up the next round.
 * (Dead parties are noticed in the first 64 seats of a round.) This holds
 * wherever the kill lands, even inside the barrier's own bookkeeping: the
 * next caller completes or discards the change the dead worker was making.
 *
 * @example One round with the main thread as the only party
 * ```ts
 * import { Barrier } from "@sabkit/sabkit";
 * let rounds = 0;
 * const barrier = new Barrier(1, { action: () => rounds++ });
 * console.assert(barrier.wait() === 0 && rounds === 1);
 * ```
 */
export class Barrier {
  static {
    defineKind(this, "Barrier", {
      bytes: BYTES,
      create: (h: Handle) => {
        const timeout = (h.meta as { timeout?: unknown } | null)?.timeout;
        if (typeof timeout !== "number" || Number.isNaN(timeout)) {
          throw new TypeError(`Cannot revive a sabkit object: the Barrier timeout is ${describe(timeout)}`);
        }
        return new Barrier(1, { timeout });
      },
    });
  }

  #i32: Int32Array;
  #timeout: number;
  #action: (() => void) | undefined;

  /**
   * Creates a barrier.
   *
   * @param parties How many threads must call `wait` to release a round.
   * @param options `action` and default `timeout`.
   * @throws {TypeError} If `parties` is not a number, `action` not a function or `timeout` not a number.
   * @throws {RangeError} If `parties` is not an integer from 1 to 2147483647.
   *
   * @example Three parties, five seconds each
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(3, { timeout: 5000 });
   * console.assert(barrier.parties === 3 && barrier.nWaiting === 0);
   * ```
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    const { handle } = takePreset();
    const { action, timeout } = options;
    this.#timeout = checkTimeout(timeout, "Barrier timeout");
    this.action = action;
    if (!handle) checkCount(parties, "The Barrier parties", 1, 0x7fffffff);
    this.#i32 = attach(this, Barrier, BYTES, handle, { timeout: this.#timeout });
    if (!handle) this.#i32[PARTIES] = parties;
  }

  /**
   * How many parties a round needs.
   *
   * @returns The count given to the constructor.
   *
   * @example Reading the party count
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * console.assert(new Barrier(4).parties === 4);
   * ```
   */
  get parties(): number {
    return this.#i32[PARTIES];
  }

  /**
   * How many parties wait in the current round.
   *
   * @returns 0 unless the barrier is filling.
   *
   * @example Nobody waits yet
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(2);
   * console.assert(barrier.nWaiting === 0);
   * ```
   */
  get nWaiting(): number {
    // A terminated worker (Deno runs on after terminate()) stops at its next call, even a read.
    checkStop();
    return stateOf(this.#i32) === FILLING ? Atomics.load(this.#i32, COUNT) : 0;
  }

  /**
   * Whether the barrier is broken.
   *
   * @returns `true` after `abort()`, a timeout or a failed action, until `reset()`.
   *
   * @example Broken until reset
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(2);
   * barrier.abort();
   * console.assert(barrier.broken);
   * barrier.reset();
   * console.assert(!barrier.broken);
   * ```
   */
  get broken(): boolean {
    checkStop();
    return stateOf(this.#i32) === BROKEN;
  }

  /**
   * This thread's action, run when a party here completes a round.
   *
   * @returns The action, or `undefined`.
   *
   * @example Setting the action in this thread
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(1);
   * console.assert(barrier.action === undefined);
   * let rounds = 0;
   * barrier.action = () => rounds++;
   * barrier.wait();
   * console.assert(rounds === 1);
   * ```
   */
  get action(): (() => void) | undefined {
    return this.#action;
  }

  /**
   * Sets this thread's action (a revived barrier has none).
   *
   * @param action A function, or `undefined`.
   *
   * @example Giving a revived barrier its action
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(1); // in a worker: the revived barrier
   * barrier.action = () => console.log("round done");
   * barrier.action = undefined; // and none again
   * ```
   */
  set action(action: (() => void) | undefined) {
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError(`The Barrier action must be a function, got ${describe(action)}`);
    }
    this.#action = action;
  }

  /**
   * Waits until `parties` threads have called `wait` in this round.
   *
   * @param timeout Milliseconds to wait at most. Default: the barrier's `timeout`.
   * @returns This party's index, distinct in `0..parties - 1` within a round.
   * @throws {BrokenBarrierError} If the barrier is broken, reset while waiting, or this wait times out
   * (which breaks it).
   * @throws {TypeError} On a bad timeout, or where this thread may not block (use `waitAsync()`).
   *
   * @example A timeout breaks the barrier
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@sabkit/sabkit";
   * const barrier = new Barrier(2);
   * try {
   *   barrier.wait(10);
   * } catch (e) {
   *   console.assert(e instanceof BrokenBarrierError && barrier.broken);
   * }
   * ```
   */
  wait(timeout?: number): number {
    const deadline = deadlineOf(timeout ?? this.#timeout);
    assertCanBlock("Barrier.wait", "Barrier.waitAsync");
    return indexOf(pass(this.#i32, this.#action, deadline));
  }

  /**
   * The async form of {@linkcode Barrier.wait}.
   *
   * @param timeout Milliseconds to wait at most. Default: the barrier's `timeout`.
   * @param options `signal`: aborting rejects with its reason (breaking the barrier if this party had arrived).
   * @returns This party's index, distinct in `0..parties - 1` within a round.
   * @throws {BrokenBarrierError} If the barrier is broken, reset while waiting, or this wait times out.
   *
   * @example Waiting in an async function
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(1);
   * console.assert((await barrier.waitAsync()) === 0);
   * ```
   */
  async waitAsync(timeout?: number, options?: BarrierWaitOptions): Promise<number> {
    const deadline = deadlineOf(timeout ?? this.#timeout);
    const { signal } = waitOptions(options, "Barrier.waitAsync");
    return indexOf(await passAsync(this.#i32, this.#action, deadline, signal));
  }

  /**
   * Returns the barrier to its initial state: parties waiting now fail with
   * `BrokenBarrierError`; once they have left, the barrier works again.
   *
   * @example Repairing a broken barrier
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(2);
   * barrier.abort();
   * barrier.reset();
   * console.assert(!barrier.broken);
   * ```
   */
  reset(): void {
    reset(this.#i32);
  }

  /**
   * Breaks the barrier: current and future waits fail with
   * `BrokenBarrierError` until `reset()`.
   *
   * @example Giving up on a round
   * ```ts
   * import { Barrier } from "@sabkit/sabkit";
   * const barrier = new Barrier(3);
   * barrier.abort();
   * console.assert(barrier.broken);
   * ```
   */
  abort(): void {
    abort(this.#i32);
  }
}
