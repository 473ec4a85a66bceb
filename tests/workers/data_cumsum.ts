import type { SynchronizedArray } from "../../mod.ts";

/** CPython's `_TestArray.f`: the in-place cumulative sum, on a synchronized or a raw array. */
export default function cumsum(seq: SynchronizedArray<"i"> | Int32Array): void {
  if (seq instanceof Int32Array) {
    if (!(seq.buffer instanceof SharedArrayBuffer)) throw new TypeError("The RawArray arrived unshared");
    for (let i = 1; i < seq.length; i++) seq[i] += seq[i - 1];
    return;
  }
  using _ = seq.guard();
  for (let i = 1; i < seq.length; i++) seq.set(i, seq.get(i) + seq.get(i - 1));
}
