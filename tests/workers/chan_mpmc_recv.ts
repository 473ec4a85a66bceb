import type { Channel } from "../../mod.ts";
import { retry } from "./chan_mpmc_send.ts";

/**
 * Receives `[id, seq, payload…]` messages until the channel ends. Checks the
 * payload and that each producer's sequence numbers rise; marks each message
 * in `seen` (one byte per producer and seq) and counts them in `counts[index]`.
 */
export default async function recv(
  ch: Channel<"d">,
  seen: Uint8Array,
  producers: number,
  count: number,
  counts: Int32Array,
  index: number,
  mode: string,
): Promise<void> {
  const last = new Array<number>(producers).fill(-1);
  const buf = new Float64Array(8);
  for (;;) {
    const n = mode === "async"
      ? await ch.recvIntoAsync(buf, { timeout: 30000 })
      : mode === "retry"
      ? await retry(() => ch.recvIntoAsync(buf, { timeout: 1 }), 0, () => ch.recvInto(buf, { timeout: 1 }))
      : ch.recvInto(buf, { timeout: 30000 });
    if (n === null) return;
    const id = buf[0];
    const seq = buf[1];
    if (!(id >= 0 && id < producers && seq >= 0 && seq < count) || n !== 3 + (seq % 6)) {
      throw new Error(`bad message [${buf.subarray(0, n).join(", ")}]`);
    }
    for (let j = 2; j < n; j++) {
      if (buf[j] !== id * 1e6 + seq) throw new Error(`producer ${id} message ${seq}: bad payload ${buf[j]}`);
    }
    if (seq <= last[id]) throw new Error(`producer ${id}: message ${seq} after ${last[id]}`);
    last[id] = seq;
    Atomics.add(seen, id * count + seq, 1);
    Atomics.add(counts, index, 1);
  }
}
