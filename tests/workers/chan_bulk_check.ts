import type { Channel } from "../../mod.ts";
import { stamp } from "../_chan.ts";

/** Receives stamped messages until the channel ends, checking every element; `out[0]` gets the count. */
export default function check(ch: Channel<"d">, out: Int32Array): void {
  const buf = new Float64Array(ch.capacity);
  for (let i = 0;; i++) {
    const n = ch.recvInto(buf, { timeout: 30000 });
    if (n === null) {
      out[0] = i;
      return;
    }
    if (n !== ch.capacity) throw new Error(`message ${i} has ${n} elements`);
    for (let j = 0; j < n; j++) {
      if (buf[j] !== stamp(i, j)) throw new Error(`message ${i} element ${j} is ${buf[j]}`);
    }
  }
}
