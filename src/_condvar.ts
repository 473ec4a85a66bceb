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
 * @module
 */

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
/** Byte length of a condition's memory. */
export const BYTES = 24;

/**
 * Registers the caller as a waiter and releases the lock fully; returns its
 * group, the sequence snapshot and the lock depth to restore.
 */
function enter(i32: Int32Array, reentry: Reentry): [group: number, seq: number, depth: number] {
  if (!reentry.owned()) throw new Error("Cannot wait on a Condition whose lock is not held");
  i32[FRESH]++;
  const group = (i32[CURRENT] + 1) | 0;
  // Taken before the lock is released: a notify after that point changes it.
  const seq = Atomics.load(i32, SEQ);
  return [group, seq, reentry.releaseAll()];
}

/**
 * Decides a waiter's outcome (lock held): `true` if notified (claiming its
 * notification), `false` if it gave up (`leaving`) without being notified,
 * `undefined` if it must keep waiting.
 */
function settle(i32: Int32Array, group: number, leaving: boolean): boolean | undefined {
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
  const [group, first, depth] = enter(i32, reentry);
  let seq = first;
  for (;;) {
    let late = false;
    // Slice ends and spurious wake-ups leave SEQ as it was: no need to take the lock for them.
    while (!late && Atomics.load(i32, SEQ) === seq) late = !waitSync(i32, SEQ, seq, deadline);
    lock.acquire();
    const notified = settle(i32, group, late);
    if (notified !== undefined) {
      reentry.restore(depth);
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
  const [group, first, depth] = enter(i32, reentry);
  let seq = first;
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
    const notified = settle(i32, group, late);
    if (notified !== undefined) {
      reentry.restore(depth);
      // A notification that raced the abort is kept, not lost.
      if (aborted && !notified) throw reason;
      return notified;
    }
    seq = Atomics.load(i32, SEQ);
    lock.release();
  }
}
