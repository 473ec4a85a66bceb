/** Deterministic message streams shared by the channel tests and their workers. */

/** mulberry32: a tiny seeded PRNG of uint32s. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * A seeded stream of float64 messages with random lengths 0..capacity: the
 * producer and the consumer each build one with the same seed and must agree
 * on every message.
 */
export function stream(seed: number, capacity: number): (out: Float64Array) => number {
  const next = prng(seed);
  return (out) => {
    const n = next() % (capacity + 1);
    // Exact in float64: a uint32 over a power of two.
    for (let j = 0; j < n; j++) out[j] = next() / 4096;
    return n;
  };
}

/** The value of element `j` of stamped message `i` (exact in float64). */
export function stamp(i: number, j: number): number {
  return i * 1_000_003 + j * 0.5;
}

/** Throws with a precise message unless `got` equals `want` on `n` elements. */
export function expectSame(what: string, got: ArrayLike<unknown>, want: ArrayLike<unknown>, n: number): void {
  for (let j = 0; j < n; j++) {
    if (!Object.is(got[j], want[j])) {
      throw new Error(`${what}: element ${j} is ${String(got[j])}, expected ${String(want[j])}`);
    }
  }
}
