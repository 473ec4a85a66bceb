/**
 * `Process`: Python's `multiprocessing.Process`, on a worker thread.
 *
 * @module
 */

import { domainBuffer, drawId, markExited, recordChild } from "../core/_agent.ts";
import {
  errorRecord,
  EXIT_CODE,
  newControl,
  readError,
  type StartMessage,
  STATE,
  STATE_EXITED,
  STATE_FAILED,
  STATE_RETURNED,
  STATE_STOPPED,
  STOP,
  type StopMessage,
} from "./_control.ts";
import { describe } from "../core/_describe.ts";
import { deadlineOf, forgetAbandoned, waitAsync } from "../core/_wait.ts";
import {
  reportsExit,
  type ResourceLimits,
  spawn,
  type SpawnedWorker,
  terminateStopsAtOnce,
} from "../runtime/mod.ts";

export type { ResourceLimits } from "../runtime/mod.ts";

/** The exit code of a terminated process, as Python reports it: `-SIGTERM`. */
const TERMINATED = -15;

/**
 * Options of {@linkcode Process}.
 *
 * @example Arguments, a name and another export
 * ```ts
 * import { Process } from "@sabkit/sabkit";
 * const p = new Process(new URL("./tasks.ts", import.meta.url), {
 *   args: [1, 2],
 *   name: "adder",
 *   exportName: "add",
 * });
 * console.assert(p.name === "adder");
 * ```
 */
export interface ProcessOptions {
  /** Arguments for the target; sabkit objects arrive revived. Default `[]`. */
  args?: readonly unknown[];
  /** A name for the process and its worker thread. Default `Process-N`. */
  name?: string;
  /** Which export of the module to call. Default `"default"`. */
  exportName?: string;
  /**
   * The URL of sabkit's worker bootstrap, the first module of every process
   * worker. Default: found beside this module, as published. A bundler moves
   * this module, so a bundled program makes the bootstrap an entry of its own
   * (`dist/src/runtime/bootstrap.js` of the npm package, `src/runtime/bootstrap.ts`
   * of the sources; with code splitting, so that it and the worker modules share
   * one copy of sabkit) and passes the URL of its output here.
   */
  bootstrap?: URL | string;
  /**
   * Node only (other runtimes ignore it): the worker's memory limits; a
   * worker that reaches one ends, and `join()` rejects with its
   * out-of-memory error.
   */
  resourceLimits?: ResourceLimits;
}

/**
 * The error `join()` rejects with when the worker's target threw: it carries
 * the worker's error name, message and stack.
 *
 * @example Reporting a worker's failure
 * ```ts ignore
 * import { Process, ProcessError } from "@sabkit/sabkit";
 * const p = new Process(new URL("../task.ts", import.meta.url)).start();
 * try {
 *   await p.join();
 * } catch (e) {
 *   if (e instanceof ProcessError) console.error(e.remoteName, e.message, e.stack);
 * }
 * ```
 */
export class ProcessError extends Error {
  /**
   * The `name` of the error thrown in the worker.
   *
   * @example Telling what the target threw
   * ```ts
   * import { ProcessError } from "@sabkit/sabkit";
   * const e = new ProcessError("RangeError", "index 9 out of range");
   * console.assert(e.name === "ProcessError" && e.remoteName === "RangeError");
   * ```
   */
  readonly remoteName: string;
  /**
   * Creates the error from the worker's report.
   *
   * @example The error a failed target becomes
   * ```ts
   * import { ProcessError } from "@sabkit/sabkit";
   * const e = new ProcessError("TypeError", "x is not a function");
   * console.assert(e.message === "x is not a function" && e.remoteName === "TypeError");
   * ```
   */
  constructor(name: string, message: string, stack?: string) {
    super(message);
    this.name = "ProcessError";
    this.remoteName = name;
    if (stack !== undefined) this.stack = stack;
  }
}

let counter = 0;

function parseUrl(module: string, what = "process module"): URL {
  try {
    return new URL(module);
  } catch {
    throw new TypeError(
      `The ${what} must be a URL, got ${
        describe(module)
      } (resolve a path with new URL(path, import.meta.url))`,
    );
  }
}

function bootstrapUrl(): URL {
  // The npm build renames modules to .js; the URL must follow.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  return new URL(`../runtime/bootstrap.${ext}`, import.meta.url);
}

/**
 * Runs a module's export in a new worker, as Python's `Process(target, args)`.
 * The module's default export (or `exportName`) is called with the revived
 * `args` and awaited; `join()` then resolves with the exit code.
 *
 * @example Sharing a lock with a worker
 * ```ts ignore
 * import { Lock, Process } from "@sabkit/sabkit";
 * const lock = new Lock();
 * const p = new Process(new URL("../worker.ts", import.meta.url), { args: [lock] }).start();
 * console.log(await p.join()); // 0
 * // worker.ts: export default function (lock: Lock) { using _ = lock.guard(); }
 * ```
 */
export class Process {
  #url: URL;
  #bootstrap: URL | undefined;
  #resourceLimits: ResourceLimits | undefined;
  #args: readonly unknown[];
  #exportName: string;
  #name: string;
  #worker: SpawnedWorker | undefined;
  #control: Int32Array = newControl();
  #exitCode: number | null = null;
  #error: ProcessError | undefined;
  #uncaught: unknown;
  #exited: Promise<void> | undefined;
  #agent = 0;
  #onExit: () => void = () => {};
  /** The worker's state when `terminate()` was called (-1: not called). */
  #stateAtTerminate = -1;

  /**
   * Describes the process; nothing runs until `start()`.
   *
   * @param module The worker module (a URL, or a string resolved as a URL).
   * @param options `args`, `name`, `exportName`, `bootstrap`.
   * @throws {TypeError} If `module` (or `bootstrap`) is not a URL (or an absolute URL string), `options`
   * not an object or `args` not an array.
   *
   * @example Described, not yet started
   * ```ts
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url), { args: [1, 2], name: "adder" });
   * console.assert(p.name === "adder" && !p.alive && p.exitCode === null);
   * ```
   */
  constructor(module: URL | string, options: ProcessOptions = {}) {
    if (typeof module === "string") module = parseUrl(module);
    if (!(module instanceof URL)) {
      throw new TypeError(`The process module must be a URL, got ${describe(module)}`);
    }
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      // An array here is Python's Process(target, args) habit: the args would be lost.
      throw new TypeError(
        `The options of a Process must be an object such as { args: [...] }, got ${describe(options)}`,
      );
    }
    const { args = [], name = `Process-${++counter}`, exportName = "default", bootstrap, resourceLimits } =
      options;
    if (resourceLimits !== undefined && (typeof resourceLimits !== "object" || resourceLimits === null)) {
      throw new TypeError(`The resourceLimits must be an object, got ${describe(resourceLimits)}`);
    }
    this.#resourceLimits = resourceLimits;
    if (!Array.isArray(args)) throw new TypeError(`The args must be an array, got ${describe(args)}`);
    if (typeof name !== "string") throw new TypeError(`The name must be a string, got ${describe(name)}`);
    if (typeof exportName !== "string") {
      throw new TypeError(`The exportName must be a string, got ${describe(exportName)}`);
    }
    if (bootstrap !== undefined) {
      this.#bootstrap = typeof bootstrap === "string" ? parseUrl(bootstrap, "bootstrap") : bootstrap;
      if (!(this.#bootstrap instanceof URL)) {
        throw new TypeError(`The bootstrap must be a URL, got ${describe(bootstrap)}`);
      }
    }
    this.#url = module;
    this.#args = args;
    this.#name = name;
    this.#exportName = exportName;
  }

  /**
   * The process name.
   *
   * @example Default names
   * ```ts
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url));
   * console.assert(p.name.startsWith("Process-"));
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * `null` while running (or before `start()`); then 0, 1 after a throw, -15 after `terminate()`.
   *
   * @example After the target returned
   * ```ts ignore
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url)).start();
   * console.assert(p.exitCode === null);
   * await p.join();
   * console.log(p.exitCode); // 0
   * ```
   */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /**
   * Whether the process was started and has not ended.
   *
   * @example Alive between start and end
   * ```ts ignore
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url));
   * console.assert(!p.alive);
   * p.start();
   * console.log(p.alive); // true while the target runs
   * await p.join();
   * console.assert(!p.alive);
   * ```
   */
  get alive(): boolean {
    return this.#worker !== undefined && this.#exitCode === null;
  }

  /**
   * Starts the worker and hands it the target and args.
   *
   * @returns This process, for chaining.
   * @throws {Error} If the process was started already.
   * @throws {DataCloneError} If an argument cannot be posted.
   *
   * @example Start and join
   * ```ts ignore
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url), { args: [21] }).start();
   * console.log(await p.join()); // 0
   * ```
   */
  start(): this {
    if (this.#worker !== undefined) throw new Error(`Process ${this.#name} was started already`);
    this.#exited = new Promise((resolve) => (this.#onExit = resolve));
    const worker = spawn(this.#bootstrap ?? bootstrapUrl(), this.#name, {
      onError: (e) => {
        this.#uncaught ??= e;
        // Where no exit is reported (Deno, browsers), the error ended the worker's task: it runs no more
        // JavaScript, and terminate() keeps it from starting another. Elsewhere the exit report follows.
        if (!reportsExit) this.#end(1);
      },
      onExit: (code) => this.#finish(code),
    }, this.#resourceLimits);
    this.#worker = worker;
    const message: StartMessage = {
      sabkit: "start",
      url: this.#url.href,
      exportName: this.#exportName,
      args: [...this.#args],
      control: this.#control.buffer as SharedArrayBuffer,
      domain: domainBuffer(),
      agentId: this.#agent = drawId(),
    };
    // A worker's workers end with it: they are marked exited along with it.
    recordChild(this.#agent);
    try {
      worker.post(message);
    } catch (e) {
      // Nothing ran: the worker is stopped at once and the process counts as never started.
      worker.terminate();
      this.#worker = undefined;
      this.#exited = undefined;
      throw e;
    }
    if (!reportsExit) void this.#watch();
    return this;
  }

  /** Where the runtime reports no exit, the control block says when the worker is done. */
  async #watch(): Promise<void> {
    let state = Atomics.load(this.#control, STATE);
    while (state < STATE_RETURNED && this.#exitCode === null) {
      await waitAsync(this.#control, STATE, state, Infinity);
      state = Atomics.load(this.#control, STATE);
    }
    this.#end(1);
  }

  /** Stops what is left of the worker (it ran its last JavaScript) and reports its end. */
  #end(code: number): void {
    if (this.#exitCode !== null) return;
    this.#worker!.terminate();
    this.#finish(code);
  }

  /**
   * Reports the end of the worker, with the code the runtime gave (or a
   * fallback): what the worker recorded, if anything, comes first.
   */
  #finish(code: number): void {
    if (this.#exitCode !== null) return;
    const state = Atomics.load(this.#control, STATE);
    const terminated = this.#stateAtTerminate !== -1 && this.#stateAtTerminate < STATE_RETURNED;
    if (state === STATE_STOPPED || terminated) {
      // Whatever the target made of its TerminatedError, the process was terminated (Python: -SIGTERM).
      code = TERMINATED;
    } else if (state === STATE_RETURNED) {
      code = 0;
    } else if (state === STATE_EXITED) {
      // The runtime's own code where it reports one (it knows `process.exitCode` and the like).
      if (!reportsExit) code = Atomics.load(this.#control, EXIT_CODE);
    } else {
      // The target failed, or an uncaught error ended the worker: the worker's own record of it
      // first (bounded, the error's own text), else what the runtime reported.
      const r = readError(this.#control) ??
        (this.#uncaught !== undefined ? errorRecord(this.#uncaught) : undefined);
      if (state === STATE_FAILED || this.#uncaught !== undefined || (code !== 0 && r !== undefined)) {
        this.#error = new ProcessError(r?.name ?? "Error", r?.message ?? "The worker failed", r?.stack);
      }
    }
    this.#exitCode = this.#error !== undefined && code === 0 ? 1 : code;
    // Only now, when it can run no more JavaScript: locks it still holds report OwnerDiedError.
    markExited(this.#agent);
    forgetAbandoned(this.#control);
    // Ends #watch's wait (a pending wait holds a timer that would keep this thread's process alive).
    Atomics.notify(this.#control, STATE);
    this.#onExit();
  }

  /**
   * Waits for the process to end.
   *
   * @param timeout Milliseconds to wait at most. Default `Infinity`.
   * @returns The exit code, or `null` if it is still running after `timeout`.
   * @throws {ProcessError} If the target threw (message and stack from the worker).
   * @throws {Error} If the process was never started.
   *
   * @example Waiting at most a second
   * ```ts ignore
   * import { Process, ProcessError } from "@sabkit/sabkit";
   * const p = new Process(new URL("./worker.ts", import.meta.url)).start();
   * try {
   *   const code = await p.join(1000);
   *   if (code === null) console.log("still running");
   * } catch (e) {
   *   if (e instanceof ProcessError) console.log(`the target threw a ${e.remoteName}`);
   * }
   * ```
   */
  async join(timeout?: number): Promise<number | null> {
    const deadline = deadlineOf(timeout);
    if (this.#exited === undefined) throw new Error(`Process ${this.#name} was not started`);
    if (this.#exitCode === null && deadline !== Infinity) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((
        r,
      ) => (timer = setTimeout(r, Math.max(0, deadline - performance.now()))));
      await Promise.race([this.#exited, late]);
      clearTimeout(timer);
    } else {
      await this.#exited;
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#exitCode;
  }

  /**
   * Stops the worker, even while it is blocked in a sabkit wait; from now on
   * every sabkit call in the worker throws, so it takes nothing more. `join()`
   * then resolves with -15 (Python's `-SIGTERM`) once the worker has stopped.
   * On Deno a worker stops only when its running task returns to the event
   * loop (denoland/deno#35657): one that loops in plain JavaScript runs on,
   * and `join(timeout)` says so with `null` (`alive` stays true).
   *
   * @example Stopping a worker
   * ```ts ignore
   * import { Process } from "@sabkit/sabkit";
   * const p = new Process(new URL("./forever.ts", import.meta.url)).start();
   * p.terminate();
   * console.log(await p.join()); // -15
   * ```
   */
  terminate(): void {
    if (this.#worker === undefined || this.#exitCode !== null || this.#stateAtTerminate !== -1) return;
    this.#stateAtTerminate = Atomics.load(this.#control, STATE);
    Atomics.store(this.#control, STOP, 1);
    Atomics.notify(this.#control, STOP);
    if (terminateStopsAtOnce) {
      this.#worker.terminate();
      // Without an exit report (browsers), terminate() itself is the end.
      if (!reportsExit) this.#finish(TERMINATED);
    } else {
      // The worker confirms from its event loop (its running task has returned), then #watch ends it.
      const stop: StopMessage = { sabkit: "stop" };
      this.#worker.post(stop);
    }
  }
}

export { cpuCount } from "../runtime/mod.ts";
