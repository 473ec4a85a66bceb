/**
 * How a `SharedArrayBuffer` inside a queued value reaches the thread that
 * takes the value: shared memory cannot hold one, so it travels beside the
 * item, by structured clone, over a `BroadcastChannel` named after the ring.
 *
 * - Every thread opens its end when it makes or revives the queue (one end
 *   per ring per thread, closed once its last queue object is collected), so
 *   it hears every item put after that.
 * - A put of a value with shared buffers takes a ticket (under the put lock,
 *   so tickets follow the ring's order), posts `{ t: ticket, s: buffers }`,
 *   keeps them, and only then publishes the item (flag `SHARED`, its ticket).
 * - Every thread keeps what it hears until the ring's `DONE_TICKET` passes
 *   the ticket (that item was taken): a few references per item in flight.
 * - A get finds the buffers under the item's ticket before it takes the
 *   item. A thread that joined after the put (or whose event loop has not
 *   run) asks: it bumps `WANTS` in shared memory and posts `{ w: ticket }`.
 *   Threads that hold the buffers answer from their event loop (the post),
 *   or, blocked in a wait on this ring, at its next wake-up (`WANTS`).
 * - A blocked thread can take a broadcast message on Node only
 *   (`canReceiveSync`, measured in `runtime/broadcast.ts`): there a
 *   blocking get waits for the buffers; on Deno and Bun a blocking get of an
 *   item whose buffers have not arrived yet throws a `TypeError` naming the
 *   async form, and takes nothing (the item stays first in the queue).
 *
 * @module
 */

import { checkStop, type Deadline, remaining, waitSync } from "../core/_wait.ts";
import { type Broadcast, canBroadcast, canReceiveSync, openBroadcast } from "../runtime/broadcast.ts";
import { DONE_TICKET, type SharedHooks, WANTS } from "./_items.ts";

/**
 * Chromium (Chrome 156, measured in the browser suite) delivers a
 * `SharedArrayBuffer` posted on a `BroadcastChannel` as `null`, without an
 * error or a `messageerror`: there the buffers cannot travel beside items.
 * (Firefox delivers them; Chromium's `MessagePort` does, but joins two
 * threads only, see `runtime/broadcast.ts`.)
 */
// "HeadlessChrome/…" too, hence no word boundary.
const CHROMIUM: boolean = /Chrom(?:e|ium)\//.test(
  (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "",
);

/** Whether values carrying shared memory can be queued on this runtime. */
export const sharedSupported: boolean = canBroadcast && !CHROMIUM;

/** Why they cannot, where they cannot (the end of a `TypeError`'s message). */
export const sharedUnsupported: string = !canBroadcast
  ? "it has no BroadcastChannel"
  : "Chromium's BroadcastChannel delivers a SharedArrayBuffer as null";

/** A word nobody changes: a blocking wait for buffers naps on it between looks. */
const NAP = new Int32Array(new SharedArrayBuffer(4));

/** How often a thread that waits for buffers asks again (ms). */
const ASK_MS = 100;

interface Store {
  readonly bc: Broadcast;
  readonly i32: Int32Array;
  readonly items: Map<number, SharedArrayBuffer[]>;
  readonly waiters: Set<() => void>;
  /** The `WANTS` last answered, and the `DONE_TICKET` of the last prune. */
  wants: number;
  pruned: number;
  /** Queue objects of this thread on the ring. */
  refs: number;
}

const stores = new Map<string, Store>();
const collected = new FinalizationRegistry<string>((name) => {
  const store = stores.get(name);
  if (store !== undefined && --store.refs === 0) {
    stores.delete(name);
    store.bc.close();
  }
});

function isOld(store: Store, ticket: number): boolean {
  return ((ticket - Atomics.load(store.i32, DONE_TICKET)) | 0) < 0;
}

function prune(store: Store): void {
  const done = Atomics.load(store.i32, DONE_TICKET);
  if (done === store.pruned || store.items.size === 0) return;
  store.pruned = done;
  for (const t of store.items.keys()) if (isOld(store, t)) store.items.delete(t);
}

function hear(store: Store, data: unknown): void {
  if (typeof data !== "object" || data === null) return;
  const m = data as { t?: unknown; s?: unknown; w?: unknown };
  if (typeof m.t === "number" && Array.isArray(m.s)) {
    if (isOld(store, m.t)) return;
    prune(store);
    store.items.set(m.t, m.s as SharedArrayBuffer[]);
    for (const w of store.waiters) w();
  } else if (typeof m.w === "number") {
    const s = store.items.get(m.w);
    if (s !== undefined) store.bc.post({ t: m.w, s });
  }
}

/** One queue object's view of its ring's store in this thread. */
export class SharedPort implements SharedHooks {
  readonly #store: Store;

  /** Joins (or opens) this thread's store of the ring `name`, for `owner` (a queue object). */
  constructor(owner: object, i32: Int32Array, name: string) {
    let store = stores.get(name);
    if (store === undefined) {
      const made: Store = {
        bc: openBroadcast(`sabkit:queue:${name}`, (data) => hear(made, data)),
        i32,
        items: new Map(),
        waiters: new Set(),
        wants: Atomics.load(i32, WANTS),
        pruned: 0,
        refs: 0,
      };
      store = made;
      stores.set(name, store);
    }
    store.refs++;
    collected.register(owner, name);
    this.#store = store;
  }

  /** Whether a blocking get can wait for buffers that have not arrived. */
  get canWaitSync(): boolean {
    return canReceiveSync;
  }

  offer(ticket: number, buffers: SharedArrayBuffer[]): void {
    const store = this.#store;
    prune(store);
    store.items.set(ticket, buffers);
    store.bc.post({ t: ticket, s: buffers });
  }

  lookup(ticket: number): SharedArrayBuffer[] | undefined {
    const store = this.#store;
    const found = store.items.get(ticket);
    if (found !== undefined || !canReceiveSync) return found;
    for (let m = store.bc.receiveSync(); m !== undefined; m = store.bc.receiveSync()) hear(store, m.message);
    return store.items.get(ticket);
  }

  /** Taken: this thread forgets the buffers (others prune them by `DONE_TICKET`). */
  consumed(ticket: number): void {
    this.#store.items.delete(ticket);
  }

  idle(): void {
    const store = this.#store;
    const wants = Atomics.load(store.i32, WANTS);
    if (wants === store.wants) return;
    store.wants = wants;
    prune(store);
    for (const [t, s] of store.items) store.bc.post({ t, s });
  }

  #ask(ticket: number): void {
    const store = this.#store;
    store.wants = Atomics.add(store.i32, WANTS, 1) + 1;
    store.bc.post({ w: ticket });
  }

  /** Blocks until the buffers of `ticket` are here (Node only): `false` at the deadline. */
  waitSync(ticket: number, deadline: Deadline): boolean {
    let asked = -Infinity;
    for (;;) {
      if (this.lookup(ticket) !== undefined) return true;
      if (isOld(this.#store, ticket)) return true;
      const now = performance.now();
      if (now >= deadline) return false;
      if (now - asked >= ASK_MS) {
        this.#ask(ticket);
        asked = now;
      }
      this.idle();
      checkStop();
      waitSync(NAP, 0, 0, deadline, 1);
    }
  }

  /** Waits until the buffers of `ticket` are here: `false` at the deadline; rejects on abort. */
  async waitAsync(ticket: number, deadline: Deadline, signal?: AbortSignal): Promise<boolean> {
    const store = this.#store;
    for (;;) {
      if (this.lookup(ticket) !== undefined || isOld(store, ticket)) return true;
      if (signal?.aborted) throw signal.reason;
      const left = remaining(deadline);
      if (left <= 0) return false;
      this.#ask(ticket);
      this.idle();
      // A ref'd timer: the process stays alive while this waits.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          store.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, ASK_MS));
        store.waiters.add(done);
        signal?.addEventListener("abort", done);
      });
    }
  }
}
