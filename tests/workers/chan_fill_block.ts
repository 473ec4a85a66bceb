import { type Channel, ChannelClosedError } from "../../mod.ts";

/**
 * Fills every slot, raises `flags[0]`, then blocks sending one more:
 * `flags[1]` becomes 1 if that send throws `ChannelClosedError`, 2 if it succeeds.
 */
export default async function fill(ch: Channel, flags: Int32Array, mode: string): Promise<void> {
  for (let i = 0; i < ch.slots; i++) ch.send([i], { timeout: 0 });
  Atomics.store(flags, 0, 1);
  try {
    if (mode === "async") await ch.sendAsync([ch.slots]);
    else ch.send([ch.slots]);
    Atomics.store(flags, 1, 2);
  } catch (e) {
    if (!(e instanceof ChannelClosedError)) throw e;
    Atomics.store(flags, 1, 1);
  }
}
