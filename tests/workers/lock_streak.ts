import type { Lock } from "../../mod.ts";

/**
 * Takes and releases `lock` section after section (each spins 20 µs inside)
 * for `ms` milliseconds, as a thread in a loop does: it takes the lock back
 * nanoseconds after each release, before a sleeper it woke can run. Raises
 * `flags[0]` as it starts; at the end stores its count of sections in
 * `flags[1]` and the time it stopped (`Date.now()`) in `stopped[0]`.
 */
export default function lockStreak(lock: Lock, flags: Int32Array, stopped: Float64Array, ms: number): void {
  const end = performance.now() + ms;
  let n = 0;
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (performance.now() < end) {
    lock.acquire();
    for (const t = performance.now() + 0.02; performance.now() < t;) { /* inside */ }
    lock.release();
    n++;
  }
  stopped[0] = Date.now();
  Atomics.store(flags, 1, n);
}
