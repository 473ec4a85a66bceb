import type { RawValue, SynchronizedValue } from "../../mod.ts";

type AnyValue = SynchronizedValue | RawValue;

/** Copies each `from[i].value` into `to[i].value` (a round trip through a worker). */
export default function echo(from: AnyValue[], to: AnyValue[]): void {
  from.forEach((v, i) => (to[i].value = v.value));
}
