import type { SynchronizedArray } from "../../mod.ts";

/** `rounds` times, under one guard each: adds `k + 1` to element k (a whole-array update). */
export default function rounds(xs: SynchronizedArray<"d">, count: number): void {
  for (let r = 0; r < count; r++) {
    using _ = xs.guard();
    const raw = xs.getObj();
    for (let k = 0; k < raw.length; k++) raw[k] += k + 1;
  }
}
