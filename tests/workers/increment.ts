import type { Lock } from "../../mod.ts";

/** Adds 1 to `counter[0]` `times` times, each under `lock`. */
export default function increment(lock: Lock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    // A plain read-modify-write: only the lock makes it exact.
    counter[0] = counter[0] + 1;
    lock.release();
  }
}
