import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel } from "../mod.ts";
import { withProcesses } from "./_util.ts";

const LONG = 60000;

const SLOW = { timeout: 120_000 };

for (const slots of [1, 2, 16, 1024]) {
  test(
    `Channel: 10^5 seeded random-length messages (0..capacity) arrive exactly with ${slots} slot(s)`,
    SLOW,
    async () => {
      const ch = new Channel("d", { capacity: 24, slots });
      const out = new Int32Array(new SharedArrayBuffer(4));
      const seed = 1000 + slots;
      await withProcesses(async (start) => {
        const consumer = start("chan_stream_recv", { args: [ch, seed, out] });
        const producer = start("chan_stream_send", { args: [ch, seed, 100_000] });
        assert.deepEqual(await Promise.all([producer.join(LONG), consumer.join(LONG)]), [0, 0]);
      });
      assert.equal(out[0], 100_000);
    },
  );
}

async function mpmc(
  producers: number,
  consumers: number,
  count: number,
  slots: number,
  modes: { send: string; recv: string },
): Promise<void> {
  const ch = new Channel("d", { capacity: 8, slots });
  const seen = new Uint8Array(new SharedArrayBuffer(producers * count));
  const counts = new Int32Array(new SharedArrayBuffer(4 * consumers));
  await withProcesses(async (start) => {
    const recv = Array.from(
      { length: consumers },
      (_, k) => start("chan_mpmc_recv", { args: [ch, seen, producers, count, counts, k, modes.recv] }),
    );
    const send = Array.from(
      { length: producers },
      (_, id) => start("chan_mpmc_send", { args: [ch, id, count, modes.send] }),
    );
    assert.deepEqual(await Promise.all(send.map((p) => p.join(LONG))), send.map(() => 0));
    ch.close();
    assert.deepEqual(await Promise.all(recv.map((p) => p.join(LONG))), recv.map(() => 0));
  });
  assert.equal(counts.reduce((a, b) => a + b, 0), producers * count);
  const missing = seen.findIndex((x) => x !== 1);
  assert.equal(
    missing,
    -1,
    `message ${missing % count} of producer ${Math.floor(missing / count)} seen ${seen[missing]} times`,
  );
}

test(
  "Channel: 3 producers x 3 consumers x 30,000 tagged messages: each exactly once, per-producer order kept",
  SLOW,
  async () => {
    await mpmc(3, 3, 30_000, 8, { send: "sync", recv: "sync" });
  },
);

test(
  "Channel: 2 async producers x 2 async consumers on one slot: each exactly once, in order",
  SLOW,
  async () => {
    await mpmc(2, 2, 3_000, 1, { send: "async", recv: "async" });
  },
);

test(
  "Channel: senders and receivers that keep timing out and retrying still deliver each message once",
  SLOW,
  async () => {
    await mpmc(2, 2, 2_000, 2, { send: "retry", recv: "retry" });
  },
);

test("Channel: the main thread consumes with recvIntoAsync beside a worker consumer", SLOW, async () => {
  const count = 5_000;
  const ch = new Channel("d", { capacity: 8, slots: 4 });
  const seen = new Uint8Array(new SharedArrayBuffer(2 * count));
  const counts = new Int32Array(new SharedArrayBuffer(4));
  let mine = 0;
  await withProcesses(async (start) => {
    const worker = start("chan_mpmc_recv", { args: [ch, seen, 2, count, counts, 0, "sync"] });
    const send = [0, 1].map((id) => start("chan_mpmc_send", { args: [ch, id, count, "sync"] }));
    const done = Promise.all(send.map((p) => p.join(LONG))).then((codes) => {
      ch.close();
      return codes;
    });
    const buf = new Float64Array(8);
    const last = [-1, -1];
    while ((await ch.recvIntoAsync(buf, { timeout: LONG })) !== null) {
      const [id, seq] = buf;
      assert.ok(seq > last[id], `producer ${id}: ${seq} after ${last[id]}`);
      last[id] = seq;
      seen[id * count + seq]++;
      mine++;
    }
    assert.deepEqual(await done, [0, 0]);
    assert.equal(await worker.join(LONG), 0);
  });
  assert.equal(mine + counts[0], 2 * count);
  assert.equal(seen.findIndex((x) => x !== 1), -1);
});
