/**
 * The waiter bookkeeping behind `Condition`, in shared memory. Every word
 * but `SEQ` is read and written only while the condition's lock is held.
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
 * `notify` first takes its waiters out of the counts.
 *
 * @module
 */

import { agentId, exitCount, hasExited } from "./_agent.ts";
import type { Reentry } from "./_mutex.ts";
import { type Deadline, waitAsync, waitSync } from "./_wait.ts";
import type { Lockable } from "./protocol.ts";

/** Bumped (and notified) by every notify that woke someone; waiters sleep on it. */
const SEQ = 1;
/** The id of the current group; the fresh group's id is one more. */
const CURRENT = 2;
/** Waiters of the current group not yet notified. */
const PENDING = 3;
/** Notifications of the current group not yet claimed by a waiter. */
const TOKENS = 4;
/** Waiters of the fresh group. */
const FRESH = 5;
/** The domain's exit count when the slots were last checked for dead waiters. */
const REAPED = 6;
/** Slot k is two words: the waiting agent's id (0: free) and its group. */
const SLOTS = 8;
/** Waiters beyond this many at once are not tracked: one that dies is not noticed. */
const TRACKED_WAITERS = 32;
/** Byte length of a condition's memory. */
export const BYTES: number = (SLOTS + 2 * TRACKED_WAITERS) * 4;

/** Takes a free slot for a waiter of `group`; -1 if all are taken. */
function track(i32: Int32Array, group: number): number {
  for (let slot = 0; slot < TRACKED_WAITERS; slot++) {
    const at = SLOTS + 2 * slot;
    if (i32[at] !== 0) continue;
    i32[at] = agentId();
    i32[at + 1] = group;
    return slot;
  }
  return -1;
}

/**
 * Takes the waiters of exited agents out of the counts (lock held). One of
 * the current group counts as not yet notified if any is, else it gives
 * back the notification it never claimed.
 */
function reap(i32: Int32Array): void {
  const exits = exitCount();
  if (exits <= i32[REAPED]) return;
  i32[REAPED] = exits;
  const current = i32[CURRENT];
  for (let slot = 0; slot < TRACKED_WAITERS; slot++) {
    const at = SLOTS + 2 * slot;
    const agent = i32[at];
    if (agent === 0 || !hasExited(agent)) continue;
    i32[at] = 0;
    const group = i32[at + 1];
    if (group === ((current + 1) | 0)) i32[FRESH] = Math.max(0, i32[FRESH] - 1);
    else if (group !== current) continue;
    else if (i32[PENDING] > 0) i32[PENDING]--;
    else if (i32[TOKENS] > 0) i32[TOKENS]--;
  }
}

/** A registered waiter: its group, the sequence snapshot, the lock depth to restore, its slot. */
type Waiter = [group: number, seq: number, depth: number, slot: number];

/** Registers the caller as a waiter and releases the lock fully. */
function enter(i32: Int32Array, reentry: Reentry): Waiter {
  if (!reentry.owned()) throw new Error("Cannot wait on a Condition whose lock is not held");
  const group = (i32[CURRENT] + 1) | 0;
  // The slot before the count: a worker that dies in between is then reaped (if
  // counted, or the count falls short by one, which only wakes a waiter early).
  const slot = track(i32, group);
  i32[FRESH]++;
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
  const at = SLOTS + 2 * slot;
  // Reaped already (its worker was marked exited and is going away): it counts for nothing.
  if (slot >= 0 && i32[at] !== agentId()) return false;
  const outcome = decide(i32, group, leaving);
  if (outcome !== undefined && slot >= 0) i32[at] = 0;
  return outcome;
}

function decide(i32: Int32Array, group: number, leaving: boolean): boolean | undefined {
  const current = i32[CURRENT];
  if (group === ((current + 1) | 0)) {
    if (!leaving) return undefined;
    i32[FRESH]--;
    return false;
  }
  if (group !== current) return true;
  if (i32[TOKENS] > 0) {
    i32[TOKENS]--;
    return true;
  }
  if (!leaving) return undefined;
  i32[PENDING]--;
  return false;
}

/** Notifies up to `n` waiters, oldest group first; returns how many. */
export function notify(i32: Int32Array, reentry: Reentry, n: number): number {
  if (!reentry.owned()) throw new Error("Cannot notify on a Condition whose lock is not held");
  reap(i32);
  let left = n;
  let woken = 0;
  while (left > 0) {
    let pending = i32[PENDING];
    if (pending === 0) {
      const fresh = i32[FRESH];
      if (fresh === 0) break;
      // The current group is fully notified: its unclaimed tokens are implied by its age.
      i32[CURRENT] = (i32[CURRENT] + 1) | 0;
      i32[TOKENS] = 0;
      i32[FRESH] = 0;
      pending = fresh;
    }
    const k = Math.min(left, pending);
    i32[PENDING] = pending - k;
    i32[TOKENS] += k;
    left -= k;
    woken += k;
  }
  if (woken > 0) {
    Atomics.add(i32, SEQ, 1);
    // Everyone wakes and re-checks under the lock: a partial notify could miss the chosen group.
    Atomics.notify(i32, SEQ);
  }
  return woken;
}

/** Condition.wait: `true` if notified, `false` on timeout; the lock is held again either way. */
export function waitNotified(i32: Int32Array, lock: Lockable, reentry: Reentry, deadline: Deadline): boolean {
  const waiter = enter(i32, reentry);
  let seq = waiter[1];
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
    await lock.acquireAsync();
    const notified = settle(i32, waiter, late);
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
