import type { Barrier, Condition, Event, Semaphore } from "../../mod.ts";

/**
 * Issue 14, bug 2: this worker aborts an async wait, raises `flags[0]`, and
 * `wakeAfter` ms later wakes the primitive (release, notify, set, or the
 * second party of a barrier round) for a blocking wait in the parent. With
 * `stay`, it then keeps its event loop running a while (its abandoned wait
 * may still be queued), else it returns at once (its worker ends).
 */
const STAY_MS = 700;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function abortOne(wait: (signal: AbortSignal) => Promise<unknown>, flags: Int32Array): Promise<void> {
  const ac = new AbortController();
  const p = wait(ac.signal);
  // Let the wait reach the engine's queue before the abort.
  await sleep(20);
  ac.abort(new Error("aborted on purpose"));
  await p.then(() => Atomics.store(flags, 1, 1), () => {});
}

/**
 * The common course: `abort` (which aborts one async wait, see `abortOne`),
 * raise `flags[0]`, `wakeAfter` ms later `wake`, then stay or return.
 */
async function abortThenWake(
  flags: Int32Array,
  stay: boolean,
  wakeAfter: number,
  abort: () => Promise<void>,
  wake: () => void,
): Promise<void> {
  await abort();
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  await sleep(wakeAfter);
  wake();
  await after(stay);
}

async function after(stay: boolean): Promise<void> {
  if (stay) await sleep(STAY_MS);
}

/** Aborts `acquireAsync`, then releases one permit. */
export function semaphore(
  sem: Semaphore,
  flags: Int32Array,
  stay: boolean,
  wakeAfter: number,
): Promise<void> {
  return abortThenWake(
    flags,
    stay,
    wakeAfter,
    () => abortOne((signal) => sem.acquireAsync({ signal }), flags),
    () => sem.release(),
  );
}

/** Aborts `waitAsync` (the lock held around it), then notifies one. */
export function condition(
  cond: Condition,
  flags: Int32Array,
  stay: boolean,
  wakeAfter: number,
): Promise<void> {
  return abortThenWake(flags, stay, wakeAfter, async () => {
    await cond.acquireAsync();
    await abortOne((signal) => cond.waitAsync(undefined, { signal }), flags);
    cond.release();
  }, () => {
    cond.acquire();
    cond.notify();
    cond.release();
  });
}

/** Aborts `waitAsync`, then sets the event. */
export function event(ev: Event, flags: Int32Array, stay: boolean, wakeAfter: number): Promise<void> {
  return abortThenWake(
    flags,
    stay,
    wakeAfter,
    () => abortOne((signal) => ev.waitAsync(undefined, { signal }), flags),
    () => ev.set(),
  );
}

/**
 * Aborts `waitAsync` on a barrier of two (which breaks the round, as
 * documented), resets it, then arrives as the second party of a round.
 */
export function barrier(b: Barrier, flags: Int32Array, stay: boolean, wakeAfter: number): Promise<void> {
  return abortThenWake(flags, stay, wakeAfter, async () => {
    await abortOne((signal) => b.waitAsync(undefined, { signal }), flags);
    b.reset();
  }, () => Atomics.store(flags, 2, b.wait(5000) + 1));
}

/** The four above in turn (`flags`: three words each, in this order), then stays or returns. */
export async function all(
  x: { semaphore: Semaphore; condition: Condition; event: Event; barrier: Barrier },
  flags: Int32Array,
  stay: boolean,
  wakeAfter: number,
): Promise<void> {
  const at = (k: number) => flags.subarray(3 * k, 3 * k + 3);
  await semaphore(x.semaphore, at(0), false, wakeAfter);
  await condition(x.condition, at(1), false, wakeAfter);
  await event(x.event, at(2), false, wakeAfter);
  await barrier(x.barrier, at(3), false, wakeAfter);
  await after(stay);
}
