/**
 * What the producer (main thread) and the consumer (worker) of a benchmark
 * scenario share: the control block, the payload pattern and its checks.
 *
 * Every message carries stamps at its first, middle and last position
 * (derived from its sequence number), so a lost, repeated, reordered, torn
 * or truncated message is an error. The first messages of every scenario are
 * checked element by element (the verification pass before measuring).
 *
 * @module
 */

import type { Port } from "./_port.ts";

/** Control words (Int32 indices). */
export const READY = 0;
/** Messages (or sections) the consumer has verified, published at the end of a batch. */
export const DONE = 1;
/** Total messages the producer will have sent at the end of the current batch. */
export const TARGET = 2;
/** 1 once the consumer failed; the message is in the text area. */
export const ERROR = 3;
/** Set by the producer to stop a spinning consumer. */
export const STOP = 4;
/** A sequence number handed between threads (lock scenarios). */
export const SEQ = 5;
/** The other thread's acknowledgement of `SEQ`. */
export const ACK = 6;
/** 1 while some thread is inside a lock's critical section. */
export const INSIDE = 7;
/** A plain (non-atomic) counter incremented inside critical sections. */
export const COUNTER = 8;

/** The limit row of one copy into shared memory (what `send` does per message). */
export const LIMIT_COPY_IN = "limit: copy into shared memory (Float64Array.set → SharedArrayBuffer)";
/** The limit row of one allocation and copy out of shared memory (what `recv` does per message). */
export const LIMIT_ALLOC_COPY = "limit: allocate + copy out of shared memory (as recv does)";
/** The limit row of the read-mostly sections with no lock at all (the most any lock could give). */
export const LIMIT_NO_LOCK_RM = "limit: the same sections with no lock (2 threads, racy: speed only)";
/** The limit row of the reads-only sections with no lock at all. */
export const LIMIT_NO_LOCK_RO = "limit: the same reads with no lock (2 threads)";

const WORDS = 16;
const TEXT_BYTES = 2048;

/** A new control block: 16 Int32 words, then room for an error message. */
export function newControl(): Int32Array<SharedArrayBuffer> {
  return new Int32Array(new SharedArrayBuffer(WORDS * 4 + TEXT_BYTES));
}

/** Records a consumer failure and wakes every waiter. */
export function setError(ctl: Int32Array<SharedArrayBuffer>, error: unknown): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const bytes = new TextEncoder().encode(text).subarray(0, TEXT_BYTES - 1);
  const area = new Uint8Array(ctl.buffer, WORDS * 4, TEXT_BYTES);
  area.fill(0);
  area.set(bytes);
  Atomics.store(ctl, ERROR, 1);
  for (const i of [READY, DONE, SEQ, ACK]) Atomics.notify(ctl, i);
}

/** The consumer's failure, if it failed. */
export function readError(ctl: Int32Array<SharedArrayBuffer>): string | undefined {
  if (Atomics.load(ctl, ERROR) === 0) return undefined;
  const area = new Uint8Array(ctl.buffer, WORDS * 4, TEXT_BYTES);
  const end = area.indexOf(0);
  return new TextDecoder().decode(area.slice(0, end < 0 ? area.length : end));
}

/** Throws the consumer's failure, if any. */
export function throwIfFailed(ctl: Int32Array<SharedArrayBuffer>, what: string): void {
  const e = readError(ctl);
  if (e !== undefined) throw new Error(`${what}: the consumer failed: ${e}`);
}

/**
 * Blocks until `ctl[index] >= atLeast`; throws if the consumer failed or
 * after `timeoutMs`.
 */
export function waitAtLeast(
  ctl: Int32Array<SharedArrayBuffer>,
  index: number,
  atLeast: number,
  timeoutMs: number,
  what: string,
): void {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(ctl, index);
    if (v >= atLeast) return;
    throwIfFailed(ctl, what);
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new Error(`${what}: timed out after ${timeoutMs} ms waiting for ${atLeast} (at ${v})`);
    }
    Atomics.wait(ctl, index, v, Math.min(left, 100));
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The async form of {@linkcode waitAtLeast} (polls, for setup and teardown only). */
export async function waitAtLeastAsync(
  ctl: Int32Array<SharedArrayBuffer>,
  index: number,
  atLeast: number,
  timeoutMs: number,
  what: string,
  failed: () => Error | undefined = () => undefined,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(ctl, index) < atLeast) {
    throwIfFailed(ctl, what);
    const e = failed();
    if (e !== undefined) throw new Error(`${what}: the worker failed: ${e.message}`, { cause: e });
    if (performance.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** The payload value at position `i` (exact in float64; never equal to a stamp). */
export function base(i: number): number {
  return (i % 4096) * 0.25 + 0.125;
}

/** Fills `a` with the payload pattern. */
export function fill(a: { length: number; [i: number]: number }): void {
  for (let i = 0; i < a.length; i++) a[i] = base(i);
}

/** Writes the stamps of message `seq` into a message of `length` elements. */
export function stamp(a: { [i: number]: number }, length: number, seq: number): void {
  a[0] = seq + 1;
  a[length >> 1] = -seq - 1;
  a[length - 1] = seq + 0.5;
}

/**
 * Checks the length and stamps of message `seq`; with `full`, every other
 * element too. Returns a description of what is wrong, or `undefined`.
 */
export function check(
  a: ArrayLike<number>,
  length: number,
  expected: number,
  seq: number,
  full: boolean,
): string | undefined {
  if (length !== expected) return `message ${seq}: ${length} elements, expected ${expected}`;
  const mid = length >> 1;
  const last = length - 1;
  if (a[0] !== seq + 1 || a[mid] !== -seq - 1 || a[last] !== seq + 0.5) {
    return `message ${seq}: stamps ${a[0]}, ${a[mid]}, ${a[last]}, expected ${seq + 1}, ${-seq - 1}, ${
      seq + 0.5
    } (lost, repeated, reordered or torn)`;
  }
  if (full) {
    for (let i = 1; i < last; i++) {
      if (i !== mid && a[i] !== base(i)) {
        return `message ${seq}: element ${i} is ${a[i]}, expected ${base(i)}`;
      }
    }
  }
  return undefined;
}

/**
 * The consumer's count of verified messages. When the count reaches the
 * producer's `TARGET` (the end of a batch) it is published in `DONE`.
 */
export class Tally {
  /** Messages verified so far. */
  count = 0;
  #target = 0;
  #ctl: Int32Array<SharedArrayBuffer>;
  #done: ((count: number) => void) | undefined;

  /** A tally published through `ctl` (and, with `done`, also told to it: a burst's producer awaits a message). */
  constructor(ctl: Int32Array<SharedArrayBuffer>, done?: (count: number) => void) {
    this.#ctl = ctl;
    this.#done = done;
  }

  /** Counts one verified message. */
  one(): void {
    const count = ++this.count;
    if (count < this.#target) return;
    this.#target = Atomics.load(this.#ctl, TARGET);
    if (count > this.#target) throw new Error(`message ${count} arrived, but only ${this.#target} were sent`);
    if (count === this.#target) {
      Atomics.store(this.#ctl, DONE, count);
      Atomics.notify(this.#ctl, DONE);
      this.#done?.(count);
    }
  }
}

/** `Atomics.pause` where the runtime has it (a spin-wait hint). */
export const pause: (n?: number) => void = (Atomics as unknown as { pause?: (n?: number) => void }).pause ??
  (() => {});

/** The first message of a consumer worker. */
export interface Init {
  /** Which consumer to run. */
  kind: string;
  /** The control block. */
  ctl: SharedArrayBuffer;
  /** Elements per message. */
  length: number;
  /** How many first messages are checked element by element. */
  fullCheck: number;
  /** Scenario-specific data (sabkit objects, buffers). */
  [key: string]: unknown;
}

/** The part of the Web Locks API (`navigator.locks`) the benchmark uses. */
export interface WebLocks {
  /** Runs `callback` holding the lock `name`; aborting `signal` withdraws a pending request. */
  request(name: string, options: { signal?: AbortSignal }, callback: () => unknown): Promise<unknown>;
}

/**
 * An AbortSignal that aborts after `ms` (a batch deadline for awaited
 * requests), and the function that disarms it.
 */
export function deadlineSignal(ms: number, what: string): [AbortSignal, () => void] {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${what}: timed out after ${ms} ms`)), ms);
  return [controller.signal, () => clearTimeout(timer)];
}

/** This runtime's `navigator.locks`, if it has Web Locks. */
export function webLocks(): WebLocks | undefined {
  return (globalThis as unknown as { navigator?: { locks?: WebLocks } }).navigator?.locks;
}

/** A consumer worker's kind: set up by the first message, then it runs (a loop, or on later messages). */
export type ConsumerKind = (init: Init, ctl: Int32Array<SharedArrayBuffer>) => void | Promise<void>;

/**
 * Serves a consumer worker: the first message on `port` names one of
 * `kinds`, which is marked ready and started; a failure is recorded in the
 * control block (`setError`), never thrown into the worker's event loop.
 */
export function serveConsumers(port: Port, kinds: Record<string, ConsumerKind>): void {
  let started = false;
  port.onMessage(async (data) => {
    if (started) return;
    started = true;
    const init = data as Init;
    const ctl = new Int32Array(init.ctl);
    try {
      const consumer = kinds[init.kind];
      if (consumer === undefined) throw new Error(`Unknown consumer ${init.kind}`);
      // Loop consumers block from here on: they mark themselves ready first.
      Atomics.store(ctl, READY, 1);
      Atomics.notify(ctl, READY);
      await consumer(init, ctl);
    } catch (e) {
      setError(ctl, e);
    }
  });
}
