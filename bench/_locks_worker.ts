/**
 * The worker side of the RwLock and LockManager benchmark scenarios
 * (`_locks.ts`): set up by the first message, then each later message `n`
 * runs `n` iterations and adds `n` to `DONE`. A failure is recorded in the
 * control block (`setError`), never a number.
 *
 * @module
 */

import { type Lock, type LockManager, revive, type RwLock } from "../mod.ts";
import {
  BEGUN,
  BUSY,
  COUNT,
  GO,
  lockSections,
  noLockSections,
  rwlockSections,
  section,
  SPIN_MS,
} from "./_locks.ts";
import { parentPort } from "./_port.ts";
import { deadlineSignal, DONE, READY, setError, STOP } from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;

interface Init {
  kind: string;
  ctl: SharedArrayBuffer;
  [key: string]: unknown;
}

const port = parentPort();

/**
 * The read-mostly rows' worker loop (after setup, so `READY` is out): spins
 * on `GO` (then sleeps, after {@linkcode SPIN_MS}), says it has `BEGUN`, runs
 * the batch, adds it to `DONE`; until `STOP`. It starts a batch within a
 * microsecond of the main thread, so both run their sections together.
 */
function serveGo(ctl: Ctl, batch: (n: number) => void): (n: number) => void {
  setTimeout(() => {
    let seen = 0;
    try {
      for (;;) {
        const spinEnd = performance.now() + SPIN_MS;
        while (Atomics.load(ctl, GO) === seen) {
          if (performance.now() < spinEnd) {
            for (let i = 0; i < 64 && Atomics.load(ctl, GO) === seen; i++) { /* spin */ }
          } else {
            Atomics.wait(ctl, GO, seen, 100);
          }
        }
        seen = Atomics.load(ctl, GO);
        if (Atomics.load(ctl, STOP) !== 0) return;
        const n = Atomics.load(ctl, COUNT);
        Atomics.add(ctl, BEGUN, n);
        Atomics.notify(ctl, BEGUN);
        const t0 = performance.now();
        batch(n);
        Atomics.add(ctl, BUSY, Math.round((performance.now() - t0) * 1e4));
        Atomics.add(ctl, DONE, n);
        Atomics.notify(ctl, DONE);
      }
    } catch (e) {
      setError(ctl, e);
    }
  }, 0);
  return () => {
    throw new Error("A read-mostly worker takes its batches from GO, not from messages");
  };
}

/** What each kind runs per batch. */
const kinds: Record<string, (init: Init, ctl: Ctl) => (n: number) => void | Promise<void>> = {
  rwlockReadMostly(init, ctl) {
    const { rw, data, every } = revive(init) as unknown as { rw: RwLock; data: Float64Array; every: number };
    let i = 0;
    return serveGo(ctl, (n) => {
      rwlockSections(rw, data, i, i + n, every);
      i += n;
    });
  },
  lockReadMostly(init, ctl) {
    const { lock, data, every } = revive(init) as unknown as {
      lock: Lock;
      data: Float64Array;
      every: number;
    };
    let i = 0;
    return serveGo(ctl, (n) => {
      lockSections(lock, data, i, i + n, every);
      i += n;
    });
  },
  noLockReadMostly(init, ctl) {
    const { data, every } = revive(init) as unknown as { data: Float64Array; every: number };
    let i = 0;
    return serveGo(ctl, (n) => {
      noLockSections(data, i, i + n, every);
      i += n;
    });
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
