import type { Channel } from "../../mod.ts";

/**
 * Sends `count` messages of `size` float64: element 0 is the index, the
 * last element is the sum of the others (a checksum), then closes.
 */
export default function send(ch: Channel<"d">, count: number, size: number): void {
  const msg = new Float64Array(size);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    msg[0] = i;
    for (let j = 1; j < size - 1; j++) sum += msg[j] = (i * 31 + j * 7) % 1009;
    msg[size - 1] = sum + i;
    ch.send(msg, { timeout: 30000 });
  }
  ch.close();
}
