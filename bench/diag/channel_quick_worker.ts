import type { Channel } from "../../mod.ts";

/**
 * Drains `ch` with `recvInto` (one buffer) or `recvWith` (in place), checking each message's stamps;
 * raises `flags[0]` when ready, `flags[1]` when done.
 */
export default function drain(ch: Channel<"d">, flags: Int32Array, mode: "into" | "with"): void {
  const buf = new Float64Array(ch.capacity);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  let i = 0;
  const check = (m: Float64Array, n: number) => {
    if (m[0] !== i || m[n - 1] !== i) throw new Error(`message ${i} arrived as ${m[0]}`);
  };
  if (mode === "with") {
    for (; ch.recvWith((m) => check(m, m.length)) !== null; i++);
  } else {
    for (let n; (n = ch.recvInto(buf)) !== null; i++) check(buf, n);
  }
  Atomics.store(flags, 2, i);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
}
