import type { Channel } from "../../mod.ts";
import { ANY_LENGTH, HEAD, RECV, SEND, TAIL } from "../../src/channel/_ring.ts";
import { agentId } from "../../src/core/_agent.ts";
import { checkStop } from "../../src/core/_wait.ts";
import { ringOf } from "../_chan_ring.ts";

/**
 * Workers of the kill-point tests: a real agent that stops right after a
 * named protocol step and waits to be terminated, and a live party that
 * sends and receives through a channel left in such a state.
 */

/** Raises `flags[0]`, then parks until terminated (on Deno, where terminate() cannot stop JS, at the next check). */
function park(flags: Int32Array): never {
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  for (;;) {
    Atomics.wait(flags, 1, 0, 20);
    checkStop();
  }
}

/**
 * Steps of the protocol done by hand as this agent, then parks:
 * "P1" marks the head's slot as its claim (not moving the head), "P2" claims
 * a slot to send (the message is never written), "C1" marks the tail's
 * message as its claim, "C2" claims the next message.
 */
export function stopAfter(ch: Channel<"d">, step: string, flags: Int32Array): void {
  const { i32, ring, at, mark } = ringOf(ch);
  const me = agentId();
  if (step === "P1") {
    const h = Atomics.load(i32, HEAD);
    if (Atomics.compareExchange(i32, at(h), 2 * h, mark(h, SEND, me)) !== 2 * h) {
      throw new Error("P1: not free");
    }
  } else if (step === "C1") {
    const t = Atomics.load(i32, TAIL);
    const q = 2 * t + 1;
    if (Atomics.compareExchange(i32, at(t), q, mark(t, RECV, me)) !== q) throw new Error("C1: no message");
  } else if (step === "P2") {
    if (ring.claimSync(SEND, 0, Infinity) < 0) throw new Error("P2: no slot");
  } else if (step === "C2") {
    if (ring.claimSync(RECV, ANY_LENGTH, Infinity) < 0) throw new Error("C2: no message");
  } else {
    throw new Error(`unknown step ${step}`);
  }
  park(flags);
}

/**
 * A live party: sends `[first + i]` for `i < count`, then (once `go[0]` is
 * raised, if given) receives `take` messages, writing their first elements
 * to `out[1…]` and the count to `out[0]`.
 */
export function pump(
  ch: Channel<"d">,
  first: number,
  count: number,
  take: number,
  out: Float64Array,
  go?: Int32Array,
): void {
  for (let i = 0; i < count; i++) ch.send([first + i], { timeout: 20000 });
  if (go !== undefined) { while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 20000); }
  const buf = new Float64Array(ch.capacity);
  for (let k = 0; k < take; k++) {
    const n = ch.recvInto(buf, { timeout: 20000 });
    if (n === null) throw new Error(`closed after ${k} of ${take}`);
    out[1 + k] = buf[0];
    out[0] = k + 1;
  }
}
