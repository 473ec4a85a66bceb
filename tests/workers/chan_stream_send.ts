import type { Channel } from "../../mod.ts";
import { stream } from "../_chan.ts";

/** Sends `count` messages of the seeded stream, alternating typed arrays and plain arrays, then closes. */
export default function send(ch: Channel<"d">, seed: number, count: number): void {
  const next = stream(seed, ch.capacity);
  const msg = new Float64Array(ch.capacity);
  for (let i = 0; i < count; i++) {
    const n = next(msg);
    ch.send(i % 3 === 2 ? Array.from(msg.subarray(0, n)) : msg.subarray(0, n), { timeout: 30000 });
  }
  ch.close();
}
