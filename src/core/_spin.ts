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

/** One thread's spin budget for one kind of wait. */
export class SpinBudget {
  /** How long the next wait spins (ms). */
  ms: number = MAX_MS;

  /** Learns from a wait of `waited` ms, parked or not. */
  learn(waited: number): void {
    const ms = this.ms;
    this.ms = waited > SHORT_MS
      ? Math.max(MIN_MS, ms / 2)
      : Math.min(MAX_MS, Math.max(MIN_MS, 2 * waited, ms - ms / 8));
  }
}
