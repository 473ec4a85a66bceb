/**
 * `@sabkit/sabkit/channel`: `Channel` and `FloatChannel`, which move arrays
 * of numbers between workers through shared memory.
 *
 * @example Sending and receiving on one thread
 * ```ts
 * import { Channel } from "@sabkit/sabkit/channel";
 * const ch = new Channel("d", { capacity: 3, slots: 2 });
 * ch.send([1, 2, 3]);
 * console.assert(ch.recv()?.[2] === 3);
 * ```
 *
 * @module
 */

export * from "../core/errors.ts";
export * from "../core/typecodes.ts";
export * from "./channel.ts";
export * from "./float_channel.ts";
