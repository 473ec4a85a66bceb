import type { SynchronizedValue } from "../../mod.ts";

/** Adds 1 to `v.value` `times` times, inside `v.guard()` when `guarded`. */
export default function add(v: SynchronizedValue<"i">, times: number, guarded: boolean): void {
  for (let i = 0; i < times; i++) {
    if (guarded) {
      using _ = v.guard();
      v.value += 1;
    } else {
      // Two separate acquisitions: another worker may write in between.
      v.value += 1;
    }
  }
}
