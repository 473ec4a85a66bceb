import type { Channel } from "../../mod.ts";

/** Sends back every message received on `input` on `output`, then closes `output`; checks its kind. */
export default function echo(input: Channel, output: Channel, kind: string): void {
  if (input.constructor.name !== kind) throw new Error(`input revived as ${input.constructor.name}`);
  for (const m of input) output.send(m, { timeout: 30000 });
  output.close();
}
