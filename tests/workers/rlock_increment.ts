import type { RLock } from "../../mod.ts";

/** Adds 1 to `counter[0]` `times` times, holding `lock` twice (re-entered) for each. */
export default function increment(lock: RLock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    using _outer = lock.guard();
    using _inner = lock.guard();
    counter[0] = counter[0] + 1;
  }
}
