import { RawValue, SynchronizedArray, SynchronizedValue } from "../../mod.ts";

type Target = SynchronizedValue | RawValue | SynchronizedArray<"c" | "u">;

/** Sets `targets[i].value = values[i]`, after checking each target arrived live. */
export default function setValues(targets: Target[], values: unknown[]): void {
  targets.forEach((t, i) => {
    if (!(t instanceof SynchronizedValue || t instanceof RawValue || t instanceof SynchronizedArray)) {
      throw new TypeError(`Target ${i} was not revived`);
    }
    (t as { value: unknown }).value = values[i];
  });
}
