import type { Condition } from "../../mod.ts";

/** Raises `flags[1]`, then takes the condition's lock, raises `flags[0]` and notifies one waiter. */
export default function notifyOne(cond: Condition, flags: Int32Array): void {
  Atomics.store(flags, 1, 1);
  using _ = cond.guard({ timeout: 10000 });
  Atomics.store(flags, 0, 1);
  cond.notify();
}
