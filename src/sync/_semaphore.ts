/**
 * The counting futex behind `Semaphore` and `BoundedSemaphore`: one word
 * holds the count, a second counts sleepers so that `release` calls
 * `notify` only when someone may sleep, a third holds the bound.
 *
 * A semaphore records no owner: a permit taken by a worker that dies stays
 * taken (documented). Every change of the count is one compare-and-swap, so a
 * worker killed at any instruction leaves one of these states:
 *
 * | the worker is killed…                                 | it leaves                                | repaired by |
 * |-------------------------------------------------------|------------------------------------------|-------------|
 * | in `acquire`, before its CAS                          | the count as it was                      | nothing |
 * | in `acquire`, after its CAS                           | one permit taken by the dead             | nobody: lost, as documented (`release` on its behalf) |
 * | sleeping, after `SLEEPERS` + 1 and before − 1         | `SLEEPERS` one too high                  | nobody, and harmless: each `release` then calls `notify` even with no sleeper |
 * | woken by a `release`, before its CAS                  | the count up, one wake-up spent on it    | the other sleepers: they retry every {@linkcode POLL_MS} |
 * | in `release`, after its CAS, before its notify        | the count up, sleepers not woken         | the sleepers: they retry every {@linkcode POLL_MS} |
 *
 * `SLEEPERS` can never be too low: a sleeper counts itself before it sleeps
 * and uncounts itself after, so a kill errs only towards an extra notify.
 *
 * @module
 */

import { checkStop, type Deadline, DEATH_POLL_MS, waitAsync, waitSync, wake } from "../core/_wait.ts";

/** The count; sleepers wait on this word while it is 0. */
export const VALUE = 1;
/** How many agents may sleep on `VALUE` right now. */
export const SLEEPERS = 2;
/** The largest count a release may reach (the initial value of a bounded one). */
export const LIMIT = 3;
/** Byte length of a semaphore's memory. */
export const BYTES = 16;
/** The largest count a semaphore can hold. */
export const MAX_VALUE = 0x7fffffff;
/** How often sleepers retry: a wake-up may be spent on, or never sent by, a worker that died. */
const POLL_MS = DEATH_POLL_MS;

/** Decrements the count if it is positive. */
export function tryTake(i32: Int32Array): boolean {
  // A terminated worker (Deno runs on after terminate()) takes nothing more.
  checkStop();
  let v = Atomics.load(i32, VALUE);
  while (v > 0) {
    const seen = Atomics.compareExchange(i32, VALUE, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/** Decrements the count, sleeping while it is 0 until `deadline`; `false` if it timed out. */
export function takeSync(i32: Int32Array, deadline: Deadline): boolean {
  for (;;) {
    if (tryTake(i32)) return true;
    // Counted before sleeping: a release that misses us in SLEEPERS has already made VALUE non-zero.
    Atomics.add(i32, SLEEPERS, 1);
    let woken: boolean;
    try {
      woken = waitSync(i32, VALUE, 0, deadline, POLL_MS);
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
    if (!woken) return tryTake(i32);
  }
}

/** The async form of {@linkcode takeSync}. */
export async function takeAsync(i32: Int32Array, deadline: Deadline, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) throw signal.reason;
  for (;;) {
    if (tryTake(i32)) return true;
    Atomics.add(i32, SLEEPERS, 1);
    let woken: boolean;
    try {
      woken = await waitAsync(i32, VALUE, 0, deadline, signal, POLL_MS);
    } finally {
      Atomics.sub(i32, SLEEPERS, 1);
    }
    if (!woken) return tryTake(i32);
  }
}

/**
 * Adds `n` to the count and wakes at most `n` sleepers. Returns `false`, with
 * nothing changed, if the count would pass its limit.
 */
export function give(i32: Int32Array, n: number): boolean {
  // As a mutex: a terminated worker that still unwinds gives back nothing.
  checkStop();
  const limit = Atomics.load(i32, LIMIT);
  let v = Atomics.load(i32, VALUE);
  for (;;) {
    if (v > limit - n) return false;
    const seen = Atomics.compareExchange(i32, VALUE, v, v + n);
    if (seen === v) break;
    v = seen;
  }
  // A woken sleeper that loses the count to a faster taker just sleeps again; none is lost.
  // `wake` adds one per abandoned async waiter, which may sit first in the queue.
  if (Atomics.load(i32, SLEEPERS) > 0) wake(i32, VALUE, n);
  return true;
}
