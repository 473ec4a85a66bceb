import type { FloatChannel } from "../mod.ts";

/** The consumer process: receives `count` messages, as the seed's consumer did. */
export default function consume(ch: FloatChannel, count: number, ready: Int32Array): void {
  Atomics.store(ready, 0, 1);
  let total = 0;
  for (let i = 0; i < count; i++) total += ch.recv()!.length;
  if (total !== count * ch.capacity) throw new Error(`received ${total} floats`);
}
