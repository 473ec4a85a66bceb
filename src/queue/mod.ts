/**
 * `@sabkit/sabkit/queue`: `Queue`, `SimpleQueue`, `JoinableQueue` and
 * `Pipe`, which move any value between workers through shared memory.
 *
 * @example A queue on one thread
 * ```ts
 * import { Queue } from "@sabkit/sabkit/queue";
 * const q = new Queue<{ id: number }>();
 * q.put({ id: 1 });
 * console.assert(q.get().id === 1);
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
// revive first: it loads every kind, so values through a queue can hold any sabkit object.
export * from "../process/revive.ts";
export { ChannelClosedError } from "../channel/channel.ts";
export * from "./queue.ts";
export * from "./simple_queue.ts";
export * from "./joinable_queue.ts";
export * from "./pipe.ts";
