/**
 * The `multithreading` npm package (W4G1) as a peer: its MPMC `channel()`
 * and its `Mutex`, used the way its README shows, through its own
 * `spawn(move(…), fn)` worker pool. It is imported lazily, by the first of
 * its benchmarks: on Node it installs globals (`self`, `Worker`) and on Deno
 * it wraps `Atomics.waitAsync`, so its benchmarks run last.
 *
 * The functions given to `spawn` are stringified and run in the pool's
 * worker: they cannot use anything from this module, so indices of the
 * control block are written out (see `_shared.ts`).
 *
 * @module
 */

import type * as MT from "multithreading";
import { BATCH_MS, FULL_CHECK, type Session } from "./_scenarios.ts";
import {
  COUNTER,
  DONE,
  fill,
  INSIDE,
  newControl,
  READY,
  stamp,
  STOP,
  TARGET,
  throwIfFailed,
  waitAtLeast,
  waitAtLeastAsync,
} from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;
let mt: typeof MT | undefined;

async function load(): Promise<typeof MT> {
  mt ??= await import("multithreading");
  return mt;
}

/** The control words used by the spawned functions below (see `_shared.ts`). */
const GO = 9;
const COUNT = 10;

/** Waits for a spawned task to finish, at most `ms`; then shuts the pool down. */
async function finish(handle: MT.JoinHandle<unknown> | undefined, ms: number): Promise<void> {
  if (handle !== undefined) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([handle.join(), new Promise((r) => (timer = setTimeout(r, ms)))]);
    clearTimeout(timer);
  }
  mt?.shutdown();
}

/** Fails the batch with the task's own error if the task ended early. */
function watch(handle: MT.JoinHandle<unknown>): () => Error | undefined {
  let failure: Error | undefined;
  void handle.join().then((r) => {
    if (!r.ok) failure = r.error instanceof Error ? r.error : new Error(String(r.error));
  });
  return () => failure;
}

/**
 * multithreading's `channel()` (its default capacity, 32): the producer calls
 * `blockingSend` with a `number[]`, the consumer (a `spawn`ed task)
 * `blockingRecv`s and verifies stamps and count. The blocking forms are its
 * fastest path for a dedicated thread.
 *
 * Checked with 0.3.52: `channel(1024, { size: 16 MiB })` delivers stale
 * messages after about 61,000 messages (a received value is a live view on
 * shared memory that gets reused), and `channel(1024)` with the default size
 * runs out of memory; the default `channel()` passed 200,000 verified
 * messages, and is faster (108k vs 76k msgs/s on Node).
 */
export async function openMtChannel(what: string, length: number): Promise<Session> {
  const { channel, move, spawn } = await load();
  const ctl = newControl();
  const [tx, rx] = channel<number[]>();
  const handle = spawn(move(rx, { ctl, length, full: FULL_CHECK }), (rx, box) => {
    const { ctl, length, full } = box;
    const fail = (text: string): string => {
      const area = new Uint8Array(ctl.buffer, 64, 2048);
      area.set(new TextEncoder().encode(text).subarray(0, 2047));
      Atomics.store(ctl, 3, 1); // ERROR
      Atomics.notify(ctl, 1); // DONE
      return text;
    };
    Atomics.store(ctl, 0, 1); // READY
    let count = 0;
    let target = 0;
    for (;;) {
      const r = rx.blockingRecv();
      if (!r.ok) return count;
      const a = r.value;
      const seq = count;
      const mid = length >> 1;
      if (a.length !== length || a[0] !== seq + 1 || a[mid] !== -seq - 1 || a[length - 1] !== seq + 0.5) {
        return fail(`message ${seq}: wrong length or stamps (lost, repeated, reordered or torn)`);
      }
      if (seq < full) {
        for (let i = 1; i < length - 1; i++) {
          if (i !== mid && a[i] !== (i % 4096) * 0.25 + 0.125) return fail(`message ${seq}: element ${i}`);
        }
      }
      count++;
      if (count >= target) {
        target = Atomics.load(ctl, 2); // TARGET
        if (count > target) return fail(`message ${count} arrived, but only ${target} were sent`);
        if (count === target) {
          Atomics.store(ctl, 1, count); // DONE
          Atomics.notify(ctl, 1);
        }
      }
    }
  });
  const failed = watch(handle);
  const stop = (): Promise<void> => {
    tx.close();
    return finish(handle, 5_000);
  };
  try {
    await waitAtLeastAsync(ctl, READY, 1, 30_000, `${what}: start`, failed);
  } catch (e) {
    await stop();
    throw e;
  }
  const msg = new Array<number>(length);
  fill(msg);
  let seq = 0;
  const session: Session = {
    run(n) {
      seq += n;
      Atomics.store(ctl, TARGET, seq);
      for (let i = seq - n; i < seq; i++) {
        stamp(msg, length, i);
        const r = tx.blockingSend(msg);
        if (!r.ok) {
          throwIfFailed(ctl, what);
          throw new Error(`${what}: send failed: ${r.error.message}`);
        }
      }
      waitAtLeast(ctl, DONE, seq, BATCH_MS, what);
      if (Atomics.load(ctl, DONE) !== seq) throw new Error(`${what}: ${ctl[DONE]} verified, ${seq} sent`);
    },
    close: stop,
  };
  try {
    session.run(FULL_CHECK);
  } catch (e) {
    await stop();
    throw e;
  }
  return session;
}

/** Uncontended multithreading `Mutex`: `blockingLock()` + `dispose()` on one thread. */
export async function openMtMutexUncontended(): Promise<Session> {
  const { Mutex } = await load();
  const mutex = new Mutex();
  let count = 0;
  return {
    run(n) {
      const before = count;
      for (let i = 0; i < n; i++) {
        const guard = mutex.blockingLock();
        count++;
        guard.dispose();
      }
      if (count !== before + n) throw new Error("multithreading Mutex: wrong count");
    },
    close() {},
  };
}

/** Main thread and a spawned task both run `n` critical sections on one multithreading `Mutex`. */
export async function openMtMutexContended(what: string): Promise<Session> {
  const { Mutex, move, spawn } = await load();
  const ctl = newControl();
  const mutex = new Mutex();
  const handle = spawn(move(mutex, { ctl }), (mutex, box) => {
    const { ctl } = box;
    Atomics.store(ctl, 0, 1); // READY
    let seen = 0;
    for (;;) {
      Atomics.wait(ctl, 9, seen, 1000); // GO
      if (Atomics.load(ctl, 4) !== 0) return "stopped"; // STOP
      const go = Atomics.load(ctl, 9);
      if (go === seen) continue;
      seen = go;
      const n = Atomics.load(ctl, 10); // COUNT
      for (let i = 0; i < n; i++) {
        const guard = mutex.blockingLock();
        if (Atomics.exchange(ctl, 7, 1) !== 0) { // INSIDE
          guard.dispose();
          const text = "Two threads were inside the Mutex at once";
          new Uint8Array(ctl.buffer, 64, 2048).set(new TextEncoder().encode(text));
          Atomics.store(ctl, 3, 1); // ERROR
          Atomics.notify(ctl, 1); // DONE
          return text;
        }
        ctl[8] = ctl[8] + 1; // COUNTER
        Atomics.store(ctl, 7, 0);
        guard.dispose();
      }
      Atomics.add(ctl, 1, n); // DONE
      Atomics.notify(ctl, 1);
    }
  });
  const failed = watch(handle);
  const stop = (): Promise<void> => {
    Atomics.store(ctl, STOP, 1);
    Atomics.add(ctl, GO, 1);
    Atomics.notify(ctl, GO);
    return finish(handle, 5_000);
  };
  try {
    await waitAtLeastAsync(ctl, READY, 1, 30_000, `${what}: start`, failed);
  } catch (e) {
    await stop();
    throw e;
  }
  let sent = 0;
  const session: Session = {
    run(n) {
      sent += n;
      Atomics.store(ctl, COUNT, n);
      Atomics.add(ctl, GO, 1);
      Atomics.notify(ctl, GO);
      for (let i = 0; i < n; i++) {
        const guard = mutex.blockingLock();
        if (Atomics.exchange(ctl, INSIDE, 1) !== 0) {
          throw new Error("Two threads were inside the Mutex at once");
        }
        ctl[COUNTER] = ctl[COUNTER] + 1;
        Atomics.store(ctl, INSIDE, 0);
        guard.dispose();
      }
      waitAtLeast(ctl, DONE, sent, BATCH_MS, what);
      if (ctl[COUNTER] !== 2 * sent) {
        throw new Error(`${what}: the counter is ${ctl[COUNTER]}, expected ${2 * sent}`);
      }
    },
    close: stop,
  };
  try {
    session.run(FULL_CHECK);
  } catch (e) {
    await stop();
    throw e;
  }
  return session;
}
