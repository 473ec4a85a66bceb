import {
  type Barrier,
  BrokenBarrierError,
  type Condition,
  type Event,
  OwnerDiedError,
  type Semaphore,
} from "../../mod.ts";
import { waitSync } from "../../src/core/_wait.ts";
import { FALSE, settle, TRUE } from "./_record.ts";

/**
 * Workers for the random-kill test: each loops on one primitive until it is
 * terminated, and keeps a record the test reads after a kill: its state
 * (what it was doing), how many operations it completed, and where it
 * parked. The test pauses every live worker (`control[MODE]`), checks exact
 * counts, and resumes them by bumping `control[EPOCH]`.
 */

/** Control words. */
export const MODE = 0;
export const EPOCH = 1;
export const CONTROL_WORDS = 4;
/** Modes. */
export const RUN = 0;
export const PAUSE = 1;
/** (Event, Condition) every live worker does one checked wait, then parks. */
export const CHECK = 2;

/** Record words. */
export const STATE = 0;
/** Completed operations: permits taken, waits returned, rounds passed… */
export const OPS = 1;
/** The epoch in which the worker last parked. */
export const PARKED = 2;
/** The epoch whose checked wait the worker has entered (about to wait). */
export const WAITING = 3;
/** The epoch whose checked wait has returned. */
export const CHECKED = 4;
/** The checked wait's outcome, a code of ./_record.ts (`TRUE` = 1: it returned true). */
export const RESULT = 5;
/** Barrier: a round index handed out twice; anything: an unexpected error. */
export const ERRORS = 6;
/** Barrier: how many waits ended broken. */
export const BROKEN = 7;
/** Set by the test to start a spare worker (booted ahead, so a replacement joins at once). */
export const ACTIVE = 8;
/** The worker's role, set with `ACTIVE`. */
export const ROLE = 9;
export const RECORD_WORDS = 10;

/** States. */
export const IDLE = 0;
export const ACQUIRING = 1;
export const HOLDING = 2;
export const RELEASING = 3;
export const IN_WAIT = 4;

/** Parks until the test bumps the epoch (sabkit's own wait: it ends once terminated, also on Deno). */
function park(control: Int32Array, rec: Int32Array): void {
  const epoch = Atomics.load(control, EPOCH);
  Atomics.store(rec, PARKED, epoch);
  while (Atomics.load(control, EPOCH) === epoch) waitSync(control, EPOCH, epoch, Infinity, 20);
}

/** Waits until the test activates this worker; returns its role. */
function activated(rec: Int32Array): number {
  while (Atomics.load(rec, ACTIVE) === 0) waitSync(rec, ACTIVE, 0, Infinity, 20);
  return Atomics.load(rec, ROLE);
}

/** Acquire, hold, release, with the state recorded around each step. */
export function semLoop(sem: Semaphore, control: Int32Array, rec: Int32Array): void {
  activated(rec);
  for (;;) {
    if (Atomics.load(control, MODE) !== RUN) {
      park(control, rec);
      continue;
    }
    Atomics.store(rec, STATE, ACQUIRING);
    if (sem.acquire({ timeout: 20 })) {
      Atomics.store(rec, STATE, HOLDING);
      Atomics.add(rec, OPS, 1);
      Atomics.store(rec, STATE, RELEASING);
      sem.release();
    }
    Atomics.store(rec, STATE, IDLE);
  }
}

/**
 * The loop of the event and condition workers: parks while paused; in CHECK
 * mode makes one checked wait per epoch (when `check` is given), recording
 * its outcome, then parks; else runs `step`, its state recorded around it.
 * `check` calls `entering` right before it waits.
 */
function checkedLoop(
  control: Int32Array,
  rec: Int32Array,
  check: ((entering: () => void) => number) | undefined,
  step: () => void,
): void {
  for (;;) {
    const mode = Atomics.load(control, MODE);
    if (mode === PAUSE) {
      park(control, rec);
      continue;
    }
    if (mode === CHECK) {
      const epoch = Atomics.load(control, EPOCH);
      if (check !== undefined && Atomics.load(rec, CHECKED) !== epoch) {
        const result = check(() => Atomics.store(rec, WAITING, epoch));
        Atomics.store(rec, RESULT, result);
        Atomics.store(rec, CHECKED, epoch);
      }
      park(control, rec);
      continue;
    }
    Atomics.store(rec, STATE, IN_WAIT);
    step();
    Atomics.store(rec, STATE, IDLE);
    Atomics.add(rec, OPS, 1);
  }
}

/** Waiters (role 0) wait briefly; a toggler (role 1) sets and clears. */
export function eventLoop(event: Event, control: Int32Array, rec: Int32Array): void {
  const role = activated(rec);
  const check = (entering: () => void): number => {
    entering();
    return event.wait(10000) ? TRUE : FALSE;
  };
  checkedLoop(control, rec, role === 0 ? check : undefined, () => {
    if (role === 0) event.wait(2);
    else {
      event.set();
      event.clear();
    }
  });
}

/**
 * Producers (role 1) add a token and notify one; consumers (role 0) wait
 * for a token and take it. `data[0]` is the token count, guarded by the
 * condition's lock. A dead holder's lock is recovered by whoever comes next.
 */
export function condLoop(cond: Condition, control: Int32Array, rec: Int32Array, data: Int32Array): void {
  const role = activated(rec);
  const check = (entering: () => void): number => {
    cond.acquire({ recover: true });
    entering();
    return settle(() => {
      const notified = cond.wait(10000);
      cond.release();
      return notified;
    });
  };
  checkedLoop(control, rec, check, () => {
    cond.acquire({ recover: true });
    try {
      if (role === 1) {
        data[0]++;
        cond.notify();
      } else {
        while (data[0] === 0 && Atomics.load(control, MODE) === RUN) cond.wait(5);
        if (data[0] > 0) data[0]--;
      }
      cond.release();
    } catch (e) {
      // The lock's holder died while this one waited: the lock is not held; go on.
      if (!(e instanceof OwnerDiedError)) throw e;
    }
  });
}

/** `shared` words of the barrier loop. */
export const ROUNDS = 0;
/** The mode latched by the action of the last round, which every party of the round reads. */
export const LATCH = 1;
/**
 * Rounds kept in `seen`, a ring of `parties` words per round: more than run between two checks
 * (4,096 once fell short on Deno under load, where a kill lands only at a sabkit call).
 */
export const SEEN_ROUNDS = 65536;

/**
 * Waits round after round. The action counts rounds and latches the mode,
 * so every party of a round agrees on pausing after it. Each party records
 * its index in `seen` for its round (a second party with the same index is
 * an error), and parks on a broken barrier until the test resets it.
 */
export function barrierLoop(
  barrier: Barrier,
  control: Int32Array,
  rec: Int32Array,
  shared: Int32Array,
  seen: Int32Array,
): void {
  const parties = barrier.parties;
  barrier.action = () => {
    Atomics.add(shared, ROUNDS, 1);
    Atomics.store(shared, LATCH, Atomics.load(control, MODE));
  };
  activated(rec);
  for (;;) {
    Atomics.store(rec, STATE, IN_WAIT);
    let index: number;
    try {
      index = barrier.wait();
    } catch (e) {
      if (!(e instanceof BrokenBarrierError)) throw e;
      Atomics.store(rec, STATE, IDLE);
      Atomics.add(rec, BROKEN, 1);
      park(control, rec);
      continue;
    }
    // The next round cannot end before this party arrives: both words are this round's.
    const round = Atomics.load(shared, ROUNDS);
    const latched = Atomics.load(shared, LATCH);
    if (Atomics.exchange(seen, (round % SEEN_ROUNDS) * parties + index, round) === round) {
      Atomics.add(rec, ERRORS, 1);
    }
    Atomics.add(rec, OPS, 1);
    Atomics.store(rec, STATE, IDLE);
    if (latched !== RUN) park(control, rec);
  }
}
