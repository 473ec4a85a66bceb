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
export * from "./src/process.ts";
export * from "./src/revive.ts";
export * from "./src/channel.ts";
export * from "./src/float_channel.ts";
