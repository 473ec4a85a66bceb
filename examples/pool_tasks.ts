/** The tasks of examples/pool.ts: each export is a task; arguments and results travel as Queue values. */

export const square = (x: number): number => x * x;

export const add = (a: number, b: number): number => a + b;

/** How many primes lie below `n` (a few milliseconds of arithmetic for 100,000). */
export function primesBelow(n: number): number {
  const sieve = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (sieve[i] === 1) continue;
    count++;
    for (let j = i * i; j < n; j += i) sieve[j] = 1;
  }
  return count;
}

/** Ends the worker in the middle of its task. */
export function crash(code: number): void {
  (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(code);
}
