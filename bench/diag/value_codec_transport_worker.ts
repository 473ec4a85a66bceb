/** The consumer of `value_codec_transport.ts`: gets `n` values per round, answers with the last one's id. */
import type { Queue } from "../../mod.ts";

export default function consume(q: Queue, done: Int32Array, kind: string): void {
  for (let round = 1;; round++) {
    const n = Atomics.load(done, 1);
    if (n === 0) return;
    let last: unknown;
    for (let i = 0; i < n; i++) last = q.get();
    const id = kind === "int"
      ? last as number
      : kind === "bytes"
      ? (last as Uint8Array)[0]
      : (last as { id: number }).id;
    Atomics.store(done, 2, id);
    Atomics.store(done, 0, round);
    Atomics.notify(done, 0);
    Atomics.wait(done, 3, round - 1);
  }
}
