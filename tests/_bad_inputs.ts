/**
 * The bad-input catalogue: every way we know to misuse the public API, what
 * it must throw, a message that names the offending value, and the shared
 * state that must be unchanged afterwards. `bad_input_test.ts` runs it;
 * `scripts/errors_table.ts` renders it as docs/errors.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as mp from "../mod.ts";
import { memoryOf, wordsOf } from "./_memory.ts";
import { runtime } from "./_util.ts";

/** One misuse. `S` is whatever `setup` builds for `call` and `state`. */
export interface BadInput<S = unknown> {
  /** The call, as the docs show it. */
  api: string;
  /** The bad input, in words or as code. */
  input: string;
  /** The class of the error: exactly this class, not a subclass. */
  error: new (...args: never[]) => Error;
  /** What the message must say: it names the offending value. */
  message: RegExp;
  /** Builds the objects involved, fresh for each run. */
  setup: () => S;
  /** The misuse; may return a promise that must reject. */
  call: (s: S) => unknown;
  /** The state that must be the same before and after `call` (deep equality). */
  state: (s: S) => unknown;
}

function bad<S>(c: BadInput<S>): BadInput {
  return c as unknown as BadInput;
}

/** For constructors, which have no state yet: the next object built by `make` must be sound. */
function fresh(make: () => object): () => unknown {
  return () => {
    const x = make();
    return [Object.getPrototypeOf(x)?.constructor?.name, memoryOf(x)];
  };
}

/** A lock look-alike that is not a sabkit lock; it counts the calls it gets. */
class FakeLock {
  calls = 0;
  acquire(): boolean {
    this.calls++;
    return true;
  }
  release(): void {
    this.calls++;
  }
}

/** The handle of a sabkit object as another thread receives it. */
function wireHandle(x: object): Record<string, unknown> {
  return (structuredClone(x) as unknown as { __sabkit: Record<string, unknown> }).__sabkit;
}

/** A Proxy every trap of which throws: sabkit must report the value, not the trap's error. */
function throwingProxy(): object {
  const trap = (): never => {
    throw new Error("a trap ran");
  };
  return new Proxy({}, {
    get: trap,
    getPrototypeOf: trap,
    getOwnPropertyDescriptor: trap,
    has: trap,
    ownKeys: trap,
    apply: trap,
  });
}

/** A clone of a sabkit object as another thread receives it, with its handle changed by `mutate`. */
function forged(x: object, mutate: (h: Record<string, unknown>) => void): unknown {
  const handle = wireHandle(x);
  mutate(handle);
  return { __sabkit: handle };
}

const URL_OK = new URL("./workers/nested.ts", import.meta.url);

// --- The simulated browser window (see tests/scripts/browser_window.ts) ---

interface WindowOutcome {
  name: string;
  message: string;
  unchanged: boolean;
}
let windowReport: { report: Record<string, WindowOutcome>; controls: Record<string, boolean> } | undefined;

/** Runs tests/scripts/browser_window.ts once (Node or Deno: Bun's global cannot be hidden). */
export function browserWindow(): NonNullable<typeof windowReport> {
  if (windowReport !== undefined) return windowReport;
  const path = fileURLToPath(new URL("./scripts/browser_window.ts", import.meta.url));
  const localNode = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  const exec = runtime === "bun" ? (existsSync(localNode) ? localNode : "node") : process.execPath;
  const args = runtime === "deno" ? ["run", "--no-check", "--allow-read", "--allow-env", path] : [path];
  const r = spawnSync(exec, args, { encoding: "utf8", timeout: 30000 });
  if (r.status !== 0) throw new Error(`browser_window.ts failed (${r.status}): ${r.stderr}${r.error ?? ""}`);
  windowReport = JSON.parse(r.stdout);
  return windowReport!;
}

const CLASSES: Record<string, new (message: string) => Error> = { TypeError, RangeError, Error };

/** A blocking call in the simulated browser window: rethrows what it threw there. */
function inWindow(call: string): BadInput {
  return bad({
    api: `${call}() in a browser window's main thread (simulated)`,
    input: "a blocking wait",
    error: TypeError,
    message: new RegExp(
      `${call.replace(".", "\\.")}\\(\\) would block.*use ${call.replace(".", "\\.")}Async\\(\\)`,
    ),
    setup: () => browserWindow().report[call],
    call: (outcome: WindowOutcome) => {
      const Class = CLASSES[outcome.name] ?? Error;
      throw new Class(outcome.unchanged ? outcome.message : `shared state changed: ${outcome.message}`);
    },
    state: () => null,
  });
}

/** The catalogue. */
/** A module URL for the Pool rows (never loaded: each row fails before a worker starts). */
const POOL_MODULE = new URL("./workers/pool_tasks.ts", import.meta.url);

export const BAD_INPUTS: BadInput[] = [
  // --- Typecodes and values ---
  bad({
    api: "Value(typecode)",
    input: `an unknown typecode "x"`,
    error: TypeError,
    message: /^Unknown typecode "x": expected one of b B h H i I l L q Q f d c u \?/,
    setup: () => null,
    call: () => mp.Value("x" as never),
    state: fresh(() => mp.Value("i", 1)),
  }),
  bad({
    api: "RawArray(typecode, size)",
    input: "a typecode that is not a string (5)",
    error: TypeError,
    message: /^Unknown typecode 5/,
    setup: () => null,
    call: () => mp.RawArray(5 as never, 3),
    state: fresh(() => mp.RawValue("d", 1)),
  }),
  bad({
    api: `Value("i", init)`,
    input: "a fractional number (1.5)",
    error: TypeError,
    message: /must be an integer number, got 1\.5/,
    setup: () => null,
    call: () => mp.Value("i", 1.5),
    state: fresh(() => mp.Value("i", 1)),
  }),
  bad({
    api: `Value("i", init)`,
    input: "out of range (2 ** 31)",
    error: RangeError,
    message: /must be between -2147483648 and 2147483647, got 2147483648/,
    setup: () => null,
    call: () => mp.Value("i", 2 ** 31),
    state: fresh(() => mp.Value("i", 1)),
  }),
  bad({
    api: `RawValue("B", init)`,
    input: "negative for an unsigned code (-1)",
    error: RangeError,
    message: /between 0 and 255, got -1/,
    setup: () => null,
    call: () => mp.RawValue("B", -1),
    state: fresh(() => mp.RawValue("B", 1)),
  }),
  bad({
    api: `Value("q", init)`,
    input: "a number for a bigint code (5)",
    error: TypeError,
    message: /must be a bigint, got 5$/,
    setup: () => null,
    call: () => mp.Value("q", 5 as never),
    state: fresh(() => mp.Value("q", 1n)),
  }),
  bad({
    api: `Value("i", init)`,
    input: "a bigint for a number code (5n)",
    error: TypeError,
    message: /must be an integer number, got 5n/,
    setup: () => null,
    call: () => mp.Value("i", 5n as never),
    state: fresh(() => mp.Value("i", 1)),
  }),
  bad({
    api: `Value("Q", init)`,
    input: "out of range (2n ** 64n)",
    error: RangeError,
    message: /got 18446744073709551616n/,
    setup: () => null,
    call: () => mp.Value("Q", 2n ** 64n),
    state: fresh(() => mp.Value("Q", 1n)),
  }),
  bad({
    api: `Value("c", init)`,
    input: `a string of two characters ("ab")`,
    error: TypeError,
    message: /1-character string \(one byte, U\+0000 to U\+00FF\), got "ab"/,
    setup: () => null,
    call: () => mp.Value("c", "ab"),
    state: fresh(() => mp.Value("c", "a")),
  }),
  bad({
    api: `Value("c", init)`,
    input: `a character that is not one byte ("€")`,
    error: TypeError,
    message: /character from U\+0000 to U\+00FF \(one byte\), got "€" \(U\+20AC\).*TextEncoder.*\.raw/,
    setup: () => null,
    call: () => mp.Value("c", "€"),
    state: fresh(() => mp.Value("c", "a")),
  }),
  bad({
    api: `Value("u", init)`,
    input: `two UTF-16 code units ("😀")`,
    error: TypeError,
    message: /1-character string \(one UTF-16 code unit\), got "😀"/,
    setup: () => null,
    call: () => mp.Value("u", "😀"),
    state: fresh(() => mp.Value("u", "a")),
  }),
  bad({
    api: `Value("?", init)`,
    input: "a number for a boolean (1)",
    error: TypeError,
    message: /must be a boolean, got 1$/,
    setup: () => null,
    call: () => mp.Value("?", 1 as never),
    state: fresh(() => mp.Value("?", true)),
  }),
  bad({
    api: "RawValue.value =",
    input: `a string for "d" ("1.5")`,
    error: TypeError,
    message: /RawValue\("d"\) must be a number, got "1\.5"/,
    setup: () => mp.RawValue("d", 2.5),
    call: (v) => (v.value = "1.5" as never),
    state: (v) => [v.value, memoryOf(v)],
  }),
  bad({
    api: "SynchronizedValue.value =",
    input: `out of range for "h" (40000)`,
    error: RangeError,
    message: /between -32768 and 32767, got 40000/,
    setup: () => mp.Value("h", 7),
    call: (v) => (v.value = 40000),
    state: (v) => [v.value, v.getLock().locked(), memoryOf(v)],
  }),
  // --- The lock option ---
  bad({
    api: "Value(typecode, init, { lock })",
    input: "a look-alike lock that is not a sabkit lock",
    error: TypeError,
    message: /lock of Value\("i"\) must be a boolean, a Lock or an RLock, got a FakeLock/,
    setup: () => new FakeLock(),
    call: (fake) => mp.Value("i", 0, { lock: fake as never }),
    state: (fake) => fake.calls,
  }),
  bad({
    api: "SharedArray(typecode, size, { lock })",
    input: "a Semaphore",
    error: TypeError,
    message: /lock of SharedArray\("d"\) must be a boolean, a Lock or an RLock, got a Semaphore/,
    setup: () => new mp.Semaphore(1),
    call: (sem) => mp.SharedArray("d", 4, { lock: sem as never }),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "Value(typecode, init, options)",
    input: "options that are not an object (5)",
    error: TypeError,
    message: /options of Value\("i"\) must be an object, got 5/,
    setup: () => null,
    call: () => mp.Value("i", 0, 5 as never),
    state: fresh(() => mp.Value("i", 1)),
  }),
  bad({
    api: "synchronized(obj, lock)",
    input: "a look-alike lock",
    error: TypeError,
    message: /lock of a SynchronizedArray must be a Lock or an RLock, got a FakeLock/,
    setup: () => ({ raw: mp.RawArray("i", [1, 2]), fake: new FakeLock() }),
    call: ({ raw, fake }) => mp.synchronized(raw, fake as never),
    state: ({ raw, fake }) => [fake.calls, memoryOf(raw)],
  }),
  bad({
    api: "synchronized(obj)",
    input: "a typed array that is not shared",
    error: TypeError,
    message: /wraps a typed array on a SharedArrayBuffer, got a Float64Array/,
    setup: () => new Float64Array([1, 2]),
    call: (a) => mp.synchronized(a as never),
    state: (a) => [...a],
  }),
  bad({
    api: "copy(obj)",
    input: `neither shared data nor a typed array ("x")`,
    error: TypeError,
    message: /copy\(\) takes shared data or a typed array with a typecode, got "x"/,
    setup: () => null,
    call: () => mp.copy("x" as never),
    state: fresh(() => mp.RawValue("i", 1)),
  }),
  // --- Sizes and contents ---
  bad({
    api: "SharedArray(typecode, size)",
    input: "a negative size (-1)",
    error: RangeError,
    message: /size of SharedArray\("i"\) must be an integer from 0 to 4294967295, got -1/,
    setup: () => null,
    call: () => mp.SharedArray("i", -1),
    state: fresh(() => mp.SharedArray("i", 2)),
  }),
  bad({
    api: "SharedArray(typecode, size)",
    input: "a fractional size (1.5)",
    error: RangeError,
    message: /got 1\.5/,
    setup: () => null,
    call: () => mp.SharedArray("i", 1.5),
    state: fresh(() => mp.SharedArray("i", 2)),
  }),
  bad({
    api: "RawArray(typecode, size)",
    input: "NaN",
    error: RangeError,
    message: /size of RawArray\("d"\) must be an integer from 0 to 4294967295, got NaN/,
    setup: () => null,
    call: () => mp.RawArray("d", NaN),
    state: fresh(() => mp.RawArray("d", 2)),
  }),
  bad({
    api: "RawArray(typecode, size)",
    input: "a huge size (2 ** 40)",
    error: RangeError,
    message: /got 1099511627776/,
    setup: () => null,
    call: () => mp.RawArray("b", 2 ** 40),
    state: fresh(() => mp.RawArray("b", 2)),
  }),
  bad({
    api: "SharedArray(typecode, contents)",
    input: `a string for a number array ("12")`,
    error: TypeError,
    message: /SharedArray\("i"\) cannot be made from a string \(only c and u arrays can\), got "12"/,
    setup: () => null,
    call: () => mp.SharedArray("i", "12" as never),
    state: fresh(() => mp.SharedArray("i", 2)),
  }),
  bad({
    api: "SharedArray(typecode, contents)",
    input: "null",
    error: TypeError,
    message: /needs a size or initial contents, got null/,
    setup: () => null,
    call: () => mp.SharedArray("i", null as never),
    state: fresh(() => mp.SharedArray("i", 2)),
  }),
  bad({
    api: "SharedArray(typecode, contents)",
    input: `an element of the wrong kind ([1, "2"])`,
    error: TypeError,
    message: /Element 1 of SharedArray\("i"\) must be an integer number, got "2"/,
    setup: () => null,
    call: () => mp.SharedArray("i", [1, "2"] as never),
    state: fresh(() => mp.SharedArray("i", 2)),
  }),
  bad({
    api: "RawArray(typecode, contents)",
    input: `a number for a bigint code ([1])`,
    error: TypeError,
    message: /Element 0 of RawArray\("q"\) must be a bigint, got 1/,
    setup: () => null,
    call: () => mp.RawArray("q", [1] as never),
    state: fresh(() => mp.RawArray("q", 2)),
  }),
  bad({
    api: "RawArray(typecode, contents)",
    input: "an element out of range ([127, 128])",
    error: RangeError,
    message: /Element 1 of RawArray\("b"\) must be between -128 and 127, got 128/,
    setup: () => null,
    call: () => mp.RawArray("b", [127, 128]),
    state: fresh(() => mp.RawArray("b", 2)),
  }),
  // --- Indices ---
  bad({
    api: "SynchronizedArray.get(index)",
    input: "index = length (3)",
    error: RangeError,
    message: /Index 3 is out of range for a SynchronizedArray\("i"\) of length 3/,
    setup: () => mp.SharedArray("i", [1, 2, 3]),
    call: (a) => a.get(3),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.at(index)",
    input: "index < -length (-4)",
    error: RangeError,
    message: /Index -4 is out of range/,
    setup: () => mp.SharedArray("i", [1, 2, 3]),
    call: (a) => a.at(-4),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.get(index)",
    input: "a fractional index (1.5)",
    error: TypeError,
    message: /index into a SynchronizedArray\("i"\) must be an integer, got 1\.5/,
    setup: () => mp.SharedArray("i", [1, 2, 3]),
    call: (a) => a.get(1.5),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.set(index, value)",
    input: "index out of range (5)",
    error: RangeError,
    message: /Index 5 is out of range/,
    setup: () => mp.SharedArray("d", [1, 2, 3]),
    call: (a) => a.set(5, 9),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.set(index, value)",
    input: `a bigint for "i" (5n)`,
    error: TypeError,
    message: /Element 0 of a SynchronizedArray\("i"\) must be an integer number, got 5n/,
    setup: () => mp.SharedArray("i", [1, 2, 3]),
    call: (a) => a.set(0, 5n as never),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.setFrom(source, offset)",
    input: "more elements than fit (3 at offset 2 of 4)",
    error: RangeError,
    message: /Cannot write 3 elements at offset 2 of a SynchronizedArray\("i"\) of length 4/,
    setup: () => mp.SharedArray("i", [1, 2, 3, 4]),
    call: (a) => a.setFrom([7, 8, 9], 2),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.setFrom(source, offset)",
    input: "a negative offset (-1)",
    error: RangeError,
    message: /at offset -1/,
    setup: () => mp.SharedArray("i", [1, 2, 3, 4]),
    call: (a) => a.setFrom([7], -1),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.setFrom(source)",
    input: `a bad element after good ones ([7, 8, "x"])`,
    error: TypeError,
    message: /Element 2 of a SynchronizedArray\("i"\) must be an integer number, got "x"/,
    setup: () => mp.SharedArray("i", [1, 2, 3, 4]),
    call: (a) => a.setFrom([7, 8, "x"] as never),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "SynchronizedArray.slice(start, end)",
    input: `a string bound ("1")`,
    error: TypeError,
    message: /slice bound of a SynchronizedArray\("i"\) must be a number, got "1"/,
    setup: () => mp.SharedArray("i", [1, 2, 3]),
    call: (a) => a.slice("1" as never),
    state: (a) => memoryOf(a),
  }),
  // --- Text ---
  bad({
    api: `SharedArray("c", 5).value =`,
    input: `an over-long string ("toolong")`,
    error: RangeError,
    message: /holds at most 5 characters \(one byte each\), got 7: "toolong"/,
    setup: () => mp.SharedArray("c", "hello"),
    call: (s) => (s.value = "toolong"),
    state: (s) => [s.value, memoryOf(s)],
  }),
  bad({
    api: `SharedArray("c", 5).value =`,
    input: `a character above U+00FF ("日本")`,
    error: TypeError,
    message:
      /must be characters from U\+0000 to U\+00FF \(one byte each\), got "日" \(U\+65E5\) at index 0 of "日本".*\.raw/,
    setup: () => {
      const s = mp.SharedArray("c", 5);
      s.value = "abc";
      return s;
    },
    call: (s) => (s.value = "日本"),
    state: (s) => [s.value, memoryOf(s)],
  }),
  bad({
    api: `SharedArray("c", n).set(index, value)`,
    input: `a character above U+00FF ("€")`,
    error: TypeError,
    message:
      /Element 1 of a SynchronizedArray\("c"\) must be a character from U\+0000 to U\+00FF \(one byte\), got "€"/,
    setup: () => mp.SharedArray("c", "abc"),
    call: (s) => s.set(1, "€"),
    state: (s) => [s.value, memoryOf(s)],
  }),
  bad({
    api: `SharedArray("c", contents)`,
    input: `a string with a character above U+00FF ("né€")`,
    error: TypeError,
    message:
      /The contents of SharedArray\("c"\) must be characters from U\+0000 to U\+00FF \(one byte each\), got "€" \(U\+20AC\) at index 2/,
    setup: () => null,
    call: () => mp.SharedArray("c", "né€"),
    state: fresh(() => mp.SharedArray("c", "né")),
  }),
  bad({
    api: `SharedArray("u", 2).value =`,
    input: `an over-long string ("abc")`,
    error: RangeError,
    message: /holds at most 2 UTF-16 code units, got 3: "abc"/,
    setup: () => mp.SharedArray("u", "xy"),
    call: (s) => (s.value = "abc"),
    state: (s) => [s.value, memoryOf(s)],
  }),
  bad({
    api: `SharedArray("c", n).value =`,
    input: "not a string (5)",
    error: TypeError,
    message: /value of a SynchronizedString\("c"\) must be a string, got 5/,
    setup: () => mp.SharedArray("c", "ab"),
    call: (s) => (s.value = 5 as never),
    state: (s) => memoryOf(s),
  }),
  bad({
    api: `SharedArray("c", n).raw =`,
    input: "a byte above 255 ([256])",
    error: RangeError,
    message: /Element 0 of the raw bytes of a SynchronizedString\("c"\) must be between 0 and 255, got 256/,
    setup: () => mp.SharedArray("c", "ab"),
    call: (s) => (s.raw = [256] as never),
    state: (s) => memoryOf(s),
  }),
  bad({
    api: `SharedArray("u", n).raw`,
    input: "raw bytes of a u array",
    error: TypeError,
    message: /Only c arrays have raw bytes, not a SynchronizedString\("u"\)/,
    setup: () => mp.SharedArray("u", "ab"),
    call: (s) => s.raw,
    state: (s) => memoryOf(s),
  }),
  // --- Release misuse ---
  bad({
    api: "Lock.release()",
    input: "an unlocked Lock",
    error: Error,
    message: /^Cannot release an unlocked Lock$/,
    setup: () => new mp.Lock(),
    call: (lock) => lock.release(),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "RLock.release()",
    input: "an RLock nobody holds",
    error: Error,
    message: /^Cannot release an RLock that is not held$/,
    setup: () => new mp.RLock(),
    call: (lock) => lock.release(),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "RLock.release()",
    input: "an RLock held by another thread (simulated)",
    error: Error,
    message: /^Cannot release an RLock held by another thread$/,
    setup: () => {
      const lock = new mp.RLock();
      // Words: magic, the mutex word (owner · 2), spare, count. Another agent, never reported
      // exited, holds it once.
      const words = wordsOf(lock);
      words[1] = 0xfffff << 1;
      words[3] = 1;
      return lock;
    },
    call: (lock) => lock.release(),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "BoundedSemaphore.release()",
    input: "one release above the initial value (2)",
    error: RangeError,
    message: /Cannot release the BoundedSemaphore by 1: the count 2 would pass its initial value 2/,
    setup: () => new mp.BoundedSemaphore(2),
    call: (sem) => sem.release(),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "Semaphore.release(n)",
    input: "n = 0",
    error: RangeError,
    message: /release count must be an integer from 1 to 2147483647, got 0/,
    setup: () => new mp.Semaphore(1),
    call: (sem) => sem.release(0),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "Semaphore.release(n)",
    input: "past the maximum count (2 ** 31 - 1 on a count of 1)",
    error: RangeError,
    message: /Cannot release the Semaphore by 2147483647: the count 1 would pass its maximum 2147483647/,
    setup: () => new mp.Semaphore(1),
    call: (sem) => sem.release(2 ** 31 - 1),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "Condition.wait()",
    input: "without holding the lock",
    error: Error,
    message: /^Cannot wait on a Condition whose lock is not held$/,
    setup: () => new mp.Condition(),
    call: (cond) => cond.wait(10),
    state: (cond) => memoryOf(cond),
  }),
  bad({
    api: "Condition.waitAsync()",
    input: "without holding the lock",
    error: Error,
    message: /^Cannot wait on a Condition whose lock is not held$/,
    setup: () => new mp.Condition(new mp.Lock()),
    call: (cond) => cond.waitAsync(10),
    state: (cond) => memoryOf(cond),
  }),
  bad({
    api: "Condition.notify()",
    input: "without holding the lock",
    error: Error,
    message: /^Cannot notify on a Condition whose lock is not held$/,
    setup: () => new mp.Condition(),
    call: (cond) => cond.notify(),
    state: (cond) => memoryOf(cond),
  }),
  // --- Counts and options of the synchronization primitives ---
  bad({
    api: "new Semaphore(value)",
    input: "-1",
    error: RangeError,
    message: /Semaphore initial value must be an integer from 0 to 2147483647, got -1/,
    setup: () => null,
    call: () => new mp.Semaphore(-1),
    state: fresh(() => new mp.Semaphore(1)),
  }),
  bad({
    api: "new BoundedSemaphore(value)",
    input: "a fractional value (1.5)",
    error: RangeError,
    message: /BoundedSemaphore initial value must be an integer from 0 to 2147483647, got 1\.5/,
    setup: () => null,
    // Right after a refused BoundedSemaphore, a plain Semaphore must not come out bounded.
    call: () => new mp.BoundedSemaphore(1.5),
    state: fresh(() => new mp.Semaphore(1)),
  }),
  bad({
    api: "new Semaphore(value)",
    input: `a string ("2")`,
    error: TypeError,
    message: /Semaphore initial value must be a number, got "2"/,
    setup: () => null,
    call: () => new mp.Semaphore("2" as never),
    state: fresh(() => new mp.Semaphore(1)),
  }),
  bad({
    api: "new Semaphore(value)",
    input: "a Proxy whose traps throw",
    error: TypeError,
    message: /^The Semaphore initial value must be a number, got an object$/,
    setup: () => null,
    call: () => new mp.Semaphore(throwingProxy() as never),
    state: fresh(() => new mp.Semaphore(1)),
  }),
  bad({
    api: "new Semaphore(value)",
    input: "a revoked Proxy",
    error: TypeError,
    message: /^The Semaphore initial value must be a number, got an object$/,
    setup: () => null,
    call: () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return new mp.Semaphore(proxy as never);
    },
    state: fresh(() => new mp.Semaphore(1)),
  }),
  bad({
    api: "new Barrier(parties)",
    input: "0",
    error: RangeError,
    message: /Barrier parties must be an integer from 1 to 2147483647, got 0/,
    setup: () => null,
    call: () => new mp.Barrier(0),
    state: fresh(() => new mp.Barrier(2)),
  }),
  bad({
    api: "new Barrier(parties)",
    input: "-1",
    error: RangeError,
    message: /got -1/,
    setup: () => null,
    call: () => new mp.Barrier(-1),
    state: fresh(() => new mp.Barrier(2)),
  }),
  bad({
    api: "new Barrier(parties)",
    input: "1.5",
    error: RangeError,
    message: /got 1\.5/,
    setup: () => null,
    call: () => new mp.Barrier(1.5),
    state: fresh(() => new mp.Barrier(2)),
  }),
  bad({
    api: "new Barrier(parties, { action })",
    input: "an action that is not a function (5)",
    error: TypeError,
    message: /Barrier action must be a function, got 5/,
    setup: () => null,
    call: () => new mp.Barrier(2, { action: 5 as never }),
    state: fresh(() => new mp.Barrier(2)),
  }),
  bad({
    api: "Barrier.wait(timeout)",
    input: `a string timeout ("5")`,
    error: TypeError,
    message: /timeout must be a number of milliseconds, got "5"/,
    setup: () => new mp.Barrier(2),
    call: (b) => b.wait("5" as never),
    state: (b) => [b.nWaiting, b.broken, memoryOf(b)],
  }),
  bad({
    api: "Barrier.wait()",
    input: "a broken (aborted) barrier",
    error: mp.BrokenBarrierError,
    message: /The Barrier is broken.*reset\(\) repairs it/,
    setup: () => {
      const b = new mp.Barrier(2);
      b.abort();
      return b;
    },
    call: (b) => b.wait(),
    state: (b) => [b.nWaiting, b.broken, memoryOf(b)],
  }),
  bad({
    api: "new Condition(lock)",
    input: "a Semaphore",
    error: TypeError,
    message: /Condition lock must be a Lock or an RLock, got a Semaphore/,
    setup: () => new mp.Semaphore(1),
    call: (sem) => new mp.Condition(sem as never),
    state: (sem) => memoryOf(sem),
  }),
  bad({
    api: "Condition.notify(n)",
    input: "-1",
    error: RangeError,
    message: /number of threads to notify must be an integer of at least 0, or Infinity, got -1/,
    setup: () => {
      const cond = new mp.Condition(new mp.Lock());
      cond.acquire();
      return cond;
    },
    call: (cond) => cond.notify(-1),
    state: (cond) => memoryOf(cond),
  }),
  bad({
    api: "Condition.waitFor(predicate)",
    input: "a predicate that is not a function (5)",
    error: TypeError,
    message: /Condition predicate must be a function, got 5/,
    setup: () => {
      const cond = new mp.Condition(new mp.Lock());
      cond.acquire();
      return cond;
    },
    call: (cond) => cond.waitFor(5 as never),
    state: (cond) => memoryOf(cond),
  }),
  bad({
    api: "Lock.acquire(options)",
    input: "false (Python's acquire(False)) on a held lock",
    error: TypeError,
    message: /options of Lock\.acquire\(\) must be an object, got false \(pass \{ blocking: false \}\)/,
    setup: () => {
      const lock = new mp.Lock();
      lock.acquire();
      return lock;
    },
    call: (lock) => lock.acquire(false as never),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "RLock.acquire(options)",
    input: "null",
    error: TypeError,
    message: /options of RLock\.acquire\(\) must be an object, got null/,
    setup: () => new mp.RLock(),
    call: (lock) => lock.acquire(null as never),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Lock.acquire({ blocking })",
    input: `a string ("no")`,
    error: TypeError,
    message: /blocking option of Lock\.acquire\(\) must be a boolean, got "no"/,
    setup: () => new mp.Lock(),
    call: (lock) => lock.acquire({ blocking: "no" as never }),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Semaphore.acquire({ timeout })",
    input: `a string ("5")`,
    error: TypeError,
    message: /timeout must be a number of milliseconds, got "5"/,
    setup: () => new mp.Semaphore(1),
    call: (sem) => sem.acquire({ timeout: "5" as never }),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "RLock.acquire({ timeout })",
    input: "NaN",
    error: TypeError,
    message: /timeout must be a number of milliseconds, got NaN/,
    setup: () => new mp.RLock(),
    call: (lock) => lock.acquire({ timeout: NaN }),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Semaphore.acquireAsync(options)",
    input: "a bare timeout (5) on a count of 0",
    error: TypeError,
    message:
      /options of Semaphore\.acquireAsync\(\) must be an object, got 5 \(a timeout is passed as \{ timeout: 5 \}\)/,
    setup: () => new mp.Semaphore(0),
    call: (sem) => sem.acquireAsync(5 as never),
    state: (sem) => [sem.getValue(), memoryOf(sem)],
  }),
  bad({
    api: "Lock.acquireAsync({ signal })",
    input: `a signal that is not an AbortSignal ("x")`,
    error: TypeError,
    message: /signal option of Lock\.acquireAsync\(\) must be an AbortSignal, got "x"/,
    setup: () => new mp.Lock(),
    call: (lock) => lock.acquireAsync({ signal: "x" as never }),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Lock.acquire({ recover })",
    input: `a recover that is not a boolean ("yes")`,
    error: TypeError,
    message: /^The recover option of Lock\.acquire\(\) must be a boolean, got "yes"$/,
    setup: () => new mp.Lock(),
    call: (lock) => lock.acquire({ recover: "yes" as never }),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Lock.guard(options)",
    input: "a bare timeout (100) on a held lock",
    error: TypeError,
    message: /options of Lock\.guard\(\) must be an object, got 100/,
    setup: () => {
      const lock = new mp.Lock();
      lock.acquire();
      return lock;
    },
    call: (lock) => lock.guard(100 as never),
    state: (lock) => [lock.locked(), memoryOf(lock)],
  }),
  bad({
    api: "Event.wait(timeout)",
    input: `a string ("5")`,
    error: TypeError,
    message: /timeout must be a number of milliseconds, got "5"/,
    setup: () => new mp.Event(),
    call: (e) => e.wait("5" as never),
    state: (e) => [e.isSet(), memoryOf(e)],
  }),
  bad({
    api: "Event.waitAsync(timeout, { signal })",
    input: "a plain object as signal",
    error: TypeError,
    message: /signal option of Event\.waitAsync\(\) must be an AbortSignal, got an Object/,
    setup: () => new mp.Event(),
    call: (e) => e.waitAsync(10, { signal: {} as never }),
    state: (e) => [e.isSet(), memoryOf(e)],
  }),
  // --- Process ---
  bad({
    api: "new Process(module)",
    input: `a relative path string ("./worker.ts")`,
    error: TypeError,
    message:
      /process module must be a URL, got "\.\/worker\.ts" \(resolve a path with new URL\(path, import\.meta\.url\)\)/,
    setup: () => null,
    call: () => new mp.Process("./worker.ts"),
    state: () => null,
  }),
  bad({
    api: "new Process(module)",
    input: "a number (5)",
    error: TypeError,
    message: /process module must be a URL, got 5/,
    setup: () => null,
    call: () => new mp.Process(5 as never),
    state: () => null,
  }),
  bad({
    api: "new Process(module, options)",
    input: "an array of args in place of options (Python's Process(target, args))",
    error: TypeError,
    message: /options of a Process must be an object such as \{ args: \[\.\.\.\] \}, got an Array/,
    setup: () => new mp.Lock(),
    call: (lock) => new mp.Process(URL_OK, [lock] as never),
    state: (lock) => memoryOf(lock),
  }),
  bad({
    api: "new Process(module, { args })",
    input: "args that are not an array (5)",
    error: TypeError,
    message: /args must be an array, got 5/,
    setup: () => null,
    call: () => new mp.Process(URL_OK, { args: 5 as never }),
    state: () => null,
  }),
  bad({
    api: "Process.join()",
    input: "a process never started",
    error: Error,
    message: /Process p1 was not started/,
    setup: () => new mp.Process(URL_OK, { name: "p1" }),
    call: (p) => p.join(),
    state: (p) => [p.alive, p.exitCode],
  }),
  // --- Channel ---
  bad({
    api: "new Channel(typecode, options)",
    input: `a typecode that is not numeric ("c")`,
    error: TypeError,
    message:
      /^Typecode "c" is not numeric \(a Channel carries numbers only\): expected one of b B h H i I l L q Q f d, a ctypes name \(c_byte.*c_double\) or an element name \(int8.*float64\)$/,
    setup: () => null,
    call: () => new mp.Channel("c" as never, { capacity: 4 }),
    state: fresh(() => new mp.Channel("d", { capacity: 2 })),
  }),
  bad({
    api: "new Channel(typecode, options)",
    input: `an unknown typecode "x"`,
    error: TypeError,
    // Value's message, listing the spellings a Channel takes.
    message:
      /^Unknown typecode "x": expected one of b B h H i I l L q Q f d, a ctypes name \(c_byte.*c_double\) or/,
    setup: () => null,
    call: () => new mp.Channel("x" as never, { capacity: 4 }),
    state: fresh(() => new mp.Channel("d", { capacity: 2 })),
  }),
  bad({
    api: "new Channel(typecode, options)",
    input: "no options (no capacity)",
    error: TypeError,
    message: /Channel options must be an object with a capacity, got undefined/,
    setup: () => null,
    call: () => new mp.Channel("d", undefined as never),
    state: fresh(() => new mp.Channel("d", { capacity: 2 })),
  }),
  bad({
    api: "new Channel(typecode, { capacity })",
    input: "-1",
    error: RangeError,
    message: /capacity must be an integer from 0 to 2147483647, got -1/,
    setup: () => null,
    call: () => new mp.Channel("d", { capacity: -1 }),
    state: fresh(() => new mp.Channel("d", { capacity: 2 })),
  }),
  bad({
    api: "new Channel(typecode, { capacity, slots })",
    input: "slots = 0",
    error: RangeError,
    message: /slots must be an integer from 1 to 1048576, got 0/,
    setup: () => null,
    call: () => new mp.Channel("i", { capacity: 4, slots: 0 }),
    state: fresh(() => new mp.Channel("d", { capacity: 2 })),
  }),
  bad({
    api: "new FloatChannel(maxsize)",
    input: "a fractional size (2.5)",
    error: RangeError,
    message: /capacity must be an integer from 0 to 2147483647, got 2\.5/,
    setup: () => null,
    call: () => new mp.FloatChannel(2.5),
    state: fresh(() => new mp.FloatChannel(2)),
  }),
  bad({
    api: "Channel.send(values)",
    input: "an over-long message (5 elements, capacity 4)",
    error: RangeError,
    message: /The message has 5 elements, more than the Channel capacity 4/,
    setup: () => new mp.Channel("d", { capacity: 4, slots: 2 }),
    call: (ch) => ch.send([1, 2, 3, 4, 5]),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.send(values)",
    input: `a number for a bigint channel ([1n, 2])`,
    error: TypeError,
    message: /A "q" Channel carries bigints, got 2 at index 1/,
    setup: () => new mp.Channel("q", { capacity: 4 }),
    call: (ch) => ch.send([1n, 2] as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.send(values)",
    input: "a BigInt64Array for a float channel",
    error: TypeError,
    message: /A "d" Channel carries numbers, got a BigInt64Array/,
    setup: () => new mp.Channel("d", { capacity: 4 }),
    call: (ch) => ch.send(new BigInt64Array(2) as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.send(values)",
    input: `a string ("abc")`,
    error: TypeError,
    message: /A Channel sends an array of numbers, got "abc"/,
    setup: () => new mp.Channel("d", { capacity: 4 }),
    call: (ch) => ch.send("abc" as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.send(values)",
    input: "a closed channel",
    error: mp.ChannelClosedError,
    message: /^Cannot send on a closed Channel$/,
    setup: () => {
      const ch = new mp.Channel("d", { capacity: 4 });
      ch.send([1]);
      ch.close();
      return ch;
    },
    call: (ch) => ch.send([2]),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.send(values, options)",
    input: "a bare timeout (5) on a full channel",
    error: TypeError,
    message:
      /options of Channel\.send\(\) must be an object, got 5 \(a timeout is passed as \{ timeout: 5 \}\)/,
    setup: () => {
      const ch = new mp.Channel("d", { capacity: 4 });
      ch.send([1]);
      return ch;
    },
    call: (ch) => ch.send([2], 5 as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recv({ timeout })",
    input: `a string ("5")`,
    error: TypeError,
    message: /timeout must be a number of milliseconds, got "5"/,
    setup: () => new mp.Channel("d", { capacity: 4 }),
    call: (ch) => ch.recv({ timeout: "5" as never }),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recvAsync({ signal })",
    input: `a signal that is not an AbortSignal ("x")`,
    error: TypeError,
    message: /signal option of Channel\.recvAsync\(\) must be an AbortSignal, got "x"/,
    setup: () => new mp.Channel("d", { capacity: 4 }),
    call: (ch) => ch.recvAsync({ signal: "x" as never }),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recvWith(fn)",
    input: "a callback that is not a function; the message stays queued",
    error: TypeError,
    message: /Channel\.recvWith\(\) needs a function to call with the message, got "x"/,
    setup: () => {
      const ch = new mp.Channel("d", { capacity: 4 });
      ch.send([1, 2]);
      return ch;
    },
    call: (ch) => ch.recvWith("x" as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recvWithAsync(fn)",
    input: "no callback; the message stays queued",
    error: TypeError,
    message: /Channel\.recvWithAsync\(\) needs a function to call with the message, got undefined/,
    setup: () => {
      const ch = new mp.Channel("d", { capacity: 4 });
      ch.send([1, 2]);
      return ch;
    },
    call: (ch) => ch.recvWithAsync(undefined as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recvInto(target)",
    input: "a Float64Array for a bigint channel",
    error: TypeError,
    message: /recvInto\(\) needs an Array or a typed array of bigints, got a Float64Array/,
    setup: () => {
      const ch = new mp.Channel("q", { capacity: 4 });
      ch.send([1n]);
      return ch;
    },
    call: (ch) => ch.recvInto(new Float64Array(4) as never),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "Channel.recvInto(target)",
    input: "a target shorter than the next message (2 for 3); it stays queued",
    error: RangeError,
    message: /The next message does not fit a target of 2 elements/,
    setup: () => {
      const ch = new mp.Channel("i", { capacity: 4 });
      ch.send([1, 2, 3]);
      return ch;
    },
    call: (ch) => ch.recvInto(new Int32Array(2)),
    state: (ch) => memoryOf(ch),
  }),
  bad({
    api: "revive(received)",
    input: "a Channel whose capacity was changed (4 to 5: same byte length)",
    error: TypeError,
    message: /Cannot revive a sabkit object: the memory does not hold this Channel/,
    setup: () => new mp.Channel("d", { capacity: 4 }),
    call: (ch) => mp.revive(forged(ch, (h) => (h.meta = { ...(h.meta as object), capacity: 5 }))),
    state: (ch) => memoryOf(ch),
  }),
  // --- Forged and truncated handles ---
  bad({
    api: "revive(received)",
    input: `a handle with a wrong brand ("evil/1")`,
    error: TypeError,
    message: /Cannot revive a sabkit object: the brand is "evil\/1", expected "sabkit\/1"/,
    setup: () => new mp.Lock(),
    call: (lock) => mp.revive(forged(lock, (h) => (h.brand = "evil/1"))),
    state: (lock) => memoryOf(lock),
  }),
  bad({
    api: "revive(received)",
    input: `an unknown kind ("Nuke")`,
    error: TypeError,
    message: /unknown kind "Nuke"/,
    setup: () => new mp.Event(),
    call: (e) => mp.revive(forged(e, (h) => (h.kind = "Nuke"))),
    state: (e) => memoryOf(e),
  }),
  bad({
    api: "revive(received)",
    input: "memory that is an ArrayBuffer",
    error: TypeError,
    message: /the Semaphore memory is an ArrayBuffer, not a SharedArrayBuffer/,
    setup: () => new mp.Semaphore(3),
    call: (sem) => mp.revive(forged(sem, (h) => (h.buffer = new ArrayBuffer(16)))),
    state: (sem) => memoryOf(sem),
  }),
  bad({
    api: "revive(received)",
    input: "a misaligned byte offset (4)",
    error: TypeError,
    message: /the RLock byte offset 4 is not a multiple of 8/,
    setup: () => new mp.RLock(),
    call: (lock) => mp.revive(forged(lock, (h) => (h.byteOffset = 4))),
    state: (lock) => memoryOf(lock),
  }),
  bad({
    api: "revive(received)",
    input: "a truncated byte length (4)",
    error: TypeError,
    message: /the Barrier byte length is 4, expected \d+/,
    setup: () => new mp.Barrier(3),
    call: (b) => mp.revive(forged(b, (h) => (h.byteLength = 4))),
    state: (b) => memoryOf(b),
  }),
  bad({
    api: "revive(received)",
    input: "a span past the end of the memory (offset 64)",
    error: TypeError,
    message: /the Lock spans bytes 64\.\.80 of a 16-byte buffer/,
    setup: () => new mp.Lock(),
    call: (lock) => mp.revive(forged(lock, (h) => (h.byteOffset = 64))),
    state: (lock) => memoryOf(lock),
  }),
  bad({
    api: "revive(received)",
    input: "another kind's memory (an RLock's for a Lock)",
    error: TypeError,
    message: /the memory does not hold a Lock/,
    setup: () => ({ lock: new mp.Lock(), other: new mp.RLock() }),
    call: ({ lock, other }) =>
      mp.revive(
        forged(
          lock,
          (h) => (h.buffer = wireHandle(other).buffer),
        ),
      ),
    state: ({ lock, other }) => memoryOf(lock, other),
  }),
  bad({
    api: "revive(received)",
    input: "zeroed memory of the right size",
    error: TypeError,
    message: /the memory does not hold a Condition/,
    setup: () => new mp.Condition(),
    call: (cond) =>
      mp.revive(
        forged(cond, (h) => (h.buffer = new SharedArrayBuffer(wireHandle(cond).byteLength as number))),
      ),
    state: (cond) => memoryOf(cond),
  }),
  bad({
    api: "revive(received)",
    input: "an agent domain that is not one",
    error: TypeError,
    message: /the agent domain is a SharedArrayBuffer/,
    setup: () => new mp.Lock(),
    call: (lock) => mp.revive(forged(lock, (h) => (h.domain = new SharedArrayBuffer(64)))),
    state: (lock) => memoryOf(lock),
  }),
  bad({
    api: "revive(received)",
    input: `a RawValue re-typed ("d" to "q")`,
    error: TypeError,
    message: /the RawValue typecode is "q", but its memory holds "d"/,
    setup: () => mp.RawValue("d", 1.5),
    call: (v) => mp.revive(forged(v, (h) => (h.meta = { typecode: "q" }))),
    state: (v) => memoryOf(v),
  }),
  bad({
    api: "revive(received)",
    input: `a SynchronizedArray re-typed ("c" to "B")`,
    error: TypeError,
    message: /the SynchronizedArray typecode is "B", but its memory holds "c"/,
    setup: () => mp.SharedArray("c", "hi"),
    call: (s) => mp.revive(forged(s, (h) => (h.meta = { ...(h.meta as object), typecode: "B" }))),
    state: (s) => memoryOf(s),
  }),
  bad({
    api: "revive(received)",
    input: "a SynchronizedArray on memory that is not shared",
    error: TypeError,
    message: /the SynchronizedArray\("d"\) holds a Float64Array/,
    setup: () => mp.SharedArray("d", [1, 2]),
    call: (a) => mp.revive(forged(a, (h) => (h.meta = { ...(h.meta as object), obj: new Float64Array(2) }))),
    state: (a) => memoryOf(a),
  }),
  bad({
    api: "revive(received)",
    input: "a SynchronizedArray whose data views a Lock's memory",
    error: TypeError,
    message: /the SynchronizedArray\("i"\) holds an Int32Array on the memory of a Lock/,
    setup: () => ({ a: mp.SharedArray("i", 4), lock: new mp.Lock() }),
    call: ({ a, lock }) =>
      mp.revive(
        forged(
          a,
          (
            h,
          ) => (h.meta = {
            ...(h.meta as object),
            obj: new Int32Array(wireHandle(lock).buffer as SharedArrayBuffer),
          }),
        ),
      ),
    state: ({ a, lock }) => [lock.locked(), memoryOf(a, lock)],
  }),
  bad({
    api: "revive(received)",
    input: "a Condition whose lock is a Semaphore",
    error: TypeError,
    message: /the Condition lock is a Semaphore/,
    setup: () => ({ cond: new mp.Condition(), sem: new mp.Semaphore(1) }),
    call: ({ cond, sem }) => mp.revive(forged(cond, (h) => (h.meta = { lock: structuredClone(sem) }))),
    state: ({ cond, sem }) => memoryOf(cond, sem),
  }),
  bad({
    api: "revive(received)",
    input: `a Barrier timeout that is not a number ("x")`,
    error: TypeError,
    message: /the Barrier timeout is "x"/,
    setup: () => new mp.Barrier(2),
    call: (b) => mp.revive(forged(b, (h) => (h.meta = { timeout: "x" }))),
    state: (b) => memoryOf(b),
  }),
  bad({
    api: "revive(received)",
    input: "a handle that is not an object (5)",
    error: TypeError,
    message: /Cannot revive a sabkit object: the handle is 5/,
    setup: () => null,
    call: () => mp.revive({ __sabkit: 5 }),
    state: fresh(() => new mp.Lock()),
  }),
  // --- RwLock and LockManager ---
  bad({
    api: "new RwLock({ maxReaders })",
    input: "0 reader slots",
    error: RangeError,
    message: /maxReaders of new RwLock\(\) must be an integer from 1 to 4096, got 0$/,
    setup: () => null,
    call: () => new mp.RwLock({ maxReaders: 0 }),
    state: fresh(() => new mp.RwLock()),
  }),
  bad({
    api: "new RwLock({ maxReaders })",
    input: `a string ("4")`,
    error: TypeError,
    message: /maxReaders of new RwLock\(\) must be a number, got "4"$/,
    setup: () => null,
    call: () => new mp.RwLock({ maxReaders: "4" as never }),
    state: fresh(() => new mp.RwLock()),
  }),
  bad({
    api: "RwLock.acquireRead(options)",
    input: "a bare timeout (5)",
    error: TypeError,
    message:
      /options of RwLock\.acquireRead\(\) must be an object, got 5 \(a timeout is passed as \{ timeout: 5 \}\)/,
    setup: () => new mp.RwLock(),
    call: (rw) => rw.acquireRead(5 as never),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "RwLock.acquireWriteAsync({ signal })",
    input: "a signal that is not an AbortSignal (1)",
    error: TypeError,
    message: /signal option of RwLock\.acquireWriteAsync\(\) must be an AbortSignal, got 1$/,
    setup: () => new mp.RwLock(),
    call: (rw) => rw.acquireWriteAsync({ signal: 1 as never }),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "RwLock.acquireRead({ recover })",
    input: "a recover that is not a boolean (1)",
    error: TypeError,
    message: /^The recover option of RwLock\.acquireRead\(\) must be a boolean, got 1$/,
    setup: () => new mp.RwLock(),
    call: (rw) => rw.acquireRead({ recover: 1 as never }),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "RwLock.acquireWriteAsync({ recover })",
    input: `a recover that is not a boolean ("yes")`,
    error: TypeError,
    message: /^The recover option of RwLock\.acquireWriteAsync\(\) must be a boolean, got "yes"$/,
    setup: () => new mp.RwLock(),
    call: (rw) => rw.acquireWriteAsync({ recover: "yes" as never }),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "RwLock.releaseRead()",
    input: "an RwLock this thread does not read",
    error: Error,
    message: /^Cannot release a read lock of an RwLock this thread does not hold$/,
    setup: () => new mp.RwLock(),
    call: (rw) => rw.releaseRead(),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "RwLock.releaseWrite()",
    input: "an RwLock this thread only reads",
    error: Error,
    message: /^Cannot release the write lock of an RwLock this thread does not hold$/,
    setup: () => {
      const rw = new mp.RwLock();
      rw.acquireRead();
      return rw;
    },
    call: (rw) => rw.releaseWrite(),
    state: (rw) => [rw.locked(), memoryOf(rw)],
  }),
  bad({
    api: "new LockManager({ maxRequests })",
    input: "0 requests",
    error: RangeError,
    message: /maxRequests of new LockManager\(\) must be an integer from 1 to 65536, got 0$/,
    setup: () => null,
    call: () => new mp.LockManager({ maxRequests: 0 }),
    state: fresh(() => new mp.LockManager()),
  }),
  bad({
    api: "LockManager.request(name, callback)",
    input: `a name starting with "-" ("-x")`,
    error: DOMException,
    message: /^Lock names starting with "-" are reserved, got "-x"$/,
    setup: () => new mp.LockManager(),
    call: (locks) => locks.request("-x", () => 1),
    state: (locks) => memoryOf(locks),
  }),
  bad({
    api: "LockManager.request(name, { steal, ifAvailable }, callback)",
    input: "both true (NotSupportedError)",
    error: DOMException,
    message: /^The steal and ifAvailable options cannot be used together$/,
    setup: () => new mp.LockManager(),
    call: (locks) => locks.request("a", { steal: true, ifAvailable: true }, () => 1),
    state: (locks) => memoryOf(locks),
  }),
  bad({
    api: "LockManager.request(name, { mode }, callback)",
    input: `an unknown mode ("x")`,
    error: TypeError,
    message: /mode of a lock request must be "exclusive" or "shared", got "x"$/,
    setup: () => new mp.LockManager(),
    call: (locks) => locks.request("a", { mode: "x" as never }, () => 1),
    state: (locks) => memoryOf(locks),
  }),
  bad({
    api: "LockManager.request(name, options, callback)",
    input: "a callback that is not a function (5)",
    error: TypeError,
    message: /LockManager\.request\(\) needs a callback function, got 5$/,
    setup: () => new mp.LockManager(),
    call: (locks) => locks.request("a", {}, 5 as never),
    state: (locks) => memoryOf(locks),
  }),
  // --- Blocking where it is forbidden ---
  inWindow("Lock.acquire"),
  inWindow("RLock.guard"),
  inWindow("Semaphore.acquire"),
  inWindow("Event.wait"),
  inWindow("Condition.wait"),
  inWindow("Barrier.wait"),
  inWindow("Channel.recv"),
  // --- Queue, SimpleQueue, JoinableQueue, Pipe ---
  bad({
    api: "new Queue({ maxsize })",
    input: "-1",
    error: RangeError,
    message: /The maxsize option of new Queue\(\) must be an integer from 0 to 2147483647, got -1/,
    setup: () => null,
    call: () => new mp.Queue({ maxsize: -1 }),
    state: () => new mp.Queue({ maxsize: 2 }).maxsize,
  }),
  bad({
    api: "new JoinableQueue({ maxsize })",
    input: "a fraction (1.5)",
    error: RangeError,
    message: /The maxsize option of new JoinableQueue\(\) must be an integer from 0 to 2147483647, got 1\.5/,
    setup: () => null,
    call: () => new mp.JoinableQueue({ maxsize: 1.5 }),
    state: () => new mp.JoinableQueue({ maxsize: 2 }).maxsize,
  }),
  bad({
    api: "new Queue({ bytes })",
    input: `a string ("1k")`,
    error: TypeError,
    message: /The bytes option of new Queue\(\) must be a number, got "1k"/,
    setup: () => null,
    call: () => new mp.Queue({ bytes: "1k" as never }),
    state: () => new mp.Queue().qsize(),
  }),
  bad({
    api: "new Queue(options)",
    input: "a number (5) for the options",
    error: TypeError,
    message: /The options of new Queue\(\) must be an object, got 5/,
    setup: () => null,
    call: () => new mp.Queue(5 as never),
    state: () => new mp.Queue().maxsize,
  }),
  bad({
    api: "Queue.put(value)",
    input: "a function inside the value",
    error: TypeError,
    message: /a function \(function f\) at value\.f cannot be sent: structuredClone refuses it/,
    setup: () => {
      const q = new mp.Queue();
      q.put(1);
      return q;
    },
    call: (q: mp.Queue) => q.put({ f: function f() {} }),
    state: (q: mp.Queue) => memoryOf(q),
  }),
  bad({
    api: "Queue.put(value, options)",
    input: "a bare timeout (5) for the options",
    error: TypeError,
    message:
      /The options of Queue\.put\(\) must be an object, got 5 \(a timeout is passed as \{ timeout: 5 \}\)/,
    setup: () => new mp.Queue(),
    call: (q: mp.Queue) => q.put(1, 5 as never),
    state: (q: mp.Queue) => memoryOf(q),
  }),
  bad({
    api: "Queue.get(options)",
    input: `blocking: "no"`,
    error: TypeError,
    message: /The blocking option of Queue\.get\(\) must be a boolean, got "no"/,
    setup: () => {
      const q = new mp.Queue();
      q.put(1);
      return q;
    },
    call: (q: mp.Queue) => q.get({ blocking: "no" as never }),
    state: (q: mp.Queue) => memoryOf(q),
  }),
  bad({
    api: "Queue.get()",
    input: "while a getAsync of this very thread reads a large item in parts",
    error: TypeError,
    message: /Queue\.get\(\) cannot block: an async get of this very thread holds the Queue's get lock/,
    setup: () => {
      // The item is larger than the Queue's memory: the getAsync holds the get lock from its first part
      // to its last, across awaits (both settle once the blocking get has thrown and the loop runs).
      const q = new mp.Queue<string>({ bytes: 128 });
      const put = q.putAsync("x".repeat(1000));
      const got = q.getAsync();
      return { q, done: Promise.all([put, got]) };
    },
    call: (s: { q: mp.Queue<string> }) => s.q.get(),
    state: (s: { q: mp.Queue<string> }) => memoryOf(s.q),
  }),
  bad({
    api: "JoinableQueue.taskDone()",
    input: "one call more than items put",
    error: RangeError,
    message: /JoinableQueue\.taskDone\(\) was called more times than there were items put/,
    setup: () => {
      const q = new mp.JoinableQueue();
      q.put(1);
      q.get();
      q.taskDone();
      return q;
    },
    call: (q: mp.JoinableQueue) => q.taskDone(),
    state: (q: mp.JoinableQueue) => memoryOf(q),
  }),
  bad({
    api: "SimpleQueue.put(value)",
    input: "a symbol",
    error: TypeError,
    message: /a symbol at value cannot be sent: structuredClone refuses it/,
    setup: () => new mp.SimpleQueue(),
    call: (q: mp.SimpleQueue) => q.put(Symbol("s")),
    state: (q: mp.SimpleQueue) => memoryOf(q),
  }),
  bad({
    api: "Pipe(duplex)",
    input: `a string ("yes")`,
    error: TypeError,
    message: /Pipe\(duplex\) takes a boolean, got "yes"/,
    setup: () => null,
    call: () => mp.Pipe("yes" as never),
    state: () => mp.Pipe().length,
  }),
  bad({
    api: "Pipe(duplex, { bytes })",
    input: "8 (below 64)",
    error: RangeError,
    message: /The bytes option of Pipe\(\) must be an integer from 64 to 268435456, got 8/,
    setup: () => null,
    call: () => mp.Pipe(true, { bytes: 8 }),
    state: () => mp.Pipe().length,
  }),
  bad({
    api: "Connection.sendBytes(buf, offset)",
    input: "an offset past the buffer (5 of 4 bytes)",
    error: RangeError,
    message: /The offset must be an integer from 0 to 4, got 5/,
    setup: () => mp.Pipe(),
    call: ([a]: mp.Connection[]) => a.sendBytes(new Uint8Array(4), 5),
    state: ([a]: mp.Connection[]) => memoryOf(a),
  }),
  bad({
    api: "Connection.sendBytes(buf)",
    input: `a string ("abc")`,
    error: TypeError,
    message:
      /Connection\.sendBytes\(\) needs an ArrayBuffer, a SharedArrayBuffer or a typed array or DataView, got "abc"/,
    setup: () => mp.Pipe(),
    call: ([a]: mp.Connection[]) => a.sendBytes("abc" as never),
    state: ([a]: mp.Connection[]) => memoryOf(a),
  }),
  bad({
    api: "Connection.recvBytesInto(buf)",
    input: "a buffer shorter than the next message (2 < 3 bytes)",
    error: RangeError,
    message: /The next message does not fit a buffer of 2 bytes; it stays in the pipe/,
    setup: () => {
      const ends = mp.Pipe();
      ends[1].sendBytes(new Uint8Array([1, 2, 3]));
      return ends;
    },
    call: ([a]: mp.Connection[]) => a.recvBytesInto(new Uint8Array(2)),
    state: ([a]: mp.Connection[]) => memoryOf(a),
  }),
  bad({
    api: "Connection.send(value)",
    input: "on the receiving end of Pipe(false)",
    error: TypeError,
    message: /Connection\.send\(\): this end of a one-way Pipe\(false\) is read-only/,
    setup: () => mp.Pipe(false),
    call: ([r]: mp.Connection[]) => r.send(1),
    state: ([r]: mp.Connection[]) => memoryOf(r),
  }),
  // --- Pool: every option is checked before a worker starts (nothing to leave behind) ---
  bad({
    api: "new Pool(module)",
    input: "a number for the module",
    error: TypeError,
    message: /The pool module must be a URL, got 42/,
    setup: () => null,
    call: () => new mp.Pool(42 as unknown as URL),
    state: () => null,
  }),
  bad({
    api: "new Pool(module, options)",
    input: `a string ("x") for the options`,
    error: TypeError,
    message: /The options of new Pool\(\) must be an object, got "x"$/,
    setup: () => null,
    call: () => new mp.Pool(POOL_MODULE, "x" as unknown as mp.PoolOptions),
    state: () => null,
  }),
  bad({
    api: "new Pool(module, { processes })",
    input: "0 workers",
    error: RangeError,
    message: /The processes option of new Pool\(\) must be an integer from 1, got 0$/,
    setup: () => null,
    call: () => new mp.Pool(POOL_MODULE, { processes: 0 }),
    state: () => null,
  }),
  bad({
    api: "new Pool(module, { processes })",
    input: `a string ("2")`,
    error: TypeError,
    message: /The processes option of new Pool\(\) must be a number, got "2"$/,
    setup: () => null,
    call: () => new mp.Pool(POOL_MODULE, { processes: "2" as unknown as number }),
    state: () => null,
  }),
  bad({
    api: "new Pool(module, { maxtasksperchild })",
    input: "1.5 tasks",
    error: RangeError,
    message: /The maxtasksperchild option of new Pool\(\) must be an integer from 1, got 1\.5$/,
    setup: () => null,
    call: () => new mp.Pool(POOL_MODULE, { maxtasksperchild: 1.5 }),
    state: () => null,
  }),
  bad({
    api: "new Pool(module, { initializer })",
    input: "a function, not an export name",
    error: TypeError,
    message: /The initializer option of new Pool\(\) must be an export name, got/,
    setup: () => null,
    call: () => new mp.Pool(POOL_MODULE, { initializer: (() => {}) as unknown as string }),
    state: () => null,
  }),
];

/** Runs one case; returns the error it threw (or rejected with), or `undefined` if it did not fail. */
export async function runCase(c: BadInput): Promise<{ error: unknown; before: unknown; after: unknown }> {
  const s = c.setup();
  const before = c.state(s);
  let error: unknown;
  try {
    await c.call(s);
  } catch (e) {
    error = e;
  }
  return { error, before, after: c.state(s) };
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function code(text: string): string {
  return "`" + cell(text).replaceAll("`", "'") + "`";
}

/** The docs page: a table of the catalogue with the message each case really gives. */
export async function errorsTable(): Promise<string> {
  const rows: string[] = [];
  for (const c of BAD_INPUTS) {
    const { error } = await runCase(c);
    const message = error instanceof Error ? error.message : `(no error: ${String(error)})`;
    rows.push(`| ${code(c.api)} | ${cell(c.input)} | ${c.error.name} | ${code(message)} |`);
  }
  return [
    "# Errors on bad input",
    "",
    "<!-- Generated by `node scripts/errors_table.ts` from tests/_bad_inputs.ts; tests/bad_input_test.ts",
    "checks it is current. Do not edit by hand. -->",
    "",
    `What sabkit throws for each of the ${BAD_INPUTS.length} misuses of its API in its test catalogue.`,
    "Every one is checked on Deno, Bun and Node: the error class is exact, the message names the",
    "offending value, and the shared state (memory, lock state, counts) is the same afterwards:",
    "a refused call changes nothing. `TypeError` means a value of the wrong kind, `RangeError` a",
    "value of the right kind outside its range (Python's `ValueError`), and misuse of a lock",
    "(releasing one not held, waiting without it) a plain `Error` (Python's `RuntimeError`).",
    "",
    "| API call | Bad input | Error class | Example message |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

/** A table's rows with their cells trimmed, so `deno fmt`'s column padding does not matter. */
export function normalizeTable(markdown: string): string {
  return markdown
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/^-+$/, "-")).join("|")
        : line
    )
    .join("\n")
    .trim();
}
