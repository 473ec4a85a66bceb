/**
 * The worker half of `memcpy_pair.ts`: copies 800 kB blocks into shared
 * memory until told to stop, counting them.
 */
export default function copyUntilStopped(flags: Int32Array, size: number): void {
  const src = new Float64Array(size).fill(1.5);
  const dst = new Float64Array(new SharedArrayBuffer(size * 8));
  Atomics.store(flags, 0, 1);
  let n = 0;
  while (Atomics.load(flags, 1) === 0) {
    dst.set(src);
    n++;
  }
  Atomics.store(flags, 2, n);
}
