/**
 * The worker side of the RwLock and LockManager benchmark scenarios
 * (`_locks.ts`): set up by the first message, then each later message `n`
 * runs `n` iterations and adds `n` to `DONE`. A failure is recorded in the
 * control block (`setError`), never a number.
 *
 * @module
 */

import { type Lock, type LockManager, revive, type RwLock } from "../mod.ts";
import { isWrite, readAll, scanAll, section, writeAll } from "./_locks.ts";
import { parentPort } from "./_port.ts";
import { deadlineSignal, DONE, READY, setError } from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;

interface Init {
  kind: string;
  ctl: SharedArrayBuffer;
  [key: string]: unknown;
}

const port = parentPort();

/** What each kind runs per batch. */
const kinds: Record<string, (init: Init, ctl: Ctl) => (n: number) => void | Promise<void>> = {
  rwlockReadMostly(init) {
    const { rw, data, every } = revive(init) as unknown as { rw: RwLock; data: Float64Array; every: number };
    let i = 0;
    return (n) => {
      for (const end = i + n; i < end; i++) {
        if (isWrite(i, every)) {
          rw.acquireWrite();
          writeAll(data);
          rw.releaseWrite();
        } else {
          rw.acquireRead();
          readAll(data);
          rw.releaseRead();
        }
      }
    };
  },
  lockReadMostly(init) {
    const { lock, data, every } = revive(init) as unknown as {
      lock: Lock;
      data: Float64Array;
      every: number;
    };
    let i = 0;
    return (n) => {
      for (const end = i + n; i < end; i++) {
        lock.acquire();
        if (isWrite(i, every)) writeAll(data);
        else readAll(data);
        lock.release();
      }
    };
  },
  noLockReadMostly(init) {
    const { data, every } = revive(init) as unknown as { data: Float64Array; every: number };
    let i = 0;
    return (n) => {
      for (const end = i + n; i < end; i++) {
        if (isWrite(i, every)) writeAll(data);
        else scanAll(data);
      }
    };
  },
  lockManagerContended(init, ctl) {
    const { locks, name } = revive(init) as unknown as { locks: LockManager; name: string };
    const body = (): void => section(ctl);
    return async (n) => {
      const [signal, disarm] = deadlineSignal(60_000, "LockManager (worker)");
      try {
        for (let i = 0; i < n; i++) await locks.request(name, { signal }, body);
      } finally {
        disarm();
      }
    };
  },
};

let batch: ((n: number) => void | Promise<void>) | undefined;
let failed = false;
port.onMessage(async (data) => {
  if (failed) return;
  const ctl = batch === undefined ? new Int32Array((data as Init).ctl) : current!;
  try {
    if (batch === undefined) {
      const init = data as Init;
      const kind = kinds[init.kind];
      if (kind === undefined) throw new Error(`Unknown lock scenario ${init.kind}`);
      current = ctl;
      batch = await kind(init, ctl);
      Atomics.store(ctl, READY, 1);
      Atomics.notify(ctl, READY);
      return;
    }
    const n = data as number;
    await batch(n);
    Atomics.add(ctl, DONE, n);
    Atomics.notify(ctl, DONE);
  } catch (e) {
    failed = true;
    setError(ctl, e);
  }
});
let current: Ctl | undefined;
