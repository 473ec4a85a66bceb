import type { Barrier } from "../../mod.ts";

/**
 * Passes `barrier` `generations` times (with `waitAsync` when `async`),
 * counting each (generation, index) in `seen`. The action counts runs in
 * `actions[0]`; `actions[1]` counts releases seen before their generation's
 * action had run.
 */
export default async function generations(
  barrier: Barrier,
  seen: Int32Array,
  actions: Int32Array,
  generations: number,
  async = false,
): Promise<void> {
  barrier.action = () => Atomics.add(actions, 0, 1);
  const parties = barrier.parties;
  for (let g = 0; g < generations; g++) {
    const index = async ? await barrier.waitAsync(60000) : barrier.wait(60000);
    Atomics.add(seen, g * parties + index, 1);
    if (Atomics.load(actions, 0) < g + 1) Atomics.add(actions, 1, 1);
  }
}
