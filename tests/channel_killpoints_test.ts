/**
 * The ring protocol's kill points, one by one (the table in src/channel/_ring.ts):
 * each test writes the exact state a worker killed right after a given step
 * leaves behind — its mark naming an agent marked exited — and
 * checks that live senders and receivers, in the main thread and in a
 * worker, go on: nothing lost but what the table says, nothing duplicated,
 * every message in order. A few points are also played by a real worker
 * that stops after the step and is terminated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, TimeoutError } from "../mod.ts";
import { drawId, markExited } from "../src/core/_agent.ts";
import {
  CLOSED,
  HEAD,
  LEN,
  RECV,
  ringOf,
  type RingView,
  SEND,
  SEND_WAITERS,
  SHUT,
  TAIL,
} from "./_chan_ring.ts";
import { memoryOf } from "./_memory.ts";
import { until, withProcesses } from "./_util.ts";

const LONG = 10000;

/** A fresh agent id, marked exited: the name a killed worker leaves in its mark. */
function deadId(): number {
  const id = drawId();
  markExited(id);
  return id;
}

/** Compare-and-swap that must succeed: the state is built exactly as the protocol would. */
function cas(v: RingView, index: number, from: number, to: number): void {
  const seen = Atomics.compareExchange(v.i32, index, from, to);
  assert.equal(seen, from, `word ${index}: expected ${from}, found ${seen}`);
}

/** The producer steps P1 (mark the slot) and P2 (move HEAD) for position `h`, as agent `id`. */
function claimSend(v: RingView, h: number, id: number, move = true): void {
  cas(v, v.at(h), 2 * h, v.mark(h, SEND, id));
  if (move) cas(v, HEAD, h, h + 1);
}

/** The consumer steps C1 (mark the message) and C2 (move TAIL) for position `t`, as agent `id`. */
function claimRecv(v: RingView, t: number, id: number, move = true): void {
  cas(v, v.at(t), 2 * t + 1, v.mark(t, RECV, id));
  if (move) cas(v, TAIL, t, t + 1);
}

/** Agent `id` claimed position `h` (P1, P2), its copy failed, and it published the slot as withdrawn (W1). */
function withdrawn(v: RingView, h: number, id: number): void {
  claimSend(v, h, id);
  v.i32[v.at(h, LEN)] = -1;
  Atomics.store(v.i32, v.at(h), 2 * h + 1);
}

function channel(slots: number, before: number[]): { ch: Channel<"d">; v: RingView } {
  const ch = new Channel("d", { capacity: 2, slots });
  for (const x of before) ch.send([x], { timeout: 0 });
  return { ch, v: ringOf(ch) };
}

interface Point {
  /** The table row: the step after which the claimer was killed. */
  name: string;
  /** Builds a channel in that state, and what receivers must get from it before anything new. */
  build(): { ch: Channel<"d">; expect: number[] };
  /** Live operations that must succeed at once (timeout 0) in that state: sends of 50, 51… */
  pollSends?: number;
}

const points: Point[] = [
  {
    name: "P1: a producer marked the slot as its claim, not yet moving the head",
    pollSends: 1,
    build() {
      const { ch, v } = channel(2, [1]);
      claimSend(v, 1, deadId(), false);
      return { ch, expect: [1] };
    },
  },
  {
    name: "P1 with one slot: a producer marked the only slot, not yet moving the head",
    pollSends: 1,
    build() {
      const { ch, v } = channel(1, []);
      claimSend(v, 0, deadId(), false);
      return { ch, expect: [] };
    },
  },
  {
    name: "P2: a producer claimed a slot (head moved), not yet writing",
    build() {
      const { ch, v } = channel(2, [1]);
      claimSend(v, 1, deadId());
      return { ch, expect: [1] };
    },
  },
  {
    name: "P2 with one slot: a producer claimed the only slot, not yet writing",
    build() {
      const { ch, v } = channel(1, []);
      claimSend(v, 0, deadId());
      return { ch, expect: [] };
    },
  },
  {
    name: "P3: a producer wrote its message and length, not yet publishing (never seen)",
    build() {
      const { ch, v } = channel(3, [1]);
      claimSend(v, 1, deadId());
      v.data(1).fill(666);
      v.i32[v.at(1, LEN)] = 2;
      ch.send([2], { timeout: 0 });
      return { ch, expect: [1, 2] };
    },
  },
  {
    name: "W1: a producer whose copy failed published its slot as withdrawn, not yet passing it",
    build() {
      const { ch, v } = channel(3, [1]);
      withdrawn(v, 1, deadId());
      ch.send([2], { timeout: 0 });
      return { ch, expect: [1, 2] };
    },
  },
  {
    name: "W2: a withdrawing producer marked its oldest slot as a receiver's claim, not yet moving the tail",
    pollSends: 1,
    build() {
      const { ch, v } = channel(2, []);
      const d = deadId();
      withdrawn(v, 0, d);
      claimRecv(v, 0, d, false);
      return { ch, expect: [] };
    },
  },
  {
    name:
      "W2 behind older messages: a withdrawing producer marked its slot, not the oldest, and did not undo",
    build() {
      const { ch, v } = channel(3, [1]);
      const d = deadId();
      withdrawn(v, 1, d);
      claimRecv(v, 1, d, false);
      ch.send([2], { timeout: 0 });
      return { ch, expect: [1, 2] };
    },
  },
  {
    name: "W3: a withdrawing producer moved the tail past its slot, not yet freeing it",
    pollSends: 1,
    build() {
      const { ch, v } = channel(1, []);
      const d = deadId();
      withdrawn(v, 0, d);
      claimRecv(v, 0, d);
      return { ch, expect: [] };
    },
  },
  {
    name:
      "C1: a consumer marked the message as its claim, not yet moving the tail (the message is delivered)",
    build() {
      const { ch, v } = channel(2, [1, 2]);
      claimRecv(v, 0, deadId(), false);
      return { ch, expect: [1, 2] };
    },
  },
  {
    name: "C1 with one slot: a consumer marked the only message, not yet moving the tail (delivered)",
    build() {
      const { ch, v } = channel(1, [1]);
      claimRecv(v, 0, deadId(), false);
      return { ch, expect: [1] };
    },
  },
  {
    name:
      "C2: a consumer claimed a message (tail moved), not yet copying it; one slot (message 1 is lost with it)",
    pollSends: 1,
    build() {
      const { ch, v } = channel(1, [1]);
      claimRecv(v, 0, deadId());
      return { ch, expect: [] };
    },
  },
  {
    name:
      "C2: a consumer claimed a message (tail moved), not yet copying it; two slots, full (message 1 is lost)",
    pollSends: 1,
    build() {
      const { ch, v } = channel(2, [1, 2]);
      claimRecv(v, 0, deadId());
      return { ch, expect: [2] };
    },
  },
  {
    name: "T: a receiver took a dead producer's claim over, then was killed before withdrawing it",
    build() {
      const { ch, v } = channel(2, [1]);
      claimSend(v, 1, deadId());
      cas(v, v.at(1), v.i32[v.at(1)], v.mark(1, SEND, deadId()));
      return { ch, expect: [1] };
    },
  },
  {
    name: "T: a producer took a dead consumer's claim over, then was killed before freeing the slot",
    pollSends: 1,
    build() {
      const { ch, v } = channel(1, [1]);
      claimRecv(v, 0, deadId());
      cas(v, v.at(0), v.i32[v.at(0)], v.mark(0, RECV, deadId()));
      return { ch, expect: [] };
    },
  },
  {
    name: "P2': a producer's head swap failed as the channel closed, not yet undoing its mark",
    build() {
      const { ch, v } = channel(2, [1]);
      claimSend(v, 1, deadId(), false);
      ch.close();
      return { ch, expect: [1] };
    },
  },
  {
    name: "a sleeper on each side counted itself and was killed asleep",
    pollSends: 1,
    build() {
      const { ch, v } = channel(2, [1]);
      Atomics.add(v.i32, SEND_WAITERS, 1);
      Atomics.add(v.i32, SEND_WAITERS + 32, 1);
      return { ch, expect: [1] };
    },
  },
];

/** Live parties in the main thread: the polls, the expected messages, then laps over every slot. */
function checkMain(point: Point, ch: Channel<"d">, expect: number[]): void {
  if (ch.closed) {
    // Closed: what was sent comes out, then the end, at once (no stall at the dead mark).
    assert.deepEqual([...ch].map((m) => m[0]), expect);
    assert.equal(ch.recv({ timeout: 0 }), null);
    return;
  }
  const want = [...expect];
  for (let i = 0; i < (point.pollSends ?? 0); i++) {
    ch.send([50 + i], { timeout: 0 });
    want.push(50 + i);
  }
  const got: number[] = [];
  for (let i = 0; i < want.length; i++) got.push(ch.recv({ timeout: 2000 })![0]);
  assert.deepEqual(got, want, "the messages still queued, in order");
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError, "nothing more, nothing twice");
  for (let i = 0; i < 3 * ch.slots + 1; i++) {
    ch.send([500 + i], { timeout: 2000 });
    assert.equal(ch.recv({ timeout: 2000 })![0], 500 + i, `lap message ${i}`);
  }
  ch.close();
  assert.equal(ch.recv({ timeout: 0 }), null);
}

/** A live worker sends, the main thread receives; then the other way round. */
async function checkWorker(ch: Channel<"d">, expect: number[]): Promise<void> {
  if (ch.closed) {
    const out = new Float64Array(new SharedArrayBuffer(8 * (2 + expect.length)));
    await withProcesses(async (start) => {
      const p = start("chan_killpoints", { exportName: "pump", args: [ch, 0, 0, expect.length, out] });
      assert.equal(await p.join(LONG), 0);
    });
    assert.deepEqual(Array.from(out), [expect.length, ...expect, 0]);
    assert.equal(await ch.recvAsync(), null);
    return;
  }
  const sends = 3 * ch.slots + 2;
  const takes = 3 * ch.slots + 1;
  const out = new Float64Array(new SharedArrayBuffer(8 * (1 + takes)));
  const go = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    const p = start("chan_killpoints", { exportName: "pump", args: [ch, 300, sends, takes, out, go] });
    const want = [...expect, ...Array.from({ length: sends }, (_, i) => 300 + i)];
    const got: number[] = [];
    for (let i = 0; i < want.length; i++) got.push((await ch.recvAsync({ timeout: LONG }))![0]);
    assert.deepEqual(got, want, "from the worker, in order");
    // Only now may the worker receive (else it could take back its own last messages).
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    for (let i = 0; i < takes; i++) await ch.sendAsync([400 + i], { timeout: LONG });
    assert.equal(await p.join(LONG), 0);
  });
  assert.deepEqual(Array.from(out), [takes, ...Array.from({ length: takes }, (_, i) => 400 + i)]);
  assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError, "nothing more, nothing twice");
}

for (const point of points) {
  test(`kill point ${point.name}: live parties go on`, async () => {
    const a = point.build();
    checkMain(point, a.ch, a.expect);
    const b = point.build();
    await checkWorker(b.ch, b.expect);
  });
}

test("kill point K1: close set the closed bit, not yet SHUT: receivers still see closed and drained", async () => {
  for (const poll of [true, false]) {
    const { ch, v } = channel(2, [1]);
    Atomics.or(v.i32, HEAD, CLOSED);
    assert.equal(Atomics.load(v.i32, SHUT), 0);
    assert.equal(ch.closed, true);
    assert.equal(ch.recv({ timeout: 0 })![0], 1);
    const t0 = performance.now();
    assert.equal(poll ? ch.recv({ timeout: 0 }) : ch.recv(), null);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(await ch.recvAsync(), null);
  }
  const { ch, v } = channel(2, [1, 2]);
  Atomics.or(v.i32, HEAD, CLOSED);
  await withProcesses(async (start) => {
    const out = new Float64Array(new SharedArrayBuffer(8 * 4));
    const p = start("chan_killpoints", { exportName: "pump", args: [ch, 0, 0, 2, out] });
    assert.equal(await p.join(LONG), 0);
    assert.deepEqual(Array.from(out), [2, 1, 2, 0]);
  });
  assert.equal(await ch.recvAsync(), null);
});

test("a live agent's mark at the head (tail) is waited for, never stolen; once the agent exits it is undone", async () => {
  // Sender side: a live producer between its two swaps.
  {
    const { ch, v } = channel(2, []);
    const live = drawId();
    claimSend(v, 0, live, false);
    const before = memoryOf(ch);
    assert.throws(() => ch.send([1], { timeout: 30 }), TimeoutError);
    await assert.rejects(ch.sendAsync([1], { timeout: 30 }), TimeoutError);
    assert.throws(() => ch.recv({ timeout: 0 }), TimeoutError);
    assert.deepEqual(memoryOf(ch), before, "nothing sent, the mark untouched");
    const pending = ch.sendAsync([2], { timeout: LONG });
    markExited(live);
    await pending;
    assert.equal(ch.recv({ timeout: 0 })![0], 2);
  }
  // Receiver side: a live consumer between its two swaps.
  {
    const { ch, v } = channel(2, [7]);
    const live = drawId();
    claimRecv(v, 0, live, false);
    const before = memoryOf(ch);
    assert.throws(() => ch.recv({ timeout: 30 }), TimeoutError);
    await assert.rejects(ch.recvAsync({ timeout: 30 }), TimeoutError);
    assert.deepEqual(memoryOf(ch), before, "nothing taken, the mark untouched");
    const pending = ch.recvAsync({ timeout: LONG });
    markExited(live);
    assert.equal((await pending)![0], 7);
  }
});

test("a mark of the previous lap in the same slot is never mistaken for one of this lap", () => {
  // One slot: message 0 is claimed by a live receiver that has not freed it; a producer at
  // position 1 sees the receive mark of lap 0, not a claim of position 1: the ring is full.
  const { ch, v } = channel(1, [1]);
  const live = drawId();
  claimRecv(v, 0, live);
  const before = memoryOf(ch);
  assert.throws(() => ch.send([2], { timeout: 0 }), TimeoutError);
  assert.deepEqual(memoryOf(ch), before);
  // Once it exits, the slot is freed (the message is lost with it), and the ring goes on.
  markExited(live);
  ch.send([2], { timeout: 0 });
  assert.equal(ch.recv({ timeout: 0 })![0], 2);
  // Consecutive laps of a slot mark differently, wrap included (an even number of laps).
  assert.notEqual(v.mark(0, SEND, live), v.mark(1, SEND, live));
  assert.notEqual(v.mark(v.ring.limit - 1, RECV, live), v.mark(0, RECV, live));
});

for (const step of ["P1", "P2", "C1", "C2"]) {
  test(`kill point ${step} played by a real worker, terminated after the step: live parties go on`, async () => {
    const send = step.startsWith("P");
    const { ch } = channel(2, send ? [1] : [1, 2]);
    const flags = new Int32Array(new SharedArrayBuffer(8));
    await withProcesses(async (start) => {
      const p = start("chan_killpoints", { exportName: "stopAfter", args: [ch, step, flags] });
      await until(() => Atomics.load(flags, 0) === 1, LONG);
      p.terminate();
      assert.equal(await p.join(LONG), -15);
    });
    // P1 and P2 leave message 1 queued; C1 leaves both (the record only), C2 takes message 1 with it.
    const expect = step === "C2" ? [2] : step === "C1" ? [1, 2] : [1];
    checkMain({ name: step, build: () => ({ ch, expect }) }, ch, expect);
  });
}
