import type { Barrier, Condition, Event, Semaphore } from "../../mod.ts";
import { waitSync } from "../../src/core/_wait.ts";
import * as R from "./_record.ts";

/**
 * A live agent for the kill-point tests: it runs one command at a time from
 * its mailbox, so a test can place its waits exactly around a state it
 * constructed by hand. Mailbox words: the command's sequence number, the
 * command, its argument (a timeout in ms); the result's sequence number and
 * the result.
 */
export const CMD_SEQ = 0;
export const CMD = 1;
export const ARG = 2;
export const DONE_SEQ = 3;
export const RESULT = 4;
/** Raised by the worker right before it starts a wait (the wait itself follows). */
export const WAITING = 5;
export const MAILBOX_WORDS = 8;

/** `Barrier.wait(ARG)`: the index, or {@linkcode BROKEN}. */
export const BARRIER_WAIT = 1;
/** `Condition.wait(ARG)` with its lock held: 1 notified, 0 timed out, or {@linkcode OWNER_DIED}. */
export const COND_WAIT = 2;
/** `Event.wait(ARG)`: 1 or 0. */
export const EVENT_WAIT = 3;
/** `Semaphore.acquire({ timeout: ARG })`: 1 or 0 (the permit is kept). */
export const SEM_ACQUIRE = 4;
/**
 * After ARG ms, leaves what a setter killed between its CAS and its notify
 * leaves: the Event's word moved to set, nobody woken.
 */
export const EVENT_FLIP_SILENTLY = 5;
/**
 * After ARG ms, leaves what a releaser killed between its CAS and its notify
 * leaves (or a sleeper woken, then killed before its CAS): the count up by one, nobody woken.
 */
export const SEM_GIVE_SILENTLY = 6;
/** Ends the loop. */
export const EXIT = 9;

// What a wait threw: the codes of ./_record.ts negated, so that none reads as an index or a boolean.
/** The wait threw `BrokenBarrierError`. */
export const BROKEN: number = -R.BROKEN;
/** The wait threw something else. */
export const OTHER: number = -R.OTHER;
/** The wait (or the lock it re-takes) threw `OwnerDiedError`. */
export const OWNER_DIED: number = -R.OWNER_DIED;

function run(cmd: number, arg: number, box: Int32Array, objects: Objects): number {
  const { barrier, cond, event, sem } = objects;
  try {
    switch (cmd) {
      case BARRIER_WAIT:
        Atomics.store(box, WAITING, 1);
        return barrier.wait(arg);
      case COND_WAIT: {
        cond.acquire({ timeout: arg });
        Atomics.store(box, WAITING, 1);
        const notified = cond.wait(arg);
        cond.release();
        return notified ? 1 : 0;
      }
      case EVENT_WAIT:
        Atomics.store(box, WAITING, 1);
        return event.wait(arg) ? 1 : 0;
      case SEM_ACQUIRE:
        Atomics.store(box, WAITING, 1);
        return sem.acquire({ timeout: arg }) ? 1 : 0;
      case EVENT_FLIP_SILENTLY: {
        pause(arg);
        // The Event's state word is word 1 of its memory (see src/sync/event.ts).
        const w = words(event);
        const s = Atomics.load(w, 1);
        if ((s & 1) === 1) return 0;
        return Atomics.compareExchange(w, 1, s, s + 1) === s ? 1 : 0;
      }
      case SEM_GIVE_SILENTLY: {
        pause(arg);
        // The count is word 1 of a Semaphore's memory (see src/sync/_semaphore.ts).
        Atomics.add(words(sem), 1, 1);
        return 1;
      }
    }
    return OTHER;
  } catch (e) {
    return -R.outcome(e);
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function words(x: object): Int32Array {
  const h =
    (x as { __sabkit: { buffer: SharedArrayBuffer; byteOffset: number; byteLength: number } }).__sabkit;
  return new Int32Array(h.buffer, h.byteOffset, h.byteLength / 4);
}

/** The objects the commands act on. */
export interface Objects {
  /** For `BARRIER_WAIT`. */
  barrier: Barrier;
  /** For `COND_WAIT`. */
  cond: Condition;
  /** For `EVENT_WAIT`. */
  event: Event;
  /** For `SEM_ACQUIRE`. */
  sem: Semaphore;
}

/** Runs commands from `box` until {@linkcode EXIT}. */
export default function agent(objects: Objects, box: Int32Array): void {
  for (let seen = 0;;) {
    // sabkit's own wait: it ends (TerminatedError) once the worker is terminated, also on Deno.
    while (Atomics.load(box, CMD_SEQ) === seen) waitSync(box, CMD_SEQ, seen, Infinity, 50);
    seen = Atomics.load(box, CMD_SEQ);
    const cmd = Atomics.load(box, CMD);
    if (cmd === EXIT) return;
    const result = run(cmd, Atomics.load(box, ARG), box, objects);
    Atomics.store(box, WAITING, 0);
    Atomics.store(box, RESULT, result);
    Atomics.store(box, DONE_SEQ, seen);
    Atomics.notify(box, DONE_SEQ);
  }
}
