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
 * A worker may be killed at any instruction, also while it holds the mutex
 * (the next locker takes a dead holder's mutex over, see `lockInternal`). So
 * every change under the mutex goes through a redo log (`_journal.ts`): a
 * seat and the count change in one step, a state and `SEQ` too, and the
 * next holder finishes a change its dead predecessor committed. What a kill
 * leaves, and who repairs it:
 *
 * | the worker is killed…                          | it leaves                                   | repaired by |
 * |------------------------------------------------|---------------------------------------------|-------------|
 * | inside a change, before its commit             | the state before the change; the mutex held | the next locker takes the mutex over; the change never happened |
 * | inside a change, after its commit              | a committed log, some words applied         | the next locker's `replay`, which also wakes the sleepers |
 * | after `arrive` seated it (sleeping, or between the mutex and the sleep) | its seat, counted      | `reap`: a filling round breaks; a draining or resetting one lets it leave |
 * | while it runs the action (round full, filling) | every seat taken, state filling             | `reap`: the round breaks, as when the action throws |
 * | after the round was released, before it left   | its seat in a draining round                | `reap`: it leaves; the last to leave reopens the round |
 * | inside `reap`, between two dead parties        | some dead seats cleared, each with its count | the next `reap` (a death bumps the exit count every agent polls) |
 * | waiting for a round to drain (index -1)        | nothing: it has no seat                     | nothing |
 * | after a change, before `unlock`                | the mutex held, the state consistent        | the next locker takes the mutex over |
 *
 * Seats beyond the first 64 are not tracked: a party there that dies while
 * it waits is not noticed (its round waits for it, as in Python).
 *
 * @module
 */

import { agentId, exitCount, hasExited } from "../core/_agent.ts";
import { commit, logWords, replay, stage } from "./_journal.ts";
import { lockInternal, lockInternalAsync, unlock } from "../core/_mutex.ts";
import { type Deadline, DEATH_POLL_MS, waitAsync, waitSync } from "../core/_wait.ts";

/** The futex mutex (see `_mutex.ts`; word 2 is kept spare for it). */
export const MUTEX = 1;
/** Bumped and notified on every state change. */
export const SEQ = 3;
/** One of the states below. */
export const STATE = 4;
/** Parties inside `wait` (counted from arrival until they leave). */
export const COUNT = 5;
export const PARTIES = 6;
/** Seat k holds the agent id of the party with index k, 0 when empty (word 7 is spare). */
export const SEATS = 8;
/** Seats beyond this many are not tracked: a party there that dies is not noticed. */
export const TRACKED_SEATS = 64;
/** The redo log: the largest change is a state, `SEQ`, a state again, `SEQ`, a seat and the count. */
export const LOG: number = SEATS + TRACKED_SEATS;
/** How often sleepers look for dead parties (ms). */
const POLL_MS = DEATH_POLL_MS;

/** Byte length of a barrier's memory. */
export const BYTES: number = (LOG + logWords(6)) * 4;

/** Parties arrive; the last one releases them all. */
export const FILLING = 0;
/** Released parties are leaving; newcomers wait until the last has left. */
export const DRAINING = 1;
/** `reset()` came while parties waited: they fail; newcomers wait until they have left. */
export const RESETTING = 2;
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

/** Stages a new state and a bump of `SEQ` (which wakes the sleepers at the commit). */
function stageState(i32: Int32Array, state: number): void {
  stage(i32, LOG, STATE, state);
  stage(i32, LOG, SEQ, (i32[SEQ] + 1) | 0);
}

/**
 * Stages the departure of the party at seat `index` from a round whose state
 * is `state` once this change is made: its seat empties and the count drops
 * with it; the last to leave a drained or reset round reopens it.
 */
function stageLeave(i32: Int32Array, index: number, state: number): void {
  if (index < TRACKED_SEATS) stage(i32, LOG, SEATS + index, 0);
  const count = i32[COUNT] - 1;
  stage(i32, LOG, COUNT, count);
  if (count === 0 && (state === DRAINING || state === RESETTING)) stageState(i32, FILLING);
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
 * Takes out the parties whose worker exited, one change each: one that was
 * filling breaks the round first, then it leaves as any party leaves.
 */
function reap(i32: Int32Array): void {
  if (!deathsToReap(i32)) return;
  checkedAt.set(i32, exitCount());
  const seats = Math.min(i32[PARTIES], TRACKED_SEATS);
  for (let index = 0; index < seats; index++) {
    const agent = i32[SEATS + index];
    if (agent === 0 || !hasExited(agent)) continue;
    let state = i32[STATE];
    if (state === FILLING) {
      stageState(i32, BROKEN);
      state = BROKEN;
    }
    stageLeave(i32, index, state);
    commit(i32, LOG, SEQ);
  }
}

function sleeping(i32: Int32Array, index: number): Turn {
  return { index, seq: Atomics.load(i32, SEQ) };
}

/** A party arrives (mutex held); the last one runs `action` and releases the round. */
export function arrive(i32: Int32Array, action: (() => void) | undefined): Turn {
  reap(i32);
  const state = i32[STATE];
  if (state === DRAINING || state === RESETTING) return sleeping(i32, -1);
  if (state === BROKEN) return { index: -1, seq: 0, why: "broken" };
  // The seat and the count in one change: a counted party always has its seat,
  // and a seat always names a counted party.
  const index = i32[COUNT];
  const me = agentId();
  if (index < TRACKED_SEATS) stage(i32, LOG, SEATS + index, me);
  stage(i32, LOG, COUNT, index + 1);
  commit(i32, LOG, SEQ);
  if (index + 1 < i32[PARTIES]) return sleeping(i32, index);
  try {
    action?.();
  } catch (e) {
    stageState(i32, BROKEN);
    stageLeave(i32, index, BROKEN);
    commit(i32, LOG, SEQ);
    throw e;
  }
  stageState(i32, DRAINING);
  stageLeave(i32, index, DRAINING);
  commit(i32, LOG, SEQ);
  return { index, seq: 0, done: true };
}

/** A counted party looks again, and breaks the barrier if its time is up (`late`). */
function check(i32: Int32Array, index: number, late: boolean): Turn {
  reap(i32);
  // Reaped already: this party's worker was reported dead and is going away.
  if (index < TRACKED_SEATS && i32[SEATS + index] !== agentId()) return { index, seq: 0, why: "broken" };
  const state = i32[STATE];
  if (state === FILLING && !late) return sleeping(i32, index);
  let why = state === RESETTING ? "reset" : "broken";
  let after = state;
  if (state === FILLING) {
    stageState(i32, BROKEN);
    [after, why] = [BROKEN, "timeout"];
  }
  stageLeave(i32, index, after);
  commit(i32, LOG, SEQ);
  return state === DRAINING ? { index, seq: 0, done: true } : { index, seq: 0, why };
}

function step(i32: Int32Array, turn: Turn, action: (() => void) | undefined, late: boolean): Turn {
  return turn.index < 0 ? arrive(i32, action) : check(i32, turn.index, late);
}

/** Runs `fn` under the barrier's mutex, after finishing a change a dead holder committed. */
export function locked<T>(i32: Int32Array, fn: () => T): T {
  lockInternal(i32, MUTEX);
  try {
    replay(i32, LOG, SEQ);
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
      replay(i32, LOG, SEQ);
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
    stageState(i32, i32[COUNT] === 0 ? FILLING : state === DRAINING ? DRAINING : RESETTING);
    commit(i32, LOG, SEQ);
  });
}

/** Python's `abort()`: breaks the barrier for current and future parties. */
export function abort(i32: Int32Array): void {
  locked(i32, () => {
    stageState(i32, BROKEN);
    commit(i32, LOG, SEQ);
  });
}

/** The state word, for `broken` and `nWaiting`. */
export function stateOf(i32: Int32Array): number {
  return Atomics.load(i32, STATE);
}
