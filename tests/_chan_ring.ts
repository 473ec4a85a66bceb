/**
 * The ring under a Channel, word by word, for the kill-point tests: they
 * write the exact state a worker killed after a given protocol step leaves
 * (see the table in src/channel/_ring.ts), then check that live parties go on.
 */
import type { Channel } from "../mod.ts";
import { handleOf } from "../src/core/_handle.ts";
import { elementOf, strideOf } from "../src/channel/_channel_types.ts";
import {
  claimMark,
  CLOSED,
  HEAD,
  LEN,
  RECV,
  Ring,
  SEND,
  SEND_WAITERS,
  SEQ,
  SHUT,
  TAIL,
} from "../src/channel/_ring.ts";

export { claimMark, CLOSED, HEAD, LEN, RECV, SEND, SEND_WAITERS, SEQ, SHUT, TAIL };

/** A channel's control words and slot headers, and a Ring of this thread's own over them. */
export interface RingView {
  i32: Int32Array;
  ring: Ring;
  slots: number;
  /** The index of `pos`'s slot header word `word` (SEQ or LEN). */
  at(pos: number, word?: number): number;
  /** The mark a claim of `pos` for `side` by `agent` leaves in the slot's sequence word. */
  mark(pos: number, side: number, agent: number): number;
  /** The slot data of `pos` as float64 (for "d" channels). */
  data(pos: number): Float64Array;
}

/** The ring of `ch` (any typecode; `data` assumes "d"). */
export function ringOf(ch: Channel): RingView {
  const h = handleOf(ch)!;
  const meta = h.meta as { typecode: string; capacity: number; slots: number };
  const el = elementOf(meta.typecode);
  const stride = strideOf(el, meta.capacity);
  const i32 = new Int32Array(h.buffer, h.byteOffset, h.byteLength / 4);
  const ring = new Ring(i32, meta.slots, stride);
  return {
    i32,
    ring,
    slots: meta.slots,
    at: (pos, word = SEQ) => ring.header(pos) + word,
    mark: (pos, side, agent) => claimMark(agent, ring.lapOf(pos), side),
    data: (pos) => new Float64Array(h.buffer, h.byteOffset + (ring.header(pos) * 4 + 64), meta.capacity),
  };
}
