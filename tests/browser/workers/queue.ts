/**
 * The worker side of the browser suite's Queue and Pipe tests (re-exported
 * by blocking.ts, whose exports are the process targets). Values are seeded
 * (tests/_values.ts), so each side makes its own copy of what the other
 * sends and checks it with `assertSameAsClone`: what arrived is what
 * `structuredClone` would have given, in this browser.
 */
import type { Connection, Event, JoinableQueue, Queue } from "@sabkit/sabkit";
import { assertSameAsClone } from "../../_values.ts";
import { item } from "../../workers/queue_ops.ts";

/** The seed of the suite's queue values. */
const SEED = 18;

/**
 * Value `seq` of producer `id`: any kind (shared memory too), nested 3 deep,
 * the same on every side (its errors' stacks fixed: a stack names its thread).
 */
export function queueValue(id: number, seq: number): unknown {
  return item(SEED, id, seq, 3).v;
}

/** Whether `v` holds shared memory (a SharedArrayBuffer, or a view on one) anywhere inside. */
export function hasShared(v: unknown, seen: Set<object> = new Set()): boolean {
  if (typeof v !== "object" || v === null || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(v)) return v.buffer instanceof SharedArrayBuffer;
  if (v instanceof Error) return hasShared((v as { cause?: unknown }).cause, seen);
  if (v instanceof Map) return [...v].some(([k, x]) => hasShared(k, seen) || hasShared(x, seen));
  if (v instanceof Set) return [...v].some((x) => hasShared(x, seen));
  return Object.keys(v).some((k) => hasShared((v as Record<string, unknown>)[k], seen));
}

/** The seqs of producer `id`'s first `count` values that hold no shared memory (see `queuePut`). */
export function privateSeqs(id: number, count: number): number[] {
  return Array.from({ length: count }, (_, seq) => seq).filter((seq) => !hasShared(queueValue(id, seq)));
}

/** A big value: `chars` characters of text and a Float64Array of `n` elements, stamped with `seq`. */
export function bigValue(
  seq: number,
  chars: number,
  n: number,
): { seq: number; text: string; data: Float64Array } {
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = seq + i * 0.5;
  return { seq, text: `${seq}:${"abcdefghij日本".repeat(Math.ceil(chars / 12)).slice(0, chars)}`, data };
}

function isClosed(e: unknown): boolean {
  return (e as Error)?.name === "ChannelClosedError";
}

/**
 * Puts producer `id`'s values of the first `count` that hold no shared
 * memory, as `{ id, seq, value }`, with the blocking `put`. (Shared memory
 * travels beside an item over a BroadcastChannel, which a worker blocked in
 * `put` may not get to send: see the suite's test of it.)
 */
export function queuePut(q: Queue, id: number, count: number): void {
  for (const seq of privateSeqs(id, count)) q.put({ id, seq, value: queueValue(id, seq) });
}

/**
 * Puts one value holding a SharedArrayBuffer with the blocking `put`, sets
 * `put`, then blocks in `release.wait()` (its event loop never runs again
 * until the window sets `release`).
 */
export function sharedPutThenBlock(q: Queue, put: Event, release: Event): void {
  const sab = new SharedArrayBuffer(8);
  new Int32Array(sab)[1] = 77;
  q.put({ sab, view: new Int32Array(sab) });
  put.set();
  if (!release.wait(20_000)) throw new Error("never released");
}

/**
 * Takes `{ id, seq, value }` items with `getAsync` (they may carry shared
 * memory) until the queue is closed and drained: each producer's in order,
 * each value as its seeded copy; `seen[id * count + seq]` counts each.
 */
export async function queueTake(q: Queue, seen: Int32Array, count: number): Promise<void> {
  const last = new Map<number, number>();
  for (;;) {
    let item: { id: number; seq: number; value: unknown };
    try {
      item = await q.getAsync({ timeout: 10_000 }) as typeof item;
    } catch (e) {
      if (isClosed(e)) return;
      throw e;
    }
    const { id, seq, value } = item;
    if ((last.get(id) ?? -1) >= seq) throw new Error(`producer ${id}: item ${seq} after ${last.get(id)}`);
    last.set(id, seq);
    assertSameAsClone(value, queueValue(id, seq));
    Atomics.add(seen, id * count + seq, 1);
  }
}

/**
 * A JoinableQueue's worker: blocking `get`s of `[n, i]` tasks until closed;
 * adds `n * n` to `sums[0]` and counts the task in `sums[1]`, then `taskDone`.
 */
export function joinableWork(q: JoinableQueue, sums: Float64Array, counts: Int32Array): void {
  for (;;) {
    let task: [number, number];
    try {
      task = q.get() as [number, number];
    } catch (e) {
      if (isClosed(e)) return;
      throw e;
    }
    const [n, i] = task;
    // Two workers add to one sum: each keeps its own slot.
    sums[i] += n * n;
    Atomics.add(counts, i, 1);
    q.taskDone();
  }
}

/** Echoes every value back over a duplex Pipe end with the blocking forms, until the other end closes. */
export function pipeEcho(conn: Connection): void {
  for (;;) {
    let v: unknown;
    try {
      v = conn.recv();
    } catch (e) {
      if (isClosed(e)) return;
      throw e;
    }
    conn.send(v);
  }
}

/** Echoes raw bytes back (`recvBytes` → `sendBytes`), until the other end closes. */
export function pipeBytesEcho(conn: Connection): void {
  for (;;) {
    let b: Uint8Array;
    try {
      b = conn.recvBytes();
    } catch (e) {
      if (isClosed(e)) return;
      throw e;
    }
    conn.sendBytes(b);
  }
}

/**
 * Sends `count` big values (larger than the pipe's memory: streamed in
 * parts) with the blocking `send`, then receives them back from the window
 * with `recv` and checks each exactly.
 */
export function bigRoundTrip(conn: Connection, count: number, chars: number, n: number): void {
  for (let seq = 0; seq < count; seq++) conn.send(bigValue(seq, chars, n));
  for (let seq = 0; seq < count; seq++) assertSameAsClone(conn.recv(), bigValue(seq, chars, n));
}
