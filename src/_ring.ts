/**
 * The bounded multi-producer multi-consumer ring under `Channel` (Vyukov's
 * queue with per-slot sequence words).
 *
 * Positions count messages modulo {@linkcode Ring.limit}, a multiple of the
 * slot count. Slot `pos % slots` holds a sequence word that reads `2·pos`
 * while it is free for the producer of `pos`, and `2·pos + 1` once that
 * message is published. (Doubling keeps the two states apart even with one
 * slot, where the plain Vyukov numbering collides.) A side claims a position
 * with a compare-and-swap only once the slot is ready, so it never waits
 * after claiming: a timeout or an abort can only happen before the claim and
 * never loses or half-sends a message.
 *
 * Sleepers wait on an epoch word per side and are counted; the other side
 * bumps the epoch and notifies only when the count is non-zero. Each side
 * raises its count before its last check and the other side changes the slot
 * before reading the count (all sequentially consistent), so either the
 * sleeper sees the change or the waker sees the sleeper: no lost wake-up.
 *
 * A worker terminated between its claim and its publish (or release) would
 * hold its slot forever and stall the ring. So a claimer records its agent in
 * the slot header, and a sleeper that wakes (at the latest every
 * {@linkcode POLL_MS}) without progress looks at the slot it waits for: if
 * its claimer's worker has exited, it withdraws the message (a dead sender)
 * or frees the slot (a dead receiver, whose message is lost with it).
 *
 * @module
 */

import { agentId, hasExited } from "./_agent.ts";
import type { Handle, Kind } from "./_handle.ts";
import { pause, SpinBudget } from "./_spin.ts";
import { type Deadline, waitAsync, waitSync } from "./_wait.ts";

/** A cache line: the unit of spacing between words written by different sides. */
export const LINE = 64;
/**
 * Control words come in groups 128 bytes apart (a line and its prefetch
 * buddy; the memory itself is only 16-byte aligned), so producers and
 * consumers never write the same line.
 */
const W = 32;
/** Group 0 (read-only after creation): the kind's magic word and the shape. */
export const TYPE = 1;
/** The capacity in elements, checked on revive. */
export const CAPACITY = 2;
/** The slot count, checked on revive. */
export const SLOTS = 3;
/** Also in group 0: set once closed, so consumers polling an empty ring never touch the head's line. */
const SHUT = 4;
/** Group 1: the producers' next position, with {@linkcode CLOSED} or'ed in once closed. */
const HEAD = W;
/** Group 2: the consumers' next position. */
const TAIL = 2 * W;
/** Groups 3 and 4: sleeping producers and their epoch; sleeping consumers and theirs. */
const SEND_WAITERS = 3 * W;
const RECV_WAITERS = 4 * W;
/** The bytes before the first slot: five control groups. */
export const CONTROL_BYTES = 640;
/** Closing sets this bit of the head, so a claim and a close can never both succeed. */
const CLOSED = 1 << 30;
const SPAN = 1 << 29;
/** The most slots a channel may have. */
export const MAX_SLOTS = 1048576;
/** In a slot header, after the sequence word and the length: the agent that claimed it to send… */
const SENDER = 2;
/** …and the agent that claimed it to receive (0 until recorded, and again once released). */
const RECEIVER = 3;
/** Sleepers look for a dead claimer at least this often (ms): nobody notifies a death. */
const POLL_MS = 100;

/** Nothing to claim yet. */
export const NOT_READY = -1;
/** Closed (for a producer), or closed and drained (for a consumer). */
export const ENDED = -2;
/** The deadline passed before anything could be claimed. */
export const TIMED_OUT = -3;
/** The next message is longer than the receiver's limit; it stays queued. */
export const TOO_LONG = -4;

/** A receive limit that any message meets (a small integer, unlike `Infinity`, so it is never boxed). */
export const ANY_LENGTH = -1;

/** Which side a claim is for. */
export const SEND = 0;
/** Which side a claim is for. */
export const RECV = 1;

/** The most slots a side that had to wait looks ahead before it claims. */
const MAX_GAP = 64;
/** Async claims spin this long at most (ms): the thread's event loop is blocked meanwhile. */
const ASYNC_SPIN_MS = 0.02;

/** The claim and publish protocol on one channel's control words and slot headers. */
export class Ring {
  readonly i32: Int32Array;
  readonly slots: number;
  /** Positions wrap here; a multiple of `slots`, so a position's slot survives the wrap. */
  readonly limit: number;
  readonly #first: number;
  readonly #stride: number;
  /** How far ahead a side that had to wait looks before it claims (see `#spin`); 0 for few slots. */
  readonly #gap: number;
  /** The head at a consumer's last look, to tell quiet producers. */
  #lastHead = -1;
  /**
   * This thread's guesses of the head and the tail, so that a lone producer (consumer) claims
   * without loading them first (V8 calls out for every Atomics operation): a claim's
   * compare-and-swap returns the true value when a guess is stale.
   */
  #head = 0;
  #tail = 0;
  /** This thread's spin budgets, per side. */
  readonly #spins: [SpinBudget, SpinBudget] = [new SpinBudget(), new SpinBudget()];

  /** Wraps the control words; `strideBytes` is the distance between slot headers. */
  constructor(i32: Int32Array, slots: number, strideBytes: number) {
    this.i32 = i32;
    this.slots = slots;
    this.limit = slots * Math.floor(SPAN / slots);
    this.#first = CONTROL_BYTES / 4;
    this.#stride = strideBytes / 4;
    this.#gap = Math.min(slots >> 3, MAX_GAP);
  }

  /** Marks every slot free for the first lap (new memory only). */
  init(): void {
    for (let s = 0; s < this.slots; s++) this.i32[this.#first + s * this.#stride] = 2 * s;
  }

  #seq(pos: number): number {
    return this.#first + (pos % this.slots) * this.#stride;
  }

  #next(pos: number): number {
    return pos + 1 === this.limit ? 0 : pos + 1;
  }

  /** The position `by` (less than a lap) past `pos`. */
  #ahead(pos: number, by: number): number {
    return pos + by >= this.limit ? pos + by - this.limit : pos + by;
  }

  /** Whether the channel was closed. */
  closed(): boolean {
    // The head, not SHUT: sends fail from the moment the head is marked.
    return (Atomics.load(this.i32, HEAD) & CLOSED) !== 0;
  }

  /** Closes and wakes every sleeper on both sides; `false` if it was closed already. */
  close(): boolean {
    if ((Atomics.or(this.i32, HEAD, CLOSED) & CLOSED) !== 0) return false;
    // After the head: a consumer that sees SHUT also sees the final head.
    Atomics.store(this.i32, SHUT, 1);
    for (const waiters of [SEND_WAITERS, RECV_WAITERS]) {
      Atomics.add(this.i32, waiters + 1, 1);
      Atomics.notify(this.i32, waiters + 1);
    }
    return true;
  }

  /** Claims the next free slot: its position, {@linkcode NOT_READY} or {@linkcode ENDED}. */
  trySend(): number {
    const i32 = this.i32;
    let h = this.#head;
    for (;;) {
      if ((h & CLOSED) !== 0) return ENDED;
      const at = this.#seq(h);
      let seen: number;
      if (Atomics.load(i32, at) === 2 * h) {
        const next = this.#next(h);
        seen = Atomics.compareExchange(i32, HEAD, h, next);
        if (seen === h) {
          this.#head = next;
          i32[at + SENDER] = agentId();
          return h;
        }
      } else {
        seen = Atomics.load(i32, HEAD);
        if (seen === h) return NOT_READY;
      }
      h = seen;
    }
  }

  /** Publishes the message written at `pos` and wakes a sleeping consumer, if any. */
  publish(pos: number, length: number): void {
    const i32 = this.i32;
    const at = this.#seq(pos);
    // A plain write: the sequence store below publishes it.
    i32[at + 1] = length;
    Atomics.store(i32, at, 2 * pos + 1);
    this.wakeReceiver();
  }

  /**
   * Gives up a claimed slot whose copy failed: it is published as a
   * withdrawn message, which receivers skip, so nothing half-written is seen
   * and the ring keeps moving. If it is the oldest message, the sender
   * passes it itself; otherwise it holds its slot until a receiver does.
   */
  withdraw(pos: number): void {
    this.publish(pos, -1);
    if (Atomics.compareExchange(this.i32, TAIL, pos, this.#next(pos)) === pos) this.release(pos);
  }

  /** Passes a wake-up on to another sleeping consumer (one that was woken but could not take the message). */
  wakeReceiver(): void {
    if (Atomics.load(this.i32, RECV_WAITERS) !== 0) {
      Atomics.add(this.i32, RECV_WAITERS + 1, 1);
      Atomics.notify(this.i32, RECV_WAITERS + 1, 1);
    }
  }

  /**
   * Claims the next published message: its position, {@linkcode NOT_READY},
   * {@linkcode ENDED}, or {@linkcode TOO_LONG} if it is longer than `limit`
   * (unless `limit` is {@linkcode ANY_LENGTH}).
   */
  tryRecv(limit: number): number {
    const i32 = this.i32;
    let t = this.#tail;
    for (;;) {
      const at = this.#seq(t);
      const q = Atomics.load(i32, at);
      let seen: number;
      if (q === 2 * t + 1) {
        // The length is only trusted if the slot still holds message t afterwards.
        if (limit !== ANY_LENGTH && i32[at + 1] > limit) {
          const same = Atomics.load(i32, at) === q;
          seen = Atomics.load(i32, TAIL);
          if (same && seen === t) return TOO_LONG;
        } else {
          const next = this.#next(t);
          seen = Atomics.compareExchange(i32, TAIL, t, next);
          if (seen === t) {
            this.#tail = next;
            i32[at + RECEIVER] = agentId();
            if (i32[at + 1] >= 0) return t;
            // A sender failed mid-copy and withdrew its message: skip it.
            this.release(t);
            seen = next;
          }
        }
      } else {
        seen = Atomics.load(i32, TAIL);
        if (seen === t) {
          if (Atomics.load(i32, SHUT) === 0) return NOT_READY;
          return (Atomics.load(i32, HEAD) ^ CLOSED) === t ? ENDED : NOT_READY;
        }
      }
      t = seen;
    }
  }

  /** The length of the message claimed at `pos`. */
  length(pos: number): number {
    return this.i32[this.#seq(pos) + 1];
  }

  /** Frees the slot read at `pos` for the next lap and wakes a sleeping producer, if any. */
  release(pos: number): void {
    const i32 = this.i32;
    const lap = pos + this.slots;
    const at = this.#seq(pos);
    // Published by the store below: the next lap's claimers start from 0.
    i32[at + SENDER] = 0;
    i32[at + RECEIVER] = 0;
    Atomics.store(i32, at, 2 * (lap >= this.limit ? lap - this.limit : lap));
    if (Atomics.load(i32, SEND_WAITERS) !== 0) {
      Atomics.add(i32, SEND_WAITERS + 1, 1);
      Atomics.notify(i32, SEND_WAITERS + 1, 1);
    }
  }

  /**
   * Unblocks the slot `side` waits for if the worker that claimed it has
   * exited: a sender's unpublished message is withdrawn, a receiver's slot
   * freed. The claimer's word is taken with a compare-and-swap, so only one
   * sleeper acts; the slot's sequence word, read after that, says which lap
   * the dead claimer held.
   */
  #recover(side: number): void {
    const i32 = this.i32;
    if (side === RECV) {
      const t = Atomics.load(i32, TAIL);
      const at = this.#seq(t);
      // Claimed (the head moved past it) but not published.
      if (Atomics.load(i32, at) !== 2 * t || (Atomics.load(i32, HEAD) & ~CLOSED) === t) return;
      if (!this.#takeDead(at + SENDER)) return;
      const q = Atomics.load(i32, at);
      if ((q & 1) !== 0) return;
      i32[at + 1] = -1;
      Atomics.compareExchange(i32, at, q, q + 1);
      this.wakeReceiver();
    } else {
      const h = Atomics.load(i32, HEAD);
      if ((h & CLOSED) !== 0) return;
      // The previous lap's message in this slot: claimed by a receiver (the tail moved past it), not freed.
      const prev = h >= this.slots ? h - this.slots : h - this.slots + this.limit;
      const at = this.#seq(h);
      if (Atomics.load(i32, at) !== 2 * prev + 1 || Atomics.load(i32, TAIL) === prev) return;
      if (!this.#takeDead(at + RECEIVER)) return;
      const q = Atomics.load(i32, at);
      if ((q & 1) !== 0) this.release((q - 1) / 2);
    }
  }

  /** Clears a claimer word that names an exited agent; `true` if this call did. */
  #takeDead(word: number): boolean {
    const agent = Atomics.load(this.i32, word);
    return agent !== 0 && hasExited(agent) && Atomics.compareExchange(this.i32, word, agent, 0) === agent;
  }

  #try(side: number, limit: number): number {
    return side === SEND ? this.trySend() : this.tryRecv(limit);
  }

  /**
   * Producer: whether the slot `gap` positions past the head is free too (or
   * the channel closed).
   */
  #freeAhead(gap: number): boolean {
    const i32 = this.i32;
    const h = Atomics.load(i32, HEAD);
    if ((h & CLOSED) !== 0) return true;
    const a = this.#ahead(h, gap);
    return Atomics.load(i32, this.#seq(a)) === 2 * a;
  }

  /**
   * Consumer: whether the message `gap` positions past the tail is
   * published, or (when `look`) the next one is and the head has not moved
   * since the last look (the producers went quiet), or the channel closed.
   */
  #readyAhead(gap: number, look: boolean): boolean {
    const i32 = this.i32;
    const t = Atomics.load(i32, TAIL);
    const a = this.#ahead(t, gap);
    if (Atomics.load(i32, this.#seq(a)) === 2 * a + 1) return true;
    if (!look) return false;
    if (Atomics.load(i32, this.#seq(t)) !== 2 * t + 1) return Atomics.load(i32, SHUT) !== 0;
    const h = Atomics.load(i32, HEAD);
    const quiet = h === this.#lastHead;
    this.#lastHead = h;
    return quiet;
  }

  /**
   * Spins until claimed, `end` or `deadline`; the claim or
   * {@linkcode NOT_READY}.
   *
   * With many slots, a side that had to wait does not take the very next
   * slot the moment the other side hands it over: a producer facing a full
   * ring waits until `#gap` more slots are free, a consumer
   * facing an empty one until as many messages are ready (or the producers
   * pause). Taking each slot at once keeps both sides on the same cache
   * lines, each write pulling the line the other side reads; measured on 16-
   * element messages through 1,024 slots, that lockstep mode ran at half
   * the speed, and a run fell into it or not by chance. The price: a lone
   * message on a channel of 8 or more slots may reach a spinning consumer
   * about 2 µs later.
   */
  #spin(side: number, limit: number, end: number, deadline: Deadline): number {
    const stop = Math.min(end, deadline);
    const gap = this.#gap;
    let pos = NOT_READY;
    for (let n = 1; pos === NOT_READY; n++) {
      pause();
      // The clock costs as much as a few tries: read it every 8th time. A consumer's reads of
      // the lines producers write slow them down: it looks ahead every 16th, at the head every 32nd.
      if ((n & 7) === 0 && performance.now() >= stop) break;
      const go = gap === 0 ||
        (side === SEND ? this.#freeAhead(gap) : (n & 15) === 0 && this.#readyAhead(gap, (n & 31) === 0));
      if (go) pos = this.#try(side, limit);
    }
    return pos;
  }

  /**
   * The claim before parking, for a wait that began at `start`: spun for at
   * most `cap` ms, unless the deadline has passed (a poll).
   */
  #opening(side: number, limit: number, start: number, deadline: Deadline, cap: number): number {
    if (deadline !== Infinity && deadline <= start) return this.#try(side, limit);
    const budget = Math.min(cap, this.#spins[side].ms);
    return this.#spin(side, limit, start + budget, deadline);
  }

  /** Claims for `side`, blocking until `deadline`: a position or a negative outcome. */
  claimSync(side: number, limit: number, deadline: Deadline): number {
    let pos = this.#try(side, limit);
    if (pos !== NOT_READY) return pos;
    const start = performance.now();
    pos = this.#opening(side, limit, start, deadline, Infinity);
    const waiters = side === SEND ? SEND_WAITERS : RECV_WAITERS;
    const i32 = this.i32;
    while (pos === NOT_READY) {
      const epoch = Atomics.load(i32, waiters + 1);
      Atomics.add(i32, waiters, 1);
      let awake = true;
      try {
        pos = this.#try(side, limit);
        if (pos === NOT_READY) awake = waitSync(i32, waiters + 1, epoch, deadline, POLL_MS);
      } finally {
        Atomics.sub(i32, waiters, 1);
      }
      if (pos === NOT_READY) {
        this.#recover(side);
        // The wake-up that raced the deadline must not be lost: one last try.
        pos = this.#try(side, limit);
        if (pos === NOT_READY && !awake) return TIMED_OUT;
      }
    }
    if (pos >= 0) this.#spins[side].learn(performance.now() - start);
    return pos;
  }

  /** The async form of {@linkcode Ring.claimSync}; rejects with `signal.reason` on abort. */
  async claimAsync(side: number, limit: number, deadline: Deadline, signal?: AbortSignal): Promise<number> {
    let pos = this.#try(side, limit);
    if (pos !== NOT_READY) return pos;
    const start = performance.now();
    pos = this.#opening(side, limit, start, deadline, ASYNC_SPIN_MS);
    const waiters = side === SEND ? SEND_WAITERS : RECV_WAITERS;
    const i32 = this.i32;
    while (pos === NOT_READY) {
      const epoch = Atomics.load(i32, waiters + 1);
      Atomics.add(i32, waiters, 1);
      let awake = true;
      try {
        pos = this.#try(side, limit);
        if (pos === NOT_READY) awake = await waitAsync(i32, waiters + 1, epoch, deadline, signal, POLL_MS);
      } finally {
        Atomics.sub(i32, waiters, 1);
      }
      if (pos === NOT_READY) {
        this.#recover(side);
        pos = this.#try(side, limit);
        if (pos === NOT_READY && !awake) return TIMED_OUT;
      }
    }
    if (pos >= 0) this.#spins[side].learn(performance.now() - start);
    return pos;
  }
}

/** The kinds of channel classes, by constructor, so a subclass revives as itself. */
export const channelKinds: Map<unknown, Kind<object>> = new Map();

let reviving: Handle | undefined;

/** Hands a handle being revived to the next channel constructor. */
export function setReviving(handle: Handle): void {
  reviving = handle;
}

/** Takes the handle being revived, if any (once). */
export function takeReviving(): Handle | undefined {
  const handle = reviving;
  reviving = undefined;
  return handle;
}
