/**
 * The bounded multi-producer multi-consumer ring under `Channel` (Vyukov's
 * queue with per-slot sequence words).
 *
 * Positions count messages modulo {@linkcode Ring.limit}, an even number of
 * laps of the slots. Slot `pos % slots` holds a sequence word that reads
 * `2·pos` while it is free for the producer of `pos`, and `2·pos + 1` once
 * that message is published. (Doubling keeps the two states apart even with
 * one slot, where the plain Vyukov numbering collides.) A side claims a
 * position only once the slot is ready, so it never waits after claiming: a
 * timeout or an abort can only happen before the claim and never loses or
 * half-sends a message.
 *
 * Sleepers wait on an epoch word per side and are counted; the other side
 * bumps the epoch and notifies only when the count is non-zero. Each side
 * raises its count before its last check and the other side changes the slot
 * before reading the count (all sequentially consistent), so either the
 * sleeper sees the change or the waker sees the sleeper: no lost wake-up.
 *
 * ## Claims name their claimer, so a kill cannot strand one
 *
 * A worker can be killed at any instruction (Node, Bun). So a claim is made
 * in two steps, and the first one names the claimer in the slot's own
 * sequence word: a producer swaps it from `2·h` (free for `h`) to a send
 * mark, then moves HEAD from `h`; a consumer swaps it from `2·t + 1`
 * (message `t`) to a receive mark, then moves TAIL. A mark is a negative
 * number (never a position's `2·pos` or `2·pos + 1`) holding the claimer's
 * agent id, the side, and the parity of the position's lap, which tells a
 * mark for `pos` from one for `pos - slots` in the same slot. As a mark is
 * only ever made from the exact value "free for `h`" (or "message `t`"), it
 * names its position too; and HEAD moves from `h` only by the holder of the
 * send mark of `h` (or close's OR of the CLOSED bit), TAIL from `t` only by
 * the holder of the receive mark of `t`. Publishing (release) replaces the
 * send (receive) mark with `2·h + 1` (`2·(t + slots)`): one store, nothing
 * to clean up after.
 *
 * A mark whose agent `hasExited` (Process marks an agent only once its
 * worker has stopped) is repaired as the table says. A "waiter" is a claim
 * that found nothing: a sleeper that wakes without progress (at least every
 * {@linkcode POLL_MS}), or a poll (timeout 0) before it gives up.
 *
 * | step (killed right after it)           | what the kill leaves               | who repairs it, and how |
 * | -------------------------------------- | ---------------------------------- | ----------------------- |
 * | P1 producer: SEQ 2h → send mark        | send mark, HEAD = h                | the next producer at h: the claimer exited and HEAD is still h, so it never claimed: SEQ back to 2h, then claims |
 * | P2 producer: HEAD h → h+1 (claimed)    | send mark, HEAD past h             | a receiver waiter at TAIL = h: takes the mark over, publishes the slot as withdrawn (LEN = -1), which receivers skip. That message is lost, never half-seen |
 * | P3 data and LEN written                | as P2                              | as P2 |
 * | P4 SEQ = 2h+1 (published)              | a wake-up not sent                 | receivers look again every POLL_MS |
 * | P2' HEAD swap failed (closed), no undo | send mark, HEAD = h + CLOSED       | nothing to repair: no producer claims any more, receivers end at h |
 * | W1 withdraw: LEN = -1, SEQ = 2h+1      | a withdrawn message                | receivers skip it |
 * | W2 withdraw: SEQ 2h+1 → receive mark   | receive mark, TAIL = h             | as C1 |
 * | W3 withdraw: TAIL h → h+1              | as C2                              | as C2 |
 * | C1 consumer: SEQ 2t+1 → receive mark   | receive mark, TAIL = t             | the next consumer at t: the claimer exited and TAIL is still t: SEQ back to 2t+1; the message is delivered |
 * | C2 consumer: TAIL t → t+1 (claimed)    | receive mark, TAIL past t          | the producer waiter at h = t + slots: takes the mark over, frees the slot. The message is lost with its receiver |
 * | C3 message copied out                  | as C2                              | as C2 |
 * | R  SEQ = 2(t + slots) (released)       | a wake-up not sent                 | producers look again every POLL_MS |
 * | T  a waiter took a dead mark over      | the same mark, naming the waiter   | the next waiter, as P2 or C2 |
 * | K1 close: HEAD \|= CLOSED              | closed, SHUT = 0                   | a receiver waiter copies the bit to SHUT, so closed and drained is seen |
 * | a sleeper counted itself, killed asleep | a waiter count stays raised       | nothing stalls; the other side keeps notifying (a cost per message) |
 *
 * A producer (consumer) that finds a live agent's mark while HEAD (TAIL)
 * is still at its position waits a moment: that claimer is between its two
 * swaps.
 *
 * @module
 */

import { agentId, hasExited } from "../core/_agent.ts";
import { pause, SpinBudget } from "../core/_spin.ts";
import { checkStop, type Deadline, DEATH_POLL_MS, waitAsync, waitSync, wake } from "../core/_wait.ts";

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
export const SHUT = 4;
/** Group 1: the producers' next position, with {@linkcode CLOSED} or'ed in once closed. */
export const HEAD: number = W;
/** Group 2: the consumers' next position. */
export const TAIL: number = 2 * W;
/** Group 3: how many producers may sleep; the epoch they sleep on is the next word ({@linkcode EPOCH}). */
export const SEND_WAITERS: number = 3 * W;
/** Group 4: how many consumers may sleep, then their epoch. */
export const RECV_WAITERS: number = 4 * W;
/** In a waiters group, after the sleeper count: the epoch word, bumped and notified to wake that side. */
export const EPOCH = 1;
/** The bytes before the first slot: five control groups. */
export const CONTROL_BYTES = 640;
/** Closing sets this bit of the head, so a claim and a close can never both succeed. */
export const CLOSED: number = 1 << 30;
const SPAN = 1 << 29;
/** The most slots a channel may have. */
export const MAX_SLOTS = 1048576;
/** A slot header's first word: the sequence word (`2·pos` free, `2·pos + 1` published), or a claim's mark. */
export const SEQ = 0;
/** A slot header's second word: the published message's length in elements (-1: withdrawn). */
export const LEN = 1;
/** The most slots a side that had to wait looks ahead before it claims. */
const MAX_GAP = 64;
/** Async claims spin this long at most (ms): the thread's event loop is blocked meanwhile. */
const ASYNC_SPIN_MS = 0.02;
/** The try at which a spin notes the other side's word (see `#spin`). */
const MARK_AT = 64;
/** Sleepers look for a dead claimer at least this often (ms): nobody notifies a death. */
const POLL_MS = DEATH_POLL_MS;
/** …and this often while a live claimer sits between its two swaps (ms). */
const BUSY_POLL_MS = 1;
/** How often a claim looks again at a live claimer's mark before it gives up for now. */
const BUSY_TRIES = 64;
/** Agent ids a mark can hold; a larger one is marked as 0, which is never reported exited. */
const MARKED_IDS = 1 << 28;

/**
 * The mark of a claim by `agent` of a position whose lap has parity `lap`,
 * for `side` ({@linkcode SEND} or {@linkcode RECV}): a negative number.
 */
export function claimMark(agent: number, lap: number, side: number): number {
  return -1 - ((agent < MARKED_IDS ? agent : 0) * 4 + lap * 2 + side);
}

/** The agent named by a mark. */
export function markAgent(mark: number): number {
  return (-1 - mark) >>> 2;
}

/** Whether `q` is a mark of `side` for a position whose lap has parity `lap`. */
function isMark(q: number, side: number, lap: number): boolean {
  return q < 0 && ((-1 - q) & 3) === lap * 2 + side;
}

/** Nothing to claim yet. */
export const NOT_READY = -1;
/** Closed (for a producer), or closed and drained (for a consumer). */
export const ENDED = -2;
/** The deadline passed before anything could be claimed. */
export const TIMED_OUT = -3;
/** The next message is longer than the receiver's limit; it stays queued. */
export const TOO_LONG = -4;
/** Inside a claim: another claimer changed the slot between its load and the mark; look again. */
const RACED = -5;

/** A receive limit that any message meets (a small integer, unlike `Infinity`, so it is never boxed). */
export const ANY_LENGTH = -1;

/** Which side a claim is for. */
export const SEND = 0;
/** Which side a claim is for. */
export const RECV = 1;

/** The claim and publish protocol on one channel's control words and slot headers. */
export class Ring {
  readonly i32: Int32Array;
  readonly slots: number;
  /**
   * Positions wrap here: an even number of laps of the slots, so that a
   * position's slot survives the wrap and consecutive laps of a slot always
   * differ in parity (which marks rely on).
   */
  readonly limit: number;
  /** The first slot header's word (the slots follow the control groups). */
  readonly #first: number = CONTROL_BYTES / 4;
  readonly #stride: number;
  /** How far ahead a side that had to wait looks before it claims (see `#spin`); 0 for few slots. */
  readonly #gap: number;
  /** The head at a consumer's last look, to tell quiet producers. */
  #lastHead = -1;
  /**
   * This thread's guesses of the head and the tail, so that a lone producer (consumer) claims
   * without loading them first (V8 calls out for every Atomics operation): a claim's
   * compare-and-swap returns the true value when a guess is stale. A guess never runs ahead.
   */
  #head = 0;
  #tail = 0;
  /** Whether the last failed claim met a live claimer between its two swaps (so waits are short). */
  #busy = false;
  /**
   * Whether the other side's word moved during the last spin that ran out
   * (`true` when it caught, or ran out before `MARK_AT` tries): a spin that
   * saw nothing move tells its budget so (see `SpinBudget.learn`).
   */
  #moved = true;
  /** This thread's spin budgets, per side. */
  readonly #spins: [SpinBudget, SpinBudget] = [new SpinBudget(), new SpinBudget()];

  /** Wraps the control words; `strideBytes` is the distance between slot headers. */
  constructor(i32: Int32Array, slots: number, strideBytes: number) {
    this.i32 = i32;
    this.slots = slots;
    this.limit = slots * (Math.floor(SPAN / slots) & ~1);
    this.#stride = strideBytes / 4;
    this.#gap = Math.min(slots >> 3, MAX_GAP);
  }

  /** Marks every slot free for the first lap (new memory only). */
  init(): void {
    for (let s = 0; s < this.slots; s++) this.i32[this.#first + s * this.#stride] = 2 * s;
  }

  /** The index of the header (its sequence word) of `pos`'s slot. */
  header(pos: number): number {
    return this.#first + (pos % this.slots) * this.#stride;
  }

  /** The parity of `pos`'s lap (exact: `pos` < 2²⁹). */
  lapOf(pos: number): number {
    return ((pos / this.slots) | 0) & 1;
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
      Atomics.add(this.i32, waiters + EPOCH, 1);
      Atomics.notify(this.i32, waiters + EPOCH);
    }
    return true;
  }

  /**
   * A claim of `pos` by another agent, whose mark `mark` sits in the
   * sequence word `at`, while the head (`side` SEND) or the tail (RECV) was
   * at `pos`: the position to look at next, or {@linkcode NOT_READY} to give
   * up for now. If the claimer has exited and the head (tail) is still at
   * `pos` after that was seen, it never claimed and never will: the word goes
   * back to `free` (P1, C1). A live claimer is between its two swaps: wait a moment.
   */
  #contended(at: number, mark: number, pos: number, free: number, side: number, tries: number): number {
    const i32 = this.i32;
    // The exit first, then the position: a claimer that exited cannot move it afterwards.
    const dead = hasExited(markAgent(mark));
    const seen = Atomics.load(i32, side === SEND ? HEAD : TAIL);
    if (seen !== pos) return seen;
    if (dead) {
      Atomics.compareExchange(i32, at, mark, free);
    } else if (tries >= BUSY_TRIES) {
      this.#busy = true;
      return NOT_READY;
    } else {
      pause();
    }
    return pos;
  }

  /**
   * A claim's two steps on the slot at `at`, seen holding `q`: P1 (C1) marks
   * the slot as this agent's claim for `side`, so a survivor can tell whose
   * claim it was; P2 (C2) moves `word` (`HEAD`, `TAIL`) from `pos` on. The
   * position `pos` once claimed; {@linkcode RACED} if another claimer changed
   * the slot first; else what `word` held, the mark taken back.
   */
  #stake(side: number, word: number, at: number, q: number, pos: number, lap: number): number {
    const i32 = this.i32;
    const mark = claimMark(agentId(), lap & 1, side);
    if (Atomics.compareExchange(i32, at, q, mark) !== q) return RACED;
    const seen = Atomics.compareExchange(i32, word, pos, this.#next(pos));
    if (seen !== pos) Atomics.compareExchange(i32, at, mark, q);
    return seen;
  }

  /** Claims the next free slot: its position, {@linkcode NOT_READY} or {@linkcode ENDED}. */
  trySend(): number {
    const i32 = this.i32;
    const slots = this.slots;
    let h = this.#head;
    let tries = 0;
    for (;;) {
      if ((h & CLOSED) !== 0) return ENDED;
      const lap = (h / slots) | 0;
      const at = this.#first + (h - lap * slots) * this.#stride;
      const q = Atomics.load(i32, at);
      let seen: number;
      if (q === 2 * h) {
        // Only the mark's holder moves the head from h: P2 fails only once closed.
        seen = this.#stake(SEND, HEAD, at, q, h, lap);
        if (seen === RACED) continue;
        if (seen === h) {
          this.#head = this.#next(h);
          return h;
        }
      } else if (isMark(q, SEND, lap & 1)) {
        seen = this.#contended(at, q, h, 2 * h, SEND, ++tries);
        if (seen === NOT_READY) return NOT_READY;
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
    const at = this.header(pos);
    // A plain write: the sequence store below publishes it.
    i32[at + LEN] = length;
    Atomics.store(i32, at, 2 * pos + 1);
    this.wakeReceiver();
  }

  /**
   * Gives up a claimed slot whose copy failed: it is published as a
   * withdrawn message, which receivers skip, so nothing half-written is seen
   * and the ring keeps moving. If it is the oldest message, the sender
   * passes it itself (claiming it as a receiver would); otherwise it holds
   * its slot until a receiver does.
   */
  withdraw(pos: number): void {
    this.publish(pos, -1);
    const i32 = this.i32;
    const at = this.header(pos);
    const q = 2 * pos + 1;
    const mark = claimMark(agentId(), this.lapOf(pos), RECV);
    if (Atomics.compareExchange(i32, at, q, mark) !== q) return;
    if (Atomics.compareExchange(i32, TAIL, pos, this.#next(pos)) === pos) this.release(pos);
    else Atomics.compareExchange(i32, at, mark, q);
  }

  /** Passes a wake-up on to another sleeping consumer (one that was woken but could not take the message). */
  wakeReceiver(): void {
    if (Atomics.load(this.i32, RECV_WAITERS) !== 0) {
      Atomics.add(this.i32, RECV_WAITERS + EPOCH, 1);
      wake(this.i32, RECV_WAITERS + EPOCH, 1);
    }
  }

  /**
   * Claims the next published message: its position, {@linkcode NOT_READY},
   * {@linkcode ENDED}, or {@linkcode TOO_LONG} if it is longer than `limit`
   * (unless `limit` is {@linkcode ANY_LENGTH}).
   */
  tryRecv(limit: number): number {
    const i32 = this.i32;
    const slots = this.slots;
    let t = this.#tail;
    let tries = 0;
    for (;;) {
      const lap = (t / slots) | 0;
      const at = this.#first + (t - lap * slots) * this.#stride;
      const q = Atomics.load(i32, at);
      let seen: number;
      if (q === 2 * t + 1) {
        // The length is only trusted if the slot still holds message t afterwards.
        if (limit !== ANY_LENGTH && i32[at + LEN] > limit) {
          const same = Atomics.load(i32, at) === q;
          seen = Atomics.load(i32, TAIL);
          if (same && seen === t) return TOO_LONG;
        } else {
          seen = this.#stake(RECV, TAIL, at, q, t, lap);
          if (seen === RACED) continue;
          if (seen === t) {
            seen = this.#tail = this.#next(t);
            if (i32[at + LEN] >= 0) return t;
            // A sender failed mid-copy and withdrew its message: skip it.
            this.release(t);
          }
        }
      } else if (isMark(q, RECV, lap & 1)) {
        seen = this.#contended(at, q, t, 2 * t + 1, RECV, ++tries);
        if (seen === NOT_READY) return NOT_READY;
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
    return this.i32[this.header(pos) + LEN];
  }

  /** Frees the slot read at `pos` for the next lap (replacing the receive mark) and wakes a sleeping producer. */
  release(pos: number): void {
    const i32 = this.i32;
    const lap = pos + this.slots;
    Atomics.store(i32, this.header(pos), 2 * (lap >= this.limit ? lap - this.limit : lap));
    if (Atomics.load(i32, SEND_WAITERS) !== 0) {
      Atomics.add(i32, SEND_WAITERS + EPOCH, 1);
      wake(i32, SEND_WAITERS + EPOCH, 1);
    }
  }

  /**
   * Unblocks the slot `side` waits for if the agent that claimed it has
   * exited (see the table above): a sender's unpublished message is
   * withdrawn (P2), a receiver's slot freed (C2). The waiter takes the dead
   * claimer's mark over with a compare-and-swap, so only one acts, and a kill
   * of the waiter in turn leaves the same state naming it. A receiver also
   * repairs a close cut short (K1).
   */
  #recover(side: number): void {
    const i32 = this.i32;
    if (side === RECV) {
      if (Atomics.load(i32, SHUT) === 0 && (Atomics.load(i32, HEAD) & CLOSED) !== 0) {
        Atomics.store(i32, SHUT, 1);
      }
      const t = Atomics.load(i32, TAIL);
      const at = this.header(t);
      const lap = this.lapOf(t);
      const q = Atomics.load(i32, at);
      // Claimed (the head moved past it, read after the death) and never published.
      if (!isMark(q, SEND, lap) || !hasExited(markAgent(q))) return;
      // The tail is still t, read after the mark: so the mark is t's, not one of the same parity two
      // laps on (the ring may have run that far while this waiter was paused between its loads).
      if (Atomics.load(i32, TAIL) !== t || (Atomics.load(i32, HEAD) & ~CLOSED) === t) return;
      if (Atomics.compareExchange(i32, at, q, claimMark(agentId(), lap, SEND)) !== q) return;
      i32[at + LEN] = -1;
      Atomics.store(i32, at, 2 * t + 1);
      this.wakeReceiver();
    } else {
      const h = Atomics.load(i32, HEAD);
      if ((h & CLOSED) !== 0) return;
      // The previous lap's message in this slot: claimed by a receiver (the tail moved past it), not freed.
      const prev = h >= this.slots ? h - this.slots : h - this.slots + this.limit;
      const at = this.header(prev);
      const lap = this.lapOf(prev);
      const q = Atomics.load(i32, at);
      if (!isMark(q, RECV, lap) || !hasExited(markAgent(q))) return;
      // The head is still h, read after the mark: the mark is prev's (as on the receive side).
      if (Atomics.load(i32, HEAD) !== h || Atomics.load(i32, TAIL) === prev) return;
      if (Atomics.compareExchange(i32, at, q, claimMark(agentId(), lap, RECV)) !== q) return;
      this.release(prev);
    }
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
    return Atomics.load(i32, this.header(a)) === 2 * a;
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
    if (Atomics.load(i32, this.header(a)) === 2 * a + 1) return true;
    if (!look) return false;
    if (Atomics.load(i32, this.header(t)) !== 2 * t + 1) return Atomics.load(i32, SHUT) !== 0;
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
    // The other side's word, read once the spin is past its first tries (a read of a line the other
    // side writes costs a miss, which a quick catch does without): whether it moved (see `#moved`).
    const other = side === SEND ? TAIL : HEAD;
    let mark = 0;
    let pos = NOT_READY;
    for (let n = 1; pos === NOT_READY; n++) {
      if (n === MARK_AT) mark = Atomics.load(this.i32, other);
      pause();
      // The clock costs as much as a few tries: read it every 8th time. A consumer's reads of
      // the lines producers write slow them down: it looks ahead every 16th, at the head every 32nd.
      if ((n & 7) === 0 && performance.now() >= stop) {
        if (n > MARK_AT) this.#moved = Atomics.load(this.i32, other) !== mark;
        break;
      }
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
    const budget = Math.min(cap, this.#spins[side].next());
    return this.#spin(side, limit, start + budget, deadline);
  }

  /** How long a parked claim sleeps before it looks again (nobody notifies a death or a finished swap). */
  #slice(): number {
    const busy = this.#busy;
    this.#busy = false;
    return busy ? BUSY_POLL_MS : POLL_MS;
  }

  /**
   * A claim once its first try failed, written once for both forms: spins,
   * then parks until it claims, the channel ends, or `deadline` passes. It
   * yields the epoch each time it must sleep on its side's epoch word and is
   * resumed with whether it was woken (`false`: the deadline passed); a
   * failed sleep is thrown into it, so its count of sleepers is undone.
   * `refresh`, if given, is called each time a sleep ends, right before
   * claiming again: it returns the current `limit`, or throws to give up
   * without claiming (a receive target that changed meanwhile).
   */
  *#parking(
    side: number,
    limit: number,
    deadline: Deadline,
    spinCap: number,
    refresh?: () => number,
  ): Generator<number, number, boolean> {
    const start = performance.now();
    const i32 = this.i32;
    this.#moved = true;
    let pos = this.#opening(side, limit, start, deadline, spinCap);
    const progressed = this.#moved;
    const sleepers = side === SEND ? SEND_WAITERS : RECV_WAITERS;
    while (pos === NOT_READY) {
      const epoch = Atomics.load(i32, sleepers + EPOCH);
      Atomics.add(i32, sleepers, 1);
      let awake = true;
      try {
        // Counted before the last look: a publisher that misses us in the count has made the claim possible.
        pos = this.#try(side, limit);
        if (pos === NOT_READY) awake = yield epoch;
      } finally {
        Atomics.sub(i32, sleepers, 1);
      }
      if (pos !== NOT_READY) break;
      this.#recover(side);
      if (refresh !== undefined) {
        try {
          limit = refresh();
        } catch (e) {
          // The wake-up this took may have been meant for a receiver that can take the message.
          if (side === RECV) this.wakeReceiver();
          throw e;
        }
      }
      // The wake-up that raced the deadline must not be lost: one last try.
      pos = this.#try(side, limit);
      if (pos === NOT_READY && !awake) return TIMED_OUT;
    }
    if (pos >= 0) this.#spins[side].learn(performance.now() - start, progressed);
    return pos;
  }

  /** The epoch word that `side`'s sleepers park on. */
  #epochWord(side: number): number {
    return (side === SEND ? SEND_WAITERS : RECV_WAITERS) + EPOCH;
  }

  /** Claims for `side`, blocking until `deadline`: a position or a negative outcome. */
  claimSync(side: number, limit: number, deadline: Deadline): number {
    // A terminated worker (Deno runs on after terminate()) takes and sends nothing more.
    checkStop();
    const pos = this.#try(side, limit);
    if (pos !== NOT_READY) return pos;
    const parking = this.#parking(side, limit, deadline, Infinity);
    const word = this.#epochWord(side);
    for (let step = parking.next();;) {
      if (step.done) return step.value;
      let woken: boolean;
      try {
        woken = waitSync(this.i32, word, step.value, deadline, this.#slice());
      } catch (e) {
        // Undoes the sleeper count, then rethrows.
        parking.throw(e);
        throw e;
      }
      step = parking.next(woken);
    }
  }

  /** The async form of {@linkcode Ring.claimSync}; rejects with `signal.reason` on abort. See `#parking` for `refresh`. */
  async claimAsync(
    side: number,
    limit: number,
    deadline: Deadline,
    signal?: AbortSignal,
    refresh?: () => number,
  ): Promise<number> {
    checkStop();
    const pos = this.#try(side, limit);
    if (pos !== NOT_READY) return pos;
    const parking = this.#parking(side, limit, deadline, ASYNC_SPIN_MS, refresh);
    const word = this.#epochWord(side);
    for (let step = parking.next();;) {
      if (step.done) return step.value;
      let woken: boolean;
      try {
        woken = await waitAsync(this.i32, word, step.value, deadline, signal, this.#slice());
      } catch (e) {
        parking.throw(e);
        throw e;
      }
      step = parking.next(woken);
    }
  }
}
