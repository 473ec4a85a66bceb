// A terminated process must not keep this one alive, joined or not.
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
console.log(`exit codes ${blocked.exitCode}, ${early.exitCode}; never joined`);
// A worker whose module cannot load ends with an error, joined or not.
const missing = new Process(new URL("../workers/no_such_module.ts", import.meta.url)).start();
const failed = await missing.join(10_000).then(() => "joined", (e) => (e as Error).name);
console.log(`missing module: ${failed}, exit code ${missing.exitCode}`);
