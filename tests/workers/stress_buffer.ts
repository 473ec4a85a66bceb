import type { Condition } from "../../mod.ts";

/**
 * A bounded FIFO buffer on two conditions that share one lock, Python's
 * classic: `queue` is [head, tail, total, ...slots]; `log[k]` is the k-th
 * item taken, so the test sees the global order of removal. An item is
 * `producer << 24 | seq`. A wait that times out means a lost wake-up.
 */
const HEAD = 0;
const TAIL = 1;
const TOTAL = 2;
const SLOTS = 3;
const STALL_MS = 60000;

/** Puts `producer << 24 | seq` for seq = 0..count-1. */
export function produce(
  notFull: Condition,
  notEmpty: Condition,
  queue: Int32Array,
  producer: number,
  count: number,
): void {
  const capacity = queue.length - SLOTS;
  for (let seq = 0; seq < count; seq++) {
    using _ = notFull.guard();
    while (queue[TAIL] - queue[HEAD] === capacity) {
      if (!notFull.wait(STALL_MS)) throw new Error(`producer ${producer} stalled at ${seq}: a lost wake-up?`);
    }
    queue[SLOTS + queue[TAIL] % capacity] = (producer << 24) | seq;
    queue[TAIL]++;
    notEmpty.notify();
  }
}

/** Takes items until all `queue[TOTAL]` were taken, logging each at its position. */
export function consume(notFull: Condition, notEmpty: Condition, queue: Int32Array, log: Int32Array): number {
  const capacity = queue.length - SLOTS;
  let taken = 0;
  for (;;) {
    using _ = notEmpty.guard();
    while (queue[TAIL] === queue[HEAD]) {
      if (queue[HEAD] === queue[TOTAL]) return taken;
      if (!notEmpty.wait(STALL_MS)) throw new Error(`consumer stalled after ${taken}: a lost wake-up?`);
    }
    const head = queue[HEAD];
    log[head] = queue[SLOTS + head % capacity];
    queue[HEAD] = head + 1;
    taken++;
    notFull.notify();
    // The last item: the other consumers must wake up to see that all is taken.
    if (head + 1 === queue[TOTAL]) notEmpty.notifyAll();
  }
}

/** The async form of {@linkcode consume}, with `waitAsync` (for the main thread). */
export async function consumeAsync(
  notFull: Condition,
  notEmpty: Condition,
  queue: Int32Array,
  log: Int32Array,
): Promise<number> {
  const capacity = queue.length - SLOTS;
  let taken = 0;
  for (;;) {
    using _ = await notEmpty.guardAsync();
    while (queue[TAIL] === queue[HEAD]) {
      if (queue[HEAD] === queue[TOTAL]) return taken;
      if (!await notEmpty.waitAsync(STALL_MS)) throw new Error(`async consumer stalled after ${taken}`);
    }
    const head = queue[HEAD];
    log[head] = queue[SLOTS + head % capacity];
    queue[HEAD] = head + 1;
    taken++;
    notFull.notify();
    if (head + 1 === queue[TOTAL]) notEmpty.notifyAll();
  }
}
