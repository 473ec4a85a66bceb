import type { Condition, Lock, RLock, Semaphore, SynchronizedValue } from "../../mod.ts";

/** Workers that throw in the middle of a protocol; `using` must release on the way out. */

/** Throws inside `lock.guard()` (twice nested for an RLock). */
export function inGuard(lock: Lock | RLock | Semaphore, nested: boolean): void {
  using _outer = lock.guard();
  using _inner = nested ? lock.guard() : undefined;
  throw new RangeError("thrown inside a guard");
}

/** Throws inside `await lock.guardAsync()`. */
export async function inGuardAsync(lock: Lock | RLock | Semaphore): Promise<void> {
  using _ = await lock.guardAsync();
  await new Promise((r) => setTimeout(r, 1));
  throw new RangeError("thrown inside an async guard");
}

/** Throws inside a Value's guard, halfway through an update. */
export function inValueGuard(v: SynchronizedValue<"i">): void {
  using _ = v.guard();
  v.value += 1;
  throw new RangeError("thrown halfway through an update");
}

/** Waits on `cond` until `flags[0]` is raised, then the predicate throws (lock held). */
export function inPredicate(cond: Condition, flags: Int32Array): void {
  using _ = cond.guard();
  cond.waitFor(() => {
    if (Atomics.load(flags, 0) !== 0) throw new RangeError("thrown by the predicate");
    return false;
  }, 20000);
}
