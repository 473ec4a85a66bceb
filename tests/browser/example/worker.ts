// worker.ts: the process target (bundled to worker.js); workers may block
import type { Lock } from "@sabkit/sabkit";

export default function add(lock: Lock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    using _ = lock.guard();
    counter[0] += 1;
  }
}
