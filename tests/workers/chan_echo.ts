import type { Channel } from "../../mod.ts";

/** For each pair, sends back every message received on `input` on `output`, then closes `output`; checks the kind. */
export default function echo(pairs: Array<[Channel, Channel]>, kind: string): void {
  for (const [input, output] of pairs) {
    if (input.constructor.name !== kind) throw new Error(`input revived as ${input.constructor.name}`);
    for (const m of input) output.send(m, { timeout: 30000 });
    output.close();
  }
}
