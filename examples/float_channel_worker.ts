import type { Channel } from "../mod.ts";

/**
 * The consumer process: receives `count` messages, each as a new array
 * (`how` = "recv", as the seed's consumer did) or into one buffer ("recvInto").
 */
export default function consume(ch: Channel<"d">, count: number, ready: Int32Array, how: string): void {
  Atomics.store(ready, 0, 1);
  const buf = new Float64Array(ch.capacity);
  let total = 0;
  for (let i = 0; i < count; i++) total += how === "recv" ? ch.recv()!.length : ch.recvInto(buf)!;
  if (total !== count * ch.capacity) throw new Error(`received ${total} floats`);
}
