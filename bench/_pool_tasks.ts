/**
 * The tasks of the Pool benchmark (`_pool.ts`), for every pool: sabkit's
 * `Pool` calls the exports with their arguments; piscina and tinypool pass
 * one value (the `…One` exports take `[a, b]`); workerpool's worker is
 * `_pool_workerpool.ts`, which registers the same functions.
 *
 * @module
 */

/** The tiny task. */
export function add(a: number, b: number): number {
  return a + b;
}

/** `add` for pools that pass one value. */
export function addOne(ab: [number, number]): number {
  return ab[0] + ab[1];
}

/** The per-item task of the map rows. */
export function square(x: number): number {
  return x * x;
}

/** A chunk of items as one task (pools without batching, done by hand). */
export function squareAll(xs: number[]): number[] {
  const out = new Array<number>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[i] * xs[i];
  return out;
}

/**
 * About 1 ms of arithmetic on these machines (`WORK` rounds of an
 * xorshift): the same work for every pool, checked by its result.
 */
export function work(seed: number): number {
  let x = seed | 1;
  for (let i = 0; i < WORK; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x | 0;
}

/** Rounds of `work`: about 1 ms. */
export const WORK = 700_000;
