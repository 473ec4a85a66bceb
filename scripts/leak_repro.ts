/**
 * The faults issue's bug 6: 100,000 aborted async waits without a timeout, heap after GC.
 * `node --expose-gc scripts/leak_repro.ts event|sem|cond`,
 * `deno run -A --v8-flags=--expose-gc scripts/leak_repro.ts …`, `bun scripts/leak_repro.ts …`.
 */
// deno-lint-ignore-file no-explicit-any
import { Condition, Event, Semaphore } from "../mod.ts";
import { runtime } from "../src/runtime/mod.ts";
const gc = runtime === "bun" ? (globalThis as any).Bun.gc : (globalThis as any).gc;
const heap = () => {
  gc?.(true);
  gc?.(true);
  return (runtime === "deno" ? Deno.memoryUsage() : process.memoryUsage()).heapUsed / 2 ** 20;
};
const kind = runtime === "deno" ? Deno.args[0] : process.argv[2];
const e = new Event();
const s = new Semaphore(0);
const c = new Condition();
const before = heap();
for (let i = 0; i < 100_000; i++) {
  const ac = new AbortController();
  let p: Promise<unknown>;
  if (kind === "event") p = e.waitAsync(undefined, { signal: ac.signal });
  else if (kind === "sem") p = s.acquireAsync({ signal: ac.signal });
  else {
    await c.acquireAsync();
    p = c.waitAsync(undefined, { signal: ac.signal });
  }
  ac.abort();
  await p.catch(() => {});
  if (kind === "cond") c.release();
}
const mid = heap();
await new Promise((r) => setTimeout(r, 1500));
const after = heap();
console.log(
  `${kind}: heap ${before.toFixed(1)} → ${mid.toFixed(1)} MB right after 100,000 aborted waits → ${
    after.toFixed(1)
  } MB 1.5 s later`,
);
