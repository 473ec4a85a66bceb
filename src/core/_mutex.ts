/**
 * A futex mutex on one Int32 word (Drepper's "mutex 3", with the holder in
 * the word): 0 unlocked, else `holder · 2 + contended`, where `holder` is
 * the agent id of the holder and `contended` is 1 once someone may sleep on
 * it. Uncontended lock and unlock are one compare-and-swap each; `unlock`
 * calls `notify` only when someone may sleep. Shared by `Lock`, `RLock` and
 * the internal mutexes of `Barrier`.
 *
 * Robustness (a worker may die at any instruction): taking the mutex and
 * naming its holder are the same atomic step, so there is no moment at which
 * a dead agent can leave it locked without its name in it. Every state a
 * kill can leave, and who repairs it:
 *
 * | the holder dies…                    | it leaves                | repaired by                                  |
 * |-------------------------------------|--------------------------|----------------------------------------------|
 * | before its CAS 0 → id·2             | 0 (nothing taken)        | nothing to repair                            |
 * | after it, inside the critical part  | id·2 (+1), id exited     | a locker that sees the id exited: `OWNER_DIED` (`OwnerDiedError`), then `takeOver` by CAS id·2+c → me·2+1 |
 * | inside `unlock`, before its CAS → 0 | id·2 (+1), id exited     | as above                                     |
 * | after unlock's CAS, before notify   | 0, sleepers not woken    | sleepers wake within `OWNER_POLL_MS` and retry |
 *
 * A sleeper killed anywhere leaves at most its contended mark (one extra
 * notify); one napping unmarked (`nap`) leaves nothing at all.
 *
 * A sleeper marks the word contended (CAS id·2 → id·2+1) before it sleeps
 * on that exact value, so a holder that releases afterwards sees the mark
 * and notifies. An agent is reported exited only once its worker can run no
 * more JavaScript (`Process`), so a takeover never races a live holder.
 *
 * @module
 */

import { agentId, hasExited } from "./_agent.ts";
import { attach, type Class, takePreset } from "./_handle.ts";
import { OwnerDiedError } from "./errors.ts";
import { pause, SpinBudget } from "./_spin.ts";
import { checkStop, type Deadline, DEATH_POLL_MS, waitAsync, waitSync, wake } from "./_wait.ts";

/** How long this thread's blocking acquires spin before they sleep, learned from their waits. */
const spins = new SpinBudget();
/** How long an acquire spins while others sleep on the mutex (ms); see `spin`. */
const SLEEPERS_SPIN_MS = 0.01;
/** How long a woken sleeper that found the mutex taken again sleeps unmarked (ms); see `nap`. */
const NAP_MIN_MS = 0.05;
const NAP_MAX_MS = 1;
/** Sleepers re-check the holder this often: nobody notifies when a worker dies. */
const OWNER_POLL_MS = DEATH_POLL_MS;

/** `lockSync` / `lockAsync` outcomes. */
export const TIMED_OUT = 0;
/** The mutex is now held by the caller. */
export const ACQUIRED = 1;
/** The holder's worker has exited; the mutex is still locked. */
export const OWNER_DIED = 2;
/** One of {@linkcode TIMED_OUT}, {@linkcode ACQUIRED}, {@linkcode OWNER_DIED}. */
export type LockOutcome = 0 | 1 | 2;

/** The word of a mutex held by the calling agent, uncontended. */
function mine(): number {
  return agentId() << 1;
}

/** Takes the mutex if it is free. */
export function tryLock(i32: Int32Array, i: number): boolean {
  checkStop();
  return Atomics.compareExchange(i32, i, 0, agentId() << 1) === 0;
}

/**
 * Spins until `end` (ms), or for at most {@linkcode SLEEPERS_SPIN_MS} while
 * others sleep on the mutex (the word is marked contended). Taking it then is
 * safe (the sleeper the releaser woke marks it again) but unfair: a spinner
 * wins every race against a sleeper that takes tens of µs to wake, and a
 * sleeper starved that way waited 100+ ms. So a spinner that sees sleepers
 * soon joins them, yet a strict hand-off between two threads (each waits
 * well under a µs for the other) stays a spin.
 */
function spin(i32: Int32Array, i: number, start: number, end: number): boolean {
  const sleepersEnd = Math.min(end, start + SLEEPERS_SPIN_MS);
  const me = mine();
  for (let n = 1;; n++) {
    const c = Atomics.load(i32, i);
    if (c === 0 && Atomics.compareExchange(i32, i, 0, me) === 0) return true;
    // The clock costs as much as a few tries: read it every 8th.
    if ((n & 7) === 0 && performance.now() >= ((c & 1) === 1 ? sleepersEnd : end)) return false;
    pause();
  }
}

/** Result of {@linkcode mark}: the caller took the mutex. */
const TAKEN = 0;

/**
 * Takes the mutex if it is free (marked contended: others may sleep), else
 * marks it contended. Returns {@linkcode TAKEN}, or the contended word to
 * sleep on.
 */
function mark(i32: Int32Array, i: number): number {
  for (;;) {
    const c = Atomics.load(i32, i);
    if (c === 0) {
      if (Atomics.compareExchange(i32, i, 0, mine() | 1) === 0) return TAKEN;
    } else if ((c & 1) === 1 || Atomics.compareExchange(i32, i, c, c | 1) === c) {
      return c | 1;
    }
  }
}

/** Whether the word `c` still holds the mutex for an agent that has exited. */
function diedHolding(i32: Int32Array, i: number, c: number): boolean {
  // Read again once the exit is known: a holder that released, then exited, in
  // between no longer owns the word. A dead holder's word cannot change.
  return hasExited(c >>> 1) && Atomics.load(i32, i) === c;
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
  const start = performance.now();
  for (;;) {
    const c = mark(i32, i);
    if (c === TAKEN) return ACQUIRED;
    if (diedHolding(i32, i, c)) return OWNER_DIED;
    if (!waitSync(i32, i, c, deadline, OWNER_POLL_MS)) return mark(i32, i) === TAKEN ? ACQUIRED : TIMED_OUT;
    if (!nap(i32, i, start, deadline)) return mark(i32, i) === TAKEN ? ACQUIRED : TIMED_OUT;
  }
}

/**
 * After a wake-up: if another thread holds the mutex again (the releaser, or
 * a spinner, took it back before this sleeper ran), sleeps on it unmarked
 * for a while instead of marking it at once. `false` once the deadline has
 * passed.
 *
 * Why: a holder that runs section after section releases and takes the
 * mutex back within nanoseconds, so a sleeper it wakes mostly finds it held
 * again. Marking it at once makes the holder's next release a wake-up too,
 * and so on at every release, while the sleeper keeps losing: a notify that
 * wakes a sleeper cost the waker 7–8 µs (16 at p90) on these 2-core VMs,
 * three times a 2.3 µs section. Unmarked, the holder's releases cost
 * nothing; the sleeper looks again at the end of its nap (a quarter of its
 * wait so far, within {@linkcode NAP_MIN_MS} … {@linkcode NAP_MAX_MS}: at
 * most a quarter more on a long wait), then marks and sleeps as before.
 * Measured with the benchmark's read-mostly rows (two threads, 2.3 µs
 * sections under one `Lock`): Bun 2.24 µs per section against 3.24 before
 * (reads only: 2.42 against 3.66), Node and Deno the same as before within
 * their noise, and the lock rows of tiny sections unchanged.
 *
 * Nothing is recorded meanwhile: a sleeper killed in its nap leaves nothing
 * to repair, and one whose holder died finds it out at the nap's end.
 */
function nap(i32: Int32Array, i: number, start: number, deadline: Deadline): boolean {
  const c = Atomics.load(i32, i);
  // Free: mark() takes it. Marked by another sleeper: the release wakes one anyway.
  if (c === 0 || (c & 1) === 1) return true;
  const ms = Math.min(NAP_MAX_MS, Math.max(NAP_MIN_MS, (performance.now() - start) / 4));
  return waitSync(i32, i, c, deadline, ms);
}

/**
 * The async form of {@linkcode lockSync}. `onLocked` runs in the same
 * synchronous step as the compare-and-swap that takes the mutex: the promise
 * settles microtasks later, and the caller's thread may act on the lock in
 * between (an `RLock` re-entered by another task of the thread).
 */
export async function lockAsync(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  signal?: AbortSignal,
  onLocked?: () => void,
): Promise<LockOutcome> {
  if (signal?.aborted) throw signal.reason;
  if (!tryLock(i32, i)) {
    for (;;) {
      const c = mark(i32, i);
      if (c === TAKEN) break;
      if (diedHolding(i32, i, c)) return OWNER_DIED;
      if (!await waitAsync(i32, i, c, deadline, signal, OWNER_POLL_MS)) {
        if (mark(i32, i) !== TAKEN) return TIMED_OUT;
        break;
      }
    }
  }
  onLocked?.();
  return ACQUIRED;
}

/**
 * Takes over a mutex whose holder's worker has exited. Only one caller wins;
 * the mutex stays locked (now by the caller) and marked contended.
 */
export function takeOver(i32: Int32Array, i: number): boolean {
  checkStop();
  const c = Atomics.load(i32, i);
  if (c === 0 || !hasExited(c >>> 1)) return false;
  return Atomics.compareExchange(i32, i, c, mine() | 1) === c;
}

/** The agent id of the holder (0 if none). */
export function holder(i32: Int32Array, i: number): number {
  return Atomics.load(i32, i) >>> 1;
}

/**
 * `lockSync` for a lock protocol: `true` acquired, `false` timed out. A dead
 * holder is an {@linkcode OwnerDiedError}, or is taken over with `recover`
 * (then `onTakeOver` runs at once, to reset what the dead holder left).
 */
export function lockRobust(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  recover: boolean,
  kind: string,
  onTakeOver?: () => void,
): boolean {
  for (;;) {
    const outcome = lockSync(i32, i, deadline);
    if (outcome !== OWNER_DIED) return outcome === ACQUIRED;
    if (!recover) throw new OwnerDiedError(kind, holder(i32, i));
    if (takeOver(i32, i)) {
      onTakeOver?.();
      return true;
    }
  }
}

/** The async form of {@linkcode lockRobust}; `onLocked` as for {@linkcode lockAsync}. */
export async function lockRobustAsync(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  signal: AbortSignal | undefined,
  recover: boolean,
  kind: string,
  onLocked?: () => void,
  onTakeOver?: () => void,
): Promise<boolean> {
  for (;;) {
    const outcome = await lockAsync(i32, i, deadline, signal, onLocked);
    if (outcome !== OWNER_DIED) return outcome === ACQUIRED;
    if (!recover) throw new OwnerDiedError(kind, holder(i32, i));
    // In the same synchronous step as the takeover: nothing of this thread runs in between.
    if (takeOver(i32, i)) {
      onTakeOver?.();
      onLocked?.();
      return true;
    }
  }
}

/**
 * Takes an internal mutex (a primitive's own short critical sections, each
 * written so that a holder killed anywhere in it leaves a state the next
 * holder can read): a dead holder is simply taken over.
 */
export function lockInternal(i32: Int32Array, i: number): void {
  while (lockSync(i32, i, Infinity) === OWNER_DIED) if (takeOver(i32, i)) return;
}

/** The async form of {@linkcode lockInternal}. */
export async function lockInternalAsync(i32: Int32Array, i: number): Promise<void> {
  while (await lockAsync(i32, i, Infinity) === OWNER_DIED) if (takeOver(i32, i)) return;
}

/**
 * Releases the mutex, whoever holds it (a `Lock` may be released by any
 * agent, as in Python); `false` (and nothing changed) if it was not locked.
 */
export function unlock(i32: Int32Array, i: number): boolean {
  // A terminated worker that still unwinds (Deno ends a wait only at its next slice)
  // releases nothing: it is already reported dead, and the lock may be recovered by now.
  checkStop();
  // The common case: the caller holds it and nobody waits.
  const me = mine();
  let c = Atomics.compareExchange(i32, i, me, 0);
  if (c === me) return true;
  for (;;) {
    if (c === 0) return false;
    const seen = Atomics.compareExchange(i32, i, c, 0);
    if (seen === c) break;
    c = seen;
  }
  if ((c & 1) === 1) wake(i32, i, 1);
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

/**
 * The memory of a `Lock` or `RLock` under construction (its field
 * initializer, the first code that runs after `super()`): takes the preset,
 * attaches (or allocates) the memory, and registers how `Condition`
 * releases and restores the lock.
 */
export function openMutex(lock: object, own: Class, bytes: number, reentry: Reentry): Int32Array {
  const { handle } = takePreset();
  const i32 = attach(lock, own, bytes, handle);
  reentries.set(lock, reentry);
  return i32;
}

/** The re-entry hooks of a `Lock` or `RLock`, or `undefined` for anything else. */
export function reentryOf(lock: unknown): Reentry | undefined {
  return typeof lock === "object" && lock !== null ? reentries.get(lock) : undefined;
}
