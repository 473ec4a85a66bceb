/**
 * `LockManager`: the W3C Web Locks API (`navigator.locks`) on shared memory,
 * for every thread it is posted to, on every runtime.
 *
 * @module
 */

import { agentId } from "../core/_agent.ts";
import { describe } from "../core/_describe.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import { pause } from "../core/_spin.ts";
import { checkStop, waitAsync } from "../core/_wait.ts";
import {
  bytesFor,
  DEFAULT_MAX_REQUESTS,
  DEFAULT_NAME_CAPACITY,
  EXCLUSIVE,
  LockTable,
  MAX_MAX_REQUESTS,
  MAX_NAME_CAPACITY,
  PENDING,
  POLL_MS,
  type RequestInfo,
  SHARED,
  STEALS,
  STOLEN,
  type TableSize,
} from "./_lock_table.ts";

/**
 * A lock's mode: many `"shared"` holders, or one `"exclusive"` holder.
 *
 * @example Readers share, a writer excludes
 * ```ts
 * import { LockManager, type LockMode } from "@sabkit/sabkit";
 * const locks = new LockManager();
 * const mode: LockMode = "shared";
 * await locks.request("table", { mode }, (lock) => console.assert(lock?.mode === "shared"));
 * ```
 */
export type LockMode = "exclusive" | "shared";

/**
 * The lock a granted request's callback receives (the Web Locks `Lock`).
 *
 * @example What the callback receives
 * ```ts
 * import { type LockGrant, LockManager } from "@sabkit/sabkit";
 * const locks = new LockManager();
 * await locks.request("job", (lock: LockGrant | null) => {
 *   console.assert(lock?.name === "job" && lock.mode === "exclusive");
 * });
 * ```
 */
export interface LockGrant {
  /** The name it was requested with. */
  readonly name: string;
  /** The mode it was requested with. */
  readonly mode: LockMode;
}

/**
 * Options of {@linkcode LockManager.request}, as in the Web Locks API.
 *
 * @example Only if free now
 * ```ts
 * import { LockManager } from "@sabkit/sabkit";
 * const locks = new LockManager();
 * const ran = await locks.request("cron", { ifAvailable: true }, (lock) => lock !== null);
 * console.assert(ran);
 * ```
 */
export interface LockRequestOptions {
  /** `"exclusive"` (default) or `"shared"`. */
  mode?: LockMode;
  /** Grant it only if it can be granted at once; else the callback gets `null`. */
  ifAvailable?: boolean;
  /** Take the lock from its holders (their requests reject with an `AbortError`); exclusive only. */
  steal?: boolean;
  /** Aborting it withdraws the request while it waits (the promise rejects with `signal.reason`). */
  signal?: AbortSignal;
}

/**
 * One request in {@linkcode LockManagerSnapshot}.
 *
 * @example Who holds what
 * ```ts
 * import { LockManager } from "@sabkit/sabkit";
 * const locks = new LockManager();
 * await locks.request("a", async () => {
 *   const { held } = await locks.query();
 *   console.assert(held[0].name === "a" && held[0].mode === "exclusive" && typeof held[0].clientId === "string");
 * });
 * ```
 */
export interface LockInfo {
  /** The lock's name. */
  readonly name: string;
  /** The requested mode. */
  readonly mode: LockMode;
  /** The thread (agent) that made the request: the same string for every request of one thread. */
  readonly clientId: string;
}

/**
 * What {@linkcode LockManager.query} returns.
 *
 * @example Nothing held, nothing waiting
 * ```ts
 * import { LockManager } from "@sabkit/sabkit";
 * const snapshot = await new LockManager().query();
 * console.assert(snapshot.held.length === 0 && snapshot.pending.length === 0);
 * ```
 */
export interface LockManagerSnapshot {
  /** Held locks, in the order they were granted. */
  held: LockInfo[];
  /** Waiting requests, in the order they were made. */
  pending: LockInfo[];
}

/**
 * Options of `new LockManager()`.
 *
 * @example A small table
 * ```ts
 * import { LockManager } from "@sabkit/sabkit";
 * const locks = new LockManager({ maxRequests: 16, nameCapacity: 256 });
 * await locks.request("x", () => {});
 * ```
 */
export interface LockManagerOptions {
  /**
   * How many requests may be pending or held at once, in all threads
   * (64 bytes each with its name entry). From 1 to 65536; default 1024.
   */
  maxRequests?: number;
  /**
   * How many UTF-16 code units the distinct names in use at once may take
   * together (2 bytes each). From 1 to 4194304; default 16384.
   */
  nameCapacity?: number;
}

/** The managers (objects) of this thread that hold locks now. */
const holding = new Set<LockManager>();

/** How long a waiting request spins before it sleeps (ms): a hand-off from another thread takes about a µs. */
const SPIN_MS = 0.05;

function domError(message: string, name: string): Error {
  const D = (globalThis as { DOMException?: new (m: string, n: string) => Error }).DOMException;
  if (D !== undefined) return new D(message, name);
  const e = new Error(message);
  e.name = name;
  return e;
}

function checkSize(x: unknown, what: string, max: number): number {
  if (typeof x !== "number") throw new TypeError(`${what} must be a number, got ${describe(x)}`);
  if (!Number.isInteger(x) || x < 1 || x > max) {
    throw new RangeError(`${what} must be an integer from 1 to ${max}, got ${describe(x)}`);
  }
  return x;
}

/** The sizes of a revived handle's meta (forged: `TypeError`). */
function metaSize(meta: unknown): TableSize {
  const m = typeof meta === "object" && meta !== null ? meta as Record<string, unknown> : {};
  const ok = (x: unknown, max: number): x is number =>
    typeof x === "number" && Number.isInteger(x) && x >= 1 && x <= max;
  if (!ok(m.maxRequests, MAX_MAX_REQUESTS) || !ok(m.nameCapacity, MAX_NAME_CAPACITY)) {
    throw new TypeError(`Cannot revive a sabkit object: the LockManager meta is ${describe(meta)}`);
  }
  return { maxRequests: m.maxRequests, nameCapacity: m.nameCapacity };
}

function modeName(mode: number): LockMode {
  return mode === SHARED ? "shared" : "exclusive";
}

function info(r: RequestInfo): LockInfo {
  return { name: r.name, mode: modeName(r.mode), clientId: String(r.agent) };
}

/** A request's arguments, checked as the Web Locks API's bindings and `request()` steps check them. */
interface Parsed {
  name: string;
  mode: number;
  ifAvailable: boolean;
  steal: boolean;
  signal: AbortSignal | undefined;
  callback: (lock: LockGrant | null) => unknown;
}

function parse(name: unknown, optionsOrCallback: unknown, maybeCallback: unknown): Parsed {
  const withOptions = maybeCallback !== undefined;
  const callback = withOptions ? maybeCallback : optionsOrCallback;
  const options = withOptions ? optionsOrCallback : undefined;
  if (typeof name === "symbol") throw new TypeError("A lock name must be a string, got a symbol");
  if (typeof callback !== "function") {
    throw new TypeError(`LockManager.request() needs a callback function, got ${describe(callback)}`);
  }
  if (
    options !== undefined && options !== null && typeof options !== "object" && typeof options !== "function"
  ) {
    throw new TypeError(`The options of LockManager.request() must be an object, got ${describe(options)}`);
  }
  const o = (options ?? {}) as Record<string, unknown>;
  const mode = o.mode === undefined ? "exclusive" : o.mode;
  if (mode !== "exclusive" && mode !== "shared") {
    throw new TypeError(`The mode of a lock request must be "exclusive" or "shared", got ${describe(mode)}`);
  }
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`The signal of a lock request must be an AbortSignal, got ${describe(signal)}`);
  }
  const parsed: Parsed = {
    name: String(name),
    mode: mode === "shared" ? SHARED : EXCLUSIVE,
    ifAvailable: Boolean(o.ifAvailable),
    steal: Boolean(o.steal),
    signal,
    callback: callback as Parsed["callback"],
  };
  if (parsed.name.startsWith("-")) {
    throw domError(
      `Lock names starting with "-" are reserved, got ${describe(parsed.name)}`,
      "NotSupportedError",
    );
  }
  if (parsed.steal && parsed.ifAvailable) {
    throw domError("The steal and ifAvailable options cannot be used together", "NotSupportedError");
  }
  if (parsed.steal && parsed.mode !== EXCLUSIVE) {
    throw domError("The steal option needs the exclusive mode", "NotSupportedError");
  }
  if (signal !== undefined && (parsed.steal || parsed.ifAvailable)) {
    throw domError("The signal option cannot be used with steal or ifAvailable", "NotSupportedError");
  }
  return parsed;
}

/**
 * The Web Locks API (`navigator.locks`) on shared memory: post a
 * `LockManager` to workers and every thread requests named locks from the
 * same place, on Deno, Bun (which has no `navigator.locks`), Node and in
 * browsers. Requests for a name are granted in the order they were made;
 * shared requests next to each other are granted together. A lock is held
 * until its callback's promise settles; `request()` then settles with it.
 *
 * A thread (agent) is the spec's client: `query()` names each request's
 * thread by `clientId`. When a worker exits (terminated, thrown, or
 * returned with a lock still held), its locks are released and its
 * requests withdrawn within about 100 ms, as the spec does for a closed
 * client, so no request waits for a dead thread.
 *
 * Names are any strings; the memory is fixed when the manager is made
 * (`maxRequests`, `nameCapacity`): a request beyond either is a
 * `RangeError`, never a wrong grant.
 *
 * @example A lock shared with a worker
 * ```ts
 * import { LockManager } from "@sabkit/sabkit";
 * const locks = new LockManager();
 * const result = await locks.request("cache", async (lock) => {
 *   console.assert(lock?.mode === "exclusive");
 *   return 42;
 * });
 * console.assert(result === 42);
 * ```
 */
export class LockManager {
  static {
    defineKind(this, "LockManager", {
      bytes: (meta) => bytesFor(metaSize(meta)),
      create: (handle: Handle) => new LockManager(metaSize(handle.meta)),
    });
  }

  #t: LockTable;
  /** This thread's held records and what to do when one is stolen. */
  #held = new Map<number, () => void>();
  /** The steal counter this thread's watcher waits on, or undefined when none waits. */
  #watching: number | undefined;
  /** How many requests of this thread wait: a waiter whose lock this thread holds must not spin. */
  #waiting = 0;

  /**
   * Creates a lock manager with no locks.
   *
   * @param options `maxRequests` and `nameCapacity`: the fixed sizes of its memory.
   * @throws {TypeError} If `options` is not an object, or a size not a number.
   * @throws {RangeError} If a size is out of range.
   *
   * @example Room for many requests
   * ```ts
   * import { LockManager } from "@sabkit/sabkit";
   * const locks = new LockManager({ maxRequests: 4096, nameCapacity: 65536 });
   * ```
   */
  constructor(options?: LockManagerOptions) {
    const { handle } = takePreset();
    let size: TableSize = { maxRequests: DEFAULT_MAX_REQUESTS, nameCapacity: DEFAULT_NAME_CAPACITY };
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`The options of new LockManager() must be an object, got ${describe(options)}`);
      }
      size = {
        maxRequests: options.maxRequests === undefined
          ? size.maxRequests
          : checkSize(options.maxRequests, "The maxRequests of new LockManager()", MAX_MAX_REQUESTS),
        nameCapacity: options.nameCapacity === undefined
          ? size.nameCapacity
          : checkSize(options.nameCapacity, "The nameCapacity of new LockManager()", MAX_NAME_CAPACITY),
      };
    }
    const i32 = attach(this, LockManager, bytesFor(size), handle, { ...size });
    this.#t = new LockTable(i32, size);
  }

  /**
   * Requests the lock `name` and runs `callback` once it is granted; the
   * lock is released when the callback's promise settles.
   *
   * @param name Any string not starting with `"-"`.
   * @param options `mode`, `ifAvailable`, `steal`, `signal` (see {@linkcode LockRequestOptions}).
   * @param callback Gets the lock (`null` for an `ifAvailable` request not granted at once).
   * @returns The callback's result, once the lock is released.
   * @throws {TypeError} (as a rejection) For a missing callback, a bad mode or signal.
   * @throws {DOMException} (as a rejection) `NotSupportedError` for a name starting with "-" or
   *   options that exclude each other; `AbortError` when the lock is stolen.
   * @throws {RangeError} (as a rejection) When `maxRequests` or `nameCapacity` would be passed.
   *
   * @example Shared and exclusive
   * ```ts
   * import { LockManager } from "@sabkit/sabkit";
   * const locks = new LockManager();
   * await locks.request("config", { mode: "shared" }, (lock) => {
   *   console.assert(lock?.name === "config");
   * });
   * const got = await locks.request("config", { ifAvailable: true }, (lock) => lock !== null);
   * console.assert(got);
   * ```
   */
  request<T>(name: string, callback: (lock: LockGrant | null) => T | PromiseLike<T>): Promise<Awaited<T>>;
  /**
   * Requests the lock `name` with options and runs `callback` once it is granted.
   *
   * @param name Any string not starting with `"-"`.
   * @param options `mode`, `ifAvailable`, `steal`, `signal`.
   * @param callback Gets the lock (`null` for an `ifAvailable` request not granted at once).
   * @returns The callback's result, once the lock is released.
   *
   * @example Giving up when busy
   * ```ts
   * import { LockManager } from "@sabkit/sabkit";
   * const locks = new LockManager();
   * await locks.request("job", { ifAvailable: true }, (lock) => {
   *   if (lock === null) return; // someone else runs it
   * });
   * ```
   */
  request<T>(
    name: string,
    options: LockRequestOptions,
    callback: (lock: LockGrant | null) => T | PromiseLike<T>,
  ): Promise<Awaited<T>>;
  request(name: string, optionsOrCallback: unknown, maybeCallback?: unknown): Promise<unknown> {
    try {
      checkStop();
      const p = parse(name, optionsOrCallback, maybeCallback);
      if (p.signal?.aborted) return Promise.reject(p.signal.reason);
      // Queued in the order request() was called: under the mutex, before anything awaits.
      const taken = this.#t.lock();
      const enter = (): Promise<unknown> => {
        const r = this.#enter(p);
        if (p.steal) LockManager.#robbedHere();
        return this.#entered(p, r);
      };
      return taken === undefined ? enter() : taken.then(enter);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Queues the request (mutex held, released here). */
  #enter(p: Parsed): number {
    try {
      return this.#t.enter(p.name, p.mode, p.ifAvailable, p.steal);
    } finally {
      this.#t.unlock();
    }
  }

  /** After a steal by this thread: tells this thread's robbed requests at once (an engine wait may lag). */
  static #robbedHere(): void {
    for (const locks of holding) locks.#check();
  }

  async #entered(p: Parsed, r: number): Promise<unknown> {
    // The callback never runs inside request(), and an abort right after it still counts.
    await undefined;
    if (r < 0) return await p.callback(null);
    const t = this.#t;
    if (t.state(r) === PENDING) await this.#granted(r, p.signal);
    else if (p.signal?.aborted) {
      await t.locked(() => t.release(r));
      throw p.signal.reason;
    }
    return await this.#hold(r, Object.freeze({ name: p.name, mode: modeName(p.mode) }), p.callback);
  }

  /** Waits until record `r` is granted; on abort withdraws it and rejects with the signal's reason. */
  async #granted(r: number, signal: AbortSignal | undefined): Promise<void> {
    const t = this.#t;
    const word = t.stateWord(r);
    // A lock held by another thread is often handed over within a µs: spin first, unless this
    // thread holds locks or waits already (the holder may be this thread, which a spin would stall).
    if (this.#held.size === 0 && this.#waiting === 0) {
      const end = performance.now() + SPIN_MS;
      for (let n = 1; Atomics.load(t.i32, word) === PENDING; n++) {
        if ((n & 7) === 0 && performance.now() >= end) break;
        pause();
      }
    }
    this.#waiting++;
    try {
      while (Atomics.load(t.i32, word) === PENDING) {
        try {
          await waitAsync(t.i32, word, PENDING, Infinity, signal, POLL_MS);
        } catch (e) {
          if (signal === undefined || !signal.aborted) throw e;
          // Aborted: withdrawn, unless it was granted meanwhile (then the abort is too late).
          if (await t.locked(() => t.withdraw(r))) throw signal.reason;
          return;
        }
        // Nobody notifies a death: the requests of dead threads are freed by whoever looks.
        if (t.deathsToReap()) await t.locked(() => {});
      }
    } finally {
      this.#waiting--;
    }
  }

  /** Runs the callback with the granted lock; releases when it settles; rejects at once if stolen. */
  #hold(r: number, lock: LockGrant, callback: Parsed["callback"]): Promise<unknown> {
    const t = this.#t;
    return new Promise((resolve, reject) => {
      let settled = false;
      const stolen = (): void => {
        if (settled) return;
        settled = true;
        reject(domError("The lock was stolen by a request with steal: true", "AbortError"));
      };
      this.#held.set(r, stolen);
      holding.add(this);
      this.#watch();
      // Stolen between its grant and now (a steal by this thread right after request()).
      this.#check();
      const release = async (ok: boolean, value: unknown): Promise<void> => {
        this.#held.delete(r);
        if (this.#held.size === 0) holding.delete(this);
        try {
          if (await t.locked(() => t.release(r)) === STOLEN) stolen();
        } catch (e) {
          ok = false;
          value = e;
        }
        if (settled) return;
        settled = true;
        if (ok) resolve(value);
        else reject(value);
      };
      let result: unknown;
      try {
        result = callback(lock);
      } catch (e) {
        void release(false, e);
        return;
      }
      Promise.resolve(result).then((v) => release(true, v), (e) => release(false, e));
    });
  }

  /** Rejects the requests of this thread whose locks were stolen. */
  #check(): void {
    for (const [r, onStolen] of this.#held) {
      if (this.#t.state(r) === STOLEN) {
        this.#held.delete(r);
        onStolen();
      }
    }
    if (this.#held.size === 0) holding.delete(this);
  }

  /** Watches the steal counter while this thread holds locks (an engine wait: it keeps nothing alive). */
  #watch(): void {
    if (this.#watching !== undefined || this.#held.size === 0) return;
    const i32 = this.#t.i32;
    const seen = Atomics.load(i32, STEALS);
    this.#watching = seen;
    const check = (): void => {
      this.#watching = undefined;
      this.#check();
      this.#watch();
    };
    const w = Atomics.waitAsync(i32, STEALS, seen);
    if (w.async) void w.value.then(check);
    else queueMicrotask(check);
  }

  /**
   * The held locks (in grant order) and the waiting requests (in request
   * order) of every thread, each with its name, mode and `clientId`.
   *
   * @returns A snapshot.
   *
   * @example Seeing who holds what
   * ```ts
   * import { LockManager } from "@sabkit/sabkit";
   * const locks = new LockManager();
   * await locks.request("a", async () => {
   *   const { held, pending } = await locks.query();
   *   console.assert(held.length === 1 && held[0].name === "a" && pending.length === 0);
   * });
   * ```
   */
  async query(): Promise<LockManagerSnapshot> {
    checkStop();
    const t = this.#t;
    const s = await t.locked(() => t.snapshot());
    return { held: s.held.map(info), pending: s.pending.map(info) };
  }

  /**
   * This thread's `clientId`, as `query()` reports it.
   *
   * @example Finding this thread's locks
   * ```ts
   * import { LockManager } from "@sabkit/sabkit";
   * const locks = new LockManager();
   * await locks.request("a", async () => {
   *   const { held } = await locks.query();
   *   console.assert(held[0].clientId === locks.clientId);
   * });
   * ```
   */
  get clientId(): string {
    return String(agentId());
  }
}
