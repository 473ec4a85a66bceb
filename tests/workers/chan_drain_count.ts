import type { Channel } from "../../mod.ts";

/** Receives until the channel ends: `flags[0]` counts messages, `flags[1]` becomes 1 on `null`. */
export default async function drain(ch: Channel, flags: Int32Array, mode: string): Promise<void> {
  for (;;) {
    const m = mode === "async" ? await ch.recvAsync() : ch.recv();
    if (m === null) break;
    Atomics.add(flags, 0, 1);
  }
  Atomics.store(flags, 1, 1);
}
