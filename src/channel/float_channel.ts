/**
 * `FloatChannel`: the seed of sabkit, Python's shared-memory float channel.
 *
 * @module
 */

import { Channel } from "./channel.ts";
import { channelBytes } from "./_channel_types.ts";
import { defineKind, type Handle } from "../core/_handle.ts";

/**
 * The channel this project grew from: Python's `FloatChannel`, a
 * `RawArray('d', maxsize)` with two semaphores, which sends lists of floats
 * to another process without serializing them. Here it is
 * `Channel("d", { capacity: maxsize, slots: 1 })` (with the message length
 * kept in shared memory, where the Python original lost it). Use a
 * {@linkcode Channel} with more slots for more throughput.
 *
 * @example The seed program's hand-off
 * ```ts
 * import { FloatChannel } from "@sabkit/sabkit";
 * const ch = new FloatChannel(100_000);
 * ch.send(Array.from({ length: 100_000 }, (_, i) => i / 2));
 * console.assert(ch.recv()?.[3] === 1.5);
 * ```
 */
export class FloatChannel extends Channel<"d"> {
  static {
    defineKind(this, "FloatChannel", {
      bytes: (meta: unknown) => {
        const m = meta as { typecode?: unknown; slots?: unknown } | null;
        if (m?.typecode !== "d" || m?.slots !== 1) {
          throw new TypeError("Cannot revive a sabkit object: a FloatChannel has one float64 slot");
        }
        return channelBytes(meta);
      },
      create: (h: Handle) => new FloatChannel((h.meta as { capacity: number }).capacity),
    });
  }

  /**
   * Creates an empty one-slot float64 channel.
   *
   * @param maxsize The most floats one message may have.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   *
   * @example Room for 100,000 floats per message
   * ```ts
   * import { FloatChannel } from "@sabkit/sabkit";
   * const ch = new FloatChannel(100_000);
   * ```
   */
  constructor(maxsize: number) {
    super("d", { capacity: maxsize, slots: 1 });
  }
}
