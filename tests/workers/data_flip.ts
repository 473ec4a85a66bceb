import type { RawValue } from "../../mod.ts";

/** Writes 0n and -1n alternately into `v` until `stop[0]` is raised; `stop[1]` counts the writes. */
export default function flip(v: RawValue<"q">, stop: Int32Array): void {
  while (Atomics.load(stop, 0) === 0) {
    for (let i = 0; i < 1000; i++) v.value = i % 2 === 0 ? -1n : 0n;
    Atomics.add(stop, 1, 1000);
  }
}
