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

export * from "./src/errors.ts";
export * from "./src/protocol.ts";
export * from "./src/lock.ts";
export * from "./src/rlock.ts";
export * from "./src/typecodes.ts";
export * from "./src/raw_value.ts";
export * from "./src/synchronized_base.ts";
export * from "./src/value.ts";
export * from "./src/raw_array.ts";
export * from "./src/synchronized_array.ts";
export * from "./src/synchronized_string.ts";
export * from "./src/array.ts";
export * from "./src/sharedctypes.ts";
export * from "./src/process.ts";
export * from "./src/revive.ts";
export * from "./src/semaphore.ts";
export * from "./src/bounded_semaphore.ts";
export * from "./src/condition.ts";
export * from "./src/event.ts";
export * from "./src/barrier.ts";
export * from "./src/channel.ts";
export * from "./src/float_channel.ts";
