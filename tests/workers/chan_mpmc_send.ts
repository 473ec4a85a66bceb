import { type Channel, TimeoutError } from "../../mod.ts";

/** Repeats `op` until it does not time out, alternating with the sync form's tiny timeouts. */
export async function retry<T>(op: () => Promise<T>, k: number, sync?: () => T): Promise<T> {
  for (let i = 0;; i++) {
    try {
      return (sync !== undefined && (i + k) % 2 === 0) ? sync() : await op();
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
  }
}

/**
 * Sends `count` messages `[id, seq, payload…]` (1–6 payload elements, each
 * `id·1e6 + seq`); mode "retry" uses timeouts of 0–2 ms and retries.
 */
export default async function send(ch: Channel<"d">, id: number, count: number, mode: string): Promise<void> {
  const msg = new Float64Array(8);
  for (let seq = 0; seq < count; seq++) {
    const n = 3 + (seq % 6);
    msg[0] = id;
    msg[1] = seq;
    for (let j = 2; j < n; j++) msg[j] = id * 1e6 + seq;
    if (mode === "async") await ch.sendAsync(msg.subarray(0, n), { timeout: 30000 });
    else if (mode === "retry") await retry(() => ch.sendAsync(msg.subarray(0, n), { timeout: seq % 3 }), seq);
    else ch.send(msg.subarray(0, n), { timeout: 30000 });
  }
}
