import type { Channel } from "../../mod.ts";

/** Sends `count` messages `[id, seq, payload…]` (1–6 payload elements, each `id·1e6 + seq`). */
export default async function send(ch: Channel<"d">, id: number, count: number, mode: string): Promise<void> {
  const msg = new Float64Array(8);
  for (let seq = 0; seq < count; seq++) {
    const n = 3 + (seq % 6);
    msg[0] = id;
    msg[1] = seq;
    for (let j = 2; j < n; j++) msg[j] = id * 1e6 + seq;
    if (mode === "async") await ch.sendAsync(msg.subarray(0, n), { timeout: 30000 });
    else ch.send(msg.subarray(0, n), { timeout: 30000 });
  }
}
