/**
 * Targets for scripts/faults_repro.ts: the snippets of the faults issue,
 * each a worker doing what the attacker's worker did.
 */
import { type Channel, type Lock, Process, type RLock, type Semaphore } from "../../mod.ts";

/** Issue bug 1: takes and releases the lock forever, counting in `n[0]`. */
export function hammer(lock: Lock, n: Int32Array): void {
  for (;;) {
    lock.acquire();
    n[0]++;
    lock.release();
  }
}

/** `hammer` for an RLock, entered twice: a kill may land at either depth. */
export function hammerTwice(lock: RLock, n: Int32Array): void {
  for (;;) {
    lock.acquire();
    lock.acquire();
    n[0]++;
    lock.release();
    lock.release();
  }
}

/** Issue bug 2: an aborted acquireAsync, then a release 300 ms later; the worker then ends. */
export async function abortThenRelease(sem: Semaphore, flags: Int32Array): Promise<void> {
  const ac = new AbortController();
  const pending = sem.acquireAsync({ signal: ac.signal });
  ac.abort(new Error("aborted"));
  await pending.catch(() => {});
  Atomics.store(flags, 0, 1);
  await new Promise((r) => setTimeout(r, 300));
  sem.release();
}

/** Issue bug 3: takes the lock, then ends the worker itself. */
export function exitHolding(lock: Lock, how: string): void {
  lock.acquire();
  const g = globalThis as unknown as {
    process?: { exit(code: number): void };
    close?: () => void;
    Deno?: { exit(code: number): void };
  };
  if (how === "process.exit") g.process!.exit(3);
  else if (how === "Deno.exit") g.Deno!.exit(3);
  else g.close!();
}

/** Issue bug 4: receives as fast as it can, counting in `n[0]`, until the channel refuses. */
export function drain(ch: Channel, n: Int32Array): void {
  const buf = new Float64Array(1);
  while (ch.recvInto(buf) !== null) Atomics.add(n, 0, 1);
}

/** Issue bug 5: blocks in acquire on a held lock. */
export function block(lock: Lock, flags: Int32Array): void {
  Atomics.store(flags, 0, 1);
  lock.acquire();
}

/** Issue bug 11: a worker error with a huge message, or a huge name. */
export function huge(what: string): never {
  const e = new Error(what === "message" ? "m".repeat(100_000) : "short");
  if (what === "name") e.name = "N".repeat(20_000);
  throw e;
}

/** Issue bug 11: an uncaught error from a timer, with a two-line message. */
export function uncaught(): Promise<never> {
  setTimeout(() => {
    throw new TypeError("first line\nsecond line");
  }, 10);
  return new Promise(() => {});
}

/**
 * Issue bug 4 (Deno): plain JavaScript for `ms` after `flags[0]` is raised,
 * then a sabkit call, which must refuse once the process was terminated.
 * `flags[1]` counts the calls that went through.
 */
export function busyThenAcquire(lock: Lock, flags: Int32Array, ms: number): void {
  Atomics.store(flags, 0, 1);
  const end = performance.now() + ms;
  while (performance.now() < end) { /* plain JavaScript: no sabkit call */ }
  lock.acquire();
  Atomics.add(flags, 1, 1);
  lock.release();
}

/** Review F4: an uncaught error that the worker's own listener handles; the worker runs on and returns. */
export async function handledUncaught(flags: Int32Array): Promise<void> {
  const scope = globalThis as unknown as { addEventListener(t: string, f: (e: Event) => void): void };
  scope.addEventListener("error", (e) => e.preventDefault());
  scope.addEventListener("unhandledrejection", (e) => e.preventDefault());
  setTimeout(() => {
    throw new Error("handled by the worker");
  }, 0);
  void Promise.reject(new Error("handled rejection"));
  await new Promise((r) => setTimeout(r, 100));
  Atomics.store(flags, 0, 1);
}

/** Review F5: exit codes as Node reads them. */
export function exitWith(how: string): void {
  const p = (globalThis as unknown as { process: { exit(code?: unknown): void; exitCode?: number } }).process;
  if (how === "exitCode") {
    p.exitCode = 9;
    p.exit();
  } else p.exit("10");
}

/** Review F3, the grandchild: takes the lock, raises `flags[0]`, then waits for good. */
export async function holdForever(lock: Lock, flags: Int32Array): Promise<void> {
  lock.acquire();
  Atomics.store(flags, 0, 1);
  await new Promise(() => {});
}

/**
 * Review F3, the middle worker: starts a worker that takes `lock`, then
 * returns (`how` "return") or waits to be terminated.
 */
export async function nestedHolder(lock: Lock, flags: Int32Array, how: string): Promise<void> {
  new Process(new URL(import.meta.url), { exportName: "holdForever", args: [lock, flags] }).start();
  while (Atomics.load(flags, 0) === 0) await new Promise((r) => setTimeout(r, 1));
  Atomics.store(flags, 1, 1);
  if (how !== "return") await new Promise(() => {});
}
