// Runs in a scratch project where `sabkit` was installed from the packed tarball.
import { Lock, Process } from "sabkit";

const lock = new Lock();
const counter = new Int32Array(new SharedArrayBuffer(4));
const url = new URL("./pack_worker.mjs", import.meta.url);
const procs = [1, 2].map(() => new Process(url, { args: [lock, counter, 10000] }).start());
try {
  const codes = await Promise.all(procs.map((p) => p.join(30000)));
  if (codes.join() !== "0,0" || counter[0] !== 20000 || lock.locked()) {
    throw new Error(`Lock across workers failed: codes ${codes}, counter ${counter[0]}`);
  }
  console.log(`lock across 2 workers: ${counter[0]} increments`);
} finally {
  for (const p of procs) p.terminate();
}
