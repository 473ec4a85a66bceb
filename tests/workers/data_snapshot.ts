import type { SynchronizedArray } from "../../mod.ts";

/**
 * `reader`: takes `slice()` snapshots until it sees `count` everywhere,
 * counting snapshots in `out[1]` and the non-uniform (torn) ones in `out[0]`.
 * `writer`: once the reader has taken a snapshot, fills the array with k for
 * k = 1..count, one `setFrom` each.
 */
export default function snapshot(
  xs: SynchronizedArray<"i">,
  role: "writer" | "reader",
  count: number,
  out: Int32Array,
): void {
  if (role === "writer") {
    // Bounded waits keep the worker terminable on every runtime.
    while (Atomics.load(out, 1) === 0) Atomics.wait(out, 1, 0, 5);
    const fill = new Int32Array(xs.length);
    for (let k = 1; k <= count; k++) xs.setFrom(fill.fill(k));
    return;
  }
  for (;;) {
    const s = xs.slice();
    let torn = false;
    for (let i = 1; i < s.length; i++) torn ||= s[i] !== s[0];
    if (torn) Atomics.add(out, 0, 1);
    Atomics.add(out, 1, 1);
    Atomics.notify(out, 1);
    if (s[0] === count) return;
  }
}
