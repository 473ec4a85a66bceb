/**
 * The LockManager table's kill points (the table in src/lock/_lock_table.ts),
 * each put in place by hand: the words are written exactly as an agent
 * killed right after that step leaves them, the agent an id marked exited
 * (written while it was alive, then marked, as `Process` does). Live
 * requests must go on: never stuck, never two holders.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LockManager } from "../mod.ts";
import { drawId, markExited } from "../src/core/_agent.ts";
import { wordsOf } from "./_memory.ts";
import { sleep } from "./_util.ts";

/** Words of the table (see src/lock/_lock_table.ts). */
const MUTEX = 1;
const DIRTY = 3;
const SEQ = 4;
const RECORDS_USED = 7;
const HEADER = 16;
const REC_WORDS = 8;
const [STATE, AGENT, NAME, MODE, ORDER] = [0, 1, 2, 3, 4];
const [FREE, PENDING, HELD, STOLEN] = [0, 1, 2, 3];
const EXCLUSIVE = 0;
const MAX = 8;
const NAMES = HEADER + MAX * REC_WORDS;

/** A manager whose name entry 0 is "k" (made by a request that came and went). */
async function manager(): Promise<[LockManager, Int32Array]> {
  const locks = new LockManager({ maxRequests: MAX, nameCapacity: 64 });
  await locks.request("k", () => {});
  const w = wordsOf(locks);
  assert.equal(w[NAMES], 2, "entry 0 holds a name of length 1");
  return [locks, w];
}

/** Writes record `r` as its agent left it. */
function record(w: Int32Array, r: number, agent: number, state: number, mode = EXCLUSIVE): void {
  const at = HEADER + r * REC_WORDS;
  w[at + AGENT] = agent;
  w[at + NAME] = 0;
  w[at + MODE] = mode;
  w[at + ORDER] = w[SEQ]++;
  w[at + STATE] = state;
  if (w[RECORDS_USED] <= r) w[RECORDS_USED] = r + 1;
}

/** Resolves with the callback's result, or rejects after `ms`. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`not within ${ms} ms`)))]);
}

test("lock manager kill points: a record's words written, its STATE not: nothing to repair", async () => {
  const [locks, w] = await manager();
  const at = HEADER + 3 * REC_WORDS;
  w[at + AGENT] = drawId();
  w[at + NAME] = 0;
  w[at + MODE] = EXCLUSIVE;
  w[RECORDS_USED] = 4;
  markExited(w[at + AGENT]);
  assert.equal(await within(2000, locks.request("k", { ifAvailable: true }, (l) => l?.name)), "k");
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});

test("lock manager kill points: the held and pending records of a dead agent are freed, and the queue goes on", async () => {
  for (const state of [HELD, PENDING, STOLEN]) {
    const [locks, w] = await manager();
    const dead = drawId();
    record(w, 0, dead, state);
    record(w, 1, dead, PENDING, 1);
    markExited(dead);
    assert.equal(await within(2000, locks.request("k", () => "mine")), "mine", `state ${state}`);
    assert.deepEqual(await locks.query(), { held: [], pending: [] });
    assert.equal(w[HEADER + STATE], FREE);
  }
});

test("lock manager kill points: a holder killed inside its release (mutex held, record freed, queue not processed)", async () => {
  const [locks, w] = await manager();
  const holder = drawId();
  record(w, 0, holder, HELD);
  // This thread's request waits behind it (asleep after its spin).
  const mine = locks.request("k", () => "granted");
  await sleep(20);
  assert.equal((await locks.query()).pending.length, 1);
  // The holder took the mutex, marked the name dirty, freed its record, and died.
  w[MUTEX] = holder << 1;
  w[DIRTY] = 0 + 1;
  Atomics.store(w, HEADER + STATE, FREE);
  markExited(holder);
  assert.equal(await within(3000, mine), "granted", "the waiter took the mutex over and processed the queue");
  assert.equal(w[DIRTY], 0);
  assert.equal(w[MUTEX], 0);
});

test("lock manager kill points: a grant stored but not notified: the waiter sees it within the poll interval", async () => {
  const [locks, w] = await manager();
  const holder = drawId();
  record(w, 0, holder, HELD);
  const mine = locks.request("k", () => "granted");
  await sleep(20);
  // The holder's release freed its record and granted ours, then died before its notify.
  const t0 = performance.now();
  Atomics.store(w, HEADER + STATE, FREE);
  const at = HEADER + REC_WORDS;
  assert.equal(w[at + STATE], PENDING);
  Atomics.store(w, at + STATE, HELD);
  assert.equal(await within(3000, mine), "granted");
  assert.ok(performance.now() - t0 < 2000);
});

test("lock manager kill points: a stealer killed after marking the holders stolen: the queue goes on without it", async () => {
  const [locks, w] = await manager();
  const holder = drawId();
  const stealer = drawId();
  record(w, 0, holder, HELD);
  const mine = locks.request("k", { mode: "shared" }, () => "granted");
  await sleep(20);
  w[MUTEX] = stealer << 1;
  w[DIRTY] = 0 + 1;
  Atomics.store(w, HEADER + STATE, STOLEN);
  markExited(stealer);
  // The stolen holder is alive: its record stays until its callback settles, but holds nothing.
  assert.equal(await within(3000, mine), "granted");
  assert.deepEqual((await locks.query()).held, []);
  markExited(holder);
  await locks.query();
  assert.equal(w[HEADER + STATE], FREE, "freed once its agent is gone");
});

test("lock manager kill points: a name entry invalidated mid-rewrite is never matched, and is reused", async () => {
  const [locks, w] = await manager();
  // Entry 0 ("k") invalidated, its text half overwritten.
  Atomics.store(w, NAMES, 0);
  new Uint16Array(w.buffer, (NAMES + MAX * 4) * 4, 4)[0] = "z".charCodeAt(0);
  assert.equal(await locks.request("k", (l) => l!.name), "k");
  assert.equal(await locks.request("z", (l) => l!.name), "z");
  await locks.request("k", async () => {
    assert.equal(await locks.request("z", { ifAvailable: true }, (l) => l?.name), "z", "distinct names");
  });
});
