// A process that ended (terminated, or failed) must not keep this one alive, though never joined.
import { Lock, Process } from "../../mod.ts";

const lock = new Lock();
lock.acquire();
const flags = new Int32Array(new SharedArrayBuffer(4));
const worker = new URL("../workers/block.ts", import.meta.url);
const blocked = new Process(worker, { args: [lock, flags] }).start();
while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 5));
blocked.terminate();
// Terminated before its worker could even start the target.
const early = new Process(worker, { args: [lock, flags] }).start();
early.terminate();
// Not joined: alive turns false once the workers have really stopped.
for (const end = performance.now() + 10_000; (blocked.alive || early.alive) && performance.now() < end;) {
  await new Promise((r) => setTimeout(r, 5));
}
console.log(`exit codes ${blocked.exitCode}, ${early.exitCode}; never joined`);
// A worker that dies of an uncaught error (its runtime's error event, not the target's report).
const failing = new Process(new URL("../workers/throws.ts", import.meta.url), { exportName: "later" })
  .start();
for (const end = performance.now() + 10_000; failing.alive && performance.now() < end;) {
  await new Promise((r) => setTimeout(r, 5));
}
console.log(`uncaught error: exit code ${failing.exitCode}; never joined`);
