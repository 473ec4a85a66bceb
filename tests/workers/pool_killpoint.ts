/**
 * A pool worker loop for tests/pool_killpoints_test.ts (given as the pool's
 * `workerModule`): the first worker that starts plays a worker killed at one
 * point of the protocol (`control[0]`), by `process.exit(3)` right there;
 * every later worker runs the real loop.
 */
import poolWorker, { type ResultItem, type TaskItem } from "../../src/pool/_worker.ts";
import { CLAIM, HAS_CLAIM, HAS_RUN, RUN, STATE, STATE_READY } from "../../src/pool/_slots.ts";
import { endpoints } from "../../src/queue/_endpoint.ts";
import type { Queue } from "../../src/queue/queue.ts";

/** The kill points. */
export const IN_TAKE = 1;
export const TAKEN = 2;
export const RUNNING = 3;
export const ANSWERED = 4;

function exit(): never {
  (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(3);
  throw new Error("unreachable");
}

export default function killpoint(
  url: string,
  tasks: Queue<TaskItem>,
  results: Queue<ResultItem>,
  slot: Int32Array,
  dropped: Int32Array,
  initializer: string | undefined,
  initargs: unknown[],
  maxtasks: number,
): Promise<void> {
  const control = initargs[0] as Int32Array;
  if (Atomics.compareExchange(control, 1, 0, 1) !== 0) {
    return poolWorker(url, tasks, results, slot, dropped, initializer, initargs, maxtasks);
  }
  const point = control[0];
  Atomics.store(slot, STATE, STATE_READY);
  let n = 0;
  endpoints.get(tasks)!.items.onTake = (taken) => {
    n = taken;
    Atomics.store(slot, CLAIM, taken);
    Atomics.store(slot, HAS_CLAIM, 1);
    // Under the queue's get lock, before its count moves: the item was not taken.
    if (point === IN_TAKE) exit();
  };
  const [, , payload] = tasks.get();
  // Taken, not started: it goes to another worker.
  if (point === TAKEN) exit();
  Atomics.store(slot, RUN, n);
  Atomics.store(slot, HAS_RUN, 1);
  // Marked running: it fails with WorkerExitError.
  if (point === RUNNING) exit();
  // Answered (without calling the task: `mark` would count it), then gone: nothing is lost.
  results.put([n, (payload as number[])[0]]);
  exit();
}
