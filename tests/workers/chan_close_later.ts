import type { Channel } from "../../mod.ts";

/** Sends `messages` (if any), then closes `ch` after `ms` milliseconds. */
export default async function closeLater(ch: Channel, ms: number, messages: number[][] = []): Promise<void> {
  for (const m of messages) ch.send(m, { timeout: 30000 });
  await new Promise((r) => setTimeout(r, ms));
  ch.close();
}
