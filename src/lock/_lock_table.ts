/**
 * The shared state behind `LockManager`: the W3C Web Locks "lock request
 * queue map" and "held lock set" of every agent, in one block of shared
 * memory, changed only under an internal mutex (`core/_mutex.ts`).
 *
 * Three tables, each scanned up to its high-water mark:
 *
 * - **records**, one per request that is pending or held (or held and since
 *   stolen, until its callback settles): its state, agent, name entry, mode,
 *   its place in the queue (`ORDER`, from a counter: FIFO per name, as the
 *   spec orders requests) and its place among grants (`GRANT`, what `query`
 *   lists held locks by). A record exists once its `STATE` word says so: the
 *   other words are written first.
 * - **name entries**: a name's length, hash, where its UTF-16 code units lie
 *   in the text arena, and a generation (bumped whenever the entry is
 *   rewritten, so a thread's cache of name → entry can be checked in O(1)).
 *   An entry no record refers to is a cache, reused when a new name needs
 *   room.
 * - the **text arena** of names, `nameCapacity` code units.
 *
 * A request is granted when no earlier request of its name waits and the
 * held locks of its name allow it (none, or only shared ones for a shared
 * request): granting writes `GRANT`, stores `HELD` and notifies the record's
 * `STATE` word, which its agent spins or sleeps on.
 *
 * A worker may die at any instruction, also holding the internal mutex (the
 * next locker takes a dead holder's mutex over). What a kill leaves, and who
 * repairs it:
 *
 * | the worker is killed right after…                         | it leaves                                           | repaired by |
 * |-----------------------------------------------------------|-----------------------------------------------------|-------------|
 * | taking the internal mutex, anywhere inside                | the mutex naming the dead                           | the next locker takes it over, then repairs what follows |
 * | writing a record's words, before its `STATE` store        | a free record with stale words                      | nothing: free |
 * | its `STATE` store (pending or held), or any later point   | a record of the dead                                | every locker, once the domain's exit count moved: the record is freed and its name's queue processed (a dead client's locks are released) |
 * | `DIRTY` = a name, while it changes that name's queue      | part of the change (requests freed, granted, stolen) | the next locker processes that name's queue again (idempotent) and wakes the holders of stolen locks |
 * | a grant's `STATE` store, before its notify                | a granted request whose agent sleeps                | its agent re-reads `STATE` every {@linkcode POLL_MS} |
 * | invalidating a name entry (`LEN` = 0), before its rewrite | an invalid entry                                    | nothing: reusable; no record refers to it |
 * | a steal: some holders marked `STOLEN`                     | stolen locks, the stealer's record not yet there    | `DIRTY` (above): the queue goes on without the dead stealer |
 *
 * Limits, each a `RangeError` from `request()` when passed, nothing changed:
 * `maxRequests` records (requests pending or held at once, in all agents),
 * as many name entries, and `nameCapacity` code units for the distinct names
 * in use at once.
 *
 * @module
 */

import { agentId, exitCount, hasExited } from "../core/_agent.ts";
import { lockInternal, lockInternalAsync, tryLock, unlock } from "../core/_mutex.ts";
import { canBlock, DEATH_POLL_MS } from "../core/_wait.ts";

/** The internal mutex (`_mutex.ts`; word 2 kept spare for it). */
const MUTEX = 1;
/** The name entry + 1 whose queue a locker is changing; 0 when none. */
const DIRTY = 3;
/** The next queue position (wrapping: records compare by difference). */
const SEQ = 4;
/** The next grant position. */
const GSEQ = 5;
/** Bumped (and notified) by every steal: what holders watch. */
export const STEALS = 6;
/** High-water marks of the record and name tables. */
const RECORDS_USED = 7;
const NAMES_USED = 8;
/** The header is one 64-byte line. */
const HEADER = 16;

/** Record words. */
const REC_WORDS = 8;
const STATE = 0;
const AGENT = 1;
const NAME = 2;
const MODE = 3;
const ORDER = 4;
const GRANT = 5;

/** Record states. */
const FREE = 0;
/** Waiting in its name's queue. */
export const PENDING = 1;
/** Granted. */
export const HELD = 2;
/** Granted, then stolen: no longer held; freed when its callback settles. */
export const STOLEN = 3;

/** Modes. */
export const EXCLUSIVE = 0;
export const SHARED = 1;

/** Name entry words: `LEN` is the length + 1 (0: invalid), then the hash, the arena offset, the generation. */
const NAME_WORDS = 4;
const LEN = 0;
const HASH = 1;
const OFFSET = 2;
const GEN = 3;

/** Sleepers re-check this often: nobody notifies a death. */
export const POLL_MS: number = DEATH_POLL_MS;

/** Defaults and bounds of the options. */
export const DEFAULT_MAX_REQUESTS = 1024;
export const MAX_MAX_REQUESTS = 65536;
export const DEFAULT_NAME_CAPACITY = 16384;
export const MAX_NAME_CAPACITY: number = 1 << 22;

/** The sizes a `LockManager` is made with. */
export interface TableSize {
  /** Records (and name entries). */
  readonly maxRequests: number;
  /** UTF-16 code units of the text arena. */
  readonly nameCapacity: number;
}

function namesAt(size: TableSize): number {
  return HEADER + size.maxRequests * REC_WORDS;
}

function arenaAt(size: TableSize): number {
  return namesAt(size) + size.maxRequests * NAME_WORDS;
}

/** The byte length of a table of `size`. */
export function bytesFor(size: TableSize): number {
  return arenaAt(size) * 4 + size.nameCapacity * 2;
}

/** What `query()` reports of one request. */
export interface RequestInfo {
  readonly name: string;
  readonly mode: number;
  readonly agent: number;
}

/** FNV-1a over UTF-16 code units. */
function hashOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Compares two positions of a wrapping counter. */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** A thread's view of one LockManager's memory (every method but `lock*` needs the mutex held). */
export class LockTable {
  readonly i32: Int32Array;
  readonly size: TableSize;
  readonly #text: Uint16Array;
  readonly #names: number;
  /** The domain's exit count when this thread last looked for dead agents' records. */
  #checkedAt = -1;
  /** name → [entry, generation], checked against the entry before use. */
  readonly #cache = new Map<string, [number, number]>();

  constructor(i32: Int32Array, size: TableSize) {
    this.i32 = i32;
    this.size = size;
    this.#names = namesAt(size);
    this.#text = new Uint16Array(i32.buffer, i32.byteOffset + arenaAt(size) * 4, size.nameCapacity);
  }

  // ------------------------------------------------------------- mutex --

  /** Takes the internal mutex (blocking, or async where this thread may not block) and repairs. */
  lock(): void | Promise<void> {
    if (tryLock(this.i32, MUTEX) || (canBlock() && (lockInternal(this.i32, MUTEX), true))) {
      this.#repair();
      return;
    }
    return lockInternalAsync(this.i32, MUTEX).then(() => this.#repair());
  }

  unlock(): void {
    unlock(this.i32, MUTEX);
  }

  /** Runs `f` under the mutex. */
  locked<T>(f: () => T): T | Promise<T> {
    const taken = this.lock();
    const run = (): T => {
      try {
        return f();
      } finally {
        this.unlock();
      }
    };
    return taken === undefined ? run() : taken.then(run);
  }

  /** Finishes what a dead locker left, and frees the records of dead agents. */
  #repair(): void {
    const i32 = this.i32;
    const dirty = i32[DIRTY];
    if (dirty !== 0) {
      this.#process(dirty - 1);
      // A stealer may have died before telling the holders it robbed.
      Atomics.notify(i32, STEALS);
      i32[DIRTY] = 0;
    }
    const exits = exitCount();
    if (exits === this.#checkedAt) return;
    this.#checkedAt = exits;
    const used = i32[RECORDS_USED];
    for (let r = 0; r < used; r++) {
      const at = HEADER + r * REC_WORDS;
      if (i32[at + STATE] === FREE || !hasExited(i32[at + AGENT])) continue;
      const e = i32[at + NAME];
      i32[DIRTY] = e + 1;
      Atomics.store(i32, at + STATE, FREE);
      this.#process(e);
      i32[DIRTY] = 0;
    }
  }

  /** Whether agents have exited since this thread last freed dead agents' records. */
  deathsToReap(): boolean {
    return exitCount() !== this.#checkedAt;
  }

  // ------------------------------------------------------------- records --

  /** The word of record `r`'s state (what its agent waits on). */
  stateWord(r: number): number {
    return HEADER + r * REC_WORDS + STATE;
  }

  state(r: number): number {
    return Atomics.load(this.i32, HEADER + r * REC_WORDS + STATE);
  }

  /** Grants record `r` (pending) and wakes its agent. */
  #grant(at: number): void {
    const i32 = this.i32;
    i32[at + GRANT] = i32[GSEQ];
    i32[GSEQ] = (i32[GSEQ] + 1) | 0;
    Atomics.store(i32, at + STATE, HELD);
    Atomics.notify(i32, at + STATE);
  }

  /**
   * Grants, in queue order, the pending requests of entry `e` that its held
   * locks allow: at most one exclusive, or a run of shared ones.
   */
  #process(e: number): void {
    const i32 = this.i32;
    const used = i32[RECORDS_USED];
    let held = false;
    let exclusive = false;
    const pending: number[] = [];
    for (let r = 0; r < used; r++) {
      const at = HEADER + r * REC_WORDS;
      const s = i32[at + STATE];
      if (s === FREE || s === STOLEN || i32[at + NAME] !== e) continue;
      if (s === HELD) {
        held = true;
        if (i32[at + MODE] === EXCLUSIVE) exclusive = true;
      } else pending.push(at);
    }
    if (exclusive || pending.length === 0) return;
    pending.sort((a, b) => before(i32[a + ORDER], i32[b + ORDER]) ? -1 : 1);
    for (const at of pending) {
      if (i32[at + MODE] === EXCLUSIVE) {
        if (!held) this.#grant(at);
        return;
      }
      this.#grant(at);
      held = true;
    }
  }

  /** A free record for a new request, or a `RangeError` (nothing changed). */
  #freeRecord(): number {
    const i32 = this.i32;
    const max = this.size.maxRequests;
    for (let r = 0; r < max; r++) {
      if (i32[HEADER + r * REC_WORDS + STATE] === FREE) {
        if (r >= i32[RECORDS_USED]) i32[RECORDS_USED] = r + 1;
        return r;
      }
    }
    throw new RangeError(
      `More than ${max} lock requests are pending or held at once in this LockManager (its maxRequests); ` +
        "create it with new LockManager({ maxRequests }) for more",
    );
  }

  /** Writes record `r`'s words, then its state (the commit). */
  #fill(r: number, e: number, mode: number, state: number): void {
    const i32 = this.i32;
    const at = HEADER + r * REC_WORDS;
    i32[at + AGENT] = agentId();
    i32[at + NAME] = e;
    i32[at + MODE] = mode;
    i32[at + ORDER] = i32[SEQ];
    i32[SEQ] = (i32[SEQ] + 1) | 0;
    if (state === HELD) {
      i32[at + GRANT] = i32[GSEQ];
      i32[GSEQ] = (i32[GSEQ] + 1) | 0;
    }
    Atomics.store(i32, at + STATE, state);
  }

  /**
   * Queues a request for `name` (mutex held) and grants what can be granted:
   * its record, or -1 for an `ifAvailable` request that is not grantable now.
   * A steal marks the name's held locks `STOLEN` and is granted at once.
   */
  enter(name: string, mode: number, ifAvailable: boolean, steal: boolean): number {
    const i32 = this.i32;
    // A record first: the limit on requests is the one to report when both are reached.
    const r = this.#freeRecord();
    const e = this.#entry(name);
    if (ifAvailable) {
      if (!this.#grantable(e, mode)) return -1;
      this.#fill(r, e, mode, HELD);
      return r;
    }
    i32[DIRTY] = e + 1;
    if (steal) {
      let stolen = false;
      const used = i32[RECORDS_USED];
      for (let k = 0; k < used; k++) {
        const at = HEADER + k * REC_WORDS;
        if (i32[at + STATE] === HELD && i32[at + NAME] === e) {
          Atomics.store(i32, at + STATE, STOLEN);
          stolen = true;
        }
      }
      if (stolen) {
        Atomics.add(i32, STEALS, 1);
        Atomics.notify(i32, STEALS);
      }
      this.#fill(r, e, mode, HELD);
    } else {
      this.#fill(r, e, mode, PENDING);
      this.#process(e);
    }
    i32[DIRTY] = 0;
    return r;
  }

  /** Whether a request for entry `e` would be granted now: nobody waits, and the held locks allow it. */
  #grantable(e: number, mode: number): boolean {
    const i32 = this.i32;
    const used = i32[RECORDS_USED];
    for (let r = 0; r < used; r++) {
      const at = HEADER + r * REC_WORDS;
      const s = i32[at + STATE];
      if (s === FREE || s === STOLEN || i32[at + NAME] !== e) continue;
      if (s === PENDING || mode === EXCLUSIVE || i32[at + MODE] === EXCLUSIVE) return false;
    }
    return true;
  }

  /** Frees record `r` of this agent (held or stolen) and grants what follows; the state it had. */
  release(r: number): number {
    const i32 = this.i32;
    const at = HEADER + r * REC_WORDS;
    const s = i32[at + STATE];
    if (s === FREE || i32[at + AGENT] !== agentId()) return FREE;
    const e = i32[at + NAME];
    i32[DIRTY] = e + 1;
    Atomics.store(i32, at + STATE, FREE);
    if (s !== STOLEN) this.#process(e);
    i32[DIRTY] = 0;
    return s;
  }

  /** Withdraws record `r` if it is still pending (an abort); `false` if it was granted meanwhile. */
  withdraw(r: number): boolean {
    const i32 = this.i32;
    const at = HEADER + r * REC_WORDS;
    if (i32[at + STATE] !== PENDING || i32[at + AGENT] !== agentId()) return false;
    const e = i32[at + NAME];
    i32[DIRTY] = e + 1;
    Atomics.store(i32, at + STATE, FREE);
    // A withdrawn request at the head may have held back shared ones behind it.
    this.#process(e);
    i32[DIRTY] = 0;
    return true;
  }

  /** Held requests in grant order and pending ones in queue order. */
  snapshot(): { held: RequestInfo[]; pending: RequestInfo[] } {
    const i32 = this.i32;
    const used = i32[RECORDS_USED];
    const held: number[] = [];
    const pending: number[] = [];
    for (let r = 0; r < used; r++) {
      const at = HEADER + r * REC_WORDS;
      const s = i32[at + STATE];
      if (s === HELD) held.push(at);
      else if (s === PENDING) pending.push(at);
    }
    held.sort((a, b) => before(i32[a + GRANT], i32[b + GRANT]) ? -1 : 1);
    pending.sort((a, b) => before(i32[a + ORDER], i32[b + ORDER]) ? -1 : 1);
    const info = (at: number): RequestInfo => ({
      name: this.#nameOf(i32[at + NAME]),
      mode: i32[at + MODE],
      agent: i32[at + AGENT],
    });
    return { held: held.map(info), pending: pending.map(info) };
  }

  // --------------------------------------------------------------- names --

  #nameOf(e: number): string {
    const at = this.#names + e * NAME_WORDS;
    const len = this.i32[at + LEN] - 1;
    const off = this.i32[at + OFFSET];
    let s = "";
    // In chunks: String.fromCharCode's arguments are bounded.
    for (let i = 0; i < len; i += 8192) {
      s += String.fromCharCode(...this.#text.subarray(off + i, off + Math.min(len, i + 8192)));
    }
    return s;
  }

  #matches(e: number, name: string, hash: number): boolean {
    const at = this.#names + e * NAME_WORDS;
    const i32 = this.i32;
    if (i32[at + LEN] !== name.length + 1 || i32[at + HASH] !== hash) return false;
    const off = i32[at + OFFSET];
    const text = this.#text;
    for (let i = 0; i < name.length; i++) if (text[off + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  /** The entry of `name`, found or made (mutex held). */
  #entry(name: string): number {
    const i32 = this.i32;
    const cached = this.#cache.get(name);
    if (cached !== undefined) {
      const at = this.#names + cached[0] * NAME_WORDS;
      if (i32[at + GEN] === cached[1] && i32[at + LEN] === name.length + 1) return cached[0];
    }
    const hash = hashOf(name);
    const used = i32[NAMES_USED];
    for (let e = 0; e < used; e++) {
      if (this.#matches(e, name, hash)) return this.#remember(name, e);
    }
    return this.#remember(name, this.#newEntry(name, hash));
  }

  #remember(name: string, e: number): number {
    // A bounded cache: a thread that uses many names once must not grow it without end.
    if (this.#cache.size >= 256) this.#cache.clear();
    this.#cache.set(name, [e, this.i32[this.#names + e * NAME_WORDS + GEN]]);
    return e;
  }

  /** Makes an entry for `name`: a slot and arena room no request's name uses; else a `RangeError`. */
  #newEntry(name: string, hash: number): number {
    const i32 = this.i32;
    const { maxRequests: max, nameCapacity } = this.size;
    const referenced = new Uint8Array(max);
    const usedRecords = i32[RECORDS_USED];
    for (let r = 0; r < usedRecords; r++) {
      const at = HEADER + r * REC_WORDS;
      if (i32[at + STATE] !== FREE) referenced[i32[at + NAME]] = 1;
    }
    // The slot: an invalid entry first, else one no request refers to (a cached name).
    let slot = -1;
    for (let e = 0; e < max && slot < 0; e++) if (i32[this.#names + e * NAME_WORDS + LEN] === 0) slot = e;
    for (let e = 0; e < max && slot < 0; e++) if (referenced[e] === 0) slot = e;
    if (slot < 0) {
      throw new RangeError(
        `More than ${max} distinct lock names are in use at once in this LockManager (its maxRequests)`,
      );
    }
    // Room in the arena: the first gap between the texts of referenced entries.
    const ranges: [number, number][] = [];
    const usedNames = i32[NAMES_USED];
    for (let e = 0; e < usedNames; e++) {
      const at = this.#names + e * NAME_WORDS;
      if (referenced[e] === 1 && e !== slot && i32[at + LEN] > 1) {
        ranges.push([i32[at + OFFSET], i32[at + LEN] - 1]);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const len = name.length;
    let off = 0;
    for (const [start, n] of ranges) {
      if (start - off >= len) break;
      off = Math.max(off, start + n);
    }
    if (off + len > nameCapacity) {
      throw new RangeError(
        `The names in use in this LockManager would need more than its nameCapacity of ${nameCapacity} ` +
          `UTF-16 code units (a name of ${len}); create it with new LockManager({ nameCapacity }) for more`,
      );
    }
    // Cached names whose text lies there (and the slot's old name) stop being found first.
    for (let e = 0; e < usedNames; e++) {
      const at = this.#names + e * NAME_WORDS;
      if (e === slot || referenced[e] === 1 || i32[at + LEN] <= 1) continue;
      const start = i32[at + OFFSET];
      if (start < off + len && off < start + i32[at + LEN] - 1) Atomics.store(i32, at + LEN, 0);
    }
    const at = this.#names + slot * NAME_WORDS;
    Atomics.store(i32, at + LEN, 0);
    if (slot >= usedNames) i32[NAMES_USED] = slot + 1;
    for (let i = 0; i < len; i++) this.#text[off + i] = name.charCodeAt(i);
    i32[at + HASH] = hash;
    i32[at + OFFSET] = off;
    i32[at + GEN] = (i32[at + GEN] + 1) | 0;
    Atomics.store(i32, at + LEN, len + 1);
    return slot;
  }
}
