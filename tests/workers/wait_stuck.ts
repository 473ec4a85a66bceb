/**
 * Workers of tests/wait_stuck_kill_test.ts: threads that leave async waiters
 * in the engine's futex queue (given up, or live beside a blocking call) and
 * then block in a sabkit wait, where the parent may terminate them.
 *
 * `ctl` words: `PHASE` says how far the worker got (the parent waits on it),
 * `GO` is raised by the parent to let a worker that was not killed go on.
 */
import { type Event, type Queue, QueueEmptyError } from "../../mod.ts";

/** How far the worker got (see the `PHASE_*` values). */
export const PHASE = 0;
/** Raised by the parent: the worker may go on (only for workers that are not killed). */
export const GO = 1;
/** Words of `ctl`. */
export const CTL_WORDS = 2;

/** Its async waiters are set up; it is about to block (and stays blocked until `GO` or a kill). */
export const PHASE_BLOCKING = 1;
/** It has left the blocking call; its event loop runs (it awaits `GO`). */
export const PHASE_LEFT = 2;

/** Long enough never to end in a test: the worker is killed, or let go, well before. */
const LONG_MS = 30000;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

function phase(ctl: Int32Array, p: number): void {
  Atomics.store(ctl, PHASE, p);
  Atomics.notify(ctl, PHASE);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Awaits the parent's `GO` (the event loop runs meanwhile), bounded. */
async function awaitGo(ctl: Int32Array): Promise<void> {
  const end = performance.now() + LONG_MS;
  while (Atomics.load(ctl, GO) === 0) {
    check(performance.now() < end, "the parent never said GO");
    await sleep(2);
  }
}

/**
 * Leaves `n` async gets of `q` (empty) given up, then blocks in `ev.wait`
 * (sliced: `terminate()` stops it on every runtime) until `ev` is set or
 * the worker is killed.
 *
 * `how` is `"abort"`: each get is aborted by its signal at once, so this
 * thread holds exactly `n` abandoned waiters while it blocks (an abort
 * flushes its waiter out of the engine's queue, but the engine's answer is
 * a task of this thread, which runs only once it stops blocking). Or
 * `"timeout"`: each get has a 5 ms timeout and all are awaited, then it
 * blocks at once; how many of them are still queued in the engine by then
 * (the engine's own timeout and ours race) is up to the runtime.
 *
 * Let go (`ev` set), it checks the gets' outcome, lets its event loop run
 * (the engine's answers take the abandoned waiters back), says
 * `PHASE_LEFT`, and returns on `GO`.
 */
export async function abandonThenBlock(
  q: Queue<number>,
  ev: Event,
  ctl: Int32Array,
  n: number,
  how: "abort" | "timeout",
): Promise<void> {
  const gets: Promise<unknown>[] = [];
  const outcomes: unknown[] = [];
  for (let k = 0; k < n; k++) {
    const ac = new AbortController();
    const get = how === "abort" ? q.getAsync({ signal: ac.signal }) : q.getAsync({ timeout: 5 });
    gets.push(get.then((v) => outcomes.push(v), (e) => outcomes.push(e)));
    if (how === "abort") ac.abort(new Error("aborted on purpose"));
  }
  // "abort": nothing awaited, so no task of this thread (the engine's answers) runs before it blocks.
  if (how === "timeout") await Promise.all(gets);
  phase(ctl, PHASE_BLOCKING);
  check(ev.wait(LONG_MS), "the parent never set the event");
  await Promise.all(gets);
  check(outcomes.length === n, `${outcomes.length} of ${n} gets settled`);
  for (const o of outcomes) {
    const ok = how === "abort"
      ? o instanceof Error && o.message === "aborted on purpose"
      : o instanceof QueueEmptyError;
    check(ok, `a ${how} get ended with ${o}`);
  }
  // A few turns of the event loop: the engine's answers to the given-up waiters arrive.
  await sleep(50);
  phase(ctl, PHASE_LEFT);
  await awaitGo(ctl);
}

/**
 * Starts `live` async gets of `q` (empty; each stays asleep in the engine,
 * a live waiter of this thread), then blocks in `q.get({ timeout: blockMs })`:
 * while it blocks, its live waiters count as stuck. The parent kills it in
 * the block, or lets it leave: by an item it puts (which the blocking get
 * must take: returned as `got`), or by the timeout (`QueueEmptyError`).
 *
 * Once out, it says `PHASE_LEFT` (the event loop runs: the async gets sleep
 * on), and on `GO` expects the async gets to take the values `1000 + k`
 * (the parent puts them), in any order.
 */
export async function blockBesideAsync(
  q: Queue<number>,
  ctl: Int32Array,
  live: number,
  blockMs: number,
  expectItem: number | null,
): Promise<void> {
  const pending: Promise<number>[] = [];
  for (let k = 0; k < live; k++) pending.push(q.getAsync({ timeout: LONG_MS }));
  // Not awaited before the block: a rejection must not count as unhandled meanwhile.
  for (const p of pending) p.catch(() => {});
  phase(ctl, PHASE_BLOCKING);
  let got: unknown;
  try {
    got = q.get({ timeout: blockMs });
  } catch (e) {
    got = e;
  }
  if (expectItem === null) check(got instanceof QueueEmptyError, `the blocking get ended with ${got}`);
  else check(got === expectItem, `the blocking get took ${got}, not ${expectItem}`);
  phase(ctl, PHASE_LEFT);
  await awaitGo(ctl);
  const values = (await Promise.all(pending)).sort((a, b) => a - b);
  const want = Array.from({ length: live }, (_, k) => 1000 + k);
  check(values.join() === want.join(), `the async gets took ${values}, not ${want}`);
}

/**
 * A survivor: `rounds` blocking gets of `q`; before each it raises
 * `ctl[PHASE]` to the round's number (1-based), after it `ctl[GO]`, and
 * expects the value `round`.
 */
export function getRounds(q: Queue<number>, ctl: Int32Array, rounds: number): void {
  for (let round = 0; round < rounds; round++) {
    phase(ctl, round + 1);
    const v = q.get({ timeout: LONG_MS });
    check(v === round, `round ${round}: got ${v}`);
    Atomics.store(ctl, GO, round + 1);
    Atomics.notify(ctl, GO);
  }
}
