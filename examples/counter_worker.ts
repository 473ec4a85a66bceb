import type { Lock } from "../mod.ts";

/** The worker's target: `times` increments, each under the shared lock. */
export default function add(lock: Lock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    using _ = lock.guard();
    counter[0] += 1;
  }
}
