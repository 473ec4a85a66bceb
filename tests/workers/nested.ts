import { Lock } from "../../mod.ts";

/** Checks that a lock nested in an object in an array arrives live, and uses it. */
export default function nested(items: Array<{ lock: Lock; counter: Int32Array }>): void {
  const { lock, counter } = items[0];
  if (!(lock instanceof Lock)) throw new TypeError("The nested lock was not revived");
  using _ = lock.guard();
  counter[0] += 7;
}
