/**
 * `@sabkit/sabkit/lock`: `Lock` and `RLock` (Python's `multiprocessing.Lock`
 * and `RLock`), `RwLock` (many readers or one writer), `LockManager` (the Web Locks
 * API on shared memory), the lock protocol's types and their errors.
 *
 * @example A critical section shared with workers
 * ```ts
 * import { Lock } from "@sabkit/sabkit/lock";
 * const lock = new Lock();
 * {
 *   using _ = lock.guard();
 * }
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
export * from "../core/protocol.ts";
export * from "./lock.ts";
export * from "./rlock.ts";
export * from "./rwlock.ts";
export * from "./lock_manager.ts";
