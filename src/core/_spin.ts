/**
 * How long a blocking call spins before it parks, learned per thread from
 * its own waits.
 *
 * Parking costs the waker a syscall and the sleeper a wake-up: on these
 * 2-core virtual machines 15–65 µs at the median, with a tail past 1 ms
 * (`bench/diag/wake_latency.ts`). When the peer answers within that time,
 * spinning is cheaper; when the peer is idle, or is not running because
 * every core is busy (more threads than cores, where spinning steals the
 * core the peer needs), it is waste.
 *
 * So a thread spins for twice its recent short waits (those that ended
 * within {@linkcode SHORT_MS}, parked or not), decaying by 1/8 per wait, and
 * halves the budget after each long wait. Short waits include parked ones on
 * purpose: a budget that only ever halves after a failed spin is bimodal,
 * because once one side parks, the other side's next wait includes the
 * wake-up and outlasts its budget too, and both stay parked for good.
 *
 * @module
 */

/** The least and most a thread spins before parking (ms). */
const MIN_MS = 0.005;
const MAX_MS = 0.5;
/** Waits up to this long are hand-offs a longer spin would have caught (ms). */
const SHORT_MS = 0.25;

/** `Atomics.pause` where the runtime has it: a spin-wait hint to the core. */
export const pause: (n?: number) => void = (Atomics as unknown as { pause?: (n?: number) => void }).pause ??
  (() => {});

/** Waits at the least budget between two full spins (probes), at first and at most. */
const PROBE_FIRST = 8;
const PROBE_MAX = 1024;

/** One thread's spin budget for one kind of wait. */
export class SpinBudget {
  /** How long the next wait spins (ms). */
  ms: number = MAX_MS;
  /** Whether spins saw the other side stand still (see `learn`); then waits between probes, and how many. */
  #stalled = false;
  #since = 0;
  #every = PROBE_FIRST;
  #probing = false;

  /**
   * The spin (ms) of the next wait: `ms`, except that while the other side
   * was seen standing still, every `#every`-th wait spins the most, to see
   * whether it runs again (a probe).
   */
  next(): number {
    if (!this.#stalled || ++this.#since < this.#every) return this.ms;
    this.#since = 0;
    this.#probing = true;
    return MAX_MS;
  }

  /**
   * Learns from a wait of `waited` ms, parked or not. `progressed`: whether
   * the other side moved at all while this one spun (callers that cannot
   * tell pass `true`). A spin that saw nothing move was lost in full: the
   * other side is idle or, with more threads than cores, not running while
   * this one spins. Counting the sleep that followed as a short wait would
   * then grow the budget, and on one core each side's sleep lasts about the
   * other's spin, so both kept spinning ~150 µs per hand-off (300 µs per
   * round trip over two Channels, `taskset -c 0`, every runtime). So such a
   * wait halves the budget, and at the least it probes now and then (a
   * probe that sees nothing move doubles the gap to the next, up to
   * `PROBE_MAX` waits), which brings back spinning when the other side runs
   * again on a core of its own.
   */
  learn(waited: number, progressed = true): void {
    const ms = this.ms;
    if (!progressed) {
      this.ms = Math.max(MIN_MS, ms / 2);
      this.#stalled = this.ms === MIN_MS;
      if (this.#probing) this.#every = Math.min(PROBE_MAX, 2 * this.#every);
      this.#probing = false;
      return;
    }
    if (this.#probing) this.#every = PROBE_FIRST;
    this.#probing = false;
    this.#stalled = false;
    this.ms = waited > SHORT_MS
      ? Math.max(MIN_MS, ms / 2)
      : Math.min(MAX_MS, Math.max(MIN_MS, 2 * waited, ms - ms / 8));
  }
}
