/**
 * The read-write lock protocol behind `RwLock`, on shared memory.
 *
 * A writer word names the writer (`writer · 2 + contended`, as the mutex word
 * of `core/_mutex.ts`), and a table of reader slots names the readers: each
 * slot is one 64-byte line (so readers on different cores write different
 * lines) whose word is `agent · 4 + FLAG + HELD`, then that agent's extra
 * read depth (levels beyond the first). A thread claims a slot once (CAS of a
 * free or dead agent's idle word → `me · 4`) and keeps it between reads, so a
 * read is one CAS on its own line (`me · 4` → `me · 4 + HELD`) and a release
 * one more (back to `me · 4`): no shared line is written, no word loaded. A
 * writer takes the writer word (which already blocks new readers: a waiting
 * writer is never starved by readers), sets `FLAG` in every slot in use (a
 * reader's CAS then fails, and it waits on the writer word), waits until no
 * slot is `HELD`, and only then records itself in `ACTIVE` and returns. Both
 * touch the same slot word, so of a reader's CAS and a writer's flag one
 * comes first: the reader holds and the writer waits for it, or the reader
 * waits. The writer's release clears the flags, then the writer word.
 *
 * A slot that a writer scanned before a reader claimed it is not flagged:
 * so a reader that just claimed a slot reads the writer word after its hold
 * CAS (atomics are sequentially consistent: of the claim and the writer's
 * scan, at least one sees the other), and if a writer is there it gives the
 * slot up whole (the next read claims anew), never keeping a slot that the
 * writer did not see. Claims raise `USED` first, so writers scan `USED` slots.
 *
 * `HELD` is set exactly while its reader holds a read lock, so a dead agent's
 * slot tells whether it died holding one. Readers change nothing that the
 * lock guards, so a dead reader blocks no one: other readers go on beside its
 * slot. But like a `Lock`'s holder, a reader that died holding is reported:
 * the next writer gets `OwnerDiedError` (what that reader was doing with what
 * it read is lost, which the program may have to know), and `recover` frees
 * its slot. A dead agent's idle slot is freed silently. An idle slot's depth
 * word is always 0 (a release leaves it so, and the writer that frees a dead
 * holder's slot zeroes it first, while its flag keeps claimers out), so a
 * claim writes none: a late store could hit a thread that took the idle
 * slot meanwhile.
 * A dead writer that had not yet become `ACTIVE` wrote nothing and is cleared
 * silently: a live agent takes its word over (CAS), clears the flags, then the
 * word (so no flag of a newer writer is ever cleared). A dead active writer is
 * an `OwnerDiedError` to everyone until someone recovers. Every state a kill
 * can leave, and who repairs it:
 *
 * | the worker is killed right after…                          | it leaves                                           | repaired by |
 * |------------------------------------------------------------|-----------------------------------------------------|-------------|
 * | a reader raised `USED`                                     | `USED` one higher                                   | nothing: writers scan one more (free) slot |
 * | a reader's claim (CAS free, dead or idle → me · 4)         | a slot naming the dead, idle                        | the next writer's scan (CAS dead → free), or a claimer (CAS dead → me) |
 * | a reader's hold CAS (me · 4 → + `HELD`), or while it reads | a slot naming the dead, `HELD` (depth maybe > 0)    | the next writer: `OwnerDiedError`; with `recover` it zeroes the depth, then frees the slot (CAS dead → free). Readers skip the slot |
 * | a re-entry's or inner release's depth store                | as above                                            | as above |
 * | a release's CAS (held → idle) or `and` (`HELD` off)        | a slot naming the dead, idle                        | as for a claim |
 * | a release, or a fresh claim's give-up (→ 0), of a flagged slot, before its notify | a slot no longer held; the writer not woken | the writer re-scans every {@linkcode POLL_MS} |
 * | a writer's CAS of the writer word                          | the word naming the dead, `ACTIVE` not it           | any locker: CAS word → me · 2 + 1, stale `ACTIVE` → 0, every flag cleared, word → 0 and wake all (it wrote nothing) |
 * | … a flag (`or`), freeing a dead slot, or while it waits    | as above, some slots flagged                        | as above |
 * | a writer's `ACTIVE` store (it holds the lock)              | the word and `ACTIVE` naming the dead, slots flagged | every acquire: `OwnerDiedError`; `recover`: a writer takes the word over (CAS → me, `ACTIVE` = me; its release clears the flags), a reader clears `ACTIVE`, then clears as above and reads |
 * | a writer taking over, between its CAS and `ACTIVE`         | the word naming the dead, `ACTIVE` the old dead     | cleared as not active, the stale `ACTIVE` too: its caller had repaired (what `recover` asserts) |
 * | a reader recovering, between `ACTIVE` → 0 and clearing     | the word naming the dead, not active                | cleared as not active |
 * | an agent clearing a dead writer, after its CAS of the word | the word naming it (dead), not active, some flags   | cleared as not active |
 * | a writer's release: `ACTIVE` → 0, or any flag cleared      | the word naming the dead, not active, some flags    | cleared as not active (it had finished) |
 * | a writer's release: word → 0, before its notify            | a free lock; sleepers not woken                     | sleepers re-check every {@linkcode POLL_MS} |
 * | a sleeper's contended mark (CAS w → w + 1)                 | the bit set                                         | nothing: one extra notify |
 * | a draining writer's `DRAIN_SLEEPS` = 1                     | readers bump and notify `DRAIN` on leaving          | nothing: extra notifies until the next writer clears it |
 *
 * The table has `maxReaders` slots (64 by default, at most 4096): a thread
 * that finds none free or dead takes the idle slot another live thread keeps
 * (that one claims again on its next read); one more thread holding a read
 * lock at the same time gets a `RangeError` from its acquire, nothing
 * changed. A slot of a reader that died holding counts as taken until a
 * writer's `recover` frees it.
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
/** Bumped by readers that leave a flagged slot: what a draining writer sleeps on. */
export const DRAIN = 3;
/** How many slots have ever been used (a high-water mark): writers scan only these. */
export const USED = 4;
/** 1 while a draining writer watches `DRAIN` (readers bump and notify it only then). */
export const DRAIN_SLEEPS = 5;
/** The first slot's word: the header is one 64-byte line. */
export const SLOTS = 16;
/** Words per slot: one 64-byte line each. */
export const STRIDE = 16;
/** In a slot word (`agent · 4 + FLAG + HELD`): its agent holds a read lock. */
export const HELD = 1;
/** In a slot word: the writer that has the writer word flagged it (no read lock may start in it). */
export const FLAG = 2;
/** Within a slot: the word, then the levels its agent holds beyond the first (written only by it). */
const DEPTH = 1;
/** The default size of the reader table. */
export const DEFAULT_MAX_READERS = 64;
/** The largest reader table (256 KiB). */
export const MAX_READERS = 4096;
/** The deepest read re-entry of one thread: the extra depth is an Int32. */
const MAX_DEPTH = 2 ** 31 - 1;
/** Sleepers re-check this often: nobody notifies a death. */
export const POLL_MS: number = DEATH_POLL_MS;

/** The byte length of an RwLock with `maxReaders` slots. */
export function bytesFor(maxReaders: number): number {
  return (SLOTS + maxReaders * STRIDE) * 4;
}

/** One object's view of the reader table: its size, and the slot its thread keeps (if any). */
export interface Seat {
  /** The reader table's size. */
  readonly readers: number;
  /** The slot this object's thread claimed last (it may have been taken since), or -1. */
  slot: number;
}

/** What a generator below asks its driver for: sleep while `i32[index] === value`. */
export type Sleep = readonly [index: number, value: number];

/** Learned spin before sleeping (see `_spin.ts`). */
const spins = new SpinBudget();

/** The first word of slot `k`. */
export function slotAt(k: number): number {
  return SLOTS + k * STRIDE;
}

/** The agent a slot word names (0: free). */
function nameOf(word: number): number {
  return word >>> 2;
}

/** How many slots a scan must look at: `USED`, bounded by the table. */
function usedSlots(i32: Int32Array, seat: Seat): number {
  return Math.min(Atomics.load(i32, USED), seat.readers);
}

// ------------------------------------------------------------------ readers --

/** One more level of a read lock the caller holds in the slot at word `at`. */
function deeper(i32: Int32Array, at: number): void {
  const extra = i32[at + DEPTH];
  if (extra >= MAX_DEPTH - 1) {
    throw new RangeError(`A thread cannot hold an RwLock's read lock more than ${MAX_DEPTH} times`);
  }
  i32[at + DEPTH] = extra + 1;
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
 * Claims a slot for `me4` (`agent · 4`), idle (no `HELD`): a free one, or
 * that of a dead agent that held nothing, else (second pass) the idle slot
 * that a live thread keeps (its next read claims another). Slots flagged by a
 * writer are left alone: `false` when only those were left (wait for the
 * writer). A `RangeError` when every slot holds a read lock, of a live agent
 * or as the record of a reader that died holding.
 */
function claim(i32: Int32Array, seat: Seat, me4: number): boolean {
  const n = seat.readers;
  let kept = 0;
  let flagged = 0;
  for (let pass = 0; pass < 2; pass++) {
    kept = 0;
    flagged = 0;
    for (let k = 0; k < n; k++) {
      const at = slotAt(k);
      const a = Atomics.load(i32, at);
      if (a === me4) {
        // This thread's own idle slot (kept through another object of the same memory).
        seat.slot = k;
        return true;
      }
      if ((a & HELD) !== 0) {
        if (hasExited(nameOf(a))) kept++;
        continue;
      }
      if ((a & FLAG) !== 0) {
        flagged++;
        continue;
      }
      // Free, a dead agent's, or (second pass) a live thread's idle slot.
      if (a !== 0 && pass === 0 && !hasExited(nameOf(a))) continue;
      raiseUsed(i32, k);
      // An idle slot's depth is 0 (a release leaves it so; a dead holder's is zeroed by the writer
      // that frees it): the claim writes none. A store here, after the CAS, could land after
      // another thread took the slot (idle, so anyone may), held it and re-entered: its level lost.
      if (Atomics.compareExchange(i32, at, a, me4) === a) {
        seat.slot = k;
        return true;
      }
    }
  }
  if (flagged > 0) return false;
  const dead = kept === 0
    ? ""
    : ` (${kept} of them held by readers whose workers exited: acquireWrite({ recover: true }) frees them)`;
  throw new RangeError(
    `More than ${n} threads use this RwLock for reading at once (its maxReaders)${dead}; ` +
      `create it with new RwLock({ maxReaders }) up to ${MAX_READERS}`,
  );
}

/**
 * A reader left a flagged slot: if the writer watches `DRAIN` (it is past its
 * brief spin, which watches the slots themselves), bumps it and wakes the
 * writer. Otherwise the header line stays the writer's: one cross-core
 * transfer fewer per write.
 */
function left(i32: Int32Array): void {
  // The writer says so before it reads `DRAIN` and scans: of its store and this load (after
  // the caller's `HELD` → 0), one sees the other.
  if (Atomics.load(i32, DRAIN_SLEEPS) !== 0) {
    Atomics.add(i32, DRAIN, 1);
    wake(i32, DRAIN, 1);
  }
}

/** Ends the caller's read lock in the slot at word `at` (its depth is 1); tells a waiting writer. */
function unhold(i32: Int32Array, at: number): void {
  // Only the writer changes the word meanwhile (its flag): an `and` keeps that.
  if ((Atomics.and(i32, at, ~HELD) & FLAG) !== 0) left(i32);
}

/**
 * The uncontended read lock: the thread's kept slot, idle and not flagged,
 * now held. One compare-and-swap on a line no other thread writes.
 */
export function readFast(i32: Int32Array, seat: Seat, me4: number): boolean {
  checkStop();
  const k = seat.slot;
  return k >= 0 && Atomics.compareExchange(i32, SLOTS + k * STRIDE, me4, me4 | HELD) === me4;
}

/**
 * One try at a read lock: 0 once held, else the writer word that kept the
 * caller out (a writer holds it or waits for it). `sync`: the caller's thread
 * would block, so a read it already holds here is re-entered even while a
 * writer waits (waiting would deadlock the thread on itself).
 *
 * A thread keeps its slot between reads, so a read is one CAS (idle → held)
 * that fails once a writer has flagged the slot. A slot claimed by this call
 * may have been missed by a writer that scanned before the claim: so after a
 * claim the writer word is read, and if a writer is there the slot is given
 * up again (the next read claims anew), never kept unseen by that writer.
 */
export function readOnce(i32: Int32Array, seat: Seat, me: number, sync: boolean): number {
  checkStop();
  const me4 = me << 2;
  let fresh = false;
  for (;;) {
    if (seat.slot >= 0) {
      const at = slotAt(seat.slot);
      const a = Atomics.compareExchange(i32, at, me4, me4 | HELD);
      if (a === me4) {
        if (!fresh) return 0;
        const w = Atomics.load(i32, WRITER);
        if (w === 0) return 0;
        // A writer that scanned before the claim would not wait for this slot: give it up whole.
        if ((Atomics.exchange(i32, at, 0) & FLAG) !== 0) left(i32);
        return w;
      }
      if ((a | FLAG) === (me4 | HELD | FLAG)) {
        // Held by this thread: the slot stays held, so any writer keeps waiting for it.
        const w = Atomics.load(i32, WRITER);
        if (w !== 0 && !sync) return w;
        deeper(i32, at);
        return 0;
      }
      if (a === (me4 | FLAG)) {
        // Its writer's release clears the flag before the writer word: 0 here means look again.
        const w = Atomics.load(i32, WRITER);
        if (w !== 0) return w;
        continue;
      }
      // Not this thread's any more (another reader took it while it was idle): claim one.
    }
    // New readers wait for a writer (none is starved).
    const w = Atomics.load(i32, WRITER);
    if (w !== 0) return w;
    if (!claim(i32, seat, me4)) continue;
    fresh = true;
  }
}

/** The slot word where `me` holds a read lock (any object's), or -1. */
function heldSlot(i32: Int32Array, seat: Seat, me: number): number {
  const held = (me << 2) | HELD;
  const used = usedSlots(i32, seat);
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    if ((Atomics.load(i32, at) | FLAG) === (held | FLAG)) {
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
  const k = seat.slot;
  if (k >= 0) {
    const at = SLOTS + k * STRIDE;
    // Depth 1 (no extra level): held → idle, the slot kept for the next read. A plain read
    // of the depth: only this thread writes it while it holds the slot, and the CAS checks that.
    if (i32[at + DEPTH] === 0) {
      const held = (me << 2) | HELD;
      const a = Atomics.compareExchange(i32, at, held, me << 2);
      if (a === held) return true;
      if (a === (held | FLAG)) {
        unhold(i32, at);
        return true;
      }
    }
  }
  const at = heldSlot(i32, seat, me);
  if (at < 0) return false;
  const extra = i32[at + DEPTH];
  if (extra > 0) i32[at + DEPTH] = extra - 1;
  else unhold(i32, at);
  return true;
}

/** How many threads hold a read lock right now (readers that died holding included). */
export function readerCount(i32: Int32Array, seat: Seat): number {
  const used = usedSlots(i32, seat);
  let n = 0;
  for (let k = 0; k < used; k++) if ((Atomics.load(i32, slotAt(k)) & HELD) !== 0) n++;
  return n;
}

// ------------------------------------------------------------------ writers --

/** `deadWriter` outcomes. */
const ALIVE = 0;
/** A dead writer that had not begun writing was cleared: try again. */
const CLEARED = 1;
/** The writer died holding the lock: `OwnerDiedError`, or recover. */
const DIED = 2;

/** Clears every slot's writer flag (the caller has the writer word, so nobody sets one meanwhile). */
function unflag(i32: Int32Array, seat: Seat): void {
  const used = usedSlots(i32, seat);
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    if ((Atomics.load(i32, at) & FLAG) !== 0) Atomics.and(i32, at, ~FLAG);
  }
}

/**
 * Classifies the writer word `w` (non-zero). A dead writer that never wrote
 * is cleared: the word is taken over first (so its flags are cleared by one
 * agent, before any new writer can set its own), then flags, then the word.
 */
function deadWriter(i32: Int32Array, seat: Seat, w: number): number {
  const holder = w >>> 1;
  // Read again once the exit is known: a dead agent's words cannot change, a live one's can.
  if (!hasExited(holder) || Atomics.load(i32, WRITER) !== w) return ALIVE;
  const active = Atomics.load(i32, ACTIVE);
  if (active === holder) return DIED;
  // Contended, so that the drop below wakes whoever sleeps on the word.
  if (Atomics.compareExchange(i32, WRITER, w, (agentId() << 1) | 1) !== w) return CLEARED;
  // A takeover killed before its ACTIVE store leaves the previous writer's id there: stale.
  if (Atomics.load(i32, ACTIVE) !== 0) Atomics.store(i32, ACTIVE, 0);
  unflag(i32, seat);
  dropWriter(i32);
  return CLEARED;
}

/** Frees the writer word (held by the caller) and wakes every sleeper if some may sleep. */
function dropWriter(i32: Int32Array): void {
  // Only the holder clears the word; others only set its contended bit: an exchange is exact.
  const c = Atomics.exchange(i32, WRITER, 0);
  if ((c & 1) === 1) wake(i32, WRITER, Infinity);
}

/**
 * Flags every slot in use (readers can no longer start in them) and says
 * who still reads: 0 when nobody; else the first live reader's id, or minus
 * the id of a reader that died holding a read lock (`recover`: its slot is
 * freed instead). The idle slots of dead agents are freed. The caller has the
 * writer word. Free slots are not flagged: a reader that claims one reads the
 * writer word after its claim and gives the slot up.
 */
function readersLeft(i32: Int32Array, seat: Seat, recover: boolean): number {
  const used = usedSlots(i32, seat);
  let died = 0;
  let live = 0;
  // Every slot in use is flagged, also past a live reader: its owner's next read (a CAS of its kept
  // idle word) must fail and see this writer, or readers in later slots went on while it waited.
  for (let k = 0; k < used; k++) {
    const at = slotAt(k);
    let a = Atomics.load(i32, at);
    if (a === 0 || a === FLAG) continue;
    if ((a & FLAG) === 0) a = Atomics.or(i32, at, FLAG) | FLAG;
    const name = nameOf(a);
    if (name === 0) continue;
    if (!hasExited(name)) {
      if ((a & HELD) !== 0 && live === 0) live = name;
      continue;
    }
    // A dead agent's word changes no more but by a claim: the CASes below fail if one came first.
    if ((a & HELD) === 0) {
      Atomics.compareExchange(i32, at, a, FLAG);
    } else if (!recover) {
      // Live readers first: a writer that would wait for them waits, and hears of the dead after.
      if (died === 0) died = name;
    } else {
      // Freed: its depth zeroed first (nobody else writes a dead holder's depth, and the flag keeps
      // claimers out until this writer's release), so a kill between the two leaves a consistent slot.
      Atomics.store(i32, at + DEPTH, 0);
      Atomics.compareExchange(i32, at, a, FLAG);
    }
  }
  return live !== 0 ? live : -died;
}

/** Releases the caller's write lock; `false` (nothing changed) if it does not hold it. */
export function releaseWrite(i32: Int32Array, seat: Seat): boolean {
  checkStop();
  const me = agentId();
  if (Atomics.load(i32, WRITER) >>> 1 !== me || Atomics.load(i32, ACTIVE) !== me) return false;
  Atomics.store(i32, ACTIVE, 0);
  unflag(i32, seat);
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
    const fate = deadWriter(i32, seat, w);
    if (fate === CLEARED) continue;
    if (fate === DIED) {
      if (!recover) return ownerDied(holder, once);
      // The caller repaired what the dead writer left: clear it (ACTIVE first), then read.
      if (Atomics.compareExchange(i32, ACTIVE, holder, 0) === holder) deadWriter(i32, seat, w);
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
    const fate = deadWriter(i32, seat, w);
    if (fate === CLEARED) continue;
    if (fate === DIED) {
      if (!recover) return ownerDied(holder, once);
      // The dead writer had drained (and flagged) the readers: take it over as it is.
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
    // From here on readers that leave bump `DRAIN`: what the spin and the sleep below watch.
    if (!once) Atomics.store(i32, DRAIN_SLEEPS, 1);
    for (;;) {
      const epoch = Atomics.load(i32, DRAIN);
      const reader = readersLeft(i32, seat, recover);
      if (reader === 0) break;
      // A reader died holding: reported like a dead writer (the word is given back below).
      if (reader < 0) return ownerDied(-reader, once);
      if (reader === me && sync && deadline === Infinity) {
        throw selfDeadlock("holds a read lock of this RwLock (a read lock cannot be upgraded)");
      }
      if (once) return false;
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
    // Timed out, aborted or terminated: the readers held back may go on (flags first, then the word).
    if (!held) {
      checkStop();
      unflag(i32, seat);
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

/**
 * How many `pause`s a blocking acquire with no options spins on its own
 * before the general (generator) path: a read-mostly writer's section, or the
 * read a writer waits for, is often over within it, and this spin allocates
 * nothing and reads no clock. About a microsecond; the generator path's
 * learned spin and sleep follow.
 */
const BRIEF_SPINS = 128;

/**
 * A blocking read after {@linkcode readFast} failed: {@linkcode readOnce},
 * and while a writer is there, a brief spin until its word changes, then
 * once more. `false`: still kept out (a dead writer, its own thread's, or a
 * long write): the caller goes on with {@linkcode reading}.
 */
export function readBrief(i32: Int32Array, seat: Seat, me: number): boolean {
  let w = readOnce(i32, seat, me, true);
  for (let n = 0; w !== 0 && n < BRIEF_SPINS; n++) {
    pause();
    if (Atomics.load(i32, WRITER) !== w) w = readOnce(i32, seat, me, true);
  }
  return w === 0;
}

/**
 * A blocking write after {@linkcode writeFast} took the word but found
 * readers: a brief spin until they have left, then `ACTIVE`. `false`: a
 * reader still holds (or died holding, or is this thread): the caller goes
 * on with {@linkcode draining}, the word and flags still its own.
 */
export function drainBrief(i32: Int32Array, seat: Seat): boolean {
  const me = agentId();
  for (let n = 0; n < BRIEF_SPINS; n++) {
    pause();
    const reader = readersLeft(i32, seat, false);
    if (reader === 0) {
      Atomics.store(i32, ACTIVE, me);
      return true;
    }
    if (reader < 0 || reader === me) return false;
  }
  return false;
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
 * the marked value; a writer sleeps on `DRAIN` once `DRAIN_SLEEPS` says so
 * (`draining` sets it first; else it says so and looks at the readers once
 * more). `undefined`: look again instead of sleeping.
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
