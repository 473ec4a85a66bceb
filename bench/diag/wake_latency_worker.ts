/**
 * The worker half of `wake_latency.ts`: announces round `k`, parks until the
 * main thread stores `k`, and records when it runs again.
 */
export default function parkRounds(ctl: Int32Array, times: Float64Array, rounds: number): void {
  for (let k = 1; k <= rounds; k++) {
    Atomics.store(ctl, 1, k);
    // Bounded: a main thread that stopped must not leave this worker parked for good.
    if (Atomics.wait(ctl, 0, k - 1, 10_000) === "timed-out") return;
    times[1] = performance.timeOrigin + performance.now();
    Atomics.store(ctl, 2, k);
  }
}
