import type { Channel } from "../mod.ts";

/** Drains `ch` into one buffer, checking each message's stamps; raises `flags[0]` when ready, `flags[1]` when done. */
export default function drain(ch: Channel<"d">, flags: Int32Array): void {
  const buf = new Float64Array(ch.capacity);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  let i = 0;
  for (let n; (n = ch.recvInto(buf)) !== null; i++) {
    if (buf[0] !== i || buf[n - 1] !== i) throw new Error(`message ${i} arrived as ${buf[0]}`);
  }
  Atomics.store(flags, 2, i);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
}
