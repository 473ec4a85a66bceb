/** Workers of tests/rwlock_regress_test.ts. */
import type { RwLock } from "../../mod.ts";
import { agentId } from "../../src/core/_agent.ts";
import { wordsOf } from "../_memory.ts";

/** The reader table (see src/lock/_rwlock.ts): slots from word 16, 16 words each; `agent · 4 + FLAG + HELD`, then the extra depth. */
const SLOTS = 16;
const STRIDE = 16;

/** Control words of `reenter`. */
export const STOP = 0;
export const LOST = 1;
export const DONE = 2;
export const INSIDE = 3;

/**
 * Reads re-entered (twice) on a lock whose few slots are taken from each
 * other all the time: after the first release the thread must still hold
 * one level (no writer inside), and the second release must succeed. Counts
 * every lost level in `ctl[LOST]`.
 */
export default function reenter(rw: RwLock, ctl: Int32Array, iterations: number): void {
  const words = wordsOf(rw);
  const held = (agentId() << 2) | 1;
  for (let i = 0; i < iterations && Atomics.load(ctl, STOP) === 0; i++) {
    try {
      rw.acquireRead();
    } catch (e) {
      // Every slot holds a read lock (maxReaders is small on purpose): try again.
      if (e instanceof RangeError) continue;
      throw e;
    }
    rw.acquireRead();
    for (let s = 0; s < 20; s++) Atomics.load(ctl, STOP);
    // Held twice: its slot names it, held, one extra level (a flag from a waiting writer aside).
    let depth = -1;
    for (let k = 0; k < rw.maxReaders; k++) {
      const at = SLOTS + k * STRIDE;
      if ((Atomics.load(words, at) | 2) === (held | 2)) depth = Atomics.load(words, at + 1);
    }
    if (depth !== 1) Atomics.add(ctl, LOST, 1);
    rw.releaseRead();
    // Still one level held: a writer cannot be inside.
    if (Atomics.load(ctl, INSIDE) !== 0) Atomics.add(ctl, LOST, 1);
    try {
      rw.releaseRead();
    } catch {
      Atomics.add(ctl, LOST, 1);
    }
  }
  Atomics.add(ctl, DONE, 1);
}

/** Writes now and then, marking `ctl[INSIDE]` while it holds the write lock. */
export function writer(rw: RwLock, ctl: Int32Array): void {
  while (Atomics.load(ctl, STOP) === 0 && Atomics.load(ctl, DONE) < 8) {
    if (!rw.acquireWrite({ timeout: 50 })) continue;
    Atomics.store(ctl, INSIDE, 1);
    for (let s = 0; s < 50; s++) Atomics.load(ctl, STOP);
    Atomics.store(ctl, INSIDE, 0);
    rw.releaseWrite();
  }
}

/** Holds a read lock from `flags[0] = 1` until `flags[1]` is raised. */
export async function holdRead(rw: RwLock, flags: Int32Array): Promise<void> {
  rw.acquireRead();
  Atomics.store(flags, 0, 1);
  while (Atomics.load(flags, 1) === 0) await new Promise((r) => setTimeout(r, 1));
  rw.releaseRead();
}

/** Takes the write lock (waiting for the readers), then records it in `flags[2]` and lets go. */
export function write(rw: RwLock, flags: Int32Array): void {
  rw.acquireWrite();
  Atomics.store(flags, 2, 1);
  rw.releaseWrite();
}
