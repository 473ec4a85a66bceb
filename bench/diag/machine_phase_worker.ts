import type { Channel } from "../../mod.ts";

/**
 * The consumer of `machine_phase.ts`: reads every message in place, checks
 * its stamps, and publishes the batches done (`flags[1]`), so the
 * producer can time whole batches; `flags[0]` says it is ready.
 */
export default function drain(ch: Channel<"d">, flags: Int32Array, batch: number): void {
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  let i = 0;
  const check = (m: Float64Array): void => {
    if (m[0] !== i || m[m.length - 1] !== i) throw new Error(`Message ${i} arrived as ${m[0]}`);
  };
  while (ch.recvWith(check) !== null) {
    i++;
    if (i % batch === 0) {
      Atomics.store(flags, 1, i / batch);
      Atomics.notify(flags, 1);
    }
  }
}
