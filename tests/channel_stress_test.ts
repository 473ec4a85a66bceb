/**
 * Channel stress on real workers: 4 producers x 4 consumers with
 * (producer, seq) tags, every message exactly once and each producer's in
 * order; close() racing with sends. Small sizes by default; `npm run stress`
 * sets SABKIT_STRESS=full (250,000 messages per producer, 10^6 in all).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel } from "../mod.ts";
import { n, size } from "./_stress.ts";
import { runtime, sleep, until, withProcesses } from "./_util.ts";

const PRODUCERS = 4;
const CONSUMERS = 4;
const PER_PRODUCER = size(5000, 250_000);
const SLOW = { timeout: 600_000 };

/** The first (producer, seq) not seen exactly once, as a message, or "". */
function firstMiss(seen: Uint8Array, perProducer: number, accepted?: Int32Array): string {
  for (let p = 0; p * perProducer < seen.length; p++) {
    const sent = accepted ? accepted[p] : perProducer;
    for (let seq = 0; seq < perProducer; seq++) {
      const want = seq < sent ? 1 : 0;
      const got = seen[p * perProducer + seq];
      if (got !== want) return `producer ${p} message ${seq}: received ${got} times, expected ${want}`;
    }
  }
  return "";
}

for (const slots of [1, 16]) {
  test(
    `stress: Channel MPMC, ${PRODUCERS} producers x ${CONSUMERS} consumers x ${
      n(PER_PRODUCER)
    } messages each, ${slots} slot(s), sync and async mixed: each exactly once, per-producer order kept`,
    SLOW,
    async () => {
      const ch = new Channel("d", { capacity: 8, slots });
      const seen = new Uint8Array(new SharedArrayBuffer(PRODUCERS * PER_PRODUCER));
      const counts = new Int32Array(new SharedArrayBuffer(4 * CONSUMERS));
      const modes = ["recvInto", "recv", "async", slots === 1 ? "recvWith" : "recvWithAsync"];
      const t0 = performance.now();
      await withProcesses(async (start) => {
        const consumers = modes.map((mode, k) =>
          start("stress_channel", {
            exportName: "consume",
            args: [ch, seen, PRODUCERS, PER_PRODUCER, counts, k, mode],
          })
        );
        const producers = Array.from(
          { length: PRODUCERS },
          (_, p) => start("stress_channel", { exportName: "produce", args: [ch, p, PER_PRODUCER, p === 3] }),
        );
        assert.deepEqual(
          await Promise.all(producers.map((p) => p.join())),
          [0, 0, 0, 0],
        );
        ch.close();
        assert.deepEqual(await Promise.all(consumers.map((p) => p.join())), [0, 0, 0, 0]);
      });
      const total = PRODUCERS * PER_PRODUCER;
      const ms = performance.now() - t0;
      console.log(
        `channel mpmc ${runtime} ${slots} slot(s): ${n(total)} messages in ${
          ms.toFixed(0)
        } ms, per consumer ${[...counts].map(n).join(" / ")}`,
      );
      assert.equal(counts.reduce((a, b) => a + b, 0), total);
      assert.equal(firstMiss(seen, PER_PRODUCER), "");
      assert.equal(ch.recv({ timeout: 0 }), null, "closed and drained");
    },
  );
}

test(
  "stress: Channel close() racing with 4 producers (2 async): every accepted message is received exactly once, later sends throw",
  SLOW,
  async () => {
    const rounds = size(5, 20);
    let acceptedTotal = 0;
    for (let round = 0; round < rounds; round++) {
      const ch = new Channel("d", { capacity: 8, slots: 4 });
      const cap = 1 << 20;
      const seen = new Uint8Array(new SharedArrayBuffer(PRODUCERS * cap));
      const accepted = new Int32Array(new SharedArrayBuffer(4 * PRODUCERS));
      const counts = new Int32Array(new SharedArrayBuffer(4 * 2));
      await withProcesses(async (start) => {
        const consumers = ["recvInto", "async"].map((mode, k) =>
          start("stress_channel", {
            exportName: "consume",
            args: [ch, seen, PRODUCERS, cap, counts, k, mode],
          })
        );
        const producers = Array.from(
          { length: PRODUCERS },
          (_, p) =>
            start("stress_channel", { exportName: "produceUntilClosed", args: [ch, p, accepted, p >= 2] }),
        );
        // Close while every producer is busy sending.
        await until(() => accepted.every((x) => x > 0));
        await sleep(round % 5);
        ch.close();
        assert.deepEqual(await Promise.all(producers.map((p) => p.join())), [0, 0, 0, 0]);
        assert.deepEqual(await Promise.all(consumers.map((p) => p.join())), [0, 0]);
      });
      const sent = accepted.reduce((a, b) => a + b, 0);
      assert.equal(counts[0] + counts[1], sent, `round ${round}: received vs accepted`);
      assert.equal(firstMiss(seen, cap, accepted), "", `round ${round}`);
      acceptedTotal += sent;
    }
    console.log(
      `channel close race ${runtime}: ${rounds} closes, ${n(acceptedTotal)} messages accepted and received`,
    );
  },
);
