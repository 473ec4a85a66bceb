import type { Channel } from "../../mod.ts";
import { stamp } from "../_chan.ts";

/**
 * Receives stamped messages until the channel ends, checking every element; `out[0]` gets the count.
 * `inPlace`: read each message where it lies (`recvWith`) instead of into a buffer.
 */
export default function check(ch: Channel<"d">, out: Int32Array, inPlace = false): void {
  const buf = new Float64Array(ch.capacity);
  for (let i = 0;; i++) {
    const n = inPlace
      ? ch.recvWith((view) => checkOne(view, view.length, i, ch.capacity), { timeout: 30000 })
      : ch.recvInto(buf, { timeout: 30000 });
    if (n === null) {
      out[0] = i;
      return;
    }
    if (!inPlace) checkOne(buf, n, i, ch.capacity);
  }
}

function checkOne(m: Float64Array, n: number, i: number, capacity: number): void {
  if (n !== capacity) throw new Error(`message ${i} has ${n} elements`);
  for (let j = 0; j < n; j++) {
    if (m[j] !== stamp(i, j)) throw new Error(`message ${i} element ${j} is ${m[j]}`);
  }
}
