// Nothing but pending async waits may keep this process alive.
import { Event, Process } from "../../mod.ts";

const event = new Event();
const t0 = performance.now();
const first = await event.waitAsync(150);
const waited = performance.now() - t0 >= 150;
// A lone endless wait, set from a microtask after the wait began.
const other = new Event();
const second = other.waitAsync();
queueMicrotask(() => other.set());
// An endless wait that a worker's set ends.
const flags = new Int32Array(new SharedArrayBuffer(4));
const p = new Process(new URL("../workers/event_set.ts", import.meta.url), { args: [event, flags, 50] })
  .start();
const third = await event.waitAsync();
await p.join();
console.log(`timed out: ${first} after ${waited ? ">=" : "<"} 150 ms; set: ${await second}, ${third}`);
