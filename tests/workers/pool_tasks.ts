/** Tasks for tests/pool_test.ts. */

let base = 0;
let calls = 0;
let counts: Int32Array | undefined;

export function add(a: number, b: number): number {
  return a + b;
}

export function square(x: number): number {
  return x * x;
}

export async function slowSquare(x: number, ms = x): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return x * x;
}

export function fails(message: string): never {
  throw new RangeError(message);
}

export function failsAt(x: number, bad: number): number {
  if (x === bad) throw new RangeError(`bad item ${x}`);
  return x * 2;
}

export function setup(b: number, shared?: Int32Array): void {
  base = b;
  counts = shared;
}

/** Counts a call of item `i` in the shared array the initializer got, then returns `i`. */
export function mark(i: number, ms = 0): Promise<number> | number {
  Atomics.add(counts!, i, 1);
  return ms > 0 ? new Promise((r) => setTimeout(() => r(i), ms)) : i;
}

/** Throws during setup. */
export function badSetup(): void {
  throw new SyntaxError("setup failed");
}

export function withBase(x: number): number {
  return base + x;
}

/** How many calls this worker has run (maxtasksperchild gives fresh workers). */
export function callCount(): number {
  return ++calls;
}

export function exitWith(code: number): void {
  (globalThis as unknown as { process: { exit(c: number): never } }).process.exit(code);
}

/** Throws from a timer, so the worker dies of an uncaught error while the task waits. */
export function crashLater(): Promise<never> {
  setTimeout(() => {
    throw new Error("uncaught in a timer");
  }, 1);
  return new Promise(() => {});
}

/** Never returns to the event loop until `ms` pass (a busy task). */
export function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

/** Waits forever (a hung task), returning to the event loop. */
export function hang(): Promise<never> {
  return new Promise(() => {});
}

/** Allocates until the heap limit (resourceLimits) kills the worker. */
export function oom(): number {
  const hold: number[][] = [];
  for (;;) hold.push(new Array(1e6).fill(1));
}

/** The worker's name: the web `name` (Deno), else `worker_threads`' `threadName` (Node, Bun). */
export function name(): string {
  const web = (globalThis as { name?: string }).name;
  if (typeof web === "string" && web !== "") return web;
  const p =
    (globalThis as { process?: { getBuiltinModule?: (m: string) => { threadName?: string } } }).process;
  return p?.getBuiltinModule?.("node:worker_threads")?.threadName ?? "";
}

/** Doubles `x`; throws from `limit` on. */
export function upTo(x: number, limit = 37): number {
  if (x >= limit) throw new RangeError(`over the limit: ${x}`);
  return 2 * x;
}

export function echo<T>(x: T): T {
  return x;
}

/** Counts a call of item `i`, spins `us` microseconds, returns `i`. */
export function markSpin(i: number, us: number): number {
  Atomics.add(counts!, i, 1);
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
  return i;
}

/** Adds 1 to every element of a shared array, under `lock`; returns the array and a new shared one. */
export function bumpShared(
  lock: { acquire(): boolean; release(): void },
  xs: Int32Array,
): { same: Int32Array; made: Int32Array } {
  lock.acquire();
  try {
    for (let i = 0; i < xs.length; i++) xs[i]++;
  } finally {
    lock.release();
  }
  const made = new Int32Array(new SharedArrayBuffer(8));
  made[0] = 7;
  return { same: xs, made };
}

/** Counts a call of item `i` (its first element), and returns a copy as large as the argument. */
export function markBig(xs: number[]): number[] {
  Atomics.add(counts!, xs[0], 1);
  return xs.slice();
}

/** The initializer of tests/pool_killpoints_test.ts: `control` is the kill point's; `shared` counts calls. */
export function setupKillpoint(_control: Int32Array, shared: Int32Array): void {
  counts = shared;
}
