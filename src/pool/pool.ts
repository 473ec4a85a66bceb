/**
 * `Pool`: Python's `multiprocessing.Pool`, on workers that take their tasks
 * from shared memory.
 *
 * @module
 */

import { describe } from "../core/_describe.ts";
import { TimeoutError } from "../core/errors.ts";
import { waitOptions } from "../core/_wait.ts";
import { cpuCount, Process, type ResourceLimits } from "../process/process.ts";
import { CLOSED, type Job, PoolCore, RUNNING, TERMINATED } from "./_core.ts";
import { APPLY, MAP, STARMAP } from "./_worker.ts";
import { WorkerExitError } from "./worker_exit_error.ts";

/**
 * Options of the {@linkcode Pool} constructor.
 *
 * @example Two workers, an initializer, fresh workers every 100 tasks
 * ```ts ignore
 * import { Pool } from "@sabkit/sabkit";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url), {
 *   processes: 2,
 *   initializer: "init",
 *   initargs: ["config.json"],
 *   maxtasksperchild: 100,
 *   name: "workers",
 * });
 * ```
 */
export interface PoolOptions {
  /** How many workers (default `cpuCount()`). */
  processes?: number;
  /** An export of the module each worker calls (and awaits) once, before its first task. */
  initializer?: string;
  /** The initializer's arguments (default `[]`); sabkit objects arrive live. */
  initargs?: readonly unknown[];
  /**
   * Tasks a worker runs before it is replaced by a fresh one (default: no
   * limit); as in Python, a chunk of a `map` counts as one task.
   */
  maxtasksperchild?: number;
  /** The pool's name; its workers are `name-1`, `name-2`, … (default `Pool-N`). */
  name?: string;
  /** The worker bootstrap's URL, as `Process`'s option of that name (bundled programs). */
  bootstrap?: URL | string;
  /**
   * The URL of sabkit's pool worker loop (`dist/src/pool/_worker.js` of the
   * npm package, `src/pool/_worker.ts` of the sources). Default: found beside
   * this module, as published; a bundled program makes it an entry of its own,
   * as the bootstrap, and passes the URL of its output here.
   */
  workerModule?: URL | string;
  /** Node only: each worker's memory limits; a worker that reaches one dies and is replaced. */
  resourceLimits?: ResourceLimits;
}

/**
 * Options of {@linkcode Pool.apply}.
 *
 * @example A task with a deadline
 * ```ts ignore
 * import { Pool, TimeoutError } from "@sabkit/sabkit";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
 * await pool.apply("slow", [], { timeout: 1000 }).catch((e) => {
 *   if (e instanceof TimeoutError) console.log("gave up; its worker was replaced");
 * });
 * ```
 */
export interface ApplyOptions {
  /**
   * Aborting it rejects the task with `signal.reason`: dropped if queued; if
   * running, its worker is stopped and another started at once (on Deno a
   * worker busy in plain JavaScript stops only when its task next returns to
   * the event loop).
   */
  signal?: AbortSignal;
  /** Milliseconds from the call: then the task rejects with a `TimeoutError`, as for `signal`. */
  timeout?: number;
}

/**
 * Options of {@linkcode Pool.map} and the other calls over many items.
 *
 * @example Chunks of 100, cancellable
 * ```ts ignore
 * import { Pool } from "@sabkit/sabkit";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
 * const ac = new AbortController();
 * const squares = await pool.map<number>("square", [1, 2, 3], { chunksize: 100, signal: ac.signal });
 * ```
 */
export interface MapOptions {
  /** Items per task (default for `map`/`starmap`: about a quarter of the items per worker; else 1). */
  chunksize?: number;
  /** Aborting it rejects the call; its queued tasks are dropped and its running ones' workers stopped. */
  signal?: AbortSignal;
}

let counter = 0;

function workerUrl(): URL {
  // The npm build renames modules to .js; the URL must follow.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  return new URL(`./_worker.${ext}`, import.meta.url);
}

function count(x: unknown, name: string, min: number): number {
  if (typeof x !== "number") {
    throw new TypeError(`The ${name} option of new Pool() must be a number, got ${describe(x)}`);
  }
  if (!Number.isInteger(x) || x < min || x > 2 ** 31 - 1) {
    throw new RangeError(
      `The ${name} option of new Pool() must be an integer from ${min}, got ${describe(x)}`,
    );
  }
  return x;
}

function checkName(name: unknown, what: string): string {
  if (typeof name !== "string") {
    throw new TypeError(`The export name of ${what}() must be a string, got ${describe(name)}`);
  }
  return name;
}

function checkIterable(x: unknown, what: string): Iterable<unknown> {
  if (x === null || x === undefined || typeof (x as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`The items of ${what}() must be iterable, got ${describe(x)}`);
  }
  return x as Iterable<unknown>;
}

function mapOptions(
  options: MapOptions | undefined,
  what: string,
): { chunksize?: number; signal?: AbortSignal } {
  const o = waitOptions(options, what);
  const { chunksize } = o;
  if (chunksize !== undefined) {
    if (typeof chunksize !== "number") {
      throw new TypeError(`The chunksize option of ${what}() must be a number, got ${describe(chunksize)}`);
    }
    if (!Number.isInteger(chunksize) || chunksize < 1) {
      throw new RangeError(
        `The chunksize option of ${what}() must be a positive integer, got ${describe(chunksize)}`,
      );
    }
  }
  return o;
}

/**
 * A pool of workers running exports of one module, as Python's
 * `multiprocessing.Pool`: `apply` runs one call, `map`/`starmap` many, in
 * order, `imap`/`imapUnordered` stream their results.
 *
 * Tasks and results travel through shared-memory queues and each idle
 * worker takes its next task itself: the main thread puts tasks in bulk and
 * is not in the path of each. Arguments and results travel as `Queue`
 * values (sabkit objects and `SharedArrayBuffer`s arrive live). A task that
 * throws rejects with a {@linkcode ProcessError}; a worker that dies during a
 * task (terminated, crashed, `process.exit()`, out of memory) rejects that
 * task with a {@linkcode WorkerExitError} and is replaced, and the other
 * tasks go on. `close()` then `join()` (or `await using`) ends it.
 *
 * @example Squares on every core
 * ```ts ignore
 * import { Pool } from "@sabkit/sabkit";
 * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
 * console.log(await pool.map("square", [1, 2, 3])); // [1, 4, 9]
 * console.log(await pool.apply("add", [2, 3])); // 5
 * // tasks.ts: export const square = (x: number) => x * x;
 * //           export const add = (a: number, b: number) => a + b;
 * ```
 */
export class Pool {
  readonly #core: PoolCore;
  readonly #name: string;
  readonly #processes: number;

  /**
   * Starts the workers.
   *
   * @param module The task module (a URL): its exports are the tasks.
   * @param options `processes`, `initializer`, `initargs`, `maxtasksperchild`, `name`, `bootstrap`.
   * @throws {TypeError} If `module` is not a URL or an option has the wrong type.
   * @throws {RangeError} If `processes` or `maxtasksperchild` is not a positive integer.
   *
   * @example Two workers, each set up once
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url), {
   *   processes: 2,
   *   initializer: "setup",
   *   initargs: ["config"],
   *   maxtasksperchild: 1000,
   * });
   * pool.close();
   * await pool.join();
   * ```
   */
  constructor(module: URL | string, options: PoolOptions = {}) {
    let url: URL;
    try {
      url = typeof module === "string" ? new URL(module) : module;
    } catch {
      throw new TypeError(
        `The pool module must be a URL, got ${
          describe(module)
        } (resolve a path with new URL(path, import.meta.url))`,
      );
    }
    if (!(url instanceof URL)) throw new TypeError(`The pool module must be a URL, got ${describe(module)}`);
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new TypeError(`The options of new Pool() must be an object, got ${describe(options)}`);
    }
    const {
      initializer,
      initargs = [],
      maxtasksperchild,
      name = `Pool-${++counter}`,
      bootstrap,
      resourceLimits,
      workerModule,
    } = options;
    let loop: URL;
    try {
      loop = workerModule === undefined ? workerUrl() : new URL(workerModule);
    } catch {
      throw new TypeError(
        `The workerModule option of new Pool() must be a URL, got ${describe(workerModule)}`,
      );
    }
    const processes = options.processes === undefined ? cpuCount() : count(options.processes, "processes", 1);
    const maxtasks = maxtasksperchild === undefined || maxtasksperchild === null
      ? 0
      : count(maxtasksperchild, "maxtasksperchild", 1);
    if (initializer !== undefined && typeof initializer !== "string") {
      throw new TypeError(
        `The initializer option of new Pool() must be an export name, got ${describe(initializer)}`,
      );
    }
    if (!Array.isArray(initargs)) {
      throw new TypeError(`The initargs option of new Pool() must be an array, got ${describe(initargs)}`);
    }
    if (typeof name !== "string") {
      throw new TypeError(`The name option of new Pool() must be a string, got ${describe(name)}`);
    }
    this.#name = name;
    this.#processes = processes;
    this.#core = new PoolCore({
      url,
      processes,
      initializer,
      initargs: [...initargs],
      maxtasks,
      name,
      bootstrap,
      start: (workerName, args, boot) =>
        new Process(loop, { name: workerName, args, bootstrap: boot, resourceLimits }).start(),
    });
  }

  /**
   * The pool's name.
   *
   * @example Named workers
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url), { name: "resize" });
   * console.assert(pool.name === "resize");
   * pool.terminate();
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * How many workers the pool keeps running.
   *
   * @example The default: one per core
   * ```ts ignore
   * import { cpuCount, Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * console.assert(pool.processes === cpuCount());
   * pool.terminate();
   * ```
   */
  get processes(): number {
    return this.#processes;
  }

  #checkOpen(what: string): void {
    const c = this.#core;
    if (c.state !== RUNNING) {
      throw new Error(`Pool.${what}() on a pool that was ${c.state === CLOSED ? "closed" : "terminated"}`);
    }
  }

  /** A job of `kind` (`APPLY`, `MAP`, `STARMAP`) calling `name`, settled through `settle`. */
  #job(kind: number, name: string, payload: unknown[], settle: Job["settle"]): Job {
    return { kind, name, payload, settle, state: 0, index: 0 };
  }

  /**
   * Runs one call of the export `name` in a worker. On an idle pool the
   * calling thread waits a moment for the answer (a spin of at most 30 µs
   * while such spins pay off, then, while answers came within 1 ms lately,
   * a sleep of at most 1 ms), so a task answered at once costs microseconds,
   * not an event-loop turn; a slow task stops the sleeps after once.
   *
   * @param name The export to call.
   * @param args Its arguments (default `[]`).
   * @param options `signal` and `timeout` (ms).
   * @returns The call's result (awaited in the worker when it is a promise).
   * @throws {ProcessError} If the call threw (its name, message and stack).
   * @throws {WorkerExitError} If its worker died during the call.
   * @throws {TimeoutError} If `timeout` passed first.
   * @throws {Error} If the pool was closed or terminated.
   *
   * @example With a deadline
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * const sum = await pool.apply("add", [1, 2], { timeout: 1000 });
   * ```
   */
  apply<R = unknown>(name: string, args: readonly unknown[] = [], options?: ApplyOptions): Promise<R> {
    checkName(name, "Pool.apply");
    if (!Array.isArray(args)) {
      throw new TypeError(`The args of Pool.apply() must be an array, got ${describe(args)}`);
    }
    const { signal, timeout } = waitOptions(options, "Pool.apply");
    if (timeout !== undefined && (typeof timeout !== "number" || Number.isNaN(timeout))) {
      throw new TypeError(
        `The timeout option of Pool.apply() must be a number of milliseconds, got ${describe(timeout)}`,
      );
    }
    this.#checkOpen("apply");
    if (signal?.aborted) return Promise.reject(signal.reason);
    const core = this.#core;
    return new Promise<R>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const job = this.#job(APPLY, name, args as unknown[], (result, error) => {
        if (timer !== undefined) clearTimeout(timer);
        if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
        if (error === undefined) resolve(result as R);
        else reject(error);
      });
      if (signal !== undefined) {
        onAbort = () => core.cancel(job, signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      }
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(
          () => core.cancel(job, new TimeoutError(`Pool.apply("${name}") timed out after ${timeout} ms`)),
          Math.max(0, timeout),
        );
      }
      core.submit(job);
    });
  }

  /**
   * Calls `name` with each item, in workers, and returns the results in order
   * (Python's `Pool.map`). Items go in chunks of `chunksize`; the first error
   * (in item order) rejects the call.
   *
   * @param name The export to call with each item.
   * @param items The items.
   * @param options `chunksize` and `signal`.
   * @returns The results, in the items' order.
   * @throws {ProcessError} If a call threw.
   * @throws {WorkerExitError} If a worker died during one.
   *
   * @example Squares
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * const squares = await pool.map("square", Array.from({ length: 1000 }, (_, i) => i), { chunksize: 100 });
   * ```
   */
  map<R = unknown>(name: string, items: Iterable<unknown>, options?: MapOptions): Promise<R[]> {
    return this.#mapAll("map", name, items, options, false);
  }

  /**
   * As {@linkcode Pool.map}, with each item a list of arguments (Python's `starmap`).
   *
   * @param name The export to call.
   * @param items Argument lists.
   * @param options `chunksize` and `signal`.
   * @returns The results, in order.
   * @throws {TypeError} If an item is not an array.
   *
   * @example Sums of pairs
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * console.log(await pool.starmap("add", [[1, 2], [3, 4]])); // [3, 7]
   * ```
   */
  starmap<R = unknown>(
    name: string,
    items: Iterable<readonly unknown[]>,
    options?: MapOptions,
  ): Promise<R[]> {
    return this.#mapAll("starmap", name, items, options, true);
  }

  /** Checks the arguments (throwing at once), then runs the whole map. */
  #mapAll<R>(
    what: string,
    name: string,
    items: Iterable<unknown>,
    options: MapOptions | undefined,
    star: boolean,
  ): Promise<R[]> {
    checkName(name, `Pool.${what}`);
    checkIterable(items, `Pool.${what}`);
    const { chunksize, signal } = mapOptions(options, `Pool.${what}`);
    this.#checkOpen(what);
    return this.#collect<R>(what, name, Array.from(items), chunksize, signal, star);
  }

  async #collect<R>(
    what: string,
    name: string,
    list: unknown[],
    chunksize: number | undefined,
    signal: AbortSignal | undefined,
    star: boolean,
  ): Promise<R[]> {
    // Python's default: about four chunks per worker.
    const size = chunksize ?? Math.max(1, Math.ceil(list.length / (this.#processes * 4)));
    const out: R[] = new Array(list.length);
    const chunks = this.#run(what, name, list, size, signal, star, true, Infinity);
    for await (const [at, values] of chunks) {
      for (let k = 0; k < values.length; k++) out[at + k] = values[k] as R;
    }
    return out;
  }

  /**
   * Calls `name` with each item and yields the results in order as they
   * come (Python's `imap`): items are read as results are consumed, a few
   * chunks ahead, so the items may be endless.
   *
   * @param name The export to call.
   * @param items The items.
   * @param options `chunksize` (default 1) and `signal`.
   * @returns An async iterable of the results, in order.
   *
   * @example Streaming results
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * for await (const sq of pool.imap("square", [1, 2, 3])) console.log(sq);
   * ```
   */
  imap<R = unknown>(name: string, items: Iterable<unknown>, options?: MapOptions): AsyncIterableIterator<R> {
    return this.#iterate<R>("imap", name, items, options, true);
  }

  /**
   * As {@linkcode Pool.imap}, yielding each result as soon as its task is done
   * (Python's `imap_unordered`).
   *
   * @param name The export to call.
   * @param items The items.
   * @param options `chunksize` (default 1) and `signal`.
   * @returns An async iterable of the results, in completion order.
   *
   * @example First done, first seen
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * for await (const r of pool.imapUnordered("slowSquare", [3, 1, 2])) console.log(r);
   * ```
   */
  imapUnordered<R = unknown>(
    name: string,
    items: Iterable<unknown>,
    options?: MapOptions,
  ): AsyncIterableIterator<R> {
    return this.#iterate<R>("imapUnordered", name, items, options, false);
  }

  #iterate<R>(
    what: string,
    name: string,
    items: Iterable<unknown>,
    options: MapOptions | undefined,
    ordered: boolean,
  ): AsyncIterableIterator<R> {
    checkName(name, `Pool.${what}`);
    const iterator = checkIterable(items, `Pool.${what}`)[Symbol.iterator]();
    const { chunksize = 1, signal } = mapOptions(options, `Pool.${what}`);
    this.#checkOpen(what);
    const chunks = this.#run(what, name, iterator, chunksize, signal, false, ordered, this.#processes * 4);
    return (async function* () {
      for await (const [, values] of chunks) yield* values as R[];
    })();
  }

  /**
   * Submits chunks of `items` (at most `window` unfinished) and yields
   * `[offset, values]` per chunk, in order or as done. The first error ends
   * it; leaving early (or the error) cancels the chunks still pending.
   */
  async *#run(
    what: string,
    name: string,
    items: Iterator<unknown> | unknown[],
    chunksize: number,
    signal: AbortSignal | undefined,
    star: boolean,
    ordered: boolean,
    window: number,
  ): AsyncGenerator<[number, unknown[]], void, undefined> {
    const core = this.#core;
    interface Chunk {
      job: Job;
      at: number;
      values?: unknown[];
      error?: Error;
    }
    const live: Chunk[] = [];
    const done: Chunk[] = [];
    let wakeUp: (() => void) | undefined;
    let read = 0;
    let exhausted = false;
    let failed: Error | undefined;
    const onAbort = (): void => {
      failed ??= signal!.reason;
      for (const c of live) core.cancel(c.job, signal!.reason);
    };
    const fill = (): void => {
      while (!exhausted && live.length < window && failed === undefined) {
        let calls: unknown[];
        if (Array.isArray(items)) {
          // An array (map, starmap): chunks are slices, no iterator step per item.
          calls = items.slice(read, read + chunksize);
          if (read + calls.length >= items.length) exhausted = true;
        } else {
          calls = [];
          while (calls.length < chunksize) {
            const r = items.next();
            if (r.done) {
              exhausted = true;
              break;
            }
            calls.push(r.value);
          }
        }
        if (star) {
          for (const c of calls) {
            if (!Array.isArray(c)) {
              throw new TypeError(
                `Each item of Pool.${what}() must be an array of arguments, got ${describe(c)}`,
              );
            }
          }
        }
        if (calls.length === 0) break;
        const chunk: Chunk = { at: read, job: undefined as unknown as Job };
        read += calls.length;
        chunk.job = this.#job(star ? STARMAP : MAP, name, calls, (values, error) => {
          chunk.values = (values as unknown[] | undefined) ?? [];
          chunk.error = error;
          done.push(chunk);
          wakeUp?.();
        });
        live.push(chunk);
        if (core.state === TERMINATED) {
          core.cancel(chunk.job, new WorkerExitError(`Pool.${what}(): the pool was terminated`, -15));
        } else {
          core.submit(chunk.job);
        }
      }
    };
    if (signal !== undefined) {
      if (signal.aborted) throw signal.reason;
      signal.addEventListener("abort", onAbort, { once: true });
    }
    try {
      fill();
      while (live.length > 0) {
        const next = ordered ? live[0] : done[0];
        if (next === undefined || next.job.state !== 2) {
          await new Promise<void>((r) => (wakeUp = r));
          wakeUp = undefined;
          continue;
        }
        live.splice(live.indexOf(next), 1);
        const i = done.indexOf(next);
        if (i >= 0) done.splice(i, 1);
        if (failed !== undefined) throw failed;
        if (next.error !== undefined) {
          // The chunk's results before its failing call come first.
          if (next.values!.length > 0) yield [next.at, next.values!];
          throw next.error;
        }
        fill();
        yield [next.at, next.values!];
      }
      if (failed !== undefined) throw failed;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // Left early (or failed): queued chunks are dropped, running ones finish (as Python's imap).
      for (const c of live) core.cancel(c.job, new Error(`Pool.${what}() was left before its end`), false);
    }
  }

  /**
   * Takes no more tasks; the workers end once every task submitted is done
   * (Python's `close`). Then `join()` waits for them.
   *
   * @example Closing, then waiting
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * const r = pool.apply("add", [1, 2]);
   * pool.close();
   * await pool.join();
   * console.log(await r); // 3
   * ```
   */
  close(): void {
    this.#core.close();
  }

  /**
   * Stops every worker now (Python's `terminate`): tasks not yet done reject
   * with a {@linkcode WorkerExitError} (exit code -15). On Deno a worker busy
   * in plain JavaScript stops only once its task returns to the event loop.
   *
   * @example Giving up
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * pool.terminate();
   * await pool.join();
   * ```
   */
  terminate(): void {
    this.#core.terminate(new WorkerExitError(`The pool ${this.#name} was terminated`, -15));
  }

  /**
   * Waits until every worker has ended, after `close()` (all tasks done) or
   * `terminate()`.
   *
   * @returns A promise that resolves once no worker runs.
   * @throws {Error} If the pool is still running (neither closed nor terminated).
   *
   * @example After close
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * const pool = new Pool(new URL("./tasks.ts", import.meta.url));
   * pool.close();
   * await pool.join();
   * ```
   */
  join(): Promise<void> {
    if (this.#core.state === RUNNING && this.#core.broken === undefined) {
      return Promise.reject(new Error("Pool.join() on a running pool: call close() or terminate() first"));
    }
    return this.#core.join();
  }

  /**
   * `close()`, then `join()`: what `await using` calls.
   *
   * @example Scoped
   * ```ts ignore
   * import { Pool } from "@sabkit/sabkit";
   * {
   *   await using pool = new Pool(new URL("./tasks.ts", import.meta.url));
   *   await pool.apply("add", [1, 2]);
   * } // closed and joined here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.join();
  }
}
