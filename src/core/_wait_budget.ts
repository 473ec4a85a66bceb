/**
 * How long a queue's blocking wait spins before it sleeps, learned per ring
 * and kind of wait from whether spinning caught the other side.
 *
 * Spinning pays only while the other side runs at the same time, on another
 * core. When both share one core (a busy machine, or the scheduler placing
 * them together), the other side cannot run while this one spins: every
 * spin is lost in full, then the sleep hands the core over. Measured with
 * both threads pinned to one core (`taskset -c 0`): 300 µs per Pipe round
 * trip with a budget that also grew on short sleeps (`core/_spin.ts`: each
 * side's sleep lasted about the other's spin, so both kept spinning ~150 µs),
 * and 32 ms per 1 MB value streamed through 64 KiB with a fixed 1 ms spin per
 * part (0.03 GB/s, the figure Deno's benchmark showed).
 *
 * So only a spin that caught the event counts in its favour (the budget
 * becomes at least 4× that spin), and every sleep halves it, down to none:
 * then the wait sleeps at once, which on one core is the fastest hand-off.
 * Two threads on two cores that both sleep would stay that way (each wait
 * includes the other's wake-up), so a budget at zero probes: every
 * `#every`-th wait spins the most once; a probe that catches restores the
 * budget, one that misses doubles the gap to the next probe (up to
 * {@linkcode PROBE_MAX} waits), which keeps its cost on one core small.
 *
 * No clock is read here: the caller measures its spin.
 *
 * @module
 */

/** A budget below this (ms) is none: a spin shorter than a hand-off only delays the sleep. */
const MIN_MS = 0.002;
/** The least budget a catch leaves (ms; see `caught`). */
const CAUGHT_MIN_MS = 0.05;
/** Waits between probes at first, and at most. */
const PROBE_FIRST = 8;
const PROBE_MAX = 1024;

/** One ring's spin budget for one kind of wait (see the module doc). */
export class WaitBudget {
  /** How long the next wait spins (ms); 0: it sleeps at once. */
  ms: number;
  readonly #max: number;
  /** Waits with no budget since the last probe, and how many there are between probes. */
  #since = 0;
  #every = PROBE_FIRST;
  #probing = false;

  /** A budget spinning at most `maxMs` (and at first). */
  constructor(maxMs: number) {
    this.#max = maxMs;
    this.ms = maxMs;
  }

  /** The spin (ms) of a wait that found nothing at its first try; call once per wait. */
  next(): number {
    if (this.ms > 0) return this.ms;
    if (++this.#since < this.#every) return 0;
    this.#since = 0;
    this.#probing = true;
    return this.#max;
  }

  /**
   * The wait ended without sleeping, `spun` ms after its first try. A catch
   * restores at least `CAUGHT_MIN_MS`: with free cores a budget of a few µs
   * (4× a quick catch) lost the next wait that took a little longer, then
   * halved to nothing (small ints main → worker, `chrt -f 50`: 3.0-3.8M/s;
   * with this floor 4.5-4.8M/s; one core still 10 µs per Pipe round trip).
   */
  caught(spun: number): void {
    this.ms = Math.min(this.#max, Math.max(this.ms, 4 * spun, CAUGHT_MIN_MS));
    this.#probing = false;
    this.#every = PROBE_FIRST;
  }

  /** The wait slept (once per wait, however often it slept). */
  missed(): void {
    const half = this.ms / 2;
    this.ms = half < MIN_MS ? 0 : half;
    if (this.#probing) {
      this.#probing = false;
      this.#every = Math.min(PROBE_MAX, 2 * this.#every);
    }
  }
}
