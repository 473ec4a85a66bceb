// Nothing but a pending async wait may keep this process alive.
import { Lock } from "../../mod.ts";

const lock = new Lock();
lock.acquire();
const t0 = performance.now();
const first = await lock.acquireAsync({ timeout: 200 });
const waited = performance.now() - t0 >= 200;
// A second lone waiter, released from a microtask after the wait began.
const other = new Lock();
other.acquire();
const second = other.acquireAsync();
queueMicrotask(() => other.release());
console.log(`timed out: ${first} after ${waited ? ">=" : "<"} 200 ms; acquired: ${await second}`);
