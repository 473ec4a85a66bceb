/**
 * `Value`: Python's `multiprocessing.Value`, a shared typed value with a lock.
 *
 * @module
 */

import { encode, specOf } from "../core/_codec.ts";
import { forgedMeta, locked, lockOption, optionsOf } from "./_options.ts";
import { describe } from "../core/_describe.ts";
import { attach, defineKind, type Handle, liveKind, takePreset } from "../core/_handle.ts";
import { Lock } from "../lock/lock.ts";
import { RawValue } from "./raw_value.ts";
import { RLock } from "../lock/rlock.ts";
import { SynchronizedBase } from "./synchronized_base.ts";
import type { CodeOf, ElementValue, Typecode, TypecodeValues, TypeName } from "../core/typecodes.ts";

const BYTES = 8;

/**
 * Options of {@linkcode Value} and {@linkcode SharedArray}.
 *
 * @example Sharing one lock, or none
 * ```ts
 * import { Lock, SharedArray, Value } from "@sabkit/sabkit";
 * const lock = new Lock();
 * const count = Value("i", 0, { lock });
 * const items = SharedArray("d", 8, { lock });
 * console.assert(count.getLock() === items.getLock());
 * const raw = Value("i", 0, { lock: false }); // a RawValue
 * console.assert(raw.value === 0);
 * ```
 */
export interface SharedDataOptions {
  /** `true` (default): a new `RLock`; `false`: no lock (the raw object); or the `Lock`/`RLock` to use. */
  lock?: boolean | Lock | RLock;
}

function parts(meta: unknown): { obj: RawValue; lock: Lock | RLock } {
  // `meta` is the copy `revive` made, its handles revived and checked already.
  const { obj, lock } = (meta ?? {}) as { obj?: unknown; lock?: unknown };
  // liveKind, not instanceof: it runs no user code while the handle waits in the construct slot.
  if (liveKind(obj) !== "RawValue") {
    forgedMeta(`the SynchronizedValue holds ${describe(obj)}, not a RawValue`);
  }
  if (liveKind(lock) !== "Lock" && liveKind(lock) !== "RLock") {
    forgedMeta(`the SynchronizedValue lock is ${describe(lock)}`);
  }
  return { obj: obj as RawValue, lock: lock as Lock | RLock };
}

/**
 * A shared value with a lock (Python's `Synchronized`): `.value` reads and
 * writes each take the lock, and the object speaks the lock protocol itself.
 *
 * `v.value += 1` is a read and a write, each under the lock but not both: NOT
 * atomic, exactly as in Python. Hold the lock around it: `using _ = v.guard();
 * v.value += 1` is atomic (the default `RLock` lets `.value` re-enter it; with
 * a plain `Lock`, use `getObj().value` inside the guard instead).
 *
 * @example Counting from several workers
 * ```ts
 * import { Value } from "@sabkit/sabkit";
 * const counter = Value("i", 0);
 * // in each worker (the Value arrives live through Process args or postMessage):
 * {
 *   using _ = counter.guard();
 *   counter.value += 1;
 * }
 * console.assert(counter.value === 1);
 * ```
 */
export class SynchronizedValue<T extends Typecode = Typecode> extends SynchronizedBase {
  static {
    defineKind(this, "SynchronizedValue", {
      bytes: BYTES,
      create: (h: Handle) => {
        const { obj, lock } = parts(h.meta);
        return new SynchronizedValue(obj, lock);
      },
    });
  }

  #obj: RawValue<T>;

  /**
   * Wraps a `RawValue` with a lock; `synchronized(obj, lock)` does the same.
   *
   * @param obj The shared value.
   * @param lock The lock to use; default a new `RLock`.
   * @throws {TypeError} If `obj` is not a `RawValue` or `lock` not a `Lock`/`RLock`.
   *
   * @example A RawValue under a Lock of your own
   * ```ts
   * import { Lock, RawValue, SynchronizedValue } from "@sabkit/sabkit";
   * const v = new SynchronizedValue(RawValue("i", 1), new Lock());
   * v.value = 2;
   * console.assert(v.value === 2 && v.typecode === "i");
   * ```
   */
  constructor(obj: RawValue<T>, lock?: Lock | RLock) {
    const { handle } = takePreset();
    if (liveKind(obj) !== "RawValue") {
      throw new TypeError(`A SynchronizedValue wraps a RawValue, got ${describe(obj)}`);
    }
    super(lockOption(lock, "a SynchronizedValue", false)!);
    this.#obj = obj;
    attach(this, SynchronizedValue, BYTES, handle, { obj, lock: this.getLock() });
  }

  /**
   * The value, read under the lock; setting it takes the lock and checks the value first.
   *
   * @example Reading and writing
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("d", 1.5);
   * v.value = v.value * 2; // two locked steps: take the guard for one atomic update
   * console.assert(v.value === 3);
   * ```
   */
  get value(): TypecodeValues[T] {
    return locked(this.getLock(), () => this.#obj.value);
  }

  /**
   * Writes the value under the lock; a value of the wrong kind or out of range changes nothing.
   *
   * @example A refused value
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("B", 1);
   * try {
   *   v.value = 256;
   * } catch (e) {
   *   console.assert(e instanceof RangeError && v.value === 1);
   * }
   * ```
   */
  set value(x: TypecodeValues[T]) {
    locked(this.getLock(), () => (this.#obj.value = x));
  }

  /**
   * The one-letter typecode.
   *
   * @example Any spelling, one letter
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * console.assert(Value("c_double").typecode === "d");
   * ```
   */
  get typecode(): T {
    return this.#obj.typecode;
  }

  /**
   * The unlocked value underneath.
   *
   * @returns The `RawValue` (same memory).
   *
   * @example Fast access while holding the lock
   * ```ts
   * import { Value } from "@sabkit/sabkit";
   * const v = Value("d", 1);
   * using _ = v.guard();
   * v.getObj().value += 0.5;
   * ```
   */
  getObj(): RawValue<T> {
    return this.#obj;
  }
}

/**
 * Makes a shared typed value with a lock (Python's `multiprocessing.Value`).
 * Post it to workers, or pass it in `Process` args: it arrives live, with its
 * lock.
 *
 * @param typecode `"i"`, `"d"`, `"q"`, `"c"`, … or a ctypes or element name (see {@linkcode Typecode}).
 * @param init The initial value; default `0`, `0n`, `"\0"` or `false`.
 * @param options `lock`: `true` (default) a new `RLock`, a `Lock`/`RLock` to share, or `false` for a `RawValue`.
 * @returns A {@linkcode SynchronizedValue}, or the {@linkcode RawValue} with `lock: false`.
 * @throws {TypeError} For an unknown typecode, an `init` of the wrong kind, or a `lock` that is not a sabkit lock.
 * @throws {RangeError} For an integer `init` outside the code's range.
 *
 * @example Values of several typecodes
 * ```ts
 * import { Value } from "@sabkit/sabkit";
 * const n = Value("i", 7);
 * const x = Value("c_double", 0.5);
 * const big = Value("q", 2n ** 40n);
 * const ch = Value("c", "x");
 * const raw = Value("i", 0, { lock: false }); // a RawValue
 * console.assert(n.value + x.value === 7.5 && big.value > 0n && ch.value === "x" && raw.value === 0);
 * ```
 */
export function Value<N extends TypeName>(
  typecode: N,
  init?: ElementValue<N>,
  options?: { lock?: true | Lock | RLock },
): SynchronizedValue<CodeOf<N>>;
/**
 * With `lock: false`: the {@linkcode RawValue} itself, as in Python.
 *
 * @example A RawValue, as Python's Value('i', lock=False)
 * ```ts
 * import { RawValue, Value } from "@sabkit/sabkit";
 * const raw = Value("i", 5, { lock: false });
 * console.assert(raw instanceof RawValue && raw.value === 5);
 * ```
 */
export function Value<N extends TypeName>(
  typecode: N,
  init: ElementValue<N> | undefined,
  options: { lock: false },
): RawValue<CodeOf<N>>;
/**
 * With a `lock` option known only at run time: either kind.
 *
 * @example A lock chosen at run time
 * ```ts
 * import { Value } from "@sabkit/sabkit";
 * function counter(locked: boolean) {
 *   return Value("i", 0, { lock: locked }); // a SynchronizedValue or a RawValue
 * }
 * console.assert(counter(true).value === 0 && counter(false).value === 0);
 * ```
 */
export function Value<N extends TypeName>(
  typecode: N,
  init?: ElementValue<N>,
  options?: SharedDataOptions,
): SynchronizedValue<CodeOf<N>> | RawValue<CodeOf<N>>;
export function Value<N extends TypeName>(
  typecode: N,
  init?: ElementValue<N>,
  options?: SharedDataOptions,
): SynchronizedValue<CodeOf<N>> | RawValue<CodeOf<N>> {
  const spec = specOf(typecode);
  const what = `Value(${describe(typecode)})`;
  if (init !== undefined) encode(spec, init, `The initial value of ${what}`);
  const { lock } = optionsOf(options, what);
  if (lock !== undefined && typeof lock !== "boolean") lockOption(lock, what);
  const obj = RawValue(typecode, init);
  const chosen = lockOption(lock, what);
  return chosen === null ? obj : new SynchronizedValue(obj, chosen);
}
