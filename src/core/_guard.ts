/**
 * `guard()` and `guardAsync()` for every lock-like object, built once on
 * `acquire` and `release`.
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";
import type { AcquireOptions, GuardOptions } from "./protocol.ts";
import { describe } from "./_describe.ts";
import { handleOf } from "./_handle.ts";
import { assertCanBlock, deadlineOf, waitOptions } from "./_wait.ts";

interface Acquirable {
  acquire(options?: { timeout?: number }): boolean;
  acquireAsync(options?: { timeout?: number; signal?: AbortSignal }): Promise<boolean>;
  release(): void;
}

function releaser(lock: Acquirable): Disposable {
  let held = true;
  return {
    [Symbol.dispose](): void {
      // Disposing twice must not release someone else's hold.
      if (held) {
        held = false;
        lock.release();
      }
    },
  };
}

/** What messages call `lock`: its kind (a bundler may rename its class). */
function nameOf(lock: Acquirable): string {
  return handleOf(lock)?.kind ?? (lock as object).constructor.name;
}

function timedOut(lock: Acquirable, timeout: number | undefined): TimeoutError {
  const name = nameOf(lock);
  return new TimeoutError(`Could not acquire the ${name} within ${timeout} ms`);
}

/** Blocking acquire that returns a `Disposable` release, or throws `TimeoutError`. */
export function guard(lock: Acquirable, options?: GuardOptions): Disposable {
  const name = nameOf(lock);
  const { timeout } = waitOptions(options, `${name}.guard`);
  assertCanBlock(`${name}.guard`, `${name}.guardAsync`);
  if (!lock.acquire({ timeout })) throw timedOut(lock, timeout);
  return releaser(lock);
}

/** Async acquire that resolves to a `Disposable` release, or rejects with `TimeoutError`. */
export async function guardAsync(lock: Acquirable, options?: GuardOptions): Promise<Disposable> {
  const checked = waitOptions(options, `${nameOf(lock)}.guardAsync`);
  if (!await lock.acquireAsync(checked)) throw timedOut(lock, checked.timeout);
  return releaser(lock);
}

/** Validates `blocking` and returns the deadline of a blocking acquire (`undefined`: try once). */
export function acquireDeadline(options: AcquireOptions | undefined, method: string): number | undefined {
  const { blocking = true, timeout } = waitOptions(options, method);
  if (typeof blocking !== "boolean") {
    throw new TypeError(`The blocking option of ${method}() must be a boolean, got ${describe(blocking)}`);
  }
  const deadline = deadlineOf(timeout);
  if (!blocking) return undefined;
  assertCanBlock(method, `${method}Async`);
  return deadline;
}

/**
 * What runs right after a `LockWrapper` acquired its lock, by wrapper (a
 * `Condition` finishes a change its lock's dead holder had committed).
 */
export const afterAcquire: WeakMap<object, () => void> = new WeakMap();
