/**
 * The words a `Pool` shares with each of its workers (a slot per worker),
 * and the table of dropped tasks all workers read.
 *
 * A task travels as one item of the task queue; its number is the queue's
 * count of items taken before it (`GETS`, wrapping), which the worker learns
 * under the queue's get lock (`Items.onTake`) and writes to `CLAIM` before
 * the count moves. So whoever sees an item counted as taken also sees who
 * took it, and a worker killed at any instruction leaves:
 *
 * | killed…                                      | leaves                                  | the pool (after the exit, results drained)             |
 * | -------------------------------------------- | --------------------------------------- | ------------------------------------------------------ |
 * | before `CLAIM` (no item taken)                | nothing                                 | nothing                                                |
 * | after `CLAIM`, before the take (get lock held) | a count the queue's journal undoes      | waits until a consumer repairs the lock: the item stays |
 * | after the take, before `RUN`                  | a taken item no live worker claims      | puts it again (it never ran)                           |
 * | after `RUN` = n (running n)                   | the same, `RUN` naming it               | rejects it with `WorkerExitError`                     |
 * | after the result is put                      | a settled task                          | nothing                                                |
 * | mid-stream read of a large item              | the item, dropped by the next reader     | puts it again (it never ran)                           |
 *
 * `tests/pool_killpoints_test.ts` kills a real worker at each of the first
 * four rows and after the fifth; `tests/pool_kill_test.ts` kills at random.
 *
 * @module
 */

/** The count of the last item this worker took (its task number). */
export const CLAIM = 0;
/** 1 once `CLAIM` holds a number. */
export const HAS_CLAIM = 1;
/** The task number it runs (written after the take, before the drop check). */
export const RUN = 2;
/** 1 once `RUN` holds a number. */
export const HAS_RUN = 3;
/** `STATE_INIT` while the module loads and the initializer runs, then `STATE_READY`. */
export const STATE = 4;
/** Tasks run. */
export const DONE = 5;
/** Words per slot. */
export const SLOT_WORDS = 8;

export const STATE_INIT = 0;
export const STATE_READY = 1;

/** Entries of the table of dropped tasks (a power of two). */
export const DROPPED_SIZE = 1024;
/** Entry `n & DROPPED_MASK` holds `n` once task `n` was dropped while queued. */
export const DROPPED_MASK: number = DROPPED_SIZE - 1;

/** A new table of dropped tasks: entry `s` holds `s + 1`, a number it is never asked about. */
export function newDropped(): Int32Array {
  const t = new Int32Array(new SharedArrayBuffer(4 * DROPPED_SIZE));
  for (let s = 0; s < DROPPED_SIZE; s++) t[s] = s + 1;
  return t;
}

/** A new slot. */
export function newSlot(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * SLOT_WORDS));
}

/**
 * The pool's spins for an idle apply's answer, and a worker's watch for its next
 * task, stop after this many misses in a row (not one): with free cores an
 * odd miss (a worker not yet watching, a page fault) is a few in a hundred,
 * and stopping at each cost the next 31 applies a kernel wake-up each
 * (measured on Bun: one-at-a-time applies 12.5 µs at the median, 2.3 µs
 * when spinning). On a busy machine misses come in runs, and stop it still.
 */
export const SPIN_MISSES = 3;
