/**
 * Workers of the LockManager tests (lock_manager_test.ts,
 * lock_manager_threads_test.ts, lock_manager_killpoints_test.ts,
 * lock_manager_kill_test.ts).
 */
import type { LockManager, LockMode } from "../../mod.ts";

/** How a request ended, in `flags[2]` of `hold`. */
export const RESOLVED = 1;
export const ABORT_ERROR = 2;
export const OTHER_ERROR = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function outcome(e: unknown): number {
  return (e as { name?: unknown })?.name === "AbortError" ? ABORT_ERROR : OTHER_ERROR;
}

/**
 * Requests `name`; once granted raises `flags[0]` and holds it until
 * `flags[1]` is raised (forever if `forever`). Then writes how the request
 * ended to `flags[2]`. `flags[3]` counts requests made (for the test's order).
 */
export async function hold(
  locks: LockManager,
  name: string,
  mode: LockMode,
  flags: Int32Array,
  forever = false,
): Promise<void> {
  const p = locks.request(name, { mode }, async () => {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    if (forever) await new Promise(() => {});
    while (Atomics.load(flags, 1) === 0) await sleep(2);
  });
  Atomics.add(flags, 3, 1);
  try {
    await p;
    Atomics.store(flags, 2, RESOLVED);
  } catch (e) {
    Atomics.store(flags, 2, outcome(e));
  }
  Atomics.notify(flags, 2);
}

/**
 * Requests `name` (`mode`); when granted takes the next number from
 * `ctl[0]` and writes it to `ctl[slot]`, holds for `holdMs`. `ctl[1]`
 * counts requests made, `ctl[2]` requests finished.
 */
export async function takeTurn(
  locks: LockManager,
  name: string,
  mode: LockMode,
  ctl: Int32Array,
  slot: number,
  holdMs: number,
): Promise<void> {
  const p = locks.request(name, { mode }, async () => {
    Atomics.store(ctl, slot, Atomics.add(ctl, 0, 1) + 1);
    if (holdMs > 0) await sleep(holdMs);
  });
  Atomics.add(ctl, 1, 1);
  await p;
  Atomics.add(ctl, 2, 1);
}

/** Tries `name` with ifAvailable: writes 1 (granted) or 2 (null) to `out[slot]`. */
export async function tryOnce(
  locks: LockManager,
  name: string,
  mode: LockMode,
  out: Int32Array,
  slot: number,
) {
  const got = await locks.request(name, { mode, ifAvailable: true }, (lock) => lock !== null);
  Atomics.store(out, slot, got ? 1 : 2);
  Atomics.notify(out, slot);
}

/**
 * Words of `stress`; per name from `NAMES_AT`, four words: exclusive holders, shared holders, a
 * counter bumped non-atomically by exclusive holders, and the exclusive grants counted atomically.
 */
export const VIOLATIONS = 0;
export const DONE = 1;
export const GRANTS = 2;
export const NULLS = 3;
export const NAMES_AT = 8;

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `ops` seeded requests on `names` names ("stress-0"…): exclusive or shared,
 * some ifAvailable, a few holding across an await. Inside, an exclusive
 * holder must be alone (checked with an exchange) and bumps the name's
 * counter non-atomically (a lost update shows a second holder).
 */
export async function stress(locks: LockManager, ctl: Int32Array, seed: number, ops: number, names: number) {
  const next = random(seed);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < ops; i++) {
    const k = Math.floor(next() * names);
    const base = NAMES_AT + 4 * k;
    const exclusive = next() < 0.6;
    const ifAvailable = next() < 0.1;
    const yieldInside = next() < 0.2;
    const body = async (lock: unknown): Promise<void> => {
      if (lock === null) {
        Atomics.add(ctl, NULLS, 1);
        return;
      }
      Atomics.add(ctl, GRANTS, 1);
      if (exclusive) {
        if (Atomics.exchange(ctl, base, 1) !== 0 || Atomics.load(ctl, base + 1) !== 0) {
          Atomics.add(ctl, VIOLATIONS, 1);
        }
        const c = ctl[base + 2];
        if (yieldInside) await null;
        ctl[base + 2] = c + 1;
        Atomics.add(ctl, base + 3, 1);
        Atomics.store(ctl, base, 0);
      } else {
        Atomics.add(ctl, base + 1, 1);
        if (Atomics.load(ctl, base) !== 0) Atomics.add(ctl, VIOLATIONS, 1);
        if (yieldInside) await null;
        if (Atomics.load(ctl, base) !== 0) Atomics.add(ctl, VIOLATIONS, 1);
        Atomics.sub(ctl, base + 1, 1);
      }
    };
    const p = locks.request(`stress-${k}`, { mode: exclusive ? "exclusive" : "shared", ifAvailable }, body);
    // Mostly one at a time; now and then two requests of this thread overlap.
    if (next() < 0.2) pending.push(p);
    else await p;
  }
  await Promise.all(pending);
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}

/**
 * For the kill tests: requests forever (exclusive and shared, two names),
 * counting in `n[0]`; its clientId in `n[1]`.
 */
export async function hammer(locks: LockManager, n: Int32Array): Promise<void> {
  Atomics.store(n, 1, Number(locks.clientId));
  for (let i = 0;; i++) {
    await locks.request(i % 3 === 0 ? "k2" : "k", { mode: i % 4 === 0 ? "shared" : "exclusive" }, () => {
      n[0]++;
    });
  }
}

/**
 * Holds `first`, then (holding it) requests `second` and raises `flags[0]`
 * once that request is made; when `second` is granted raises `flags[1]`.
 */
export async function holdThenRequest(locks: LockManager, first: string, second: string, flags: Int32Array) {
  await locks.request(first, async () => {
    const p = locks.request(second, () => {
      Atomics.store(flags, 1, 1);
    });
    Atomics.store(flags, 0, 1);
    await p;
  });
  Atomics.store(flags, 2, RESOLVED);
}
