import type { Barrier, Condition, Event, Lock, RLock, Semaphore } from "../../mod.ts";
import { settle } from "./_record.ts";

/**
 * Blocking waits for the fault tests. Each counts its arrival in
 * `flags[0]`, waits, writes its outcome (a code of ./_record.ts) to
 * `out[slot]` and how long it waited (ms) to `out[slot + 1]`, then counts
 * itself in `flags[1]`.
 */
export { BROKEN, FALSE, OTHER, OWNER_DIED, TRUE } from "./_record.ts";

function record(flags: Int32Array, out: Int32Array, slot: number, wait: () => boolean | number): void {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  const t0 = performance.now();
  const result = settle(wait);
  Atomics.store(out, slot + 1, Math.round(performance.now() - t0));
  Atomics.store(out, slot, result);
  Atomics.add(flags, 1, 1);
  Atomics.notify(flags, 1);
}

/** Acquires (and at once releases) `lock`. */
export function acquire(
  lock: Lock | RLock | Semaphore,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  record(flags, out, slot, () => {
    const ok = lock.acquire({ timeout });
    if (ok) lock.release();
    return ok;
  });
}

/** Waits once on `cond` (its lock held around the wait). */
export function condWait(
  cond: Condition,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  record(flags, out, slot, () => {
    using _ = cond.guard();
    return cond.wait(timeout);
  });
}

/** Waits for `event`. */
export function eventWait(
  event: Event,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  record(flags, out, slot, () => event.wait(timeout));
}

/** Waits at `barrier`; the outcome is its index + 10. */
export function barrierWait(
  barrier: Barrier,
  flags: Int32Array,
  out: Int32Array,
  slot: number,
  timeout: number,
): void {
  record(flags, out, slot, () => barrier.wait(timeout));
}

/**
 * Acquires `lock` `depth` times (an RLock re-entered), raises `flags[0]`,
 * then sleeps in short slices until terminated, or until `flags[1]` is
 * raised: then it releases as often and returns.
 */
export async function holdForever(
  lock: Lock | RLock | Semaphore,
  flags: Int32Array,
  depth = 1,
): Promise<void> {
  for (let i = 0; i < depth; i++) lock.acquire();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < depth; i++) lock.release();
}
