// Runs in a scratch project where `sabkit` was installed from the packed tarball.
import { Channel, Lock, Process } from "sabkit";
import { Channel as AreaChannel } from "sabkit/channel";

if (AreaChannel !== Channel) throw new Error("sabkit/channel is not the root's Channel");
const lock = new Lock();
const counter = new Int32Array(new SharedArrayBuffer(4));
const ch = new Channel("d", { capacity: 1000, slots: 4 });
const url = new URL("./pack_worker.mjs", import.meta.url);
const procs = [1, 2].map(() => new Process(url, { args: [lock, counter, 10000, ch] }).start());
try {
  const block = new Float64Array(1000);
  for (let i = 0; i < 500; i++) {
    block.fill(i);
    ch.send(block);
  }
  ch.close();
  const codes = await Promise.all(procs.map((p) => p.join(30000)));
  // 2 × 10000 increments, then each worker adds the first element of every message it took: 0 + 1 + … + 499.
  const expected = 20000 + 124750;
  if (codes.join() !== "0,0" || counter[0] !== expected || lock.locked()) {
    throw new Error(`Lock and Channel across workers failed: codes ${codes}, counter ${counter[0]}`);
  }
  console.log(
    `ok: a Lock across 2 workers and 500 Channel messages: counter ${counter[0]} (expected ${expected})`,
  );
} finally {
  for (const p of procs) p.terminate();
}
