/** The worker half of `copy_out.ts`: times each way of copying a message out of shared memory. */
import { allocCopy } from "../../src/runtime/mod.ts";

export default function copyOut(
  flags: Int32Array,
  sab: SharedArrayBuffer,
  size: number,
  results: Float64Array,
): void {
  const data = new Float64Array(sab);
  const at = size;
  const view = data.subarray(at, at + size);
  view.fill(1.5);
  let sink = 0;
  const ways: (() => Float64Array)[] = [
    () => new Float64Array(view),
    () => view.slice(),
    () => {
      const a = new Float64Array(size);
      a.set(view);
      return a;
    },
    () => data.slice(at, at + size),
    () => allocCopy(view) as Float64Array,
  ];
  let seen = 0;
  for (;;) {
    Atomics.wait(flags, 0, seen);
    seen = Atomics.load(flags, 0);
    if (Atomics.load(flags, 3) !== 0) return;
    const rates: number[][] = ways.map(() => []);
    for (let round = 0; round < 31; round++) {
      for (let w = 0; w < ways.length; w++) {
        const way = ways[w];
        const t0 = performance.now();
        let n = 0;
        while (performance.now() - t0 < 50) {
          for (let i = 0; i < 8; i++) sink += way()[i];
          n += 8;
        }
        // Round 0 warms up.
        if (round > 0) rates[w].push((n * size * 8) / ((performance.now() - t0) * 1e6));
      }
    }
    for (let w = 0; w < ways.length; w++) {
      const sorted = rates[w].sort((a, b) => a - b);
      results[w] = sorted[sorted.length >> 1];
    }
    if (sink === -1) console.log(sink);
    Atomics.store(flags, 2, seen);
  }
}
