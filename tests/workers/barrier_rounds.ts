import type { Barrier } from "../../mod.ts";

/**
 * Passes `barrier` `rounds` times. Counts each (round, index) in `seen`; its
 * action counts runs in `actions[0]`; `actions[1]` counts releases that came
 * before the round's action had run.
 */
export default function rounds(
  barrier: Barrier,
  seen: Int32Array,
  actions: Int32Array,
  rounds: number,
): void {
  barrier.action = () => Atomics.add(actions, 0, 1);
  for (let round = 0; round < rounds; round++) {
    const index = barrier.wait(20000);
    Atomics.add(seen, round * barrier.parties + index, 1);
    if (Atomics.load(actions, 0) < round + 1) Atomics.add(actions, 1, 1);
  }
}
