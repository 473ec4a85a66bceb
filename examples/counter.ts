/**
 * Four workers add to one shared counter under one Lock.
 *
 *   deno run --allow-read examples/counter.ts   |   bun examples/counter.ts   |   node examples/counter.ts
 */
import { Lock, Process } from "../mod.ts";

const lock = new Lock();
const counter = new Int32Array(new SharedArrayBuffer(4));
const worker = new URL("./counter_worker.ts", import.meta.url);

const procs = [1, 2, 3, 4].map(() => new Process(worker, { args: [lock, counter, 10_000] }).start());
const codes = await Promise.all(procs.map((p) => p.join()));
console.log(`exit codes ${codes.join(", ")}; counter = ${counter[0]}`); // counter = 40000
