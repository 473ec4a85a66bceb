/**
 * `revive`: makes sabkit objects received from another thread live again.
 *
 * It names every class by value, so a bundler that drops unused modules
 * (`"sideEffects": false`) still keeps each class, and with it the kind its
 * `static` block defines: a bundled worker that imports only `revive` can
 * receive any sabkit object.
 *
 * @module
 */

import { reviveWith } from "../core/_handle.ts";
import { Channel } from "../channel/channel.ts";
import { FloatChannel } from "../channel/float_channel.ts";
import { RawValue } from "../data/raw_value.ts";
import { SynchronizedArray } from "../data/synchronized_array.ts";
import { SynchronizedString } from "../data/synchronized_string.ts";
import { SynchronizedValue } from "../data/value.ts";
import { Lock } from "../lock/lock.ts";
import { LockManager } from "../lock/lock_manager.ts";
import { RLock } from "../lock/rlock.ts";
import { RwLock } from "../lock/rwlock.ts";
import { Barrier } from "../sync/barrier.ts";
import { BoundedSemaphore } from "../sync/bounded_semaphore.ts";
import { Condition } from "../sync/condition.ts";
import { Event } from "../sync/event.ts";
import { Semaphore } from "../sync/semaphore.ts";
import { Queue } from "../queue/queue.ts";
import { SimpleQueue } from "../queue/simple_queue.ts";
import { JoinableQueue } from "../queue/joinable_queue.ts";
import { Connection } from "../queue/pipe.ts";

/** Every class whose objects `revive` builds (a `c` or `u` array is a SynchronizedString). */
const CLASSES: readonly (abstract new (...args: never[]) => object)[] = [
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
  Barrier,
  RawValue,
  SynchronizedValue,
  SynchronizedArray,
  SynchronizedString,
  Channel,
  FloatChannel,
  RwLock,
  LockManager,
  Queue,
  SimpleQueue,
  JoinableQueue,
  Connection,
];

/**
 * Makes every sabkit object inside a value received through `postMessage`
 * (or `workerData`) live again, on the same shared memory. Walks arrays,
 * plain objects, `Map`s and `Set`s; returns other values unchanged.
 * `Process` args need none: they arrive revived.
 *
 * @param value What arrived from another thread.
 * @returns `value`, with sabkit objects revived (containers are copied).
 * @throws {TypeError} If a sabkit handle inside was forged or truncated.
 *
 * @example Reviving a lock received from the main thread
 * ```ts ignore
 * import { type Lock, revive } from "@sabkit/sabkit";
 * self.onmessage = (e: MessageEvent) => {
 *   const { lock } = revive(e.data) as { lock: Lock };
 *   using _ = lock.guard();
 * };
 * ```
 */
export function revive<T>(value: T): T {
  return reviveWith(value, CLASSES);
}
