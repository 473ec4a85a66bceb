import type { Event } from "../../mod.ts";

/** Raises `flags[0]`, then sets `event` after `delay` ms. */
export default async function setLater(event: Event, flags: Int32Array, delay: number): Promise<void> {
  Atomics.store(flags, 0, 1);
  await new Promise((resolve) => setTimeout(resolve, delay));
  event.set();
}
