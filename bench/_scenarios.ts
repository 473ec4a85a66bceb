/**
 * The producer side of every scenario (main thread). Each `open…` function
 * starts the scenario's consumer worker, runs the verification pass (the
 * first messages are checked element by element) and returns a
 * {@linkcode Session} whose `run(n)` sends one batch of `n` messages and
 * returns once the consumer has verified all of them. A broken run throws.
 *
 * @module
 */

import { do_not_optimize } from "mitata";
import { RingBuffer } from "ringbuf.js";
import { Channel, FloatChannel, Lock } from "../mod.ts";
import { allocCopy } from "../src/runtime/mod.ts";
import { type BenchWorker, startWorker } from "./_port.ts";
import {
  ACK,
  COUNTER,
  deadlineSignal,
  DONE,
  fill,
  type Init,
  INSIDE,
  LIMIT_ALLOC_COPY,
  LIMIT_COPY_IN,
  newControl,
  pause,
  READY,
  SEQ,
  stamp,
  STOP,
  TARGET,
  throwIfFailed,
  waitAtLeast,
  waitAtLeastAsync,
  webLocks,
} from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;

/** Milliseconds a worker may take to start. */
const SETUP_MS = 30_000;
/** Milliseconds one batch may take before the run counts as broken. */
export const BATCH_MS = 60_000;
/** Messages checked element by element before measuring. */
export const FULL_CHECK = 3;

/** One scenario, set up and verified, ready to be measured batch by batch. */
export interface Session {
  /** Sends `n` messages (or runs `n` iterations) and returns once all were verified. */
  run(n: number): void | Promise<void>;
  /** Stops the consumer and releases everything. */
  close(): void | Promise<void>;
}

const CONSUMER = new URL("./_consumer.ts", import.meta.url);

/** A started consumer worker with its control block. */
export class Consumer {
  /** The worker. */
  readonly worker: BenchWorker;
  /** The control block shared with it. */
  readonly ctl: Ctl;
  /** What the scenario is called in errors. */
  readonly what: string;
  /** Messages sent so far (the consumer's `TARGET`). */
  sent = 0;

  private constructor(worker: BenchWorker, ctl: Ctl, what: string) {
    this.worker = worker;
    this.ctl = ctl;
    this.what = what;
  }

  /** Starts a consumer of `kind` (in `module`: `_consumer.ts` unless told) and waits until it is ready. */
  static async start(
    what: string,
    kind: string,
    length: number,
    extra: Record<string, unknown> = {},
    transfer: Transferable[] = [],
    module: URL = CONSUMER,
  ): Promise<Consumer> {
    const ctl = newControl();
    const worker = startWorker(module, `bench ${what}`);
    const consumer = new Consumer(worker, ctl, what);
    try {
      const init: Init = { kind, ctl: ctl.buffer, length, fullCheck: FULL_CHECK, ...extra };
      // The parent starts every handshake (a worker's first message can be lost on Deno).
      worker.post(init, transfer);
      await waitAtLeastAsync(ctl, READY, 1, SETUP_MS, `${what}: start`, () => worker.error);
    } catch (e) {
      worker.terminate();
      throw e;
    }
    return consumer;
  }

  /** Announces a batch of `n` messages. */
  begin(n: number): void {
    this.sent += n;
    Atomics.store(this.ctl, TARGET, this.sent);
  }

  /** Blocks until the consumer has verified every message sent. */
  end(): void {
    waitAtLeast(this.ctl, DONE, this.sent, BATCH_MS, this.what);
    this.#checkCount();
  }

  /** The async form of {@linkcode end} (for producers that need their event loop). */
  async endAsync(): Promise<void> {
    await waitAtLeastAsync(this.ctl, DONE, this.sent, BATCH_MS, this.what, () => this.worker.error);
    this.#checkCount();
  }

  #checkCount(): void {
    throwIfFailed(this.ctl, this.what);
    const done = Atomics.load(this.ctl, DONE);
    if (done !== this.sent) throw new Error(`${this.what}: ${done} messages verified, ${this.sent} sent`);
  }

  /** Stops the worker. */
  stop(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, STOP);
    this.worker.terminate();
  }
}

/** Runs the verification pass, or stops the consumer if it fails. */
export async function verified(session: Session, stop: () => void): Promise<Session> {
  try {
    await session.run(FULL_CHECK);
    return session;
  } catch (e) {
    stop();
    throw e;
  }
}

// ---------------------------------------------------------------- memcpy ---

/** The memcpy ceiling: `Float64Array.set` of `length` elements into ArrayBuffer or SAB memory. */
export function openMemcpy(length: number, shared: boolean): Session {
  const src = new Float64Array(length);
  fill(src);
  const dst = new Float64Array(shared ? new SharedArrayBuffer(length * 8) : new ArrayBuffer(length * 8));
  let seq = 0;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        stamp(src, length, seq++);
        dst.set(src);
      }
      do_not_optimize(dst);
      if (dst[0] !== seq || dst[length - 1] !== seq - 0.5) throw new Error("memcpy: the last copy is wrong");
    },
    close() {},
  };
}

/**
 * The most a channel's `recv` can do on this runtime: allocate a new array
 * and copy a message out of shared memory into it, on one thread, the way
 * `Channel.recv` does (`allocCopy`, chosen per runtime in the runtime layer).
 */
export function openAllocCopy(length: number): Session {
  const shared = new Float64Array(new SharedArrayBuffer(length * 8));
  fill(shared);
  let seq = 0;
  let last = shared;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        stamp(shared, length, seq++);
        last = allocCopy(shared);
      }
      do_not_optimize(last);
      if (last[0] !== seq || last[length - 1] !== seq - 0.5 || last.buffer instanceof SharedArrayBuffer) {
        throw new Error("allocate + copy out: the last copy is wrong");
      }
    },
    close() {},
  };
}

// ----------------------------------------------------------- postMessage ---

/** postMessage of a `number[]` or a `Float64Array` (structured clone). */
export async function openClone(what: string, length: number, array: boolean): Promise<Session> {
  const c = await Consumer.start(what, "clone", length);
  const src: number[] | Float64Array = array ? new Array<number>(length) : new Float64Array(length);
  fill(src);
  let seq = 0;
  return verified({
    run(n) {
      c.begin(n);
      for (let i = 0; i < n; i++) {
        stamp(src, length, seq++);
        c.worker.post(src);
      }
      c.end();
    },
    close: () => c.stop(),
  }, () => c.stop());
}

/**
 * postMessage at its best: a burst. The producer posts `n` messages, then
 * awaits the consumer's count as a message (its event loop runs; nothing
 * blocks, where `openClone` blocks in `Atomics.wait` until the batch is
 * verified). One warm consumer verifies every message, as for `openClone`.
 */
export async function openCloneBurst(what: string, length: number, array: boolean): Promise<Session> {
  const c = await Consumer.start(what, "clone", length, { reply: true });
  const counts = new Waiter<unknown>();
  c.worker.onMessage((data) => counts.push(data));
  const src: number[] | Float64Array = array ? new Array<number>(length) : new Float64Array(length);
  fill(src);
  let seq = 0;
  return verified({
    async run(n) {
      const check = watchdog(c);
      c.begin(n);
      for (let i = 0; i < n; i++) {
        stamp(src, length, seq++);
        c.worker.post(src);
      }
      const count = await counts.next(check);
      if (count !== c.sent) throw new Error(`${what}: the consumer counted ${count}, expected ${c.sent}`);
      await c.endAsync();
    },
    close: () => c.stop(),
  }, () => c.stop());
}

/** Waits for one event at a time, with a deadline for the batch. */
class Waiter<T> {
  #queue: T[] = [];
  #wake: (() => void) | undefined;

  /** Delivers a value. */
  push(value: T): void {
    this.#queue.push(value);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The next value if one is waiting (no await when the pool has a free buffer). */
  take(): T | undefined {
    return this.#queue.shift();
  }

  /** The next value; rejects once `check` throws (checked every 100 ms). */
  async next(check: () => void): Promise<T> {
    while (this.#queue.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, 100);
      });
      clearTimeout(timer);
      if (this.#queue.length === 0) check();
    }
    return this.#queue.shift()!;
  }
}

/** Throws once the deadline has passed or the consumer failed. */
function watchdog(c: Consumer): () => void {
  const deadline = performance.now() + BATCH_MS;
  return () => {
    throwIfFailed(c.ctl, c.what);
    if (c.worker.error !== undefined) {
      throw new Error(`${c.what}: the worker failed: ${c.worker.error.message}`);
    }
    if (performance.now() > deadline) throw new Error(`${c.what}: timed out after ${BATCH_MS} ms`);
  };
}

/**
 * Transfer with a pool: the producer copies its data into a free buffer of
 * the pool, stamps it and transfers it; the consumer verifies it and
 * transfers it back.
 */
export async function openTransferPool(what: string, length: number, buffers: number): Promise<Session> {
  const c = await Consumer.start(what, "transfer", length);
  const src = new Float64Array(length);
  fill(src);
  const free = new Waiter<ArrayBuffer>();
  for (let i = 0; i < buffers; i++) free.push(new ArrayBuffer(length * 8));
  c.worker.onMessage((data) => free.push(data as ArrayBuffer));
  let seq = 0;
  return verified({
    async run(n) {
      const check = watchdog(c);
      c.begin(n);
      for (let i = 0; i < n; i++) {
        const buffer = free.take() ?? await free.next(check);
        const a = new Float64Array(buffer);
        a.set(src);
        stamp(a, length, seq++);
        c.worker.post(buffer, [buffer]);
      }
      // Every buffer back in the pool: every message was verified.
      const held: ArrayBuffer[] = [];
      while (held.length < buffers) held.push(await free.next(check));
      for (const b of held) free.push(b);
      c.end();
    },
    close: () => c.stop(),
  }, () => c.stop());
}

// --------------------------------------------------------------- ringbuf ---

/** ringbuf.js, the wait-free SPSC ring: both sides spin (it has no wake-up). */
export async function openRingbuf(what: string, length: number, messages: number): Promise<Session> {
  const sab = RingBuffer.getStorageForCapacity(length * messages, Float64Array);
  const c = await Consumer.start(what, "ringbuf", length, { sab });
  const ring = new RingBuffer(sab, Float64Array);
  const msg = new Float64Array(length);
  fill(msg);
  c.worker.post("start");
  let seq = 0;
  return verified({
    run(n) {
      const deadline = performance.now() + BATCH_MS;
      c.begin(n);
      for (let i = 0; i < n; i++) {
        stamp(msg, length, seq++);
        let spins = 0;
        while (ring.availableWrite() < length) {
          if ((++spins & 0xffff) === 0) {
            throwIfFailed(c.ctl, what);
            if (performance.now() > deadline) throw new Error(`${what}: timed out (ring full)`);
          }
          pause();
        }
        ring.push(msg, length);
      }
      c.end();
    },
    close: () => c.stop(),
  }, () => c.stop());
}

// --------------------------------------------------------------- sabkit ---

/** Rethrows a producer-side failure, preferring the consumer's own report. */
export function rethrow(c: Consumer, e: unknown): never {
  throwIfFailed(c.ctl, c.what);
  throw e;
}

/**
 * A sabkit `Channel("d", { capacity: length, slots })` (or, with `seed`,
 * the seed's `FloatChannel(length)`), sending from a `number[]` or a
 * `Float64Array`, or with `sendWith` writing in place. The consumer receives
 * with `recvInto`, `recvWith` (`inPlace`, `sendWith`) or `recv` (the seed).
 */
export async function openChannel(
  what: string,
  length: number,
  options: { slots: number; array?: boolean; seed?: boolean; inPlace?: boolean; sendWith?: boolean },
): Promise<Session> {
  const ch = options.seed
    ? new FloatChannel(length)
    : new Channel("d", { capacity: length, slots: options.slots });
  const kind = options.seed
    ? "floatChannel"
    : options.inPlace || options.sendWith
    ? "channelWith"
    : "channel";
  const c = await Consumer.start(what, kind, length, { channel: ch });
  const src: number[] | Float64Array = options.array ? new Array<number>(length) : new Float64Array(length);
  fill(src);
  let seq = 0;
  const stop = (): void => {
    ch.close();
    c.stop();
  };
  // sendWith: the producer writes its message where it will be read. The first two laps of the slots
  // get the whole pattern; after that each slot still holds it, and a message writes only its stamps.
  const whole = 2 * options.slots;
  const write = (view: Float64Array): void => {
    if (seq < whole) fill(view);
    stamp(view, length, seq);
  };
  return verified({
    run(n) {
      c.begin(n);
      try {
        if (options.sendWith) {
          for (let i = 0; i < n; i++, seq++) (ch as Channel<"d">).sendWith(length, write);
        } else {
          for (let i = 0; i < n; i++) {
            stamp(src, length, seq++);
            ch.send(src);
          }
        }
      } catch (e) {
        rethrow(c, e);
      }
      c.end();
    },
    close: stop,
  }, stop);
}

/** Round trip of a one-number message over two sabkit Channels (there and back). */
export async function openPingPongChannel(what: string): Promise<Session> {
  const ping = new Channel("d", { capacity: 1 });
  const pong = new Channel("d", { capacity: 1 });
  const c = await Consumer.start(what, "channelEcho", 1, { channels: [ping, pong] });
  const one = new Float64Array(1);
  const reply = new Float64Array(1);
  let seq = 0;
  const stop = (): void => {
    ping.close();
    pong.close();
    c.stop();
  };
  return verified({
    run(n) {
      try {
        for (let i = 0; i < n; i++) {
          one[0] = ++seq;
          ping.send(one);
          const len = pong.recvInto(reply);
          if (len !== 1 || reply[0] !== seq) {
            throw new Error(`${what}: reply ${reply[0]} (${len}), expected ${seq}`);
          }
        }
      } catch (e) {
        rethrow(c, e);
      }
    },
    close: stop,
  }, stop);
}

// ------------------------------------------------------------ ping-pong ---

/** Round trip of a one-number message over postMessage. */
export async function openPingPongPost(what: string): Promise<Session> {
  const c = await Consumer.start(what, "echo", 1);
  const replies = new Waiter<unknown>();
  c.worker.onMessage((data) => replies.push(data));
  let seq = 0;
  return verified({
    async run(n) {
      const check = watchdog(c);
      for (let i = 0; i < n; i++) {
        c.worker.post(++seq);
        const reply = await replies.next(check);
        if (reply !== seq) throw new Error(`${what}: reply ${reply}, expected ${seq}`);
      }
    },
    close: () => c.stop(),
  }, () => c.stop());
}

// ----------------------------------------------------------------- locks ---

/** A critical section on the main thread (as the consumer's). */
function section(ctl: Ctl): void {
  if (Atomics.exchange(ctl, INSIDE, 1) !== 0) throw new Error("Two threads were inside the lock at once");
  ctl[COUNTER] = ctl[COUNTER] + 1;
  Atomics.store(ctl, INSIDE, 0);
}

/** Uncontended sabkit `Lock` acquire + release on one thread. */
export function openLockUncontended(): Session {
  const lock = new Lock();
  let count = 0;
  return {
    run(n) {
      const before = count;
      for (let i = 0; i < n; i++) {
        lock.acquire();
        count++;
        lock.release();
      }
      if (count !== before + n || lock.locked()) throw new Error("Lock: wrong count or left locked");
    },
    close() {},
  };
}

/** Uncontended Web Lock request on one thread. */
export function openWebLocksUncontended(): Session {
  const locks = webLocks();
  if (locks === undefined) throw new Error("This runtime has no navigator.locks");
  let count = 0;
  const body = (): void => void count++;
  return {
    async run(n) {
      const before = count;
      const [signal, disarm] = deadlineSignal(BATCH_MS, "Web Locks");
      try {
        for (let i = 0; i < n; i++) await locks.request("sabkit-bench-uncontended", { signal }, body);
      } finally {
        disarm();
      }
      if (count !== before + n) throw new Error("Web Locks: wrong count");
    },
    close() {},
  };
}

/** Checks the shared counter after a contended batch. */
function checkCounter(c: Consumer, expected: number): void {
  throwIfFailed(c.ctl, c.what);
  if (c.ctl[COUNTER] !== expected) {
    throw new Error(`${c.what}: the counter is ${c.ctl[COUNTER]}, expected ${expected} (lost updates)`);
  }
}

/** Main thread and a worker both run `n` critical sections on one sabkit `Lock`. */
export async function openLockContended(what: string): Promise<Session> {
  const lock = new Lock();
  const c = await Consumer.start(what, "lockContended", 0, { lock });
  return verified({
    run(n) {
      c.sent += n;
      c.worker.post(n);
      for (let i = 0; i < n; i++) {
        lock.acquire();
        try {
          section(c.ctl);
        } finally {
          lock.release();
        }
      }
      waitAtLeast(c.ctl, DONE, c.sent, BATCH_MS, what);
      checkCounter(c, 2 * c.sent);
    },
    close: () => c.stop(),
  }, () => c.stop());
}

/** Main thread and a worker both run `n` critical sections on one Web Lock. */
export async function openWebLocksContended(what: string): Promise<Session> {
  const locks = webLocks();
  if (locks === undefined) throw new Error("This runtime has no navigator.locks");
  const name = "sabkit-bench-contended";
  const c = await Consumer.start(what, "webLocksContended", 0, { name });
  const body = (): void => section(c.ctl);
  return verified({
    async run(n) {
      c.sent += n;
      c.worker.post(n);
      const [signal, disarm] = deadlineSignal(BATCH_MS, what);
      try {
        for (let i = 0; i < n; i++) await locks.request(name, { signal }, body);
      } finally {
        disarm();
      }
      await waitAtLeastAsync(c.ctl, DONE, c.sent, BATCH_MS, what, () => c.worker.error);
      checkCounter(c, 2 * c.sent);
    },
    close: () => c.stop(),
  }, () => c.stop());
}

/**
 * A sabkit `Lock` handed from thread to thread: two Locks used as binary
 * semaphores (any thread may release a `Lock`, as in Python). One iteration
 * is two hand-offs: main → worker (`ping`) and worker → main (`pong`).
 */
export async function openLockHandoff(what: string): Promise<Session> {
  const ping = new Lock();
  const pong = new Lock();
  ping.acquire();
  pong.acquire();
  const c = await Consumer.start(what, "lockHandoff", 0, { locks: [ping, pong] });
  let seq = 0;
  return verified({
    run(n) {
      c.worker.post(n);
      for (let i = 0; i < n; i++) {
        Atomics.store(c.ctl, SEQ, ++seq);
        ping.release();
        if (!pong.acquire({ timeout: BATCH_MS })) {
          throwIfFailed(c.ctl, what);
          throw new Error(`${what}: timed out`);
        }
        if (Atomics.load(c.ctl, ACK) !== seq) {
          throw new Error(`${what}: acknowledged ${c.ctl[ACK]}, expected ${seq}`);
        }
      }
    },
    close: () => c.stop(),
  }, () => c.stop());
}

export { LIMIT_ALLOC_COPY, LIMIT_COPY_IN, webLocks };
