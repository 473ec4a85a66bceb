import type { Channel } from "../../mod.ts";
import { expectSame, stream } from "../_chan.ts";

/**
 * Receives the seeded stream until the channel ends and checks every message
 * (length, content, order); `out[0]` gets the count. Alternates `recvInto`
 * and `recv`.
 */
export default function recv(ch: Channel<"d">, seed: number, out: Int32Array): void {
  const next = stream(seed, ch.capacity);
  const want = new Float64Array(ch.capacity);
  const buf = new Float64Array(ch.capacity);
  for (let i = 0;; i++) {
    let got: Float64Array | null = buf;
    let n: number | null;
    if (i % 2 === 0) {
      n = ch.recvInto(buf, { timeout: 30000 });
    } else {
      got = ch.recv({ timeout: 30000 });
      n = got === null ? null : got.length;
    }
    if (n === null) {
      out[0] = i;
      return;
    }
    const m = next(want);
    if (n !== m) throw new Error(`message ${i} has ${n} elements, expected ${m}`);
    expectSame(`message ${i}`, got!, want, n);
  }
}
