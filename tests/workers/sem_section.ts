import type { Semaphore } from "../../mod.ts";

const INSIDE = 0;
const MAX = 1;
const ENTRIES = 2;

/** Enters a section guarded by `sem` `rounds` times, recording how many are inside at most. */
export default function section(sem: Semaphore, stats: Int32Array, rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    using _ = sem.guard({ timeout: 10000 });
    const inside = Atomics.add(stats, INSIDE, 1) + 1;
    for (let max = Atomics.load(stats, MAX); inside > max;) {
      const seen = Atomics.compareExchange(stats, MAX, max, inside);
      if (seen === max) break;
      max = seen;
    }
    // Stay a little, so other workers pile up at the door.
    const until = performance.now() + 0.05;
    while (performance.now() < until);
    Atomics.add(stats, ENTRIES, 1);
    Atomics.sub(stats, INSIDE, 1);
  }
}
