/**
 * `RwLock`: a read-write lock for workers (many readers or one writer).
 *
 * @module
 */

import { agentId } from "../core/_agent.ts";
import { describe } from "../core/_describe.ts";
import { acquireDeadline } from "../core/_guard.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import { TimeoutError } from "../core/errors.ts";
import { assertCanBlock, canBlock, deadlineOf, waitOptions } from "../core/_wait.ts";
import {
  type GuardOptions,
  Lockable,
  type RobustAcquireOptions,
  type RobustAsyncOptions,
} from "../core/protocol.ts";
import {
  bytesFor,
  DEFAULT_MAX_READERS,
  DRAIN_NEEDED,
  drainBrief,
  draining,
  MAX_READERS,
  readBrief,
  readerCount,
  readFast,
  reading,
  releaseRead,
  releaseWrite,
  runAsync,
  runSync,
  type Seat,
  writeFast,
  writeHeld,
  writing,
} from "./_rwlock.ts";

/**
 * Options of `new RwLock()`.
 *
 * @example Room for 8 reading threads
 * ```ts
 * import { RwLock } from "@sabkit/sabkit";
 * const rw = new RwLock({ maxReaders: 8 });
 * console.assert(rw.maxReaders === 8);
 * ```
 */
export interface RwLockOptions {
  /**
   * How many threads may hold read locks at the same time: the size of the
   * table that names the readers, so that one whose worker dies is found. A
   * thread keeps its place between reads (a read is then one compare-and-swap
   * on memory no other reader writes); with every place kept, a new reader
   * takes the place of a thread that is not reading. One more reader than
   * places is a `RangeError`, never a wrong answer. Each costs 64 bytes.
   * From 1 to 4096; default 64.
   */
  maxReaders?: number;
}

/** Checks `maxReaders`: an integer from 1 to {@linkcode MAX_READERS}. */
function checkMaxReaders(x: unknown, what: string): number {
  if (typeof x !== "number") throw new TypeError(`${what} must be a number, got ${describe(x)}`);
  if (!Number.isInteger(x) || x < 1 || x > MAX_READERS) {
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_READERS}, got ${describe(x)}`);
  }
  return x;
}

/** The `maxReaders` of a revived handle's meta (forged: `TypeError`). */
function metaReaders(meta: unknown): number {
  const n = typeof meta === "object" && meta !== null
    ? (meta as { maxReaders?: unknown }).maxReaders
    : undefined;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_READERS) {
    throw new TypeError(`Cannot revive a sabkit object: the RwLock meta has maxReaders ${describe(n)}`);
  }
  return n;
}

function disposer(release: () => void): Disposable {
  let held = true;
  return {
    [Symbol.dispose](): void {
      // Disposing twice must not release someone else's hold.
      if (held) {
        held = false;
        release();
      }
    },
  };
}

function timedOut(mode: string, timeout: number | undefined): TimeoutError {
  return new TimeoutError(`Could not acquire the RwLock for ${mode} within ${timeout} ms`);
}

/**
 * A read-write lock shared by every worker it is posted to: any number of
 * threads may hold it for reading at once, or one thread for writing. A
 * writer that waits blocks new readers, so a stream of readers never starves
 * it (under a stream of writers, readers wait).
 *
 * As a lock-like object it is its write lock: `acquire`, `release`, `guard`
 * are `acquireWrite`, `releaseWrite`, `writeGuard` (Go's `RWMutex.Lock` is the
 * writer's too), so code written for any `Lockable` stays exclusive.
 *
 * Each reader and the writer are named in the lock's memory by the step that
 * takes it. A writer that dies holding the lock makes every acquire throw
 * `OwnerDiedError`; repair what it guards, then `acquireWrite({ recover: true })`
 * takes it over (or `acquireRead({ recover: true })` frees it and reads). A
 * reader that dies holding a read lock changed nothing, so other readers go
 * on, but the next writer hears of it as `OwnerDiedError` (what that reader
 * was doing is lost); `acquireWrite({ recover: true })` frees its place.
 *
 * A thread that holds a read lock re-enters it with the blocking forms even
 * while a writer waits (waiting would deadlock the thread on itself); the
 * async forms queue behind the writer, as Web Locks do. A blocking call with
 * no timeout that could only deadlock its own thread (a read lock taken
 * while the thread writes, a write lock while it reads) throws instead.
 *
 * @example Readers and a writer
 * ```ts
 * import { RwLock } from "@sabkit/sabkit";
 * const rw = new RwLock();
 * const data = new Int32Array(new SharedArrayBuffer(8));
 * {
 *   using _ = rw.writeGuard();
 *   data[0] = 1;
 * }
 * {
 *   using _ = rw.readGuard();
 *   console.assert(data[0] === 1);
 * }
 * ```
 */
export class RwLock extends Lockable {
  static {
    defineKind(this, "RwLock", {
      bytes: (meta) => bytesFor(metaReaders(meta)),
      create: (handle: Handle) => new RwLock({ maxReaders: metaReaders(handle.meta) }),
    });
  }

  #i32: Int32Array;
  #seat: Seat;

  /**
   * Creates a read-write lock that nobody holds.
   *
   * @param options `maxReaders`: how many threads may read at once (default 64).
   * @throws {TypeError} If `options` is not an object, or `maxReaders` not a number.
   * @throws {RangeError} If `maxReaders` is not an integer from 1 to 4096.
   *
   * @example A lock for up to 256 reading threads
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock({ maxReaders: 256 });
   * console.assert(rw.maxReaders === 256);
   * ```
   */
  constructor(options?: RwLockOptions) {
    super();
    const { handle } = takePreset();
    let maxReaders = DEFAULT_MAX_READERS;
    if (options !== undefined) {
      if (typeof options !== "object" || options === null) {
        throw new TypeError(`The options of new RwLock() must be an object, got ${describe(options)}`);
      }
      if (options.maxReaders !== undefined) {
        maxReaders = checkMaxReaders(options.maxReaders, "The maxReaders of new RwLock()");
      }
    }
    this.#i32 = attach(this, RwLock, bytesFor(maxReaders), handle, { maxReaders });
    this.#seat = { readers: maxReaders, slot: -1 };
  }

  /**
   * How many threads may hold read locks at once.
   *
   * @example Reading the limit
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * console.assert(new RwLock().maxReaders === 64);
   * ```
   */
  get maxReaders(): number {
    return this.#seat.readers;
  }

  /**
   * Takes a read lock: waits while a writer holds the lock or waits for it.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` frees a lock whose writer's worker exited holding it, then reads.
   * @returns `true` once held, `false` if it timed out or would have blocked.
   * @throws {TypeError} Where this thread may not block; use `acquireReadAsync()`.
   * @throws {OwnerDiedError} If a writer's worker exited holding the lock.
   * @throws {RangeError} If more than `maxReaders` threads read at once.
   *
   * @example Two reads at once
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * console.assert(rw.acquireRead() && rw.acquireRead({ blocking: false }));
   * rw.releaseRead();
   * rw.releaseRead();
   * ```
   */
  acquireRead(options?: RobustAcquireOptions): boolean {
    // No options and no writer: one CAS on the slot this thread keeps (a line no other thread
    // writes), nothing validated or allocated; its first read claims the slot.
    if (options === undefined && canBlock()) {
      const me = agentId();
      if (readFast(this.#i32, this.#seat, me << 2) || readBrief(this.#i32, this.#seat, me)) return true;
    }
    const deadline = acquireDeadline(options, "RwLock.acquireRead");
    const once = deadline === undefined;
    const steps = reading(this.#i32, this.#seat, deadline ?? 0, options?.recover === true, true, once);
    return runSync(steps, this.#i32, deadline ?? 0);
  }

  /**
   * Takes a read lock without blocking the thread (behind any waiting writer).
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} If a writer's worker exited holding the lock (as a rejection).
   *
   * @example Reading in an async function
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * if (await rw.acquireReadAsync({ timeout: 100 })) rw.releaseRead();
   * ```
   */
  acquireReadAsync(options?: RobustAsyncOptions): Promise<boolean> {
    try {
      const { timeout, signal, recover } = waitOptions(options, "RwLock.acquireReadAsync");
      const deadline = deadlineOf(timeout);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return runAsync(
        reading(this.#i32, this.#seat, deadline, recover === true, false, false),
        this.#i32,
        deadline,
        signal,
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Releases one read lock of this thread; its last frees its place for a writer.
   *
   * @throws {Error} If this thread holds no read lock of it.
   *
   * @example Releasing
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * rw.acquireRead();
   * rw.releaseRead();
   * ```
   */
  releaseRead(): void {
    if (!releaseRead(this.#i32, this.#seat)) {
      throw new Error("Cannot release a read lock of an RwLock this thread does not hold");
    }
  }

  /**
   * Takes the write lock: first the writer's place (new readers then wait),
   * then waits for the readers to leave.
   *
   * @param options `blocking: false` tries once; `timeout` in ms (negative counts as 0);
   *   `recover` takes over a lock whose writer's worker exited holding it, and frees the
   *   read locks of readers whose workers exited holding them.
   * @returns `true` once held, `false` if it timed out or would have blocked.
   * @throws {TypeError} Where this thread may not block; use `acquireWriteAsync()`.
   * @throws {OwnerDiedError} If a writer's worker exited holding the lock, or a reader's
   *   holding a read lock.
   *
   * @example Writing with a deadline
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * if (rw.acquireWrite({ timeout: 100 })) rw.releaseWrite();
   * ```
   */
  acquireWrite(options?: RobustAcquireOptions): boolean {
    if (options === undefined && canBlock()) {
      const fast = writeFast(this.#i32, this.#seat);
      if (fast === 1) return true;
      if (fast === DRAIN_NEEDED) {
        if (drainBrief(this.#i32, this.#seat)) return true;
        return runSync(draining(this.#i32, this.#seat, Infinity, true, false, false), this.#i32, Infinity);
      }
    }
    const deadline = acquireDeadline(options, "RwLock.acquireWrite");
    const once = deadline === undefined;
    const steps = writing(this.#i32, this.#seat, deadline ?? 0, options?.recover === true, true, once);
    return runSync(steps, this.#i32, deadline ?? 0);
  }

  /**
   * Takes the write lock without blocking the thread.
   *
   * @param options `timeout` in ms; `signal` rejects the wait with its reason; `recover`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} If a writer's worker exited holding the lock, or a reader's holding a read
   *   lock (as a rejection).
   *
   * @example Writing in an async function
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * if (await rw.acquireWriteAsync({ timeout: 100 })) rw.releaseWrite();
   * ```
   */
  acquireWriteAsync(options?: RobustAsyncOptions): Promise<boolean> {
    try {
      const { timeout, signal, recover } = waitOptions(options, "RwLock.acquireWriteAsync");
      const deadline = deadlineOf(timeout);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return runAsync(
        writing(this.#i32, this.#seat, deadline, recover === true, false, false),
        this.#i32,
        deadline,
        signal,
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Releases the write lock; only the thread that holds it may.
   *
   * @throws {Error} If this thread does not hold the write lock.
   *
   * @example Releasing
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * rw.acquireWrite();
   * rw.releaseWrite();
   * ```
   */
  releaseWrite(): void {
    if (!releaseWrite(this.#i32, this.#seat)) {
      throw new Error("Cannot release the write lock of an RwLock this thread does not hold");
    }
  }

  /**
   * The write lock, as the lock protocol's `acquire` (see {@linkcode RwLock.acquireWrite}).
   *
   * @param options As for `acquireWrite`.
   * @returns `true` once held, `false` if it timed out or would have blocked.
   *
   * @example Any Lockable
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * console.assert(rw.acquire() && !rw.acquireRead({ blocking: false }));
   * rw.release();
   * ```
   */
  acquire(options?: RobustAcquireOptions): boolean {
    return this.acquireWrite(options);
  }

  /**
   * The write lock, as the lock protocol's `acquireAsync` (see {@linkcode RwLock.acquireWriteAsync}).
   *
   * @param options As for `acquireWriteAsync`.
   * @returns `true` once held, `false` on timeout.
   *
   * @example Any Lockable
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * if (await rw.acquireAsync()) rw.release();
   * ```
   */
  acquireAsync(options?: RobustAsyncOptions): Promise<boolean> {
    return this.acquireWriteAsync(options);
  }

  /**
   * Releases the write lock, as the lock protocol's `release`.
   *
   * @throws {Error} If this thread does not hold the write lock.
   *
   * @example Any Lockable
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * rw.acquire();
   * rw.release();
   * ```
   */
  release(): void {
    this.releaseWrite();
  }

  /**
   * Takes a read lock (blocking) and returns a `Disposable` that releases it once.
   *
   * @param options `timeout` in ms.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout`.
   *
   * @example A read section
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * {
   *   using _ = rw.readGuard({ timeout: 1000 });
   *   console.assert(rw.locked());
   * }
   * console.assert(!rw.locked());
   * ```
   */
  readGuard(options?: GuardOptions): Disposable {
    const { timeout } = waitOptions(options, "RwLock.readGuard");
    assertCanBlock("RwLock.readGuard", "RwLock.readGuardAsync");
    if (!this.acquireRead({ timeout })) throw timedOut("reading", timeout);
    return disposer(() => this.releaseRead());
  }

  /**
   * Takes a read lock without blocking the thread and resolves to a `Disposable` that releases it once.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout` (as a rejection).
   *
   * @example An async read section
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * {
   *   using _ = await rw.readGuardAsync();
   * }
   * ```
   */
  async readGuardAsync(options?: GuardOptions): Promise<Disposable> {
    const checked = waitOptions(options, "RwLock.readGuardAsync");
    if (!await this.acquireReadAsync(checked)) throw timedOut("reading", checked.timeout);
    return disposer(() => this.releaseRead());
  }

  /**
   * Takes the write lock (blocking) and returns a `Disposable` that releases it once.
   *
   * @param options `timeout` in ms.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout`.
   *
   * @example A write section
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * {
   *   using _ = rw.writeGuard();
   *   console.assert(!rw.acquireRead({ blocking: false }));
   * }
   * ```
   */
  writeGuard(options?: GuardOptions): Disposable {
    const { timeout } = waitOptions(options, "RwLock.writeGuard");
    assertCanBlock("RwLock.writeGuard", "RwLock.writeGuardAsync");
    if (!this.acquireWrite({ timeout })) throw timedOut("writing", timeout);
    return disposer(() => this.releaseWrite());
  }

  /**
   * Takes the write lock without blocking the thread and resolves to a `Disposable` that releases it once.
   *
   * @param options `timeout` in ms and `signal`.
   * @returns The release, for `using`.
   * @throws {TimeoutError} If not acquired within `timeout` (as a rejection).
   *
   * @example An async write section
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * const rw = new RwLock();
   * {
   *   using _ = await rw.writeGuardAsync({ timeout: 1000 });
   * }
   * ```
   */
  async writeGuardAsync(options?: GuardOptions): Promise<Disposable> {
    const checked = waitOptions(options, "RwLock.writeGuardAsync");
    if (!await this.acquireWriteAsync(checked)) throw timedOut("writing", checked.timeout);
    return disposer(() => this.releaseWrite());
  }

  /**
   * Whether some thread holds the lock right now, for reading or writing.
   *
   * @returns `true` while a writer or any reader holds it.
   *
   * @example Checking
   * ```ts
   * import { RwLock } from "@sabkit/sabkit";
   * console.assert(!new RwLock().locked());
   * ```
   */
  locked(): boolean {
    return writeHeld(this.#i32) || readerCount(this.#i32, this.#seat) > 0;
  }
}
