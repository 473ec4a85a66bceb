/**
 * The state machine behind `Barrier`, in shared memory: Python's
 * `threading.Barrier` (filling, draining, resetting, broken) under a futex
 * mutex. Every state change bumps `SEQ`, the one word waiters sleep on; a
 * waiter snapshots it under the mutex, so no change is missed. Errors are
 * built by the caller (a `Turn` says why), which keeps this module free of
 * the public classes.
 *
 * Each seat (a party's index in the round) records the agent sitting in it,
 * so a party whose worker died can be told apart: it breaks a filling round
 * (as a failed party does) and counts as having left a draining or
 * resetting one, which would otherwise wait for it forever. Nobody notifies
 * a death, so sleepers poll the domain's exit count.
 *
 * @module
 */

import { agentId, exitCount, hasExited } from "./_agent.ts";
import { lockInternal, lockInternalAsync, unlock } from "./_mutex.ts";
import { type Deadline, waitAsync, waitSync } from "./_wait.ts";

/** The futex mutex; the word after it names its holder (see `_mutex.ts`). */
const MUTEX = 1;
/** Bumped and notified on every state change. */
const SEQ = 3;
const STATE = 4;
/** Parties inside `wait` (counted from arrival until they leave). */
export const COUNT = 5;
export const PARTIES = 6;
/** Seat k holds the agent id of the party with index k, 0 when empty (word 7 is spare). */
const SEATS = 8;
/** Seats beyond this many are not tracked: a party there that dies is not noticed. */
const TRACKED_SEATS = 64;
/** How often sleepers look for dead parties (ms). */
const POLL_MS = 100;

/** Byte length of a barrier's memory. */
export const BYTES: number = (SEATS + TRACKED_SEATS) * 4;

/** Parties arrive; the last one releases them all. */
export const FILLING = 0;
/** Released parties are leaving; newcomers wait until the last has left. */
const DRAINING = 1;
/** `reset()` came while parties waited: they fail; newcomers wait until they have left. */
const RESETTING = 2;
/** Aborted, timed out, failed or a party died: every wait fails until `reset()`. */
export const BROKEN = 3;

/** Where a party stands after a step under the mutex. */
export interface Turn {
  /** Its index, or -1 while it waits for the previous round to drain. */
  index: number;
  /** What to sleep on when not done. */
  seq: number;
  /** Released: return `index`. */
  done?: boolean;
  /** Failed: `"broken"`, `"reset"` or `"timeout"`. */
  why?: string;
}

function setState(i32: Int32Array, state: number): void {
  Atomics.store(i32, STATE, state);
  Atomics.add(i32, SEQ, 1);
  Atomics.notify(i32, SEQ);
}

/** The party at seat `index` leaves; the last to leave a drained or reset round reopens it. */
function leave(i32: Int32Array, index: number): void {
  if (index < TRACKED_SEATS) i32[SEATS + index] = 0;
  const state = i32[STATE];
  if (Atomics.sub(i32, COUNT, 1) === 1 && (state === DRAINING || state === RESETTING)) setState(i32, FILLING);
}

/**
 * The domain's exit count when this agent last checked a barrier's seats. It is
 * kept here, not in the shared memory: a check that finds no one dead writes nothing.
 */
const checkedAt = new WeakMap<Int32Array, number>();

/** Whether an agent has exited since this agent last checked the seats. */
function deathsToReap(i32: Int32Array): boolean {
  return exitCount() > (checkedAt.get(i32) ?? 0);
}

/**
 * Clears the seats of parties whose worker exited: one that was filling
 * breaks the barrier; otherwise it simply leaves. When every seat is
 * tracked, the count is then taken from the seats, which also mends a count
 * that a worker dying inside the mutex left half-updated (its holder is
 * taken over, see `lockInternal`).
 */
function reap(i32: Int32Array): void {
  if (!deathsToReap(i32)) return;
  checkedAt.set(i32, exitCount());
  const parties = i32[PARTIES];
  const seats = Math.min(parties, TRACKED_SEATS);
  let dead = 0;
  let present = 0;
  for (let index = 0; index < seats; index++) {
    const agent = i32[SEATS + index];
    if (agent === 0) continue;
    if (!hasExited(agent)) {
      present++;
      continue;
    }
    i32[SEATS + index] = 0;
    dead++;
  }
  const count = parties <= TRACKED_SEATS ? present : Math.max(0, i32[COUNT] - dead);
  if (dead === 0 && count === i32[COUNT]) return;
  const state = i32[STATE];
  if (dead > 0 && state === FILLING) setState(i32, BROKEN);
  Atomics.store(i32, COUNT, count);
  if (count === 0 && (state === DRAINING || state === RESETTING)) setState(i32, FILLING);
}

function sleeping(i32: Int32Array, index: number): Turn {
  return { index, seq: Atomics.load(i32, SEQ) };
}

/** A party arrives; the last one runs `action` and releases the round. */
function arrive(i32: Int32Array, action: (() => void) | undefined): Turn {
  reap(i32);
  const state = i32[STATE];
  if (state === DRAINING || state === RESETTING) return sleeping(i32, -1);
  if (state === BROKEN) return { index: -1, seq: 0, why: "broken" };
  // The seat first: a party counted (as `nWaiting` shows) always has its seat.
  const index = i32[COUNT];
  if (index < TRACKED_SEATS) i32[SEATS + index] = agentId();
  Atomics.store(i32, COUNT, index + 1);
  if (index + 1 < i32[PARTIES]) return sleeping(i32, index);
  try {
    action?.();
  } catch (e) {
    setState(i32, BROKEN);
    leave(i32, index);
    throw e;
  }
  setState(i32, DRAINING);
  leave(i32, index);
  return { index, seq: 0, done: true };
}

/** A counted party looks again, and breaks the barrier if its time is up (`late`). */
function check(i32: Int32Array, index: number, late: boolean): Turn {
  reap(i32);
  // Reaped already: this party's worker was reported dead and is going away.
  if (index < TRACKED_SEATS && i32[SEATS + index] !== agentId()) return { index, seq: 0, why: "broken" };
  let state = i32[STATE];
  let why = state === RESETTING ? "reset" : "broken";
  if (state === FILLING) {
    if (!late) return sleeping(i32, index);
    setState(i32, BROKEN);
    [state, why] = [BROKEN, "timeout"];
  }
  leave(i32, index);
  return state === DRAINING ? { index, seq: 0, done: true } : { index, seq: 0, why };
}

function step(i32: Int32Array, turn: Turn, action: (() => void) | undefined, late: boolean): Turn {
  return turn.index < 0 ? arrive(i32, action) : check(i32, turn.index, late);
}

/** Runs `fn` under the barrier's mutex. */
export function locked<T>(i32: Int32Array, fn: () => T): T {
  lockInternal(i32, MUTEX);
  try {
    return fn();
  } finally {
    unlock(i32, MUTEX);
  }
}

/** Barrier.wait: the party's index once released, or a failed `Turn`. */
export function pass(i32: Int32Array, action: (() => void) | undefined, deadline: Deadline): Turn {
  let turn = locked(i32, () => arrive(i32, action));
  while (!turn.done && turn.why === undefined) {
    const { seq } = turn;
    // Waiting for a round to drain has no deadline, as in Python.
    const until = turn.index < 0 ? Infinity : deadline;
    let late = false;
    while (!late && Atomics.load(i32, SEQ) === seq && !deathsToReap(i32)) {
      late = !waitSync(i32, SEQ, seq, until, POLL_MS);
    }
    const before = turn;
    turn = locked(i32, () => step(i32, before, action, late));
  }
  return turn;
}

/** The async form of {@linkcode pass}; an abort breaks the barrier if the party was counted. */
export async function passAsync(
  i32: Int32Array,
  action: (() => void) | undefined,
  deadline: Deadline,
  signal: AbortSignal | undefined,
): Promise<Turn> {
  if (signal?.aborted) throw signal.reason;
  const lockedAsync = async <T>(fn: () => T): Promise<T> => {
    await lockInternalAsync(i32, MUTEX);
    try {
      return fn();
    } finally {
      unlock(i32, MUTEX);
    }
  };
  let turn = await lockedAsync(() => arrive(i32, action));
  while (!turn.done && turn.why === undefined) {
    const { seq } = turn;
    const until = turn.index < 0 ? Infinity : deadline;
    let late = false;
    let aborted = false;
    let reason: unknown;
    try {
      while (!late && Atomics.load(i32, SEQ) === seq && !deathsToReap(i32)) {
        late = !await waitAsync(i32, SEQ, seq, until, signal, POLL_MS);
      }
    } catch (e) {
      if (turn.index < 0) throw e;
      [late, aborted, reason] = [true, true, e];
    }
    const before = turn;
    turn = await lockedAsync(() => step(i32, before, action, late));
    if (aborted && !turn.done) throw reason;
  }
  return turn;
}

/** Python's `reset()`: waiting parties fail, the barrier fills again once they have left. */
export function reset(i32: Int32Array): void {
  locked(i32, () => {
    reap(i32);
    const state = i32[STATE];
    if (i32[COUNT] === 0) setState(i32, FILLING);
    else setState(i32, state === DRAINING ? DRAINING : RESETTING);
  });
}

/** Python's `abort()`: breaks the barrier for current and future parties. */
export function abort(i32: Int32Array): void {
  locked(i32, () => setState(i32, BROKEN));
}

/** The state word, for `broken` and `nWaiting`. */
export function stateOf(i32: Int32Array): number {
  return Atomics.load(i32, STATE);
}
