import { ChannelClosedError, type Connection, type JoinableQueue, type Queue } from "../../mod.ts";
import { assertSameAsClone, mulberry32, randomValue } from "../_values.ts";

/** Item `seq` of producer `id`: a seeded random value of every kind (shared buffers included). */
export function item(
  seed: number,
  id: number,
  seq: number,
  depth: number,
): { p: number; s: number; v: unknown } {
  const rng = mulberry32((seed ^ (id << 20) ^ seq) >>> 0);
  const v = randomValue(rng, depth);
  fixStacks(v, new Set());
  return { p: id, s: seq, v };
}

/** Gives every Error inside `v` the same stack: a stack names the thread that made it. */
function fixStacks(v: unknown, seen: Set<object>): void {
  if (typeof v !== "object" || v === null || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Error) {
    v.stack = `${v.name}: fixed`;
    if ("cause" in v) fixStacks(v.cause, seen);
  }
  if (ArrayBuffer.isView(v)) return;
  // By brand, not instanceof: a random value may be an array whose prototype is a Set or a Map
  // (a "__proto__" key), which their iterators refuse.
  if (isA(Map.prototype.has, v)) {
    for (const [k, x] of v as Map<unknown, unknown>) {
      fixStacks(k, seen);
      fixStacks(x, seen);
    }
  } else if (isA(Set.prototype.has, v)) {
    for (const x of v as Set<unknown>) fixStacks(x, seen);
  } else {
    for (const k of Object.keys(v)) fixStacks((v as Record<string, unknown>)[k], seen);
  }
}

/** Whether `v` is really of the class whose method `has` is (brand check: the method refuses anything else). */
function isA(has: (this: never, key: unknown) => boolean, v: object): boolean {
  try {
    has.call(v as never, undefined);
    return true;
  } catch {
    return false;
  }
}

/** Puts `count` items of producer `id`; `mode`: "sync", "async" or "mixed". */
export async function producer(
  q: Queue,
  id: number,
  count: number,
  seed: number,
  depth: number,
  mode: string,
): Promise<void> {
  for (let seq = 0; seq < count; seq++) {
    const x = item(seed, id, seq, depth);
    if (mode === "async" || (mode === "mixed" && seq % 2 === 1)) await q.putAsync(x, { timeout: 60000 });
    else q.put(x, { timeout: 60000 });
  }
}

/**
 * Takes items until the queue is closed and drained: checks each against a
 * fresh copy of the value it must be, each producer's order, and marks it in
 * `seen` (one byte per producer and seq); counts in `counts[index]`. A
 * blocking get refused for shared memory not yet here (Deno, Bun) falls back
 * to the async form, which must then get that very item.
 */
export async function consumer(
  q: Queue,
  seen: Uint8Array,
  producers: number,
  count: number,
  counts: Int32Array,
  index: number,
  seed: number,
  depth: number,
  mode: string,
): Promise<void> {
  const last = new Array<number>(producers).fill(-1);
  for (;;) {
    let x: { p: number; s: number; v: unknown };
    try {
      if (mode === "async") x = await q.getAsync({ timeout: 60000 }) as typeof x;
      else {
        try {
          x = q.get({ timeout: 60000 }) as typeof x;
        } catch (e) {
          if (!(e instanceof TypeError) || !/getAsync/.test(e.message)) throw e;
          x = await q.getAsync({ timeout: 60000 }) as typeof x;
        }
      }
    } catch (e) {
      if (e instanceof ChannelClosedError) return;
      throw e;
    }
    const { p, s } = x;
    if (!(p >= 0 && p < producers && s >= 0 && s < count)) throw new Error(`bad item ${JSON.stringify(x)}`);
    if (s <= last[p]) throw new Error(`producer ${p}: item ${s} after ${last[p]}`);
    last[p] = s;
    assertSameAsClone(x.v, item(seed, p, s, depth).v);
    Atomics.add(seen, p * count + s, 1);
    Atomics.add(counts, index, 1);
  }
}

/** Gets one value and puts back what it says about it: its shared buffers written through (live). */
export async function echo(q: Queue, back: Queue, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const v = await q.getAsync({ timeout: 30000 });
    back.put(touch(v));
  }
}

/** Writes 7 into the first byte of each SharedArrayBuffer and bumps each sabkit object; returns a summary. */
function touch(v: unknown): unknown {
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    if (x instanceof SharedArrayBuffer) {
      new Uint8Array(x)[0] = 7;
      out[k] = "sab";
    } else if (x !== null && typeof x === "object" && "__sabkit" in x) {
      const kind = (x as { __sabkit: { kind: string } }).__sabkit.kind;
      out[k] = kind;
      if (kind === "Queue" || kind === "SimpleQueue" || kind === "JoinableQueue") {
        (x as unknown as Queue).put(`via ${k}`);
      }
      if (kind === "Connection") (x as unknown as Connection).send(`via ${k}`);
    } else out[k] = x;
  }
  return out;
}

/** Receives a queue object as a Process arg and uses it: puts, a task done, a pipe's send. */
export function args(q: Queue, jq: JoinableQueue, conn: Connection, simple: Queue): void {
  q.put("from args");
  jq.get();
  jq.taskDone();
  conn.send(conn.recv());
  simple.put("simple from args");
}

/** Pipe ping-pong: replies to `rounds` messages with the same value, then its bytes echo. */
export function pong(conn: Connection, rounds: number): void {
  for (let i = 0; i < rounds; i++) conn.send(conn.recv());
  conn.sendBytes(conn.recvBytes());
}

/** Puts `big` (a string of `n` chars) `times` times: items larger than the queue's memory. */
export async function bigPut(q: Queue, n: number, times: number, async: boolean): Promise<void> {
  for (let i = 0; i < times; i++) {
    const v = { i, s: String.fromCharCode(97 + i).repeat(n), a: new Float64Array(n / 8).fill(i) };
    if (async) await q.putAsync(v);
    else q.put(v);
  }
}

/** Gets forever (until closed), flagging each item in `state[1]`: a victim terminated mid-get. */
export async function getLoop(q: Queue, state: Int32Array, async: boolean): Promise<void> {
  for (;;) {
    Atomics.store(state, 0, 1);
    const v = async ? await q.getAsync() : q.get();
    Atomics.add(state, 1, 1);
    void v;
  }
}

/** Puts forever, flagging each put in `state[1]`: a victim terminated mid-put. */
export async function putLoop(q: Queue, state: Int32Array, size: number, async: boolean): Promise<void> {
  for (let i = 0;; i++) {
    Atomics.store(state, 0, 1);
    const v = { victim: i, s: "v".repeat(size) };
    if (async) await q.putAsync(v);
    else q.put(v);
    Atomics.add(state, 1, 1);
  }
}

/** `state` words of the kill tests. */
export const ATTEMPT = 0;
export const SENT = 1;
export const RECEIVED = 2;
export const ERRORS = 3;

/** The value of kill-test item `seq`: every 5th is larger than the ring (streamed). */
export function killItem(seq: number): { seq: number; s: string } {
  return { seq, s: String.fromCharCode(97 + (seq % 26)).repeat(seq % 5 === 0 ? 3000 : 1 + (seq % 40)) };
}

/** Puts seq `first`, `first + 1`, … forever: `state[ATTEMPT]` the seq being put, `state[SENT]` one past the last put. */
export async function killSender(q: Queue, state: Int32Array, first: number, async: boolean): Promise<void> {
  for (let seq = first;; seq++) {
    Atomics.store(state, ATTEMPT, seq);
    if (async) await q.putAsync(killItem(seq), { timeout: 60000 });
    else q.put(killItem(seq), { timeout: 60000 });
    Atomics.store(state, SENT, seq + 1);
  }
}

/** Gets forever: checks each item whole and marks `by[seq]` once (a second mark is an error). */
export async function killReceiver(
  q: Queue,
  state: Int32Array,
  by: Int32Array,
  inc: number,
  async: boolean,
): Promise<void> {
  for (;;) {
    const v = (async ? await q.getAsync({ timeout: 60000 }) : q.get({ timeout: 60000 })) as {
      seq: number;
      s: string;
    };
    if (v.s !== killItem(v.seq).s || Atomics.compareExchange(by, v.seq, 0, inc + 1) !== 0) {
      Atomics.add(state, ERRORS, 1);
      throw new Error(`receiver ${inc}: item ${v.seq} bad or taken twice`);
    }
    Atomics.add(state, RECEIVED, 1);
  }
}

/** Puts one item larger than the ring and never returns while nobody reads: a producer stuck mid-stream. */
export function stuckStream(q: Queue, state: Int32Array): void {
  Atomics.store(state, 0, 1);
  q.put("s".repeat(100_000));
}

/** Takes `n` values (async: some carry shared memory) and puts each back unchanged. */
export async function relay(q: Queue, back: Queue, n: number): Promise<void> {
  for (let i = 0; i < n; i++) back.put(await q.getAsync({ timeout: 30000 }));
}
