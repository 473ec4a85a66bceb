import type { SynchronizedArray } from "../../mod.ts";

/**
 * `writer`: fills the array with k for k = 1..count, each with one `setFrom`.
 * `reader`: takes `slice()` snapshots until it sees `count` everywhere, and
 * counts in `out[0]` the snapshots that were not uniform (a torn copy).
 */
export default function snapshot(
  xs: SynchronizedArray<"i">,
  role: "writer" | "reader",
  count: number,
  out: Int32Array,
): void {
  if (role === "writer") {
    const fill = new Int32Array(xs.length);
    for (let k = 1; k <= count; k++) xs.setFrom(fill.fill(k));
    return;
  }
  for (;;) {
    const s = xs.slice();
    if (s.some((x) => x !== s[0])) Atomics.add(out, 0, 1);
    Atomics.add(out, 1, 1);
    if (s[0] === count) return;
  }
}
