/**
 * The read-write lock protocol behind `RwLock`, on shared memory.
 *
 * A writer word names the writer (`writer · 2 + contended`, as the mutex word
 * of `core/_mutex.ts`), and a table of reader slots names the readers: each
 * slot is one 64-byte line (so readers on different cores write different
 * lines) holding an agent id and that agent's read depth. A reader claims a
 * slot (CAS 0 → its id: the claim names it), then reads the writer word: 0
 * means it holds a read lock; anything else means a writer holds or waits,
 * and the reader backs off (frees its slot) and sleeps on the writer word. A
 * writer takes the writer word (which already blocks new readers: a waiting
 * writer is never starved by readers), waits until every slot is free, and
 * only then records itself in `ACTIVE` and returns. Atomics are sequentially
 * consistent, so of a reader's (slot, then writer word) and a writer's
 * (writer word, then slots) at least one sees the other.
 *
 * A slot's depth is non-zero exactly while its reader holds a read lock
 * (its release zeroes it before it frees the slot), so a dead agent's slot
 * tells whether it died holding one. Readers change nothing that the lock
 * guards, so a dead reader blocks no one: other readers go on beside its slot.
 * But like a `Lock`'s holder, a reader that died holding is reported: the next
 * writer gets `OwnerDiedError` (what that reader was doing with what it read is
 * lost, which the program may have to know), and `recover` frees its slot. A
 * dead agent's slot with depth 0 held nothing and is freed silently. A dead
 * writer that had not yet become `ACTIVE` wrote nothing and is cleared
 * silently too; a dead active writer is an `OwnerDiedError` to everyone until
 * someone recovers. A free slot's depth is always 0: a dead agent's slot of
 * depth 0 is freed with one CAS (dead → 0), one of depth ≥ 1 only by a
 * recovering writer that claims it first (CAS dead → me, depth 0, then 0), so
 * no late plain store can hit a slot that a new reader has claimed meanwhile.
 * Every state a kill can leave, and who repairs it:
 *
 * | the worker is killed right after…                     | it leaves                                        | repaired by |
 * |-------------------------------------------------------|--------------------------------------------------|-------------|
 * | a reader raised `USED`                                | `USED` one higher                                | nothing: writers scan one more (free) slot |
 * | a reader's slot claim (CAS 0 or dead → me)            | a slot naming the dead, depth 0                  | the next writer's scan (CAS dead → 0), or a reader looking for a slot (CAS dead → me) |
 * | a reader's depth store, or any point while it reads   | a slot naming the dead, depth ≥ 1                | the next writer: `OwnerDiedError`; with `recover` it frees the slot (CAS dead → me, depth 0, slot 0). Readers skip the slot |
 * | a reader's release: depth → 0, before the slot → 0    | a slot naming the dead, depth 0                  | as for a claim |
 * | a reader's back-off (slot → 0), before its notify     | a free slot; the writer not woken                | the writer re-scans every {@linkcode POLL_MS} |
 * | a reader's release (slot → 0), before its notify      | as above                                         | as above |
 * | a recovering writer's claim of a dead reader's slot   | the slot naming the dead writer, depth ≥ 1       | as for a reader that died holding: the next writer reports it (under the writer's id) |
 * | a writer's CAS of the writer word                     | the word naming the dead, `ACTIVE` not it        | any locker: CAS → 0, wake all (it wrote nothing) |
 * | … while it waits for the readers to leave             | as above                                         | as above |
 * | a writer's `ACTIVE` store (it holds the lock)         | the word and `ACTIVE` naming the dead            | every acquire: `OwnerDiedError`; `recover`: a writer takes the word over (CAS → me, `ACTIVE` = me), a reader clears `ACTIVE` then the word and reads |
 * | a writer taking over, between its CAS and `ACTIVE`    | the word naming the dead, `ACTIVE` the old dead  | cleared as not active, the stale `ACTIVE` too: its caller had repaired (what `recover` asserts) |
 * | a reader recovering, between `ACTIVE` → 0 and the word | the word naming the dead, not active            | cleared as not active |
 * | a writer's release: `ACTIVE` → 0                      | the word naming the dead, not active             | cleared as not active (it had finished) |
 * | a writer's release: word → 0, before its notify       | a free lock; sleepers not woken                  | sleepers re-check every {@linkcode POLL_MS} |
 * | a sleeper's contended mark (CAS w → w + 1)            | the bit set                                      | nothing: one extra notify |
 * | a draining writer's `DRAIN_SLEEPS` = 1                | readers notify `DRAIN` on leaving                | nothing: extra notifies until the next writer clears it |
 *
 * The table has `maxReaders` slots (64 by default, at most 4096): one more
 * thread reading (or trying to) at the same time gets a `RangeError` from
 * its acquire, nothing changed; a dead agent's slot counts as free unless it
 * died holding a read lock (then a writer's `recover` frees it).
 *
 * An agent is reported exited only once its worker can run no more JavaScript
 * (`Process`), so clearing a dead agent's slot or word never races it.
 *
 * @module
 */

import { agentId, hasExited } from "../core/_agent.ts";
import { OwnerDiedError } from "../core/errors.ts";
import { pause, SpinBudget } from "../core/_spin.ts";
import { checkStop, type Deadline, DEATH_POLL_MS, waitAsync, waitSync, wake } from "../core/_wait.ts";

/** `writer · 2 + contended`: the agent that holds or waits for the write lock; 0 when none. */
export const WRITER = 1;
/** The writer's id once every reader has left (it holds the lock); 0 otherwise. */
export const ACTIVE = 2;
/** Bumped by readers that leave while a writer is there: what a draining writer sleeps on. */
export const DRAIN = 3;
/** How many slots have ever been used (a high-water mark): writers scan only these. */
export const USED = 4;
/** 1 while a draining writer may sleep on `DRAIN` (readers notify only then). */
export const DRAIN_SLEEPS = 5;
/** The first slot's word: the header is one 64-byte line. */
export const SLOTS = 16;
/** Words per slot: one 64-byte line each. */
export const STRIDE = 16;
/** Within a slot: the agent id (0 free), then its read depth (written only by that agent). */
const DEPTH = 1;
/** The default size of the reader table. */
export const DEFAULT_MAX_READERS = 64;
/** The largest reader table (256 KiB). */
export const MAX_READERS = 4096;
/** The deepest read re-entry of one thread: the depth is an Int32. */
const MAX_DEPTH = 2 ** 31 - 1;
/** Sleepers re-check this often: nobody notifies a death. */
export const POLL_MS: number = DEATH_POLL_MS;

/** The byte length of an RwLock with `maxReaders` slots. */
export function bytesFor(maxReaders: number): number {
  return (SLOTS + maxReaders * STRIDE) * 4;
}

/** One object's view of the reader table: its size, and the slot its thread used last (a hint). */
export interface Seat {
  /** The reader table's size. */
  readonly readers: number;
  /** The slot this object's thread used last, or -1. */
  slot: number;
}

/** What a generator below asks its driver for: sleep while `i32[index] === value`. */
export type Sleep = readonly [index: number, value: number];

/** Learned spin before sleeping (see `_spin.ts`). */
const spins = new SpinBudget();

function slotAt(k: number): number {
  return SLOTS + k * STRIDE;
}

// ------------------------------------------------------------------ readers --

/** One more level of a read lock the caller already holds at slot word `at`. */
function deeper(i32: Int32Array, at: number): void {
  const depth = i32[at + DEPTH];
  if (depth >= MAX_DEPTH) {
    throw new RangeError(`A thread cannot hold an RwLock's read lock more than ${MAX_DEPTH} times`);
  }
  i32[at + DEPTH] = depth + 1;
}

/** Raises `USED` to at least `k + 1`: before the slot is claimed, so a writer that may miss the claim sees it. */
function raiseUsed(i32: Int32Array, k: number): void {
  let used = Atomics.load(i32, USED);
  while (used <= k) {
    const seen = Atomics.compareExchange(i32, USED, used, k + 1);
    if (seen === used) return;
    used = seen;
  }
}

/**
 * Claims a free slot (or that of a dead agent that held no read lock) for
 * `me`; a `RangeError` when every slot is held by a live agent or kept as the
 * record of a reader that died holding.
 */
function claim(i32: Int32Array, seat: Seat, me: number): number {
  const n = seat.readers;
  let kept = 0;
  // Two passes: a slot freed by a reader that backed off meanwhile is found on the second.
  for (let pass = 0; pass < 2; pass++) {
    kept = 0;
    for (let k = 0; k < n; k++) {
      const at = slotAt(k);
      const a = Atomics.load(i32, at);
      if (a !== 0 && (a === me || !hasExited(a))) continue;
      if (a !== 0) {
        // The depth, then the slot again: a dead agent's words cannot change, but the slot can be
        // claimed by another reader meanwhile (whose depth it then was).
        const depth = Atomics.load(i32, at + DEPTH);
        if (Atomics.load(i32, at) !== a) continue;
        // A reader that died holding: its record stays until a writer recovers.
        if (depth !== 0) {
          kept++;
          continue;
        }
      }
      raiseUsed(i32, k);
      if (Atomics.compareExchange(i32, at, a, me) === a) {
        seat.slot = k;
        return at;
      }
    }
  }
  const dead = kept === 0
    ? ""
    : ` (${kept} of them held by readers whose workers exited: acquireWrite({ recover: true }) frees them)`;
  throw new RangeError(
    `More than ${n} threads use this RwLock for reading at once (its maxReaders)${dead}; ` +
      `create it with new RwLock({ maxReaders }) up to ${MAX_READERS}`,
  );
}

/** Frees a slot the caller claimed but may not keep, and tells a draining writer. */
function backOff(i32: Int32Array, at: number): void {
  Atomics.store(i32, at, 0);
  left(i32);
}

/** A reader left while a writer is there: bumps `DRAIN` (a spinning writer sees it), wakes a sleeping one. */
function left(i32: Int32Array): void {
  Atomics.add(i32, DRAIN, 1);
  if (Atomics.load(i32, DRAIN_SLEEPS) !== 0) wake(i32, DRAIN, 1);
}

/**
 * One try at a read lock: 0 once held, else the writer word that kept the
 * caller out (a writer holds it or waits for it). `sync`: the caller's thread
 * would block, so a read it already holds here is re-entered even while a
 * writer waits (waiting would deadlock the thread on itself).
 */
export function readOnce(i32: Int32Array, seat: Seat, me: number, sync: boolean): number {
  checkStop();
  let at = seat.slot >= 0 ? slotAt(seat.slot) : -1;
  if (at >= 0) {
    const a = Atomics.compareExchange(i32, at, 0, me);
    if (a === me) {
      // Held by this thread: the slot stays named, so any writer keeps waiting for it.
      const w = Atomics.load(i32, WRITER);
      if (w !== 0 && !sync) return w;
      deeper(i32, at);
      return 0;
    }
    if (a !== 0) at = claim(i32, seat, me);
  } else {
    at = claim(i32, seat, me);
  }
  const w = Atomics.load(i32, WRITER);
  if (w === 0) {
    i32[at + DEPTH] = 1;
    return 0;
  }
  backOff(i32, at);
  return w;
}

/** The slot word where `me` holds a read lock (any object's), or -1. */
function heldSlot(i32: Int32Array, seat: Seat, me: number): number {
  const used = Math.min(Atomics.load(i32, USED), seat.readers);
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    if (Atomics.load(i32, at) === me && i32[at + DEPTH] >= 1) {
      seat.slot = k;
      return at;
    }
  }
  return -1;
}

/** Releases one level of the caller's read lock; `false` (nothing changed) if it holds none. */
export function releaseRead(i32: Int32Array, seat: Seat): boolean {
  // A terminated worker that still unwinds releases nothing (see `unlock` in `_mutex.ts`).
  checkStop();
  const me = agentId();
  let at = seat.slot >= 0 ? slotAt(seat.slot) : -1;
  // Plain reads: a slot naming this thread was written by this thread only.
  if (at < 0 || i32[at] !== me || i32[at + DEPTH] < 1) at = heldSlot(i32, seat, me);
  if (at < 0) return false;
  const depth = i32[at + DEPTH];
  if (depth > 1) {
    i32[at + DEPTH] = depth - 1;
    return true;
  }
  // Depth 0 first: a slot that names a dead agent with a depth says it died holding.
  i32[at + DEPTH] = 0;
  Atomics.store(i32, at, 0);
  if (Atomics.load(i32, WRITER) !== 0) left(i32);
  return true;
}

/** How many threads hold a read lock right now: slots naming a live agent, or a dead one that held. */
export function readerCount(i32: Int32Array, seat: Seat): number {
  const used = Math.min(Atomics.load(i32, USED), seat.readers);
  let n = 0;
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    const a = Atomics.load(i32, at);
    if (a !== 0 && (!hasExited(a) || i32[at + DEPTH] !== 0)) n++;
  }
  return n;
}

// ------------------------------------------------------------------ writers --

/** `deadWriter` outcomes. */
const ALIVE = 0;
/** A dead writer that had not begun writing was cleared: try again. */
const CLEARED = 1;
/** The writer died holding the lock: `OwnerDiedError`, or recover. */
const DIED = 2;

/** Classifies the writer word `w` (non-zero); clears a dead writer that never wrote. */
function deadWriter(i32: Int32Array, w: number): number {
  const holder = w >>> 1;
  // Read again once the exit is known: a dead agent's words cannot change, a live one's can.
  if (!hasExited(holder) || Atomics.load(i32, WRITER) !== w) return ALIVE;
  const active = Atomics.load(i32, ACTIVE);
  if (active === holder) return DIED;
  // A takeover killed before its ACTIVE store leaves the previous writer's id there: stale.
  if (active !== 0) Atomics.compareExchange(i32, ACTIVE, active, 0);
  if (Atomics.compareExchange(i32, WRITER, w, 0) === w && (w & 1) === 1) wake(i32, WRITER, Infinity);
  return CLEARED;
}

/** Frees the writer word (held by the caller) and wakes every sleeper if some may sleep. */
function dropWriter(i32: Int32Array): void {
  // Only the holder clears the word; others only set its contended bit: an exchange is exact.
  const c = Atomics.exchange(i32, WRITER, 0);
  if ((c & 1) === 1) wake(i32, WRITER, Infinity);
}

/**
 * 0 when no reader holds the lock; else the first live reader's id, or minus
 * the id of a reader that died holding a read lock (`recover`: its slot is
 * freed instead). Slots of dead agents that held nothing are freed.
 */
function readersLeft(i32: Int32Array, seat: Seat, recover: boolean): number {
  const used = Math.min(Atomics.load(i32, USED), seat.readers);
  let died = 0;
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    const a = Atomics.load(i32, at);
    if (a === 0) continue;
    if (!hasExited(a)) return a;
    // As in `claim`: the depth, then the slot again (a reader may have claimed it meanwhile).
    const depth = Atomics.load(i32, at + DEPTH);
    if (Atomics.load(i32, at) !== a) {
      k--;
      continue;
    }
    if (depth === 0) {
      Atomics.compareExchange(i32, at, a, 0);
    } else if (!recover) {
      // Live readers first: a writer that would wait for them waits, and hears of the dead after.
      if (died === 0) died = a;
    } else if (Atomics.compareExchange(i32, at, a, agentId()) === a) {
      // Claimed (no one else writes its depth now), emptied, freed.
      i32[at + DEPTH] = 0;
      Atomics.store(i32, at, 0);
    }
  }
  return -died;
}

/** Releases the caller's write lock; `false` (nothing changed) if it does not hold it. */
export function releaseWrite(i32: Int32Array): boolean {
  checkStop();
  const me = agentId();
  if (Atomics.load(i32, WRITER) >>> 1 !== me || Atomics.load(i32, ACTIVE) !== me) return false;
  Atomics.store(i32, ACTIVE, 0);
  dropWriter(i32);
  return true;
}

/** Whether some thread holds the write lock (it has drained the readers). */
export function writeHeld(i32: Int32Array): boolean {
  const active = Atomics.load(i32, ACTIVE);
  return active !== 0 && Atomics.load(i32, WRITER) >>> 1 === active;
}

function selfDeadlock(what: string): Error {
  return new Error(`This thread ${what}; waiting without a timeout would deadlock it`);
}

/** How a wait ends when the lock was written by a dead writer and `recover` is off. */
function ownerDied(holder: number, once: boolean): boolean {
  if (once) return false;
  throw new OwnerDiedError("RwLock", holder);
}

/**
 * A read lock, written once for both forms: yields a sleep on the writer word
 * whenever a live writer is there, and is resumed with `false` once the
 * deadline passed. `once`: a try (no wait; a dead writer's lock is `false`).
 */
export function* reading(
  i32: Int32Array,
  seat: Seat,
  deadline: Deadline,
  recover: boolean,
  sync: boolean,
  once: boolean,
): Generator<Sleep, boolean, boolean> {
  const me = agentId();
  for (;;) {
    const w = readOnce(i32, seat, me, sync);
    if (w === 0) return true;
    const holder = w >>> 1;
    if (holder === me && sync && deadline === Infinity) throw selfDeadlock("holds the RwLock's write lock");
    const fate = deadWriter(i32, w);
    if (fate === CLEARED) continue;
    if (fate === DIED) {
      if (!recover) return ownerDied(holder, once);
      // The caller repaired what the dead writer left: clear it (ACTIVE first), then read.
      if (Atomics.compareExchange(i32, ACTIVE, holder, 0) === holder) deadWriter(i32, w);
      continue;
    }
    // A read this thread holds through another object of the same memory is re-entered there.
    if (sync) {
      const at = heldSlot(i32, seat, me);
      if (at >= 0) {
        deeper(i32, at);
        return true;
      }
    }
    if (once) return false;
    if (!(yield [WRITER, w])) {
      // The wake-up that raced the deadline must not be lost: one last try.
      const last = readOnce(i32, seat, me, sync);
      return last === 0;
    }
  }
}

/**
 * A write lock, written once for both forms: takes the writer word (sleeping
 * on it while another writer has it), then waits for the readers to leave
 * (sleeping on `DRAIN`). Gives the word back if it times out or is aborted.
 */
export function* writing(
  i32: Int32Array,
  seat: Seat,
  deadline: Deadline,
  recover: boolean,
  sync: boolean,
  once: boolean,
): Generator<Sleep, boolean, boolean> {
  checkStop();
  const me = agentId();
  let slept = false;
  for (;;) {
    const w = Atomics.load(i32, WRITER);
    if (w === 0) {
      // Once it slept, others may sleep too: the word says so, and the release will notify.
      if (Atomics.compareExchange(i32, WRITER, 0, (me << 1) | (slept ? 1 : 0)) === 0) break;
      continue;
    }
    const holder = w >>> 1;
    if (holder === me && sync && deadline === Infinity) throw selfDeadlock("holds the RwLock's write lock");
    const fate = deadWriter(i32, w);
    if (fate === CLEARED) continue;
    if (fate === DIED) {
      if (!recover) return ownerDied(holder, once);
      // The dead writer had drained the readers and new ones wait on the word: take it over as it is.
      if (Atomics.compareExchange(i32, WRITER, w, (me << 1) | 1) === w) {
        Atomics.store(i32, ACTIVE, me);
        return true;
      }
      continue;
    }
    if (once) return false;
    slept = true;
    if (!(yield [WRITER, w])) {
      if (Atomics.compareExchange(i32, WRITER, 0, (me << 1) | 1) === 0) break;
      return false;
    }
  }
  return yield* draining(i32, seat, deadline, sync, recover, once, me);
}

/** The second half of a write lock: the writer word is the caller's; waits until no reader holds. */
export function* draining(
  i32: Int32Array,
  seat: Seat,
  deadline: Deadline,
  sync: boolean,
  recover: boolean,
  once: boolean,
  me: number = agentId(),
): Generator<Sleep, boolean, boolean> {
  let held = false;
  try {
    for (;;) {
      const epoch = Atomics.load(i32, DRAIN);
      const reader = readersLeft(i32, seat, recover);
      if (reader === 0) break;
      // A reader died holding: reported like a dead writer (the word is given back below).
      if (reader < 0) return ownerDied(-reader, once);
      if (reader === me && sync && deadline === Infinity) {
        throw selfDeadlock("holds a read lock of this RwLock (a read lock cannot be upgraded)");
      }
      if (!(yield [DRAIN, epoch])) {
        const last = readersLeft(i32, seat, recover);
        if (last === 0) break;
        if (last < 0) return ownerDied(-last, once);
        return false;
      }
    }
    Atomics.store(i32, ACTIVE, me);
    held = true;
    return true;
  } finally {
    if (Atomics.load(i32, DRAIN_SLEEPS) !== 0) Atomics.store(i32, DRAIN_SLEEPS, 0);
    // Timed out, aborted or terminated: the readers held back by the word may go on.
    if (!held) {
      checkStop();
      dropWriter(i32);
    }
  }
}

/** {@linkcode writeFast}: the writer word is taken but readers hold; drain them (`draining`). */
export const DRAIN_NEEDED: number = 2;

/**
 * The uncontended write lock: 1 when taken whole (the word free, no reader),
 * {@linkcode DRAIN_NEEDED} when the word is now the caller's but readers hold,
 * 0 when another writer has the word.
 */
export function writeFast(i32: Int32Array, seat: Seat): number {
  checkStop();
  const me = agentId();
  if (Atomics.compareExchange(i32, WRITER, 0, me << 1) !== 0) return 0;
  if (readersLeft(i32, seat, false) !== 0) return DRAIN_NEEDED;
  Atomics.store(i32, ACTIVE, me);
  return 1;
}

// ------------------------------------------------------------------ drivers --

/** Spins while `i32[index] === value` until `end` (ms); whether it changed. */
function spin(i32: Int32Array, index: number, value: number, end: number): boolean {
  for (let n = 1;; n++) {
    if (Atomics.load(i32, index) !== value) return true;
    if ((n & 7) === 0 && performance.now() >= end) return false;
    pause();
  }
}

/**
 * Readies a sleep on `i32[index] === value` (after the spin): a sleeper on
 * the writer word marks it contended (so the release notifies) and sleeps on
 * the marked value; a writer about to sleep on `DRAIN` first says so and
 * looks at the readers once more. `undefined`: look again instead of sleeping.
 */
function readySleep(i32: Int32Array, index: number, value: number): number | undefined {
  if (index === WRITER) {
    if ((value & 1) === 1) return value;
    return Atomics.compareExchange(i32, WRITER, value, value | 1) === value ? value | 1 : undefined;
  }
  if (Atomics.load(i32, DRAIN_SLEEPS) !== 0) return value;
  Atomics.store(i32, DRAIN_SLEEPS, 1);
  return undefined;
}

/** Runs a generator above with blocking sleeps (after a learned spin). */
export function runSync(
  steps: Generator<Sleep, boolean, boolean>,
  i32: Int32Array,
  deadline: Deadline,
): boolean {
  const start = performance.now();
  const spinEnd = Math.min(deadline, start + spins.ms);
  let slept = false;
  for (let step = steps.next();;) {
    if (step.done) {
      if (step.value && slept) spins.learn(performance.now() - start);
      return step.value;
    }
    const [index, value] = step.value;
    let woken = true;
    try {
      if (!spin(i32, index, value, spinEnd)) {
        const sleepOn = readySleep(i32, index, value);
        if (sleepOn !== undefined) woken = waitSync(i32, index, sleepOn, deadline, POLL_MS);
      }
    } catch (e) {
      // Runs the generator's cleanup (a writer gives its word back), then rethrows.
      steps.throw(e);
      throw e;
    }
    slept = true;
    step = steps.next(woken);
  }
}

/** Runs a generator above with async sleeps; rejects with `signal.reason` on abort. */
export async function runAsync(
  steps: Generator<Sleep, boolean, boolean>,
  i32: Int32Array,
  deadline: Deadline,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) throw signal.reason;
  for (let step = steps.next();;) {
    if (step.done) return step.value;
    const [index, value] = step.value;
    let woken = true;
    try {
      const sleepOn = readySleep(i32, index, value);
      if (sleepOn !== undefined) woken = await waitAsync(i32, index, sleepOn, deadline, signal, POLL_MS);
    } catch (e) {
      steps.throw(e);
      throw e;
    }
    step = steps.next(woken);
  }
}
