/**
 * A futex mutex on one Int32 word (Drepper's "mutex 3"): 0 unlocked,
 * 1 locked, 2 locked with possible sleepers. Uncontended lock and unlock are
 * one atomic operation each; `unlock` calls `notify` only when someone may
 * sleep. Shared by `Lock` and `RLock`.
 *
 * @module
 */

import { type Deadline, waitAsync, waitSync } from "./_wait.ts";

const SPINS = 64;
const pause: (n?: number) => void = (Atomics as unknown as { pause?: (n?: number) => void }).pause ??
  (() => {});

/** Takes the mutex if it is free. */
export function tryLock(i32: Int32Array, i: number): boolean {
  return Atomics.compareExchange(i32, i, 0, 1) === 0;
}

/** Spins briefly: a holder that releases within a few hundred ns saves two syscalls. */
function spin(i32: Int32Array, i: number): boolean {
  for (let n = 0; n < SPINS; n++) {
    const c = Atomics.load(i32, i);
    if (c === 0 && Atomics.compareExchange(i32, i, 0, 1) === 0) return true;
    if (c === 2) return false;
    pause(n);
  }
  return false;
}

/** Takes the mutex, sleeping until `deadline`; `false` if it timed out. */
export function lockSync(i32: Int32Array, i: number, deadline: Deadline): boolean {
  if (tryLock(i32, i) || spin(i32, i)) return true;
  while (Atomics.exchange(i32, i, 2) !== 0) {
    if (!waitSync(i32, i, 2, deadline)) return Atomics.compareExchange(i32, i, 0, 2) === 0;
  }
  return true;
}

/** The async form of {@linkcode lockSync}. */
export async function lockAsync(
  i32: Int32Array,
  i: number,
  deadline: Deadline,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) throw signal.reason;
  if (tryLock(i32, i)) return true;
  while (Atomics.exchange(i32, i, 2) !== 0) {
    if (!await waitAsync(i32, i, 2, deadline, signal)) {
      return Atomics.compareExchange(i32, i, 0, 2) === 0;
    }
  }
  return true;
}

/** Releases the mutex; `false` (and nothing changed) if it was not locked. */
export function unlock(i32: Int32Array, i: number): boolean {
  const c = Atomics.compareExchange(i32, i, 1, 0);
  if (c === 1) return true;
  if (c === 0) return false;
  Atomics.store(i32, i, 0);
  Atomics.notify(i32, i, 1);
  return true;
}

/** What `Condition` needs from the lock it waits with. */
export interface Reentry {
  /** Whether the calling agent holds the lock (for a `Lock`: whether it is held at all). */
  owned(): boolean;
  /** Releases every level the caller holds and returns how many. */
  releaseAll(): number;
  /** After a plain acquire, restores the depth `releaseAll` returned. */
  restore(depth: number): void;
}

const reentries = new WeakMap<object, Reentry>();

/** Registers how `Condition` releases and restores `lock`. */
export function defineReentry(lock: object, reentry: Reentry): void {
  reentries.set(lock, reentry);
}

/** The re-entry hooks of a `Lock` or `RLock`, or `undefined` for anything else. */
export function reentryOf(lock: unknown): Reentry | undefined {
  return typeof lock === "object" && lock !== null ? reentries.get(lock) : undefined;
}
