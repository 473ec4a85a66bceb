/**
 * `@sabkit/sabkit/sync`: Python's `multiprocessing.synchronize` beyond the
 * locks: `Semaphore`, `BoundedSemaphore`, `Condition`, `Event`, `Barrier`.
 *
 * @example An event set by one thread, awaited by another
 * ```ts
 * import { Event } from "@sabkit/sabkit/sync";
 * const ready = new Event();
 * setTimeout(() => ready.set(), 10);
 * console.assert(await ready.waitAsync(1000));
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
export * from "../core/protocol.ts";
export * from "../core/lock_wrapper.ts";
export * from "./semaphore.ts";
export * from "./bounded_semaphore.ts";
export * from "./condition.ts";
export * from "./event.ts";
export * from "./barrier.ts";
