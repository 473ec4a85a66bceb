/**
 * The waiter bookkeeping behind `Condition`, in shared memory. Every word
 * but `SEQ` and `ABANDONED` is read and written only while the condition's
 * lock is held.
 *
 * `notify(n)` must wake exactly `n` of the threads waiting at that moment,
 * which `Atomics.notify`'s count cannot promise (stale async waiters count,
 * and a woken thread may be one that began waiting later). So waiters are
 * grouped: new waiters join the "fresh" group; the "current" group holds
 * older waiters, of which `PENDING` are not notified yet and `TOKENS`
 * notifications are not yet claimed. `notify` moves notifications from
 * `PENDING` to `TOKENS`, and promotes the fresh group to current once the
 * current one is used up; a group older than the current one is entirely
 * notified. A woken waiter re-takes the lock and claims a token of its own
 * group, so a thread that began waiting after a notify can never take it.
 * Every notify bumps `SEQ`, which waiters snapshot before they release the
 * lock, so a notify between releasing the lock and sleeping is never lost.
 *
 * A waiter whose worker dies would keep counting as waiting, and the next
 * notify could be spent on it while a live waiter sleeps on. So waiters sit
 * in slots that name their agent and group; once an agent has exited,
 * `notify` first takes its waiters out of the counts. A waiter that leaves
 * without re-taking the lock (its `acquire` threw `OwnerDiedError`) marks its
 * slot abandoned (its id negated, by CAS) and bumps `ABANDONED`, and is taken
 * out the same way.
 *
 * A worker may be killed at any instruction, also while it holds the lock
 * (whoever recovers the lock then works on): so every change of these words
 * goes through a redo log (`_journal.ts`): a slot and its group's count
 * change in one step, and every operation first finishes a change that a
 * dead holder committed. What a kill leaves, and who repairs it:
 *
 * | the worker is killed…                                  | it leaves                                 | repaired by |
 * |--------------------------------------------------------|-------------------------------------------|-------------|
 * | inside a change (enter, settle, notify, reap), before its commit | the words before the change; the lock held by the dead | the lock's `OwnerDiedError`, then whoever recovers it: the change never happened |
 * | inside a change, after its commit                      | a committed log, some words applied; the lock held | the recoverer's next `wait`/`notify` (or `Condition.acquire`): `replay`, which also wakes the sleepers |
 * | in `wait`, registered, before or inside `releaseAll`   | its slot, counted; the lock held          | `OwnerDiedError`; then `reap` at the next `notify`: its count goes |
 * | sleeping, or between waking and re-taking the lock     | its slot, counted                         | `reap` at the next `notify`: its count goes, a token it never claimed too |
 * | after `settle`, before returning                       | a settled waiter holding the lock         | `OwnerDiedError` (nothing of the condition to repair) |
 * | in `abandon`, between its CAS and its count            | a slot marked abandoned                   | `reap` (the death bumps the exit count) |
 * | inside `reap`, between two gone waiters                | some slots cleared, each with its count   | the next `reap`: the exit count is recorded only after the last |
 *
 * Waiters beyond the first 32 at a time are not tracked: one that dies still
 * counts as waiting (a notify may be spent on it).
 *
 * @module
 */

import { agentId, exitCount, hasExited } from "../core/_agent.ts";
import { commit, logWords, replay, stage } from "./_journal.ts";
import type { Reentry } from "../core/_mutex.ts";
import { type Deadline, waitAsync, waitSync } from "../core/_wait.ts";
import type { Lockable } from "../core/protocol.ts";

/** Bumped (and notified) by every notify that woke someone; waiters sleep on it. */
export const SEQ = 1;
/** The id of the current group; the fresh group's id is one more. */
export const CURRENT = 2;
/** Waiters of the current group not yet notified. */
export const PENDING = 3;
/** Notifications of the current group not yet claimed by a waiter. */
export const TOKENS = 4;
/** Waiters of the fresh group. */
export const FRESH = 5;
/** The domain's exit count when the slots were last checked for dead waiters. */
const REAPED = 6;
/** Bumped (outside the lock) by every waiter that marks its slot abandoned. */
const ABANDONED = 7;
/** Slot k is two words: the waiting agent's id (0: free; negated: abandoned) and its group. */
export const SLOTS = 8;
/** Waiters beyond this many at once are not tracked: one that dies is not noticed. */
export const TRACKED_WAITERS = 32;
/** `ABANDONED` when the slots were last checked. */
const ABANDONS_SEEN = SLOTS + 2 * TRACKED_WAITERS;
/** The redo log: the largest change is a notify's five words. */
export const LOG: number = ABANDONS_SEEN + 1;
/** Byte length of a condition's memory. */
export const BYTES: number = (LOG + logWords(5)) * 4;

/** A free slot, or -1 if all are taken. */
function freeSlot(i32: Int32Array): number {
  for (let slot = 0; slot < TRACKED_WAITERS; slot++) {
    if (Atomics.load(i32, SLOTS + 2 * slot) === 0) return slot;
  }
  return -1;
}

/**
 * Takes the waiters of exited agents, and abandoned ones, out of the counts
 * (lock held), one change each. One of the current group counts as not yet
 * notified if any is, else it gives back the notification it never claimed.
 */
function reap(i32: Int32Array): void {
  const exits = exitCount();
  const abandons = Atomics.load(i32, ABANDONED);
  if (exits === i32[REAPED] && abandons === i32[ABANDONS_SEEN]) return;
  for (let slot = 0; slot < TRACKED_WAITERS; slot++) {
    const at = SLOTS + 2 * slot;
    const agent = Atomics.load(i32, at);
    if (agent === 0 || (agent > 0 && !hasExited(agent))) continue;
    stage(i32, LOG, at, 0);
    const group = i32[at + 1];
    const current = i32[CURRENT];
    if (group === ((current + 1) | 0)) {
      if (i32[FRESH] > 0) stage(i32, LOG, FRESH, i32[FRESH] - 1);
    } else if (group === current) {
      if (i32[PENDING] > 0) stage(i32, LOG, PENDING, i32[PENDING] - 1);
      else if (i32[TOKENS] > 0) stage(i32, LOG, TOKENS, i32[TOKENS] - 1);
    }
    commit(i32, LOG, -1);
  }
  // Last: a reaper killed before this leaves the rest to the next one.
  stage(i32, LOG, REAPED, exits);
  stage(i32, LOG, ABANDONS_SEEN, abandons);
  commit(i32, LOG, -1);
}

/** A registered waiter: its group, the sequence snapshot, the lock depth to restore, its slot. */
type Waiter = [group: number, seq: number, depth: number, slot: number];

/**
 * Finishes a change that a holder of the lock committed before it died (lock
 * held). `Condition.acquire` calls it too, so a recovered lock delivers a
 * notify its dead holder committed even if nobody waits or notifies again.
 */
export function repair(i32: Int32Array): void {
  replay(i32, LOG, SEQ);
}

/** Registers the caller as a waiter and releases the lock fully. */
function enter(i32: Int32Array, reentry: Reentry): Waiter {
  if (!reentry.owned()) throw new Error("Cannot wait on a Condition whose lock is not held");
  replay(i32, LOG, SEQ);
  const group = (i32[CURRENT] + 1) | 0;
  // The slot and the count in one change: a dead waiter is counted iff its slot names it.
  const slot = freeSlot(i32);
  if (slot >= 0) {
    const at = SLOTS + 2 * slot;
    stage(i32, LOG, at + 1, group);
    stage(i32, LOG, at, agentId());
  }
  stage(i32, LOG, FRESH, i32[FRESH] + 1);
  commit(i32, LOG, -1);
  // Taken before the lock is released: a notify after that point changes it.
  const seq = Atomics.load(i32, SEQ);
  return [group, seq, reentry.releaseAll(), slot];
}

/**
 * Decides a waiter's outcome (lock held): `true` if notified (claiming its
 * notification), `false` if it gave up (`leaving`) without being notified,
 * `undefined` if it must keep waiting. Frees its slot once decided.
 */
function settle(i32: Int32Array, [group, , , slot]: Waiter, leaving: boolean): boolean | undefined {
  replay(i32, LOG, SEQ);
  const at = SLOTS + 2 * slot;
  // Reaped already (its worker was marked exited and is going away): it counts for nothing.
  if (slot >= 0 && Atomics.load(i32, at) !== agentId()) return false;
  const outcome = decide(i32, group, leaving);
  if (outcome === undefined) return undefined;
  if (slot >= 0) stage(i32, LOG, at, 0);
  commit(i32, LOG, -1);
  return outcome;
}

/** Stages the count change of a waiter of `group` that is notified or leaves; see `settle`. */
function decide(i32: Int32Array, group: number, leaving: boolean): boolean | undefined {
  const current = i32[CURRENT];
  if (group === ((current + 1) | 0)) {
    if (!leaving) return undefined;
    stage(i32, LOG, FRESH, i32[FRESH] - 1);
    return false;
  }
  if (group !== current) return true;
  if (i32[TOKENS] > 0) {
    stage(i32, LOG, TOKENS, i32[TOKENS] - 1);
    return true;
  }
  if (!leaving) return undefined;
  stage(i32, LOG, PENDING, i32[PENDING] - 1);
  return false;
}

/**
 * A waiter that leaves without re-taking the lock (no lock, no log): marks its
 * slot abandoned, if it still names it, for the next `reap`.
 */
function abandon(i32: Int32Array, slot: number): void {
  if (slot < 0) return;
  const me = agentId();
  if (Atomics.compareExchange(i32, SLOTS + 2 * slot, me, -me) === me) Atomics.add(i32, ABANDONED, 1);
}

/** Notifies up to `n` waiters, oldest group first; returns how many. */
export function notify(i32: Int32Array, reentry: Reentry, n: number): number {
  if (!reentry.owned()) throw new Error("Cannot notify on a Condition whose lock is not held");
  replay(i32, LOG, SEQ);
  reap(i32);
  let current = i32[CURRENT];
  let pending = i32[PENDING];
  let tokens = i32[TOKENS];
  let fresh = i32[FRESH];
  let left = n;
  let woken = 0;
  while (left > 0) {
    if (pending === 0) {
      if (fresh === 0) break;
      // The current group is fully notified: its unclaimed tokens are implied by its age.
      current = (current + 1) | 0;
      tokens = 0;
      pending = fresh;
      fresh = 0;
    }
    const k = Math.min(left, pending);
    pending -= k;
    tokens += k;
    left -= k;
    woken += k;
  }
  if (woken > 0) {
    stage(i32, LOG, CURRENT, current);
    stage(i32, LOG, PENDING, pending);
    stage(i32, LOG, TOKENS, tokens);
    stage(i32, LOG, FRESH, fresh);
    // Everyone wakes and re-checks under the lock: a partial notify could miss the chosen group.
    stage(i32, LOG, SEQ, (i32[SEQ] + 1) | 0);
    commit(i32, LOG, SEQ);
  }
  return woken;
}

/**
 * How many waiters the condition counts (lock held, after a repair): the
 * fresh group and the current group's not yet settled. For tests.
 */
export function counted(i32: Int32Array): number {
  replay(i32, LOG, SEQ);
  reap(i32);
  return i32[FRESH] + i32[PENDING] + i32[TOKENS];
}

/** Condition.wait: `true` if notified, `false` on timeout; the lock is held again either way. */
export function waitNotified(i32: Int32Array, lock: Lockable, reentry: Reentry, deadline: Deadline): boolean {
  const waiter = enter(i32, reentry);
  let seq = waiter[1];
  try {
    for (;;) {
      let late = false;
      // Slice ends and spurious wake-ups leave SEQ as it was: no need to take the lock for them.
      while (!late && Atomics.load(i32, SEQ) === seq) late = !waitSync(i32, SEQ, seq, deadline);
      lock.acquire();
      const notified = settle(i32, waiter, late);
      if (notified !== undefined) {
        reentry.restore(waiter[2]);
        return notified;
      }
      seq = Atomics.load(i32, SEQ);
      lock.release();
    }
  } catch (e) {
    // The lock's holder died (OwnerDiedError), or this worker was terminated: this
    // waiter leaves unsettled, so it must stop counting (a no-op once settled).
    abandon(i32, waiter[3]);
    throw e;
  }
}

/** The async form of {@linkcode waitNotified}; an abort re-takes the lock, then rejects. */
export async function waitNotifiedAsync(
  i32: Int32Array,
  lock: Lockable,
  reentry: Reentry,
  deadline: Deadline,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (signal?.aborted) throw signal.reason;
  const waiter = enter(i32, reentry);
  let seq = waiter[1];
  let aborted = false;
  let reason: unknown;
  for (;;) {
    let late = false;
    try {
      while (!late && Atomics.load(i32, SEQ) === seq) {
        late = !await waitAsync(i32, SEQ, seq, deadline, signal);
      }
    } catch (e) {
      [late, aborted, reason] = [true, true, e];
    }
    let notified: boolean | undefined;
    try {
      await lock.acquireAsync();
      notified = settle(i32, waiter, late);
    } catch (e) {
      abandon(i32, waiter[3]);
      throw e;
    }
    if (notified !== undefined) {
      reentry.restore(waiter[2]);
      // A notification that raced the abort is kept, not lost.
      if (aborted && !notified) throw reason;
      return notified;
    }
    seq = Atomics.load(i32, SEQ);
    lock.release();
  }
}
