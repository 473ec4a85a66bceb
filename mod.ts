/**
 * sabkit: Python's `multiprocessing` shared data and synchronization for
 * JavaScript workers on Deno, Bun and Node, on `SharedArrayBuffer` and
 * `Atomics`.
 *
 * @example A lock shared with a worker
 * ```ts ignore
 * import * as mp from "@sabkit/sabkit";
 * const lock = new mp.Lock();
 * const p = new mp.Process(new URL("./worker.ts", import.meta.url), { args: [lock] }).start();
 * await p.join();
 * ```
 *
 * @module
 */

export * from "./src/core/errors.ts";
export * from "./src/core/protocol.ts";
export * from "./src/core/lock_wrapper.ts";
export * from "./src/lock/lock.ts";
export * from "./src/lock/rlock.ts";
export * from "./src/lock/rwlock.ts";
export * from "./src/lock/lock_manager.ts";
export * from "./src/core/typecodes.ts";
export * from "./src/data/raw_value.ts";
export * from "./src/data/synchronized_base.ts";
export * from "./src/data/value.ts";
export * from "./src/data/raw_array.ts";
export * from "./src/data/synchronized_array.ts";
export * from "./src/data/synchronized_string.ts";
export * from "./src/data/array.ts";
export * from "./src/data/sharedctypes.ts";
export * from "./src/process/process.ts";
export * from "./src/process/revive.ts";
export * from "./src/sync/semaphore.ts";
export * from "./src/sync/bounded_semaphore.ts";
export * from "./src/sync/condition.ts";
export * from "./src/sync/event.ts";
export * from "./src/sync/barrier.ts";
export * from "./src/channel/channel.ts";
export * from "./src/channel/float_channel.ts";
export * from "./src/queue/queue.ts";
export * from "./src/queue/simple_queue.ts";
export * from "./src/queue/joinable_queue.ts";
export * from "./src/queue/pipe.ts";
export * from "./src/pool/pool.ts";
export * from "./src/pool/worker_exit_error.ts";
