/// <reference lib="dom" />
// main.ts: the page's module (bundled to main.js)
import * as mp from "@sabkit/sabkit"; // npm: "sabkit"

const lock = new mp.Lock();
const counter = new Int32Array(new SharedArrayBuffer(4));
// Files of the bundle, beside this one: the worker module and sabkit's worker bootstrap.
const worker = new URL("./worker.js", import.meta.url);
const bootstrap = new URL("./bootstrap.js", import.meta.url);

const procs = [1, 2, 3, 4].map(() =>
  new mp.Process(worker, { args: [lock, counter, 10_000], bootstrap }).start()
);
// The window may not block: it takes the lock with the async form.
for (let i = 0; i < 1000; i++) {
  using _ = await lock.guardAsync();
  counter[0] += 1;
}
await Promise.all(procs.map((p) => p.join()));
document.querySelector("output")!.textContent = String(counter[0]); // 41000
