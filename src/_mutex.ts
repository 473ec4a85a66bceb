/**
 * A futex mutex on one Int32 word (Drepper's "mutex 3"): 0 unlocked,
 * 1 locked, 2 locked with possible sleepers. Uncontended lock and unlock are
 * one atomic operation each; `unlock` calls `notify` only when someone may
 * sleep. The next word holds the holder's agent id, so a waiter can tell
 * that the holder's worker has exited (robust mutex). Shared by `Lock` and
 * `RLock`.
 *
 * @module
 */

import { agentId, hasExited } from "./_agent.ts";
import { OwnerDiedError } from "./errors.ts";
import { pause, SpinBudget } from "./_spin.ts";
import { checkStop, type Deadline, waitAsync, waitSync } from "./_wait.ts";

/** How long this thread's blocking acquires spin before they sleep, learned from their waits. */
const spins = new SpinBudget();
/** How long an acquire spins while others sleep on the mutex (ms); see `spin`. */
const SLEEPERS_SPIN_MS = 0.01;
/** Sleepers re-check the holder this often: nobody notifies when a worker dies. */
const OWNER_POLL_MS = 100;

/** `lockSync` / `lockAsync` outcomes. */
export const TIMED_OUT = 0;
/** The mutex is now held by the caller. */
export const ACQUIRED = 1;
/** The holder's worker has exited; the mutex is still locked. */
export const OWNER_DIED = 2;
/** One of {@linkcode TIMED_OUT}, {@linkcode ACQUIRED}, {@linkcode OWNER_DIED}. */
export type LockOutcome = 0 | 1 | 2;

/** Takes the mutex if it is free. */
export function tryLock(i32: Int32Array, i: number): boolean {
  if (Atomics.compareExchange(i32, i, 0, 1) !== 0) return false;
  i32[i + 1] = agentId();
  return true;
}

/**
 * Spins until `end` (ms), or for at most {@linkcode SLEEPERS_SPIN_MS} while
 * others sleep on the mutex (the word reads 2). Taking it as 1 then is safe
 * (the sleeper the releaser woke marks it 2 again) but unfair: a spinner
 * wins every race against a sleeper that takes tens of µs to wake, and a
 * sleeper starved that way waited 100+ ms. So a spinner that sees sleepers
 * soon joins them, yet a strict hand-off between two threads (each waits
 * well under a µs for the other) stays a spin.
 */
function spin(i32: Int32Array, i: number, start: number, end: number): boolean {
  const sleepersEnd = Math.min(end, start + SLEEPERS_SPIN_MS);
  for (let n = 1;; n++) {
    const c = Atomics.load(i32, i);
    if (c === 0 && tryLock(i32, i)) return true;
    // The clock costs as much as a few tries: read it every 8th.
    if ((n & 7) === 0 && performance.now() >= (c === 2 ? sleepersEnd : end)) return false;
    pause();
  }
}

function ownerDied(i32: Int32Array, i: number): boolean {
  const holder = Atomics.load(i32, i + 1);
  // Read again once its exit is known: a holder that released, then exited, in between
  // (its id is gone from the word by then) is no owner death. A dead holder's id stays.
  return hasExited(holder) && Atomics.load(i32, i + 1) === holder;
}

/** Marks the mutex contended; `true` if that took it (it was free). */
function grab(i32: Int32Array, i: number): boolean {
  if (Atomics.exchange(i32, i, 2) !== 0) return false;
  i32[i + 1] = agentId();
  return true;
}

/** Takes the mutex, sleeping until `deadline`. */
export function lockSync(i32: Int32Array, i: number, deadline: Deadline): LockOutcome {
  if (tryLock(i32, i)) return ACQUIRED;
  const start = performance.now();
  const outcome = spin(i32, i, start, Math.min(deadline, start + spins.ms))
    ? ACQUIRED
    : park(i32, i, deadline);
  if (outcome === ACQUIRED) spins.learn(performance.now() - start);
  return outcome;
}

/** Sleeps until the mutex is taken, `deadline`, or its holder is found dead. */
function park(i32: Int32Array, i: number, deadline: Deadline): LockOutcome {
  while (!grab(i32, i)) {
    if (ownerDied(i32, i)) return OWNER_DIED;
    if (!waitSync(i32, i, 2, deadline, OWNER_POLL_MS)) return grab(i32, i) ? ACQUIRED : TIMED_OUT;
  }
  return ACQUIRED;
}

/** The async form of {@linkcode lockSync}. */
export async function lockAsync(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  signal?: AbortSignal,
): Promise<LockOutcome> {
  if (signal?.aborted) throw signal.reason;
  if (tryLock(i32, i)) return ACQUIRED;
  while (!grab(i32, i)) {
    if (ownerDied(i32, i)) return OWNER_DIED;
    if (!await waitAsync(i32, i, 2, deadline, signal, OWNER_POLL_MS)) {
      return grab(i32, i) ? ACQUIRED : TIMED_OUT;
    }
  }
  return ACQUIRED;
}

/**
 * Takes over a mutex whose holder's worker has exited. Only one caller wins;
 * the mutex stays locked (now by the caller) and marked contended.
 */
export function takeOver(i32: Int32Array, i: number): boolean {
  const dead = Atomics.load(i32, i + 1);
  if (!hasExited(dead)) return false;
  if (Atomics.compareExchange(i32, i + 1, dead, agentId()) !== dead) return false;
  Atomics.store(i32, i, 2);
  return true;
}

/** The agent id of the holder (0 if none or not yet recorded). */
export function holder(i32: Int32Array, i: number): number {
  return Atomics.load(i32, i + 1);
}

/**
 * `lockSync` for a lock protocol: `true` acquired, `false` timed out. A dead
 * holder is an {@linkcode OwnerDiedError}, or is taken over with `recover`.
 */
export function lockRobust(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  recover: boolean,
  kind: string,
): boolean {
  for (;;) {
    const outcome = lockSync(i32, i, deadline);
    if (outcome !== OWNER_DIED) return outcome === ACQUIRED;
    if (!recover) throw new OwnerDiedError(kind, holder(i32, i));
    if (takeOver(i32, i)) return true;
  }
}

/** The async form of {@linkcode lockRobust}. */
export async function lockRobustAsync(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  signal: AbortSignal | undefined,
  recover: boolean,
  kind: string,
): Promise<boolean> {
  for (;;) {
    const outcome = await lockAsync(i32, i, deadline, signal);
    if (outcome !== OWNER_DIED) return outcome === ACQUIRED;
    if (!recover) throw new OwnerDiedError(kind, holder(i32, i));
    if (takeOver(i32, i)) return true;
  }
}

/**
 * Takes an internal mutex (a primitive's own short critical sections, which
 * leave its state consistent): a dead holder is simply taken over.
 */
export function lockInternal(i32: Int32Array, i: number): void {
  while (lockSync(i32, i, Infinity) === OWNER_DIED) if (takeOver(i32, i)) return;
}

/** The async form of {@linkcode lockInternal}. */
export async function lockInternalAsync(i32: Int32Array, i: number): Promise<void> {
  while (await lockAsync(i32, i, Infinity) === OWNER_DIED) if (takeOver(i32, i)) return;
}

/** Releases the mutex; `false` (and nothing changed) if it was not locked. */
export function unlock(i32: Int32Array, i: number): boolean {
  // A terminated worker that still unwinds (Deno ends a wait only at its next slice)
  // releases nothing: it is already reported dead, and the lock may be recovered by now.
  checkStop();
  // The holder word is cleared first (the CAS below publishes it): a locked
  // mutex never names a stale holder.
  i32[i + 1] = 0;
  const c = Atomics.compareExchange(i32, i, 1, 0);
  if (c === 1) return true;
  if (c === 0) return false;
  Atomics.store(i32, i, 0);
  Atomics.notify(i32, i, 1);
  return true;
}

/** What `Condition` needs from the lock it waits with. */
export interface Reentry {
  /** Whether the calling agent holds the lock (for a `Lock`: whether it is held at all). */
  owned(): boolean;
  /** Releases every level the caller holds and returns how many. */
  releaseAll(): number;
  /** After a plain acquire, restores the depth `releaseAll` returned. */
  restore(depth: number): void;
}

const reentries = new WeakMap<object, Reentry>();

/** Registers how `Condition` releases and restores `lock`. */
export function defineReentry(lock: object, reentry: Reentry): void {
  reentries.set(lock, reentry);
}

/** The re-entry hooks of a `Lock` or `RLock`, or `undefined` for anything else. */
export function reentryOf(lock: unknown): Reentry | undefined {
  return typeof lock === "object" && lock !== null ? reentries.get(lock) : undefined;
}
