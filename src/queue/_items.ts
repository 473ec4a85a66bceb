/**
 * The item ring under `Queue`, `SimpleQueue`, `JoinableQueue` and each
 * direction of a `Pipe`: items of any size, as bytes, in a bounded byte
 * area of shared memory, any number of producers and consumers, each item
 * delivered exactly once or not put.
 *
 * ## Records
 *
 * The area (`bytes`, a multiple of 8) holds records back to back, wrapping
 * at its end: a 16-byte header `[LEN, FLAGS, TICKET, TOTAL]` and `LEN`
 * bytes of payload, padded to 8. An item whose record fits in the area (less
 * {@linkcode RESERVE}) is one record (`FIRST | LAST`); a larger one is
 * streamed: a `FIRST` part (its `TOTAL` says the item's length), parts, and
 * a `LAST` part, each as large as the free room allows, while the consumer
 * copies them out. `ABORT` (a header alone) ends a stream that will not be
 * finished. `SHARED`: the item's shared buffers travel apart (`_shared.ts`),
 * under its `TICKET`. `RAW`: bytes from `sendBytes`, not an encoded value.
 *
 * `HEAD` (producers) and `TAIL` (consumers) count bytes modulo `limit`, a
 * multiple of `bytes` below 2²⁹; each is moved only by the holder of its
 * side's lock (and `close`, which ors `CLOSED` into `HEAD`). Bit 0 of `HEAD`
 * (`OPEN`) says a stream is being written, bit 0 of `TAIL` (`MID`) that one
 * is being read; they change in the same store as the position, so a kill
 * can never leave the position and the flag apart.
 *
 * ## Two locks, so parts never interleave
 *
 * A producer writes under the put lock, a consumer reads under the get lock
 * (`core/_mutex.ts` words: the holder's agent id, taken in one compare-and-
 * swap). A lock is held only to copy bytes, except while a stream is being
 * written or read: then it is held from the first part to the last, so no
 * other producer's record can fall between two parts of an item and no other
 * consumer can take a part of it. Encoding and decoding happen outside the
 * locks (each side copies from or into a scratch buffer of its own), so
 * producers encode and consumers decode in parallel; a value get decodes a
 * large item in the ring instead, under the get lock (see `tryGet`: one
 * copy fewer). Nobody waits holding a
 * lock, but a stream's writer for room and its reader for parts; waiters
 * spin a moment, then sleep on an epoch word per side (`ROOM`, `DATA`), and
 * are counted so that only sleepers are notified.
 *
 * ## Counts
 *
 * `PUTS` counts complete items put, `GETS` items taken: `qsize` is their
 * difference, `maxsize` bounds it, `JoinableQueue` counts `TASKS_DONE`
 * against `PUTS`. `PUTS` goes up before the item is published and `GETS`
 * before `TAIL` moves, each after a journal (`…_SEQ`, `…_END`, `…_J`) that a
 * lock's next holder reads to undo a count whose move never happened.
 *
 * ## Kill points (see docs/faults.md)
 *
 * A worker may die at any instruction. The dead holder's lock names it; a
 * survivor that needs the lock takes it over once `Process` has marked it
 * exited (`takeOver`) and repairs:
 *
 * | a producer killed…                         | leaves                                | the next put-lock holder (a producer, a consumer waiting for parts, a joiner) |
 * | ------------------------------------------ | ------------------------------------- | --------------------------------------------------------------------------- |
 * | holding the lock, before publishing        | bytes past `HEAD`, unseen             | nothing: the next producer writes over them |
 * | after `PUTS`+1, before publishing          | `PUTS` one too high, `PUT_J` = 1      | the journal: `HEAD ≠ PUT_END`, so `PUTS` goes back |
 * | after publishing, before `PUT_J` = 0       | a finished item                       | the journal: `HEAD = PUT_END`, nothing to undo |
 * | mid-stream (`HEAD` has `OPEN`)             | parts published, no `LAST`            | writes an `ABORT` record (`RESERVE` keeps room for it): the reader drops the parts; the item was never put |
 *
 * | a consumer killed…                         | leaves                                | the next get-lock holder (a consumer) |
 * | ------------------------------------------ | ------------------------------------- | ------------------------------------- |
 * | holding the lock, before `GETS`+1 (a large item's decode in place included) | the item at `TAIL`                    | nothing: it is delivered to the next consumer (redelivered, never seen before) |
 * | after `GETS`+1, before `TAIL` moves        | `GETS` one too high, `GET_J` = 1      | the journal: `TAIL ≠ GET_END`, `GETS` goes back; the item is delivered |
 * | after `TAIL` moved past a whole item       | nothing                               | the item was lost with its consumer (as Channel's C2) |
 * | mid-stream (`TAIL` has `MID`)              | the parts it took, gone               | reads the rest of the item and drops it (counted as taken, and as done) |
 *
 * So an item is taken at the store that moves `TAIL` past its last byte, or
 * past its first part when streamed: before that, a killed consumer's item
 * is delivered to another; after, it is lost with it. A half-put item is
 * never seen: a single record is published whole, and a stream's parts are
 * dropped by its reader.
 *
 * @module
 */

import { agentId, hasExited } from "../core/_agent.ts";
import { takeOver, tryLock, unlock } from "../core/_mutex.ts";
import { pause } from "../core/_spin.ts";
import { DEATH_POLL_MS, TerminatedError, wake } from "../core/_wait.ts";
import { WaitBudget } from "../core/_wait_budget.ts";

const W = 32;
/** Group 0 (read-only after creation, but `WANTS`): the shape. Word 0 is the kind's magic (region 0). */
export const BYTES = 1;
/** The most items (0: no limit but the bytes). */
export const MAXSIZE = 2;
/** Two random words naming the ring's broadcast channel (`_shared.ts`). */
export const ID = 3;
/** Bumped by a consumer that lacks an item's shared buffers: holders offer theirs again. */
export const WANTS = 5;
/** Group 1, producers: the put lock (a `_mutex.ts` word). */
export const PUT_LOCK: number = W;
/** Published bytes (a position), `| OPEN` while a stream is written, `| CLOSED` once closed. */
export const HEAD: number = W + 1;
/** Complete items put. */
export const PUTS: number = W + 2;
/** The put journal: the `PUTS` before the item, the `HEAD` after it, and whether it is live. */
export const PUT_SEQ: number = W + 3;
export const PUT_END: number = W + 4;
export const PUT_J: number = W + 5;
/** The next ticket of an item with shared buffers. */
export const TICKETS: number = W + 6;
/** Group 2, consumers: the get lock. */
export const GET_LOCK: number = 2 * W;
/** Consumed bytes (a position), `| MID` while a stream is read. */
export const TAIL: number = 2 * W + 1;
/** Items taken. */
export const GETS: number = 2 * W + 2;
/** The get journal, as the put journal. */
export const GET_SEQ: number = 2 * W + 3;
export const GET_END: number = 2 * W + 4;
export const GET_J: number = 2 * W + 5;
/** One past the ticket of the last item with shared buffers taken: older tickets are done. */
export const DONE_TICKET: number = 2 * W + 6;
/**
 * Group 3: producers waiting for room (the sleepers word), then their epoch,
 * then `REG` and `WOKE` (see {@linkcode TRACKED}).
 */
export const ROOM: number = 3 * W;
/** Group 4: consumers waiting for data, as group 3. */
export const DATA: number = 4 * W;
/** Group 5: `JoinableQueue`'s done tasks; joiners waiting, as group 3. */
export const TASKS_DONE: number = 5 * W;
export const JOINERS: number = 5 * W + 1;
/**
 * A sleepers word counts every sleeper in its low 16 bits (anyone may add
 * and subtract 1 around a sleep: `pollSync`, the Pool's workers, async
 * waits), and in its high 16 bits the tracked ones: blocking puts and gets,
 * which also count their arrival in `REG` (the word + 2), after reading the
 * epoch and before re-checking their condition. A waker stores in `WOKE`
 * (the word + 3) the `REG` it read before it bumps the epoch, when its
 * wake-up reaches every sleeper counted: each one that arrived before that
 * read either sleeps on the old epoch (woken) or sees the new one (does not
 * sleep). So while every sleeper is tracked and `REG` still equals `WOKE`,
 * there is no one left to wake, and the next wakers skip the notify.
 * Measured: a producer filling a ring faster than its consumer took sleeps
 * its consumer paid a notify per get for (575,000 notifies for 9,000 sleeps).
 */
const TRACKED = 1 + (1 << 16);
const REG = 2;
const WOKE = 3;
/** The control words' bytes: six groups 128 bytes apart (producers and consumers never share a line). */
export const CONTROL_BYTES = 768;
/**
 * From this many payload bytes a get given a decoder decodes the item in
 * the ring rather than copying it out first (see `tryGet`): below, the copy
 * costs less than a decode's first touch of shared memory.
 */
export const IN_PLACE_MIN: number = 1 << 15;

/** `HEAD` bit: closed. */
export const CLOSED: number = 1 << 30;
/** `HEAD` bit 0: a stream is being written. `TAIL` bit 0: one is being read. */
export const OPEN = 1;
export const MID = 1;
const POS: number = (1 << 30) - 8;

/** A record header's bytes. */
export const REC = 16;
/** Room always kept free for an `ABORT` record. */
export const RESERVE = 16;
/** Header flags. */
export const FIRST = 1;
export const LAST = 2;
export const ABORT = 4;
export const SHARED = 8;
export const RAW = 16;

/** The least and most `bytes` a ring may have. */
export const MIN_BYTES = 64;
export const MAX_BYTES: number = 1 << 28;

/** Outcomes (a non-negative number is a length or a position). */
export const BUSY = -1;
export const WAITING = -2;
export const ENDED = -3;
export const TIMED_OUT = -4;
export const NEED_SHARED = -5;
export const TOO_LONG = -6;
/** `tryGet` took a stream's first part: the rest follows in `get`. */
export const STREAM = -7;
/** A blocking get met a stream this very thread is writing (an async put): it cannot wait for it. */
export const OWN_STREAM = -8;
/**
 * A blocking put or get found its side's lock held by an async call of this
 * very thread (a stream being written or read, across awaits): the lock
 * cannot be released while this thread blocks, so waiting would never end.
 */
export const OWN_LOCK = -9;
/** `get`'s `first`: nothing tried yet. */
export const UNTRIED = -100;

/** Any length fits (the receive limit of `get`). */
export const ANY = -1;
/** What a step yields to wait for an item's shared buffers (else: an epoch word to sleep on). */
export const SHARED_WAIT = -1;

const POLL_MS = DEATH_POLL_MS;
const ASYNC_SPIN_MS = 0.02;
/**
 * The most a stream's writer spins for room, and its reader for the next
 * part, before sleeping (ms; async calls: at most `ASYNC_SPIN_MS`; learned
 * below that, see `core/_wait_budget.ts`): the other side holds its lock and is
 * copying a part (a few µs for the parts of a 64 KiB ring), and a sleep
 * costs a wake-up per part. Measured, 1 MB values through 64 KiB: 0.2 ms was
 * enough on Node, Deno and Bun, not in Chromium, whose workers wake later
 * (0.15 GB/s, every part a sleep; 1.8 GB/s at 1 ms).
 */
const STREAM_SPIN_MS = 1;
/** The most a blocking put or get spins before sleeping (ms; learned below that, see `core/_wait_budget.ts`). */
const SPIN_MAX_MS = 0.5;

function up8(n: number): number {
  return (n + 7) & ~7;
}

/** What the ring asks of the value layer about shared buffers (`_shared.ts`). */
export interface SharedHooks {
  /** Posts an item's buffers under `ticket` (before the item is published). */
  offer(ticket: number, buffers: SharedArrayBuffer[]): void;
  /** The buffers of `ticket`, if this thread has them. */
  lookup(ticket: number): SharedArrayBuffer[] | undefined;
  /** Called at every wake-up of a wait: answers other threads' requests for buffers. */
  idle(): void;
}

/** The bytes one ring spans (control + area). */
export function ringBytes(bytes: number): number {
  return CONTROL_BYTES + bytes;
}

/** The protocol on one ring's words and area. */
export class Items {
  readonly i32: Int32Array;
  readonly bytes: number;
  readonly maxsize: number;
  readonly #u8: Uint8Array;
  /** The area's first word in `i32`. */
  readonly #w0: number;
  readonly #limit: number;
  /** The largest record a producer writes (one that leaves `RESERVE` free in an empty area). */
  readonly #maxRecord: number;
  /** The least room a stream's first part waits for. */
  readonly #partMin: number;
  /** `bytes - 8` where `bytes` is a power of two (positions are multiples of 8), else 0 (see `#offset`). */
  readonly #mask: number;
  /** Spin budgets: a put waiting for room, a get for an item; a stream's writer for room, its reader for a part. */
  readonly #waits: [WaitBudget, WaitBudget] = [new WaitBudget(SPIN_MAX_MS), new WaitBudget(SPIN_MAX_MS)];
  readonly #streamWaits: [WaitBudget, WaitBudget] = [
    new WaitBudget(STREAM_SPIN_MS),
    new WaitBudget(STREAM_SPIN_MS),
  ];
  hooks: SharedHooks | undefined;

  /**
   * Set by a get that decoded its item where it lay in the ring (see
   * `tryGet`'s `decode`): the value, or what the decode threw. The payload
   * is then not in `scratch`; the caller takes these (and clears `inPlace`).
   */
  inPlace = false;
  inPlaceValue: unknown;
  inPlaceError: unknown;

  /** What the last get delivered: its payload (in `scratch`), flags, ticket, shared buffers. */
  scratch: Uint8Array = new Uint8Array(256);
  flags = 0;
  ticket = 0;
  buffers: SharedArrayBuffer[] | undefined;
  /** The epoch value a yielded wait sleeps on; whether it ignores the deadline (a stream being read). */
  expect = 0;
  endless = false;
  /**
   * Called by this thread's gets under the get lock with the count of items
   * taken before the one it takes (`GETS`, wrapping), before the count moves:
   * `Pool`'s workers record which item they took before anyone can see it
   * taken (a kill right after the take leaves the claim behind).
   */
  onTake: ((n: number) => void) | undefined = undefined;
  /** A stream being read: bytes copied so far, and whether it is being dropped (its reader died). */
  #have = 0;
  #dropping = false;
  /**
   * `TAIL` as this producer last read it, and what keeps it good. `TAIL`
   * sits on the consumers' cache line: a load misses whenever a consumer
   * wrote it since, and makes the consumer's next write miss too. A producer
   * reuses the `TAIL` it read while `HEAD` and `PUTS` are what its own last
   * one-record put left (no other put since, so that `TAIL` is behind the
   * real one by less than a lap of positions: the room it shows is at most
   * the real room). (The same for consumers, `HEAD` reused while `TAIL` and
   * `GETS` are what their own last get left, failed the kill test: a get
   * that ends a stream, or takes one over, moves `TAIL` past any `HEAD` it
   * read. Not kept.)
   */
  #tailSeen = 0;
  #putEnd = -1;
  #putsSeen = 0;

  /** Wraps a ring whose words start at `i32[0]` and whose area follows the control words. */
  constructor(i32: Int32Array, bytes: number, maxsize: number) {
    this.i32 = i32;
    this.bytes = bytes;
    this.maxsize = maxsize;
    this.#u8 = new Uint8Array(i32.buffer, i32.byteOffset + CONTROL_BYTES, bytes);
    this.#w0 = CONTROL_BYTES / 4;
    this.#limit = bytes * Math.floor((1 << 29) / bytes);
    this.#maxRecord = bytes - RESERVE;
    this.#partMin = Math.max(REC + 8, ((bytes - RESERVE) >> 2) & ~7);
    this.#mask = (bytes & (bytes - 1)) === 0 ? bytes - 8 : 0;
  }

  /** Writes the shape of a new ring (new memory only). */
  init(): void {
    const i32 = this.i32;
    i32[BYTES] = this.bytes;
    i32[MAXSIZE] = this.maxsize;
    const id = crypto.getRandomValues(new Int32Array(2));
    i32[ID] = id[0];
    i32[ID + 1] = id[1];
  }

  /** The ring's name for its broadcast channel. */
  name(): string {
    return `${(this.i32[ID] >>> 0).toString(36)}.${(this.i32[ID + 1] >>> 0).toString(36)}`;
  }

  // --- positions and records ---

  #adv(pos: number, n: number): number {
    const p = pos + n;
    return p >= this.#limit ? p - this.#limit : p;
  }

  #used(head: number, tail: number): number {
    const d = (head & POS) - (tail & POS);
    return d >= 0 ? d : d + this.#limit;
  }

  /** The offset in the area of position `pos` (a mask where `bytes` is a power of two: `%` costs tens of cycles). */
  #offset(pos: number): number {
    const mask = this.#mask;
    return mask !== 0 ? pos & mask : (pos & POS) % this.bytes;
  }

  /** The index in `i32` of word `k` of the header at `pos`. */
  #hw(pos: number, k: number): number {
    let off = this.#offset(pos) + 4 * k;
    if (off >= this.bytes) off -= this.bytes;
    return this.#w0 + (off >> 2);
  }

  /** The index in `i32` of the header at `pos` when its 4 words do not wrap, else -1. */
  #header(pos: number): number {
    const off = this.#offset(pos);
    return off + REC <= this.bytes ? this.#w0 + (off >> 2) : -1;
  }

  #copyIn(src: Uint8Array, from: number, len: number, pos: number): void {
    if (len === 0) return;
    const bytes = this.bytes;
    let off = this.#offset(pos) + REC;
    if (off >= bytes) off -= bytes;
    const u8 = this.#u8;
    const n = Math.min(len, bytes - off);
    u8.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), off);
    if (n < len) u8.set(src.subarray(from + n, from + len), 0);
  }

  #copyOut(pos: number, len: number, into: Uint8Array, at: number): void {
    if (len === 0) return;
    const bytes = this.bytes;
    let off = this.#offset(pos) + REC;
    if (off >= bytes) off -= bytes;
    const u8 = this.#u8;
    const n = Math.min(len, bytes - off);
    if (n <= 64) {
      for (let i = 0; i < n; i++) into[at + i] = u8[off + i];
    } else {
      into.set(u8.subarray(off, off + n), at);
    }
    if (n < len) into.set(u8.subarray(0, len - n), at + n);
  }

  /**
   * Decodes the `len` payload bytes of the record at `pos` where they lie,
   * if they do not wrap at the area's end (`false`: not done). A decode that
   * throws still takes the item (as one out of `scratch` does, after the
   * take): its error is handed to the caller.
   */
  #decodeHere(pos: number, len: number, decode: (bytes: Uint8Array) => unknown): boolean {
    let off = this.#offset(pos) + REC;
    if (off >= this.bytes) off -= this.bytes;
    if (off + len > this.bytes) return false;
    this.inPlace = true;
    try {
      this.inPlaceValue = decode(this.#u8.subarray(off, off + len));
      this.inPlaceError = undefined;
    } catch (e) {
      this.inPlaceValue = undefined;
      this.inPlaceError = e;
    }
    return true;
  }

  #writeHeader(pos: number, len: number, flags: number, ticket: number, total: number): void {
    const i32 = this.i32;
    const h = this.#header(pos);
    if (h >= 0) {
      i32[h] = len;
      i32[h + 1] = flags;
      i32[h + 2] = ticket;
      i32[h + 3] = total;
      return;
    }
    i32[this.#hw(pos, 0)] = len;
    i32[this.#hw(pos, 1)] = flags;
    i32[this.#hw(pos, 2)] = ticket;
    i32[this.#hw(pos, 3)] = total;
  }

  #grow(n: number): void {
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2));
  }

  // --- state ---

  /** Whether the ring was closed. */
  closed(): boolean {
    return (Atomics.load(this.i32, HEAD) & CLOSED) !== 0;
  }

  /** Items put and not yet taken (never negative). */
  size(): number {
    const n = (Atomics.load(this.i32, PUTS) - Atomics.load(this.i32, GETS)) | 0;
    return n > 0 ? n : 0;
  }

  /** Whether a byte is waiting to be taken (or the ring is closed, when `orClosed`). */
  ready(orClosed: boolean): boolean {
    const head = Atomics.load(this.i32, HEAD);
    if (orClosed && (head & CLOSED) !== 0) return true;
    return (head & POS) !== (Atomics.load(this.i32, TAIL) & POS);
  }

  /** Closes: puts fail from now on; every sleeper wakes. `false` if it was closed already. */
  close(): boolean {
    const i32 = this.i32;
    if ((Atomics.or(i32, HEAD, CLOSED) & CLOSED) !== 0) return false;
    for (const at of [ROOM, DATA, JOINERS]) {
      Atomics.add(i32, at + 1, 1);
      wake(i32, at + 1, Infinity);
    }
    return true;
  }

  #wakeSide(at: number, all: boolean): void {
    const i32 = this.i32;
    if (Atomics.load(i32, at) === 0) return;
    // REG before the count: every arrival `reg` includes added itself to the count first, so `v` counts it
    // (unless it left). Read the other way round, a sleeper arriving between the two reads was in `reg`
    // but not in `v`: with one sleeper counted, `WOKE` claimed both woken by a notify of 1.
    const reg = Atomics.load(i32, at + REG);
    const v = Atomics.load(i32, at);
    // Every sleeper tracked, and none arrived since a wake-up that reached them all (see TRACKED).
    if ((v & 0xffff) === v >>> 16 && reg === Atomics.load(i32, at + WOKE)) return;
    // One notify reaches every sleeper only if there is at most one (else the next waker must wake too).
    Atomics.store(i32, at + WOKE, all || (v & 0xffff) <= 1 ? reg : (reg - 1) | 0);
    Atomics.add(i32, at + 1, 1);
    wake(i32, at + 1, all ? Infinity : 1);
  }

  /** Counts this thread in as a sleeper on side `at` (a blocking call: `tracked`); the unit to take off after. */
  #enter(at: number, tracked: boolean): number {
    const i32 = this.i32;
    if (!tracked) {
      Atomics.add(i32, at, 1);
      return 1;
    }
    Atomics.add(i32, at, TRACKED);
    Atomics.add(i32, at + REG, 1);
    return TRACKED;
  }

  /**
   * Releases the get lock after a try that took nothing (empty, too long,
   * buffers missing, the end, a stream dropped): a consumer that found the
   * lock held went to sleep counting on its holder's release, so one is
   * woken if an item (or the end) is there. Without it, a `getNowait` (or a
   * timed get's last try) holding the lock for a moment left a consumer
   * asleep beside an item until its next re-check (~50-100 ms).
   */
  #giveUpGet(): void {
    this.#unlockGet();
    if (Atomics.load(this.i32, DATA) !== 0 && this.ready(true)) this.#wakeSide(DATA, false);
  }

  /**
   * The put side's {@linkcode Items.#giveUpGet}: after a try that put
   * nothing, a producer is woken if the ring closed, or, when `wake` (a
   * call's one-shot try: `putNowait`, a put's first try, a timed put's
   * last), if a record could go in (the least there is: a smaller item than
   * the one given up may fit). Never from the tries of a put that waits:
   * two producers waiting for more room than there is woke each other at
   * every try (a livelock that starved their consumers: 60 s for a 1 s test).
   */
  #giveUpPut(wake = true): void {
    this.#unlockPut();
    const i32 = this.i32;
    if (Atomics.load(i32, ROOM) === 0) return;
    const head = Atomics.load(i32, HEAD);
    if (
      (head & CLOSED) !== 0 ||
      (wake && this.#room(head, REC) && (this.maxsize === 0 || this.size() < this.maxsize))
    ) this.#wakeSide(ROOM, false);
  }

  // --- repairs (see the tables above) ---

  /** Whether the lock word at `at` is held by an agent that has exited. */
  #deadHolder(at: number): boolean {
    const c = Atomics.load(this.i32, at);
    return c !== 0 && hasExited(c >>> 1);
  }

  /**
   * Takes the put lock over from a dead producer and repairs what it left:
   * a count the journal undoes, a stream the `ABORT` record ends. Anyone may
   * call it; only one takes over.
   */
  repairPut(): void {
    const i32 = this.i32;
    if (!this.#deadHolder(PUT_LOCK) || !takeOver(i32, PUT_LOCK)) return;
    if (i32[PUT_J] === 1) {
      const n = i32[PUT_SEQ];
      if (Atomics.load(i32, PUTS) === ((n + 1) | 0) && (Atomics.load(i32, HEAD) & ~CLOSED) !== i32[PUT_END]) {
        Atomics.store(i32, PUTS, n);
      }
      i32[PUT_J] = 0;
    }
    const head = Atomics.load(i32, HEAD);
    if ((head & OPEN) !== 0) this.#abortAt(head);
    this.#unlockPut();
    this.#wakeSide(ROOM, true);
    this.#wakeSide(JOINERS, true);
  }

  /** Writes an `ABORT` record at `head` (a stream's end) and publishes it. */
  #abortAt(head: number): void {
    // Once closed, nothing is published: readers see a stream that cannot end, and drop it.
    if ((head & CLOSED) !== 0) return;
    this.#writeHeader(head, 0, ABORT, 0, 0);
    Atomics.compareExchange(this.i32, HEAD, head, this.#adv(head & POS, REC));
    this.#wakeSide(DATA, true);
  }

  /** After taking the get lock over from a dead consumer: the journal; `true` if it was reading a stream. */
  #repairGet(): boolean {
    const i32 = this.i32;
    if (i32[GET_J] === 1) {
      const n = i32[GET_SEQ];
      if (Atomics.load(i32, GETS) === ((n + 1) | 0) && Atomics.load(i32, TAIL) !== i32[GET_END]) {
        Atomics.store(i32, GETS, n);
      }
      i32[GET_J] = 0;
    }
    return (Atomics.load(i32, TAIL) & MID) !== 0;
  }

  #unlockPut(): void {
    try {
      unlock(this.i32, PUT_LOCK);
    } catch (e) {
      if (!(e instanceof TerminatedError)) throw e;
    }
  }

  #unlockGet(): void {
    try {
      unlock(this.i32, GET_LOCK);
    } catch (e) {
      if (!(e instanceof TerminatedError)) throw e;
    }
  }

  // --- producers ---

  /** Whether `size` more bytes fit after `head`, keeping `RESERVE` free. */
  #room(head: number, size: number): boolean {
    return this.#used(head, Atomics.load(this.i32, TAIL)) + size <= this.#maxRecord;
  }

  /** `#room` for the put-lock holder, with the `TAIL` it read before while no other put came between (see `#tailSeen`). */
  #roomLocked(head: number, size: number): boolean {
    if (
      head === this.#putEnd && this.i32[PUTS] === this.#putsSeen &&
      this.#used(head, this.#tailSeen) + size <= this.#maxRecord
    ) return true;
    this.#tailSeen = Atomics.load(this.i32, TAIL);
    return this.#used(head, this.#tailSeen) + size <= this.#maxRecord;
  }

  /** `PUTS − GETS` as this producer (the put-lock holder) sees it: exact but for a lagging `GETS`. */
  #rawSize(): number {
    return (this.i32[PUTS] - Atomics.load(this.i32, GETS)) | 0;
  }

  /** The record size a put of `len` bytes waits for first: the whole record, or a stream's first part. */
  #need(len: number): number {
    const whole = REC + up8(len);
    return whole <= this.#maxRecord ? whole : this.#partMin;
  }

  /**
   * Takes the put lock with room for `need` bytes and a free item: the head
   * (the lock held), or {@linkcode BUSY}, {@linkcode WAITING}, {@linkcode ENDED}.
   * `wake`: see `#giveUpPut`.
   */
  #tryPutStart(need: number, wake = true): number {
    const i32 = this.i32;
    if (!tryLock(i32, PUT_LOCK)) {
      if ((Atomics.load(i32, HEAD) & CLOSED) !== 0) return ENDED;
      if (this.#deadHolder(PUT_LOCK)) this.repairPut();
      return BUSY;
    }
    const head = Atomics.load(i32, HEAD);
    if ((head & CLOSED) !== 0) {
      this.#giveUpPut(wake);
      return ENDED;
    }
    if (!this.#roomLocked(head, need) || (this.maxsize !== 0 && this.#rawSize() >= this.maxsize)) {
      this.#giveUpPut(wake);
      return WAITING;
    }
    return head;
  }

  /**
   * Publishes the last record (ending at `end`) of the item begun at
   * `head`'s lap: `PUTS` + 1 under the journal, then `HEAD`. `false` if the
   * ring closed meanwhile (nothing published, the count undone).
   */
  #publishLast(head: number, end: number): boolean {
    const i32 = this.i32;
    const n = i32[PUTS];
    i32[PUT_SEQ] = n;
    i32[PUT_END] = end;
    i32[PUT_J] = 1;
    Atomics.store(i32, PUTS, (n + 1) | 0);
    const ok = Atomics.compareExchange(i32, HEAD, head, end) === head;
    if (!ok) Atomics.store(i32, PUTS, n);
    i32[PUT_J] = 0;
    return ok;
  }

  /** After the put lock is released: wake a consumer, and pass a wake-up on to a producer if room is left. */
  #afterPut(): void {
    const i32 = this.i32;
    // TAIL is read only for sleepers: consumers write its line at every get, so each read misses.
    if (Atomics.load(i32, DATA) !== 0) this.#wakeSide(DATA, (Atomics.load(i32, TAIL) & MID) !== 0);
    if (Atomics.load(i32, ROOM) !== 0) this.#wakeSide(ROOM, false);
  }

  /**
   * One try at putting `src[0, len)` whole as one record (it must fit: see
   * `fitsOne`); `shared` is the item's buffers, if any. 0 when put, else
   * {@linkcode BUSY}, {@linkcode WAITING} or {@linkcode ENDED}.
   */
  tryPutOne(
    src: Uint8Array,
    len: number,
    raw: boolean,
    shared: SharedArrayBuffer[] | undefined,
    wake = true,
  ): number {
    const size = REC + up8(len);
    const head = this.#tryPutStart(size, wake);
    if (head < 0) return head;
    let flags = FIRST | LAST | (raw ? RAW : 0);
    let ticket = 0;
    const i32 = this.i32;
    try {
      if (shared !== undefined) {
        ticket = i32[TICKETS];
        i32[TICKETS] = (ticket + 1) | 0;
        flags |= SHARED;
        // Before the item is published: a consumer that sees it can find its buffers.
        this.hooks!.offer(ticket, shared);
      }
      this.#writeHeader(head, len, flags, ticket, len);
      this.#copyIn(src, 0, len, head);
    } catch (e) {
      this.#giveUpPut();
      throw e;
    }
    const end = this.#adv(head, size);
    const ok = this.#publishLast(head, end);
    if (ok) {
      // Only a one-record put keeps the TAIL it read (see #tailSeen): a stream can move HEAD by
      // any amount, past a lap of positions.
      this.#putEnd = end;
      this.#putsSeen = i32[PUTS];
    }
    this.#unlockPut();
    this.#afterPut();
    return ok ? 0 : ENDED;
  }

  /** Whether an item of `len` bytes goes as one record (else it is streamed). */
  fitsOne(len: number): boolean {
    return REC + up8(len) <= this.#maxRecord;
  }

  /**
   * A put of any size, written once for both forms: yields the epoch word to
   * sleep on (its value in `expect`) each time it must wait, and is resumed
   * with whether the deadline still lies ahead. Returns 0 once put,
   * {@linkcode ENDED} or {@linkcode TIMED_OUT}. `spin`: how long it may spin
   * before it first sleeps (ms); `sync`: a blocking call, which must not wait
   * for a lock an async call of its own thread holds.
   */
  *put(
    src: Uint8Array,
    len: number,
    raw: boolean,
    shared: SharedArrayBuffer[] | undefined,
    deadline: number,
    spin: number,
    sync: boolean,
  ): Generator<number, number, boolean> {
    const i32 = this.i32;
    const need = this.#need(len);
    const one = this.fitsOne(len);
    const start = performance.now();
    /** The clock as last read: it costs 50-160 ns a read here, a good part of a hand-off. */
    let now = start;
    const waits = this.#waits[0];
    /** This wait's spin (ms), fixed at its first miss (-1: not yet); whether it has slept. */
    let budget = -1;
    let slept = false;
    let head: number;
    // Phase 1: the lock, with room for the record or the first part.
    for (let first = true;; first = false) {
      // A give-up wakes a producer only at the first try (see `#giveUpPut`).
      const r = one ? this.tryPutOne(src, len, raw, shared, first) : this.#tryPutStart(need, first);
      if (one && r === 0) return 0;
      if (!one && r >= 0) {
        head = r;
        break;
      }
      if (r === ENDED) return ENDED;
      // The lock's holder is an async put of this thread writing a stream: it cannot go on while this blocks.
      if (r === BUSY && sync && (Atomics.load(i32, PUT_LOCK) >>> 1) === agentId()) return OWN_LOCK;
      if (now >= deadline) {
        // A spin that ran into the deadline missed as a sleep would have (see `get`).
        if (budget > 0 && !slept) waits.missed();
        return TIMED_OUT;
      }
      if (budget < 0) budget = Math.min(spin, waits.next());
      if (now - start < budget) {
        // Loads only until there is room (or the end) and the lock is free (see `get`).
        const stop = Math.min(start + budget, deadline);
        for (let k = 1;; k++) {
          pause();
          const h = Atomics.load(i32, HEAD);
          if (
            (h & CLOSED) !== 0 ||
            (Atomics.load(i32, PUT_LOCK) === 0 && this.#room(h, need) &&
              (this.maxsize === 0 || this.size() < this.maxsize))
          ) {
            // The clock of at most 8 loads ago: close enough to learn from.
            if (!slept) waits.caught(now - start);
            break;
          }
          if ((k & 7) === 0 && (now = performance.now()) >= stop) break;
        }
        continue;
      }
      const epoch = Atomics.load(i32, ROOM + 1);
      const unit = this.#enter(ROOM, sync);
      let woken = true;
      let again: number;
      try {
        again = one ? this.tryPutOne(src, len, raw, shared, false) : this.#tryPutStart(need, false);
        if (again === BUSY || again === WAITING) {
          if (!slept) waits.missed();
          slept = true;
          this.expect = epoch;
          this.endless = false;
          woken = yield ROOM + 1;
        }
      } finally {
        Atomics.sub(i32, ROOM, unit);
      }
      now = performance.now();
      if (one && again === 0) return 0;
      if (!one && again >= 0) {
        head = again;
        break;
      }
      if (again === ENDED) return ENDED;
      this.hooks?.idle();
      this.repairPut();
      if (!woken) {
        const last = one ? this.tryPutOne(src, len, raw, shared) : this.#tryPutStart(need);
        if (one) return last === 0 ? 0 : last === ENDED ? ENDED : TIMED_OUT;
        if (last === ENDED) return ENDED;
        if (last < 0) return TIMED_OUT;
        head = last;
        break;
      }
    }
    // Phase 2: a stream, holding the lock from its first part to its last.
    return yield* this.#stream(src, len, raw, shared, head, deadline, spin);
  }

  *#stream(
    src: Uint8Array,
    len: number,
    raw: boolean,
    shared: SharedArrayBuffer[] | undefined,
    head: number,
    deadline: number,
    spin: number,
  ): Generator<number, number, boolean> {
    const i32 = this.i32;
    const waits = this.#streamWaits[0];
    let flags = FIRST | (raw ? RAW : 0);
    let ticket = 0;
    let sent = 0;
    const begin = head & POS;
    let done = false;
    try {
      if (shared !== undefined) {
        ticket = i32[TICKETS];
        i32[TICKETS] = (ticket + 1) | 0;
        flags |= SHARED;
        this.hooks!.offer(ticket, shared);
      }
      for (;;) {
        const free = this.#maxRecord - this.#used(head, Atomics.load(i32, TAIL));
        // Parts of at least a quarter of the area (or the rest): tiny parts would cost a wake-up each.
        const want = Math.min(REC + up8(len - sent), this.#partMin);
        if (free >= want) {
          const part = Math.min(len - sent, (free - REC) & ~7);
          const last = sent + part === len;
          this.#writeHeader(head, part, flags | (last ? LAST : 0), ticket, len);
          this.#copyIn(src, sent, part, head);
          sent += part;
          const end = this.#adv(head & POS, REC + up8(part));
          if (last) {
            const ok = this.#publishLast(head, end);
            done = true;
            this.#unlockPut();
            this.#afterPut();
            return ok ? 0 : ENDED;
          }
          if (Atomics.compareExchange(i32, HEAD, head, end | OPEN) !== head) {
            // Closed: the reader sees a stream that cannot end, and drops it.
            done = true;
            this.#giveUpPut();
            return ENDED;
          }
          head = end | OPEN;
          flags &= ~FIRST;
          this.#wakeSide(DATA, true);
          continue;
        }
        // Wait for the reader to make room: it is copying a part out, so spin a moment first.
        if (performance.now() >= deadline) break;
        if (
          this.#spinFor(
            () => this.#maxRecord - this.#used(head, Atomics.load(i32, TAIL)) >= want,
            spin,
            waits,
          )
        ) continue;
        const epoch = Atomics.load(i32, ROOM + 1);
        Atomics.add(i32, ROOM, 1);
        let woken = true;
        try {
          if (this.#maxRecord - this.#used(head, Atomics.load(i32, TAIL)) < want && !this.closed()) {
            waits.missed();
            this.expect = epoch;
            this.endless = false;
            woken = yield ROOM + 1;
          }
        } finally {
          Atomics.sub(i32, ROOM, 1);
        }
        if (this.closed()) {
          done = true;
          this.#giveUpPut();
          return ENDED;
        }
        this.hooks?.idle();
        if (!woken && this.#maxRecord - this.#used(head, Atomics.load(i32, TAIL)) < want) break;
      }
      // Timed out mid-stream: the item is withdrawn whole.
      done = true;
      this.#withdraw(head, begin);
      return TIMED_OUT;
    } catch (e) {
      if (!done && !(e instanceof TerminatedError)) {
        this.#withdraw(head, begin);
      }
      throw e;
    }
  }

  /**
   * Ends a stream begun at `begin` that will not be finished (timeout,
   * abort): an `ABORT` record, then, if no reader has taken its first part
   * yet, the writer passes the parts itself (as a reader that drops them), so
   * they hold no room; then the put lock goes.
   */
  #withdraw(head: number, begin: number): void {
    const i32 = this.i32;
    if ((head & OPEN) !== 0) {
      this.#abortAt(head);
      if (tryLock(i32, GET_LOCK)) {
        if (Atomics.load(i32, TAIL) === begin) {
          Atomics.store(i32, TAIL, Atomics.load(i32, HEAD) & POS);
          this.#wakeSide(ROOM, false);
        }
        this.#giveUpGet();
      }
    }
    // Producers that found the lock held for the whole stream sleep until its release.
    this.#giveUpPut();
  }

  // --- consumers ---

  /** Takes `TAIL` from `tail` to `end` for a whole item, under the journal (`GETS` + 1 first). */
  #commit(end: number): void {
    const i32 = this.i32;
    const n = i32[GETS];
    i32[GET_SEQ] = n;
    i32[GET_END] = end;
    i32[GET_J] = 1;
    // Before GETS counts the item: whoever sees it counted also sees who took it (Pool's claims).
    this.onTake?.(n);
    Atomics.store(i32, GETS, (n + 1) | 0);
    Atomics.store(i32, TAIL, end);
    i32[GET_J] = 0;
  }

  /** After the get lock is released: wake producers, and pass a wake-up on to a consumer if data is left. */
  #afterGet(): void {
    const i32 = this.i32;
    // HEAD is read only for sleepers (see #afterPut).
    if (Atomics.load(i32, ROOM) !== 0) this.#wakeSide(ROOM, (Atomics.load(i32, HEAD) & OPEN) !== 0);
    if (Atomics.load(i32, DATA) !== 0 && this.ready(false)) this.#wakeSide(DATA, false);
  }

  /**
   * One try at taking an item of at most `limit` bytes ({@linkcode ANY}):
   * its length (the payload in `scratch`, its flags, ticket and buffers in
   * the fields), or {@linkcode BUSY}, {@linkcode WAITING}, {@linkcode ENDED},
   * {@linkcode NEED_SHARED} (its buffers are not here yet: `ticket` says
   * which; nothing taken), {@linkcode TOO_LONG} (nothing taken), or
   * `STREAM` (the first part of a stream taken: the lock is held).
   *
   * `decode`, if given, turns a large item that lies whole and unwrapped in
   * the ring (one record of at least {@linkcode IN_PLACE_MIN} bytes, no
   * shared buffers, not raw) into its value right there, under the get
   * lock, before the take is counted (a consumer killed meanwhile leaves the
   * item to the next one, as any kill before `GETS` + 1): one copy fewer
   * than through `scratch` (1 MB Float64Array: ~70 µs of a consumer's
   * ~220, measured). Its result goes to `inPlaceValue` (or `inPlaceError`).
   */
  tryGet(limit: number, sync: boolean = false, decode?: (bytes: Uint8Array) => unknown): number {
    const i32 = this.i32;
    if (!tryLock(i32, GET_LOCK)) {
      if (!this.#deadHolder(GET_LOCK) || !takeOver(i32, GET_LOCK)) return BUSY;
      if (this.#repairGet()) {
        this.#dropping = true;
        this.#have = 0;
        return STREAM;
      }
    }
    for (;;) {
      const tail = Atomics.load(i32, TAIL);
      const head = Atomics.load(i32, HEAD);
      if ((head & POS) === tail) {
        this.#giveUpGet();
        return (head & CLOSED) !== 0 ? ENDED : WAITING;
      }
      const h = this.#header(tail);
      const len = h >= 0 ? i32[h] : i32[this.#hw(tail, 0)];
      const flags = h >= 0 ? i32[h + 1] : i32[this.#hw(tail, 1)];
      if ((flags & FIRST) === 0) {
        // An ABORT with no stream open (its reader already dropped it), or a stray part: skip it.
        Atomics.store(i32, TAIL, this.#adv(tail, REC + up8(len)));
        this.#wakeSide(ROOM, false);
        continue;
      }
      const total = (flags & LAST) !== 0 ? len : i32[h >= 0 ? h + 3 : this.#hw(tail, 3)];
      if (limit !== ANY && total > limit) {
        this.#giveUpGet();
        return TOO_LONG;
      }
      const ticket = i32[h >= 0 ? h + 2 : this.#hw(tail, 2)];
      let buffers: SharedArrayBuffer[] | undefined;
      if ((flags & SHARED) !== 0) {
        buffers = this.hooks?.lookup(ticket);
        if (buffers === undefined) {
          this.ticket = ticket;
          this.#giveUpGet();
          return NEED_SHARED;
        }
      }
      this.flags = flags;
      this.ticket = ticket;
      this.buffers = buffers;
      const end = this.#adv(tail, REC + up8(len));
      if (
        decode !== undefined && len >= IN_PLACE_MIN && (flags & (LAST | SHARED | RAW)) === LAST &&
        this.#decodeHere(tail, len, decode)
      ) {
        this.#commit(end);
        this.#unlockGet();
        this.#afterGet();
        return len;
      }
      this.#grow(total);
      this.#copyOut(tail, len, this.scratch, 0);
      if ((flags & LAST) !== 0) {
        this.#commit(end);
        if (buffers !== undefined) Atomics.store(i32, DONE_TICKET, (ticket + 1) | 0);
        this.#unlockGet();
        this.#afterGet();
        return len;
      }
      if (sync && (Atomics.load(i32, PUT_LOCK) >>> 1) === agentId()) {
        this.#giveUpGet();
        return OWN_STREAM;
      }
      this.#have = len;
      this.#dropping = false;
      Atomics.store(i32, TAIL, end | MID);
      this.#wakeSide(ROOM, true);
      return STREAM;
    }
  }

  /**
   * A get, written once for both forms (see `put` for the yields); `limit`
   * as for `tryGet`. Returns the item's length, {@linkcode ENDED},
   * {@linkcode TIMED_OUT} or {@linkcode TOO_LONG}. Yields
   * {@linkcode SHARED_WAIT} when the next item's shared buffers must be
   * awaited (its `ticket` set): the driver waits for them (or throws).
   */
  *get(
    limit: number,
    deadline: number,
    spin: number,
    sync: boolean,
    first: number = UNTRIED,
    decode?: (bytes: Uint8Array) => unknown,
  ): Generator<number, number, boolean> {
    const i32 = this.i32;
    const start = performance.now();
    /** The clock as last read (see `put`). */
    let now = start;
    const waits = this.#waits[1];
    /** This wait's spin (ms), fixed at its first miss (-1: not yet); whether it has slept. */
    let budget = -1;
    let slept = false;
    for (let tried = first;; tried = UNTRIED) {
      let r = tried === UNTRIED ? this.tryGet(limit, sync, decode) : tried;
      if (r === STREAM) {
        r = yield* this.#readStream(spin);
        now = performance.now();
        if (r === STREAM) continue;
      }
      if (r >= 0 || r === ENDED || r === TOO_LONG || r === OWN_STREAM) return r;
      // The lock's holder is an async get of this thread reading a stream across awaits: it cannot
      // release the lock while this thread blocks, so the wait would never end (as `put` refuses).
      if (r === BUSY && sync && (Atomics.load(i32, GET_LOCK) >>> 1) === agentId()) return OWN_LOCK;
      if (r === NEED_SHARED) {
        if (!(yield SHARED_WAIT)) return TIMED_OUT;
        now = performance.now();
        continue;
      }
      if (now >= deadline) {
        // A timed wait shorter than its spin ends here, never having slept: that is a miss as well
        // (on one core it kept the other side off the core for the whole timeout). Unlearned, 0.3 ms
        // gets spun in full forever: 4x slower, one core, a worker putting what they wait for.
        if (budget > 0 && !slept) waits.missed();
        return TIMED_OUT;
      }
      if (budget < 0) budget = Math.min(spin, waits.next());
      if (now - start < budget) {
        // Loads only until an item (or the end) shows and the lock is free: a try is a
        // compare-and-swap on the consumers' line, and the clock costs as much as a few loads.
        const stop = Math.min(start + budget, deadline);
        for (let n = 1;; n++) {
          pause();
          if (this.ready(true) && Atomics.load(i32, GET_LOCK) === 0) {
            if (!slept) waits.caught(now - start);
            break;
          }
          if ((n & 7) === 0 && (now = performance.now()) >= stop) break;
        }
        continue;
      }
      const epoch = Atomics.load(i32, DATA + 1);
      const unit = this.#enter(DATA, sync);
      let woken = true;
      try {
        if (!this.ready(true) || Atomics.load(i32, GET_LOCK) !== 0) {
          if (!slept) waits.missed();
          slept = true;
          this.expect = epoch;
          this.endless = false;
          woken = yield DATA + 1;
        }
      } finally {
        Atomics.sub(i32, DATA, unit);
      }
      now = performance.now();
      this.hooks?.idle();
      if (!woken) {
        r = this.tryGet(limit, sync, decode);
        if (r === STREAM) {
          r = yield* this.#readStream(spin);
          if (r === STREAM) return TIMED_OUT;
        }
        if (r === NEED_SHARED || r === BUSY || r === WAITING) return TIMED_OUT;
        return r;
        // (OWN_STREAM and the others are returned as they are.)
      }
    }
  }

  /**
   * Reads a stream's parts, holding the get lock (taken by `tryGet`): the
   * item's length once whole; `STREAM` if it was dropped (aborted, or its
   * reader died: then the next item is for the caller); {@linkcode ENDED} if
   * the ring closed before its end. Waits for parts without a deadline: the
   * writer holds its lock and writes as fast as this reads, or is repaired.
   */
  *#readStream(spin: number): Generator<number, number, boolean> {
    const i32 = this.i32;
    const waits = this.#streamWaits[1];
    for (;;) {
      const tail = Atomics.load(i32, TAIL);
      const pos = tail & POS;
      const head = Atomics.load(i32, HEAD);
      if ((head & POS) !== pos) {
        const len = i32[this.#hw(pos, 0)];
        const flags = i32[this.#hw(pos, 1)];
        const end = this.#adv(pos, REC + up8(len));
        if ((flags & ABORT) !== 0 || (flags & FIRST) !== 0) {
          // Aborted (or, defensively, a new item where a part was due: not consumed).
          Atomics.store(i32, TAIL, (flags & ABORT) !== 0 ? end : pos);
          this.#dropping = false;
          this.#unlockGet();
          this.#afterGet();
          return STREAM;
        }
        if (!this.#dropping) this.#copyOut(pos, len, this.scratch, this.#have);
        this.#have += len;
        if ((flags & LAST) !== 0) {
          this.#commit(end);
          if ((flags & SHARED) !== 0) Atomics.store(i32, DONE_TICKET, (i32[this.#hw(pos, 2)] + 1) | 0);
          const dropped = this.#dropping;
          // A dropped item will never be worked on: done, for a JoinableQueue's join.
          if (dropped) Atomics.add(i32, TASKS_DONE, 1);
          this.#dropping = false;
          this.#unlockGet();
          this.#afterGet();
          if (dropped) {
            this.#wakeSide(JOINERS, true);
            return STREAM;
          }
          return this.#have;
        }
        Atomics.store(i32, TAIL, end | MID);
        this.#wakeSide(ROOM, true);
        continue;
      }
      if ((head & CLOSED) !== 0) {
        // The writer can publish nothing more: the stream is dropped, the ring drained.
        Atomics.store(i32, TAIL, pos);
        this.#dropping = false;
        this.#giveUpGet();
        return ENDED;
      }
      // The writer holds its lock and is copying the next part in: spin a moment before sleeping.
      if (this.#spinFor(() => (Atomics.load(i32, HEAD) & (POS | CLOSED)) !== pos, spin, waits)) continue;
      const epoch = Atomics.load(i32, DATA + 1);
      Atomics.add(i32, DATA, 1);
      try {
        if ((Atomics.load(i32, HEAD) & POS) === pos && !this.closed()) {
          waits.missed();
          this.expect = epoch;
          this.endless = true;
          yield DATA + 1;
        }
      } finally {
        Atomics.sub(i32, DATA, 1);
      }
      this.hooks?.idle();
      // The writer may have died mid-stream: its lock is taken over and the stream aborted.
      this.repairPut();
    }
  }

  /** The spin budgets (ms) as they stand: put, get, stream writer, stream reader (for tests). */
  spinBudgets(): number[] {
    return [...this.#waits, ...this.#streamWaits].map((w) => w.ms);
  }

  /**
   * Spins (loads only; the clock every 8th time) until `ready()` or the
   * budget's spin (at most `max` ms) passed: whether it is ready. A catch
   * is learned here; the caller reports a sleep (`waits.missed()`).
   */
  #spinFor(ready: () => boolean, max: number, waits: WaitBudget): boolean {
    if (ready()) return true;
    const ms = Math.min(max, waits.next());
    if (ms <= 0) return false;
    const start = performance.now();
    const stop = start + ms;
    for (let n = 1;; n++) {
      pause();
      if (ready()) {
        waits.caught(performance.now() - start);
        return true;
      }
      if ((n & 7) === 0 && performance.now() >= stop) return false;
    }
  }

  /** Passes a wake-up on to a sleeping consumer if an item is there (a poller took one). */
  passOn(): void {
    if (Atomics.load(this.i32, DATA) !== 0 && this.ready(false)) this.#wakeSide(DATA, false);
  }

  // --- JoinableQueue ---

  /** One more task done; `false` (nothing changed) if that would pass the items put. */
  taskDone(): boolean {
    const i32 = this.i32;
    for (;;) {
      const d = Atomics.load(i32, TASKS_DONE);
      if (((d - Atomics.load(i32, PUTS)) | 0) >= 0) return false;
      if (Atomics.compareExchange(i32, TASKS_DONE, d, (d + 1) | 0) === d) {
        if (((d + 1 - Atomics.load(i32, PUTS)) | 0) >= 0) this.#wakeSide(JOINERS, true);
        return true;
      }
    }
  }

  /** Whether every item put has been marked done. */
  allDone(): boolean {
    return Atomics.load(this.i32, TASKS_DONE) === Atomics.load(this.i32, PUTS);
  }

  /** A join, for both forms: yields `JOINERS + 1` to sleep; `true` once all done, `false` at the deadline. */
  *join(deadline: number): Generator<number, boolean, boolean> {
    const i32 = this.i32;
    for (;;) {
      if (this.allDone()) return true;
      if (performance.now() >= deadline) return false;
      const epoch = Atomics.load(i32, JOINERS + 1);
      Atomics.add(i32, JOINERS, 1);
      try {
        if (!this.allDone()) {
          this.expect = epoch;
          this.endless = false;
          yield JOINERS + 1;
        }
      } finally {
        Atomics.sub(i32, JOINERS, 1);
      }
      this.repairPut();
    }
  }

  /** How long a sleeper sleeps before it looks again for a dead peer (ms). */
  static readonly SLICE_MS: number = POLL_MS;
  /** How long async waits spin before they sleep (ms). */
  static readonly ASYNC_SPIN_MS: number = ASYNC_SPIN_MS;
}
