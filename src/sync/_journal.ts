/**
 * A redo log that makes a change of several shared words all-or-nothing for
 * a worker killed in the middle of it (a terminated worker on Node or Bun
 * stops at any instruction). The words are guarded by a lock whose dead
 * holder is taken over (`Barrier`'s internal mutex) or recovered (a
 * `Condition`'s lock); the log lets the next holder finish the change the
 * dead one began, or shows that it never began.
 *
 * Layout: word `log` holds how many (index, value) pairs follow it while a
 * change is committed but not yet closed, and 0 otherwise. A change:
 *
 * | step                                   | a kill right after it leaves        | repaired by                   |
 * |----------------------------------------|-------------------------------------|-------------------------------|
 * | `stage` each word's new value          | pairs in the log, count 0: scratch  | nothing: the change never began |
 * | commit: one atomic store of the count  | a committed log, words unchanged    | the next holder's `replay`    |
 * | apply the pairs in order               | some words changed, log committed   | `replay` (values are absolute: applying twice is harmless) |
 * | notify the sleepers on `wake`          | all applied, log committed          | `replay` (it notifies again)  |
 * | close: one atomic store of 0           | done                                | nothing                       |
 *
 * Every holder calls {@linkcode replay} first, before it reads the words.
 *
 * @module
 */

import { checkStop } from "../core/_wait.ts";

/** Pairs staged for the next {@linkcode commit} (one change at a time per agent). */
let staged = 0;

/** How many words a log of `pairs` (index, value) pairs takes. */
export function logWords(pairs: number): number {
  return 1 + 2 * pairs;
}

/** Stages `i32[index] = value` for the next {@linkcode commit} (lock held; nobody reads the pairs before it). */
export function stage(i32: Int32Array, log: number, index: number, value: number): void {
  const at = log + 1 + 2 * staged++;
  i32[at] = index;
  i32[at + 1] = value;
}

/** Applies the first `n` logged pairs; `true` if one of them wrote `wake`. */
function apply(i32: Int32Array, log: number, n: number, wake: number): boolean {
  let woke = false;
  for (let k = 0, at = log + 1; k < n; k++, at += 2) {
    const index = i32[at];
    if (index === wake) {
      // Sleepers read this word without the lock: an atomic store, then the notify.
      Atomics.store(i32, index, i32[at + 1]);
      woke = true;
    } else {
      i32[index] = i32[at + 1];
    }
  }
  return woke;
}

/**
 * Makes the staged change happen: commits it, applies it, notifies every
 * sleeper on `i32[wake]` if the change wrote that word, and closes the log.
 */
export function commit(i32: Int32Array, log: number, wake: number): void {
  const n = staged;
  staged = 0;
  // A terminated worker (Deno runs on after terminate()) changes nothing more: its
  // lock is, or will be, taken over by an agent that trusts the log.
  checkStop();
  // Atomic stores order the pairs before the count and the applied words before the close.
  Atomics.store(i32, log, n);
  if (apply(i32, log, n, wake)) Atomics.notify(i32, wake);
  Atomics.store(i32, log, 0);
}

/**
 * Finishes a change that a holder killed after its commit left (lock held):
 * applies it again, notifies every sleeper on `i32[wake]`, closes the log.
 * Returns whether there was one.
 */
export function replay(i32: Int32Array, log: number, wake: number): boolean {
  staged = 0;
  const n = Atomics.load(i32, log);
  if (n === 0) return false;
  apply(i32, log, n, wake);
  Atomics.notify(i32, wake);
  Atomics.store(i32, log, 0);
  return true;
}
