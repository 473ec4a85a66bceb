/**
 * Random kills: workers loop on Semaphore, Event, Condition and Barrier, and
 * one of them is terminated at a seeded random moment, again and again.
 * After each kill the survivors and a fresh worker go on, and exact counts
 * hold: the permits the dead worker held are the only ones lost (its record
 * says which; a kill between the CAS and the record's next write may go
 * either way, and nothing else may), every live waiter wakes on `set`,
 * `notify(1)` wakes exactly one live waiter, and every Barrier round hands
 * out each index once, a round cut short only by the kill itself.
 *
 * `SABKIT_STRESS=full` runs hundreds of kills per primitive.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Event, Lock, type Process, RLock, Semaphore } from "../mod.ts";
import * as B from "../src/sync/_barrier.ts";
import { counted } from "../src/sync/_condvar.ts";
import { prng } from "./_chan.ts";
import { wordsOf } from "./_memory.ts";
import { n, size } from "./_stress.ts";
import { runtime, sleep, until, withProcesses } from "./_util.ts";
import * as L from "./workers/sync_kill_loop.ts";

const KILLS = size(20, 300);

type Start = Parameters<Parameters<typeof withProcesses>[0]>[0];

/** A seeded generator of numbers in [0, 1) (mulberry32), so a failing run replays the same kill moments. */
function rng(seed: number): () => number {
  const next = prng(seed);
  return () => next() / 2 ** 32;
}

interface Member {
  p: Process;
  rec: Int32Array;
  role: number;
}

function newControl(): Int32Array {
  const control = new Int32Array(new SharedArrayBuffer(L.CONTROL_WORDS * 4));
  // Epochs start at 1: a fresh record's PARKED (0) never matches.
  control[L.EPOCH] = 1;
  return control;
}

function newRecord(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(L.RECORD_WORDS * 4));
}

/** Sets the mode and releases every parked worker into it. */
function resume(control: Int32Array, mode: number): void {
  Atomics.store(control, L.MODE, mode);
  Atomics.add(control, L.EPOCH, 1);
  Atomics.notify(control, L.EPOCH);
}

/** Resolves once every member has parked in the current epoch. */
async function parked(control: Int32Array, members: Member[], what: string): Promise<void> {
  const epoch = Atomics.load(control, L.EPOCH);
  try {
    await until(() => members.every((m) => Atomics.load(m.rec, L.PARKED) === epoch), 15000);
  } catch {
    const states = members.map((m) => `${Atomics.load(m.rec, L.PARKED)}/${Atomics.load(m.rec, L.STATE)}`);
    throw new Error(
      `${what}: not every worker parked in epoch ${epoch} (parked/state: ${states.join(", ")})`,
    );
  }
}

/** Pauses every member (they park at their loop's top). */
async function pause(control: Int32Array, members: Member[], what: string): Promise<void> {
  Atomics.store(control, L.MODE, L.PAUSE);
  await parked(control, members, what);
}

/** Resolves once every member has completed one more operation than in `before`. */
async function progressed(members: Member[], before: number[], what: string): Promise<void> {
  try {
    await until(() => members.every((m, i) => Atomics.load(m.rec, L.OPS) > before[i]), 15000);
  } catch {
    throw new Error(`${what}: a worker made no progress`);
  }
}

/** Kills a random member at a random moment soon; returns it (already joined), removed from `members`. */
async function killOne(members: Member[], random: () => number): Promise<Member> {
  await sleep(random() * 6);
  const victim = members.splice(Math.floor(random() * members.length), 1)[0];
  victim.p.terminate();
  assert.equal(await victim.p.join(10000), -15, "the victim ended as terminated");
  return victim;
}

/**
 * The start of a cycle: every member runs until each has made progress, one
 * is killed and replaced, then all are paused. Returns the victim.
 */
async function runKillPause(
  pool: Pool,
  control: Int32Array,
  random: () => number,
  k: number,
): Promise<Member> {
  const { members } = pool;
  const before = members.map((m) => Atomics.load(m.rec, L.OPS));
  resume(control, L.RUN);
  await progressed(members, before, `kill ${k}`);
  const victim = await killOne(members, random);
  pool.replace(victim);
  await pause(control, members, `kill ${k}`);
  return victim;
}

/**
 * The live workers and a spare, booted ahead but idle until it replaces a
 * victim: a replacement joins at once, without a worker's start-up time.
 */
class Pool {
  readonly members: Member[] = [];
  #spare: Member;
  #spawn: () => Member;

  constructor(start: Start, exportName: string, args: (rec: Int32Array) => unknown[], roles: number[]) {
    this.#spawn = () => {
      const rec = newRecord();
      return { p: start("sync_kill_loop", { exportName, args: args(rec) }), rec, role: -1 };
    };
    for (const role of roles) this.members.push(this.#activate(this.#spawn(), role));
    this.#spare = this.#spawn();
  }

  #activate(m: Member, role: number): Member {
    m.role = role;
    Atomics.store(m.rec, L.ROLE, role);
    Atomics.store(m.rec, L.ACTIVE, 1);
    Atomics.notify(m.rec, L.ACTIVE);
    return m;
  }

  /** Puts the spare in the victim's place and boots the next spare. */
  replace(victim: Member): Member {
    const m = this.#activate(this.#spare, victim.role);
    this.members.push(m);
    this.#spare = this.#spawn();
    return m;
  }
}

/** Runs `cycle` (one kill and its checks) {@linkcode KILLS} times on a pool. */
async function kills(
  exportName: string,
  args: (rec: Int32Array) => unknown[],
  roles: number[],
  cycle: (pool: Pool, k: number) => Promise<void>,
  count = KILLS,
): Promise<void> {
  await withProcesses(async (start) => {
    const pool = new Pool(start, exportName, args, roles);
    for (let k = 0; k < count; k++) await cycle(pool, k);
    // Every worker is terminated by withProcesses; each cycle joined its victim.
  });
}

// ---------------------------------------------------------------------------

test(`sync kill: Semaphore(2) with 3 workers acquiring and releasing, ${n(KILLS)} kills: only the permits the dead held are lost`, async () => {
  const random = rng(0x5e3a4f01);
  const PERMITS = 2;
  const sem = new Semaphore(PERMITS);
  const control = newControl();
  const outcomes: Record<string, number> = {};
  await kills("semLoop", (rec) => [sem, control, rec], [0, 0, 0], async (pool, k) => {
    // The victim is joined: its record no longer changes.
    const victim = await runKillPause(pool, control, random, k);
    const state = Atomics.load(victim.rec, L.STATE);
    const lost = PERMITS - sem.getValue();
    // Between a CAS and the record's next write, a kill may land either side of the CAS.
    const allowed = state === L.HOLDING ? [1] : state === L.IDLE ? [0] : [0, 1];
    assert.ok(
      allowed.includes(lost),
      `kill ${k}: the victim was in state ${state}, yet ${lost} permits are gone`,
    );
    const key = `state ${state}: ${lost} lost`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    // Released on the dead worker's behalf, as the docs say.
    if (lost > 0) sem.release(lost);
  });
  console.log(`sync kill ${runtime} Semaphore: ${JSON.stringify(outcomes)}`);
  assert.equal(sem.getValue(), PERMITS);
});

test(`sync kill: Event with 2 waiting workers and 1 setting and clearing, ${n(KILLS)} kills: set wakes every live waiter`, async () => {
  const random = rng(0xe7e17);
  const event = new Event();
  const control = newControl();
  await kills(
    "eventLoop",
    (rec) => [event, control, rec],
    [0, 0, 1],
    async (pool, k) => {
      const { members } = pool;
      await runKillPause(pool, control, random, k);
      event.clear();
      resume(control, L.CHECK);
      const epoch = Atomics.load(control, L.EPOCH);
      const waiters = members.filter((m) => m.role === 0);
      await until(() => waiters.every((m) => Atomics.load(m.rec, L.WAITING) === epoch), 15000);
      await sleep(20);
      event.set();
      try {
        await until(() => waiters.every((m) => Atomics.load(m.rec, L.CHECKED) === epoch), 5000);
      } catch {
        throw new Error(`kill ${k}: set did not wake every live waiter`);
      }
      for (const m of waiters) assert.equal(Atomics.load(m.rec, L.RESULT), 1);
      await parked(control, members, `kill ${k}`);
      event.clear();
    },
  );
});

for (const Kind of [Lock, RLock]) {
  const kills_ = Kind === Lock ? KILLS : Math.ceil(KILLS / 2);
  test(`sync kill: Condition(${Kind.name}) with 2 consumers and 1 producer, ${n(kills_)} kills: exact waiter counts, notify(1) wakes exactly one live waiter`, async () => {
    const random = rng(Kind === Lock ? 0xc0d1 : 0xc0d2);
    const cond = new Condition(new Kind());
    const w = wordsOf(cond);
    const data = new Int32Array(new SharedArrayBuffer(4));
    const control = newControl();
    const countedNow = (): number => {
      assert.equal(cond.acquire({ recover: true, timeout: 5000 }), true);
      try {
        return counted(w);
      } finally {
        cond.release();
      }
    };
    await kills("condLoop", (rec) => [cond, control, rec, data], [0, 0, 1], async (pool, k) => {
      const { members } = pool;
      await runKillPause(pool, control, random, k);
      // Nobody waits now: the dead waiter, if it was one, no longer counts.
      assert.equal(countedNow(), 0, `kill ${k}: waiters counted while none waits`);
      data[0] = 0;
      resume(control, L.CHECK);
      const epoch = Atomics.load(control, L.EPOCH);
      await until(() => members.every((m) => Atomics.load(m.rec, L.WAITING) === epoch), 15000);
      await until(() => countedNow() === members.length, 5000);
      for (let woken = 1; woken <= members.length; woken++) {
        {
          using _ = cond.guard({ timeout: 5000 });
          cond.notify(1);
        }
        try {
          await until(
            () => members.filter((m) => Atomics.load(m.rec, L.CHECKED) === epoch).length >= woken,
            5000,
          );
        } catch {
          throw new Error(`kill ${k}: notify number ${woken} reached no live waiter`);
        }
        assert.equal(countedNow(), members.length - woken, `kill ${k}: one waiter per notify(1)`);
      }
      for (const m of members) assert.equal(Atomics.load(m.rec, L.RESULT), 1, `kill ${k}: notified`);
      await parked(control, members, `kill ${k}`);
    }, kills_);
  });
}

test(`sync kill: Barrier(3) with 3 workers, ${n(KILLS)} kills: every round hands out each index once, reset repairs a broken one`, async () => {
  const random = rng(0xba3e);
  const PARTIES = 3;
  const barrier = new Barrier(PARTIES);
  const w = wordsOf(barrier);
  const control = newControl();
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const seen = new Int32Array(new SharedArrayBuffer(L.SEEN_ROUNDS * PARTIES * 4)).fill(-1);
  let checkedUpTo = 0;
  const outcomes = { broken: 0, wentOn: 0, cutRounds: 0 };
  const records: Int32Array[] = [];
  await kills(
    "barrierLoop",
    (rec) => {
      records.push(rec);
      return [barrier, control, rec, shared, seen];
    },
    [0, 0, 0],
    async (pool, k) => {
      const { members } = pool;
      const r0 = Atomics.load(shared, L.ROUNDS);
      resume(control, L.RUN);
      await until(() => Atomics.load(shared, L.ROUNDS) >= r0 + 2, 15000);
      const victim = await killOne(members, random);
      const state = Atomics.load(victim.rec, L.STATE);
      pool.replace(victim);
      // Either the kill broke the round (everyone parks, broken), or the rounds go on.
      const r1 = Atomics.load(shared, L.ROUNDS);
      const epoch = Atomics.load(control, L.EPOCH);
      const allParked = (): boolean => members.every((m) => Atomics.load(m.rec, L.PARKED) === epoch);
      try {
        await until(() => allParked() || Atomics.load(shared, L.ROUNDS) >= r1 + 2, 15000);
      } catch {
        throw new Error(`kill ${k}: neither broken nor going on (state ${w[B.STATE]}, count ${w[B.COUNT]})`);
      }
      if (allParked()) {
        outcomes.broken++;
        assert.equal(barrier.broken, true, `kill ${k}: parked without a broken barrier`);
        Atomics.store(control, L.MODE, L.PAUSE);
      } else {
        outcomes.wentOn++;
        // The next round latches the pause for all its parties.
        await pause(control, members, `kill ${k}`);
      }
      if (barrier.broken) barrier.reset();
      assert.equal(w[B.STATE], B.FILLING, `kill ${k}: filling again`);
      assert.equal(w[B.COUNT], 0, `kill ${k}: nobody counted while all are parked`);
      // Every round since the last check: each index exactly once, but for one round
      // the kill may have cut short (the victim released but unrecorded, or killed in the action).
      const rounds = Atomics.load(shared, L.ROUNDS);
      assert.ok(rounds - checkedUpTo < L.SEEN_ROUNDS, "checked often enough");
      let cut = 0;
      for (let r = checkedUpTo + 1; r <= rounds; r++) {
        let entries = 0;
        for (let i = 0; i < PARTIES; i++) if (seen[(r % L.SEEN_ROUNDS) * PARTIES + i] === r) entries++;
        if (entries === PARTIES) continue;
        cut++;
        assert.ok(
          state === L.IN_WAIT && (entries === PARTIES - 1 || entries === 0),
          `kill ${k}: round ${r} has ${entries} of ${PARTIES} parties (victim state ${state})`,
        );
      }
      assert.ok(cut <= 1, `kill ${k}: ${cut} rounds cut short by one kill`);
      outcomes.cutRounds += cut;
      checkedUpTo = rounds;
      for (const rec of records) {
        assert.equal(Atomics.load(rec, L.ERRORS), 0, "an index handed out twice in a round");
      }
    },
  );
  console.log(
    `sync kill ${runtime} Barrier: ${JSON.stringify(outcomes)}, ${Atomics.load(shared, L.ROUNDS)} rounds`,
  );
});
