/**
 * `FloatChannel`: the seed of sabkit, Python's shared-memory float channel.
 *
 * @module
 */

import { Channel } from "./channel.ts";
import { channelBytes } from "./_channel_types.ts";
import { defineKind, type Handle } from "../core/_handle.ts";

/**
 * A FloatChannel's slots: with one (the seed's design) the receiver's copy
 * out of message k and the sender's copy into k+1 take turns; with more
 * they overlap on two cores. Measured here, 300 messages of 100,000 float64
 * with send + recv, main thread → worker: 1 / 2 / 4 slots gave 0.86 / 1.14 /
 * 1.41 GB/s on Node 26, 1.54 / 2.00 / 2.13 on Deno 2.9, 3.08 / 5.89 / 7.36
 * on Bun 1.4.
 */
const SLOTS = 4;

/**
 * The channel this project grew from: Python's `FloatChannel`, a
 * `RawArray('d', maxsize)` with two semaphores, which sends lists of floats
 * to another process without serializing them. Here it is
 * `Channel("d", { capacity: maxsize, slots: 4 })`, with the message length
 * kept in shared memory (where the Python original lost it) and four slots
 * so that copying in and copying out overlap. It takes about
 * `4 × 8 × maxsize` bytes of shared memory (each slot rounded up to whole
 * 64-byte lines, plus two lines per slot and 640 bytes of control words).
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
        if (m?.typecode !== "d" || m?.slots !== SLOTS) {
          throw new TypeError(`Cannot revive a sabkit object: a FloatChannel has ${SLOTS} float64 slots`);
        }
        return channelBytes(meta);
      },
      create: (h: Handle) => new FloatChannel((h.meta as { capacity: number }).capacity),
    });
  }

  /**
   * Creates an empty float64 channel of four slots.
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
    super("d", { capacity: maxsize, slots: SLOTS });
  }
}
