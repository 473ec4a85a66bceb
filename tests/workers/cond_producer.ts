import type { Condition } from "../../mod.ts";

/** The queue's layout: a head and tail counter, a started flag, then the slots. */
const HEAD = 0;
const TAIL = 1;
const STARTED = 2;
const SLOTS = 3;

/** Puts 1..count into the shared bounded queue, waiting with `waitFor` while it is full. */
export default function produce(cond: Condition, queue: Int32Array, count: number): void {
  const capacity = queue.length - SLOTS;
  Atomics.store(queue, STARTED, 1);
  for (let item = 1; item <= count; item++) {
    using _ = cond.guard();
    if (!cond.waitFor(() => queue[TAIL] - queue[HEAD] < capacity, 10000)) throw new Error("No room in time");
    queue[SLOTS + (queue[TAIL] % capacity)] = item;
    queue[TAIL]++;
    cond.notify();
  }
}
