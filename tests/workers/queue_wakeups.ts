/** Workers of tests/queue_wakeups_test.ts: a thread whose own async calls stand beside its blocking ones. */
import { Queue } from "../../mod.ts";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/**
 * A blocking get while this thread's own `getAsync` holds the get lock,
 * reading an item streamed in parts (its writer, an async put of this
 * thread too, across awaits), with `timeout` (`null`: none). It must be a
 * `TypeError` at once, and the item must still reach the async get.
 */
export async function getBesideOwnStreamRead(timeout: number | null): Promise<void> {
  const q = new Queue<string>({ bytes: 128 });
  const long = "s".repeat(1000);
  const put = q.putAsync(long);
  const got = q.getAsync({ timeout: 10000 });
  let error: unknown;
  const t0 = performance.now();
  try {
    q.get(timeout === null ? undefined : { timeout });
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  check(
    error instanceof TypeError &&
      /Queue\.get\(\) cannot block: an async get of this very thread/.test(error.message),
    `expected a TypeError naming Queue.get(), got ${error} after ${ms.toFixed(1)} ms`,
  );
  check(await got === long, "the async get has the item");
  await put;
  q.close();
}

/**
 * `rounds` times: a `getAsync` pending (asleep in the engine, queued first
 * on the ring's data word), then a blocking get, which the main thread
 * feeds (`q.put(round)`) once `ctl[0]` says the round began; `ctl[1]`
 * says the blocking get returned, then it feeds the async get (`1000 + round`).
 */
export async function blockingGetBesideAsync(
  q: Queue<number>,
  ctl: Int32Array,
  rounds: number,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    // Not aborted after: an aborted waiter counts as abandoned for a while, and every wake-up then
    // notifies one more (which hid the bug). The main thread feeds it after the blocking get.
    const pending = q.getAsync({ timeout: 10000 });
    Atomics.store(ctl, 0, round + 1);
    Atomics.notify(ctl, 0);
    const v = q.get({ timeout: 10000 });
    Atomics.store(ctl, 1, round + 1);
    Atomics.notify(ctl, 1);
    check(v === round, `round ${round}: got ${v}`);
    const w = await pending;
    check(w === 1000 + round, `round ${round}: the async get got ${w}`);
  }
}
