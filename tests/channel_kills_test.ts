/**
 * Random kills on real workers: a sender and a receiver loop on a channel,
 * and the test terminates one or both at seeded random moments (16 kills per
 * run here, 200 under SABKIT_STRESS=full; two runs), starting fresh ones each time.
 * The survivors and the new workers must go on, and in the end, by the
 * sequence numbers in the messages:
 *
 * - no message is received twice, none out of order, none altered;
 * - every message whose send returned is received, except at most one per
 *   receiver kill (the one it had claimed), lost exactly at that receiver's
 *   boundary: after the last message it recorded and before the first its
 *   successor received;
 * - the one message a killed sender was sending may be received or not.
 *
 * On Deno, terminate() does not stop running JavaScript: the worker stops at
 * its next sabkit call, so the kills land there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Channel, type Process } from "../mod.ts";
import { prng } from "./_chan.ts";
import { n, size } from "./_stress.ts";
import { runtime, sleep, until, withProcesses } from "./_util.ts";
import { ATTEMPT, ERRORS, RECEIVED, SENT, STOP } from "./workers/chan_kills.ts";

const KILLS = size(16, 200);
const MAX_SEQ = 1 << 22;

for (const slots of [1, 4]) {
  test(
    `channel kills: ${
      n(KILLS)
    } seeded kills of a sender and a receiver worker, ${slots} slot(s): nothing duplicated, lost only as the kills allow`,
    { timeout: 900_000 },
    async () => {
      const rng = prng(0x6b111 + slots);
      const ch = new Channel("d", { capacity: 4, slots });
      const state = new Int32Array(new SharedArrayBuffer(4 * 8));
      const by = new Int32Array(new SharedArrayBuffer(4 * MAX_SEQ));
      /** Each killed sender's first seq and the seq it was sending when killed (-1: none yet). */
      const killedSenders: Array<{ first: number; attempted: number }> = [];
      let receiverIncs = 0;
      let senderKills = 0;
      await withProcesses(async (start) => {
        let first = 0;
        const startSender = (): Process => {
          Atomics.store(state, ATTEMPT, first - 1);
          return start("chan_kills", { exportName: "sender", args: [ch, state, first, rng() % 3] });
        };
        const startReceiver = (): Process =>
          start("chan_kills", { exportName: "receiver", args: [ch, state, by, receiverIncs, rng() % 3] });
        let snd = startSender();
        let rcv = startReceiver();
        for (let k = 0; k < KILLS; k++) {
          // Let both sides run a little, then kill at a random instruction of their loops.
          const s0 = Atomics.load(state, SENT);
          const r0 = Atomics.load(state, RECEIVED);
          const more = 1 + (rng() % 40);
          await until(
            () => Atomics.load(state, SENT) >= s0 + more && Atomics.load(state, RECEIVED) >= r0 + 1,
            20000,
          ).catch(() => {
            throw new Error(
              `kill ${k}: no progress (sent ${Atomics.load(state, SENT)}, received ${
                Atomics.load(state, RECEIVED)
              })`,
            );
          });
          const spin = performance.now() + (rng() % 1000) / 1000;
          while (performance.now() < spin);
          const victim = rng() % 3;
          if (victim !== 1) snd.terminate();
          if (victim !== 0) rcv.terminate();
          if (victim !== 1) {
            assert.equal(await snd.join(20000), -15, `kill ${k}: the sender's exit`);
            const attempted = Atomics.load(state, ATTEMPT);
            killedSenders.push({ first, attempted: attempted >= first ? attempted : -1 });
            senderKills++;
            if (attempted >= first) first = attempted + 1;
            snd = startSender();
          }
          if (victim !== 0) {
            assert.equal(await rcv.join(20000), -15, `kill ${k}: the receiver's exit`);
            receiverIncs++;
            rcv = startReceiver();
          }
          assert.equal(Atomics.load(state, ERRORS), 0, `kill ${k}: a receiver saw a bad message`);
        }
        await sleep(20);
        Atomics.store(state, STOP, 1);
        assert.equal(await snd.join(60000), 0, "the last sender stops");
        ch.close();
        assert.equal(await rcv.join(60000), 0, "the last receiver drains the channel");
      });
      assert.equal(Atomics.load(state, ERRORS), 0);
      // The verdict, by sequence number.
      const sent = Atomics.load(state, SENT);
      const maybe = new Set(killedSenders.filter((s) => s.attempted >= 0).map((s) => s.attempted));
      // A killed sender's interrupted send may have arrived although SENT never counted it (when
      // the last sender was stopped before its first send, SENT is still the killed one's).
      for (let seq = sent; seq < MAX_SEQ; seq++) {
        if (!maybe.has(seq)) assert.equal(by[seq], 0, `seq ${seq} was never sent`);
      }
      // Walk the sent seqs: received ones must come in incarnation order; each run of missing
      // messages between two received ones is bounded by the receivers killed in between.
      let lastInc = 1;
      let missing = 0;
      let lost = 0;
      const gaps: string[] = [];
      for (let seq = 0; seq < sent; seq++) {
        const inc = by[seq];
        if (inc === 0) {
          if (!maybe.has(seq)) missing++;
          continue;
        }
        assert.ok(inc >= lastInc, `seq ${seq} received by receiver ${inc - 1} after receiver ${lastInc - 1}`);
        if (missing > inc - lastInc) {
          gaps.push(`${missing} lost before seq ${seq} across ${inc - lastInc} kills`);
        }
        lost += missing;
        missing = 0;
        lastInc = inc;
      }
      const finalInc = receiverIncs + 1;
      if (missing > finalInc - lastInc) {
        gaps.push(`${missing} lost at the end across ${finalInc - lastInc} kills`);
      }
      lost += missing;
      assert.deepEqual(gaps, [], "messages lost where no receiver was killed");
      assert.ok(lost <= receiverIncs);
      const withdrawn = [...maybe].filter((s) => by[s] === 0).length;
      console.log(
        `channel kills ${runtime} ${slots} slot(s): ${KILLS} kills (${senderKills} senders, ${receiverIncs} receivers), ${
          n(sent)
        } sent, ${lost} lost with their receivers, ${withdrawn} of ${maybe.size} interrupted sends never arrived`,
      );
    },
  );
}
