/**
 * The body of the bundled workers: revives what the test posts with the
 * `revive` it is given and uses every object once, so the test can see the
 * effect on the shared memory. Each effect is idempotent (the test may post
 * again if a runtime loses the first message).
 */

import { answer } from "./_serve.ts";

/** The effects, and the class each object revived as. */
export interface Report {
  /** Per key: the kind in the revived object's handle (a bundler may rename classes). */
  kinds: Record<string, string>;
  /** Per key: what using it returned. */
  results: Record<string, unknown>;
}

// The revived objects, typed by what is used (the bundle imports no class).
interface Lockish {
  acquire(o?: { blocking?: boolean }): boolean;
}
interface Revived {
  lock: Lockish;
  rlock: Lockish;
  semaphore: Lockish;
  bounded: Lockish;
  condition: Lockish;
  event: { set(): void };
  barrier: { wait(timeout?: number): number };
  rawValue: { value: number };
  value: { value: number };
  doubles: { set(i: number, x: number): void; typecode: string };
  flags: { set(i: number, x: boolean): void; get(i: number): boolean; typecode: string };
  bytes: { value: string; typecode: string };
  wide: { value: string; typecode: string };
  channel: { send(v: number[], o?: { timeout?: number }): void };
  floats: { send(v: number[], o?: { timeout?: number }): void };
  // Absent where a caller (the browser suite) posts only the other kinds.
  queue?: { put(v: unknown): void };
  simple?: { put(v: unknown): void };
  joinable?: { put(v: unknown): void };
  pipe?: { send(v: unknown): void };
}

/** Revives `data` and uses each object. */
export function exercise(revive: <T>(x: T) => T, data: unknown): Report {
  const o = revive(data) as Revived;
  const kinds: Record<string, string> = {};
  for (const [key, value] of Object.entries(o)) {
    kinds[key] = (value as { __sabkit: { kind: string } }).__sabkit.kind;
  }
  const results: Record<string, unknown> = {
    lock: o.lock.acquire({ blocking: false }),
    rlock: o.rlock.acquire({ blocking: false }),
    semaphore: o.semaphore.acquire({ blocking: false }),
    bounded: o.bounded.acquire({ blocking: false }),
    condition: o.condition.acquire({ blocking: false }),
    barrier: o.barrier.wait(1000),
  };
  o.event.set();
  o.rawValue.value = 42;
  o.value.value = 43;
  o.doubles.set(1, 2.5);
  o.flags.set(0, true);
  results.flags = o.flags.get(0);
  o.bytes.value = "hi";
  o.wide.value = "日本";
  // `c` and `u` arrays revive as SynchronizedString, the only class with these accessors.
  results.text = [o.bytes, o.wide, o.doubles].map((x) => "raw" in x && "value" in x);
  results.typecodes = [o.doubles.typecode, o.flags.typecode, o.bytes.typecode, o.wide.typecode].join("");
  for (const [ch, message] of [[o.channel, [1, 2, 3]], [o.floats, [4, 5]]] as const) {
    try {
      ch.send([...message], { timeout: 0 });
    } catch {
      // Full: an earlier post of this test already sent it.
    }
  }
  o.queue?.put({ from: "queue" });
  o.simple?.put({ from: "simple" });
  o.joinable?.put({ from: "joinable" });
  o.pipe?.send({ from: "pipe" });
  return { kinds, results };
}

/** Runs `exercise` on every message from the parent and posts the report back, in a web or a Node worker. */
export function serve(revive: <T>(x: T) => T): void {
  answer((data) => exercise(revive, data));
}
