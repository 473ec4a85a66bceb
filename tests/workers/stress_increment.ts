import type { Lock, RLock, Semaphore, SynchronizedValue } from "../../mod.ts";

/**
 * Increment loops for the stress tests. `counter[0]` is a plain
 * read-modify-write (only the lock makes the total exact); `counter[1]`
 * counts the threads inside the section: finding someone there already is a
 * violation, counted in `counter[2]`.
 */
function section(counter: Int32Array): void {
  if (Atomics.add(counter, 1, 1) !== 0) Atomics.add(counter, 2, 1);
  counter[0] = counter[0] + 1;
  Atomics.sub(counter, 1, 1);
}

/** `times` increments, each between `acquire()` and `release()`. */
export function acquire(lock: Lock | Semaphore, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    section(counter);
    lock.release();
  }
}

/** `times` increments, each holding the RLock twice (re-entered). */
export function reenter(lock: RLock, counter: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    using _outer = lock.guard();
    using _inner = lock.guard();
    section(counter);
  }
}

/** `times` increments, each awaiting `acquireAsync()` (and a `guardAsync()` every other time). */
export async function acquireAsync(
  lock: Lock | RLock | Semaphore,
  counter: Int32Array,
  times: number,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (i % 2 === 0) {
      if (!await lock.acquireAsync()) throw new Error("acquireAsync() without a timeout returned false");
      section(counter);
      lock.release();
    } else {
      using _ = await lock.guardAsync();
      section(counter);
    }
  }
}

/** `times` times `v.value += 1` inside `v.guard()`; `inside` detects overlaps as above. */
export function value(v: SynchronizedValue<"i">, inside: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    using _ = v.guard();
    if (Atomics.add(inside, 1, 1) !== 0) Atomics.add(inside, 2, 1);
    v.value += 1;
    Atomics.sub(inside, 1, 1);
  }
}
