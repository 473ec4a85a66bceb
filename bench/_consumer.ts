/**
 * The consumer side of every benchmark scenario: one worker per scenario,
 * started by `_scenarios.ts`. The main thread posts an {@linkcode Init}; the
 * consumer sets `READY`, verifies every message (stamps, count, and the first
 * messages element by element) and publishes each finished batch in `DONE`.
 * A failure is written to the control block, so the producer throws.
 *
 * @module
 */

import { RingBuffer } from "ringbuf.js";
import { type Channel, type FloatChannel, type Lock, revive } from "../mod.ts";
import { parentPort } from "./_port.ts";
import {
  ACK,
  check,
  COUNTER,
  deadlineSignal,
  DONE,
  type Init,
  INSIDE,
  pause,
  SEQ,
  serveConsumers,
  setError,
  STOP,
  Tally,
  webLocks,
} from "./_shared.ts";

const port = parentPort();
type Ctl = Int32Array<SharedArrayBuffer>;

/** A consumer: set up from the init message, then driven by messages or by its own loop. */
type Consumer = (init: Init, ctl: Ctl) => void | Promise<void>;

/** Checks one message; throws what is wrong. */
function verify(a: ArrayLike<number>, length: number, init: Init, seq: number): void {
  const wrong = check(a, length, init.length, seq, seq < init.fullCheck);
  if (wrong !== undefined) throw new Error(wrong);
}

/** Runs `body` for every later message; a throw is recorded as the consumer's failure. */
function onMessages(ctl: Ctl, body: (data: unknown) => void | Promise<void>): void {
  let failed = false;
  port.onMessage(async (data) => {
    if (failed) return;
    try {
      await body(data);
    } catch (e) {
      failed = true;
      setError(ctl, e);
    }
  });
}

/** A critical section: proves mutual exclusion and counts. */
function section(ctl: Ctl): void {
  if (Atomics.exchange(ctl, INSIDE, 1) !== 0) throw new Error("Two threads were inside the lock at once");
  ctl[COUNTER] = ctl[COUNTER] + 1;
  Atomics.store(ctl, INSIDE, 0);
}

const consumers: Record<string, Consumer> = {
  /** postMessage of a `number[]` or a `Float64Array` (structured clone). */
  clone(init, ctl) {
    // A burst's producer does not block: it awaits the count as a message.
    const tally = new Tally(ctl, init.reply === true ? (count) => port.post(count) : undefined);
    onMessages(ctl, (data) => {
      const a = data as ArrayLike<number>;
      verify(a, a.length, init, tally.count);
      tally.one();
    });
  },

  /** Transfer: the message is an ArrayBuffer, which goes back to the producer's pool. */
  transfer(init, ctl) {
    const tally = new Tally(ctl);
    onMessages(ctl, (data) => {
      const buffer = data as ArrayBuffer;
      const a = new Float64Array(buffer);
      verify(a, a.length, init, tally.count);
      tally.one();
      port.post(buffer, [buffer]);
    });
  },

  /** ringbuf.js: a wait-free SPSC ring without wake-ups, so the consumer spins. */
  ringbuf(init, ctl) {
    const ring = new RingBuffer(init.sab as SharedArrayBuffer, Float64Array);
    const length = init.length;
    const message = new Float64Array(length);
    const tally = new Tally(ctl);
    // Start spinning once the producer says so (the event loop is blocked from then on).
    port.onMessage(() => {
      try {
        for (;;) {
          let spins = 0;
          while (ring.availableRead() < length) {
            if ((++spins & 1023) === 0 && Atomics.load(ctl, STOP) !== 0) return;
            pause();
          }
          ring.pop(message, length);
          verify(message, length, init, tally.count);
          tally.one();
        }
      } catch (e) {
        setError(ctl, e);
      }
    });
  },

  /** A sabkit Channel, received with `recvInto` (no allocation per message). */
  channel(init, ctl) {
    const ch = revive(init.channel) as Channel<"d">;
    const message = new Float64Array(init.length);
    const tally = new Tally(ctl);
    try {
      for (;;) {
        const n = ch.recvInto(message);
        if (n === null) return;
        verify(message, n, init, tally.count);
        tally.one();
      }
    } catch (e) {
      setError(ctl, e);
      ch.close(); // the producer's blocked send throws instead of waiting forever
    }
  },

  /** A sabkit Channel, read in place with `recvWith` (no copy out of shared memory). */
  channelWith(init, ctl) {
    const ch = revive(init.channel) as Channel<"d">;
    const tally = new Tally(ctl);
    const each = (m: Float64Array): void => {
      verify(m, m.length, init, tally.count);
      tally.one();
    };
    try {
      while (ch.recvWith(each) !== null);
    } catch (e) {
      setError(ctl, e);
      ch.close();
    }
  },

  /** The seed's FloatChannel, received with `recv` (a copy per message). */
  floatChannel(init, ctl) {
    const ch = revive(init.channel) as FloatChannel;
    const tally = new Tally(ctl);
    try {
      for (;;) {
        const m = ch.recv();
        if (m === null) return;
        verify(m, m.length, init, tally.count);
        tally.one();
      }
    } catch (e) {
      setError(ctl, e);
      ch.close();
    }
  },

  /** Ping-pong over two sabkit Channels: receive on one, send it back on the other. */
  channelEcho(init, ctl) {
    const [ping, pong] = revive(init.channels) as Channel<"d">[];
    const message = new Float64Array(1);
    try {
      for (;;) {
        const n = ping.recvInto(message);
        if (n === null) return;
        pong.send(message);
      }
    } catch (e) {
      setError(ctl, e);
      pong.close();
    }
  },

  /** Ping-pong over postMessage: echo a number. */
  echo(_init, ctl) {
    onMessages(ctl, (data) => port.post(data));
  },

  /** Two threads hammer one sabkit Lock. */
  lockContended(init, ctl) {
    const lock = revive(init.lock) as Lock;
    onMessages(ctl, (data) => {
      const n = data as number;
      for (let i = 0; i < n; i++) {
        lock.acquire();
        try {
          section(ctl);
        } finally {
          lock.release();
        }
      }
      Atomics.add(ctl, DONE, n);
      Atomics.notify(ctl, DONE);
    });
  },

  /** Two threads hammer one Web Lock (`navigator.locks`). */
  webLocksContended(init, ctl) {
    const locks = webLocks();
    if (locks === undefined) throw new Error("This runtime has no navigator.locks");
    const name = init.name as string;
    onMessages(ctl, async (data) => {
      const n = data as number;
      const [signal, disarm] = deadlineSignal(60_000, "Web Locks (worker)");
      try {
        for (let i = 0; i < n; i++) await locks.request(name, { signal }, () => section(ctl));
      } finally {
        disarm();
      }
      Atomics.add(ctl, DONE, n);
      Atomics.notify(ctl, DONE);
    });
  },

  /** A sabkit Lock handed back and forth: two Locks used as binary semaphores. */
  lockHandoff(init, ctl) {
    const [ping, pong] = revive(init.locks) as Lock[];
    let expected = 0;
    onMessages(ctl, (data) => {
      const n = data as number;
      for (let i = 0; i < n; i++) {
        if (!ping.acquire({ timeout: 30_000 })) throw new Error("lock hand-off: timed out");
        const seq = Atomics.load(ctl, SEQ);
        if (seq !== ++expected) throw new Error(`lock hand-off: turn ${seq}, expected ${expected}`);
        Atomics.store(ctl, ACK, seq);
        pong.release();
      }
    });
  },
};

serveConsumers(port, consumers);
