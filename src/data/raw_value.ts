/**
 * `RawValue`: Python's `multiprocessing.RawValue`, one typed value in shared
 * memory with no lock.
 *
 * @module
 */

import { decode, encode, type Spec, specOf } from "../core/_codec.ts";
import { forgedMeta } from "./_options.ts";
import { describe } from "../core/_describe.ts";
import { attach, defineKind, type Handle, takePreset } from "../core/_handle.ts";
import type { CodeOf, ElementValue, Typecode, TypecodeValues, TypeName } from "../core/typecodes.ts";

/** The value sits after the 8-byte header so 64-bit views are aligned. */
const VALUE_OFFSET = 8;
/** The header's second word: the typecode's char code, so a handle cannot re-type the bytes. */
const TYPECODE = 1;
const BYTES = 16;

/**
 * One typed value in shared memory, without a lock: what `RawValue()` and
 * `Value(code, init, { lock: false })` return.
 *
 * Reads and writes of integer, `c`, `u` and `?` codes use `Atomics`, so no
 * reader ever sees half of a write. Floats (`f`, `d`) are plain accesses: the
 * JavaScript memory model does not promise that a float64 is never torn, and
 * Python's `RawValue` is not atomic either. A read-modify-write such as
 * `v.value += 1` is never atomic; use a `Value` and its `guard()` for that.
 *
 * @example A value without a lock
 * ```ts
 * import { RawValue } from "@sabkit/sabkit";
 * const v: RawValue<"i"> = RawValue("i", 5);
 * v.value = 6;
 * console.assert(v.value === 6 && v.typecode === "i");
 * ```
 */
export interface RawValue<T extends Typecode = Typecode> {
  /** The value; setting checks it first (`TypeError`, `RangeError`) and changes nothing if it is refused. */
  value: TypecodeValues[T];
  /** The one-letter typecode. */
  readonly typecode: T;
}

/**
 * The callable constructor of {@linkcode RawValue}: works with and without `new`.
 *
 * @example With and without new
 * ```ts
 * import { RawValue } from "@sabkit/sabkit";
 * const a = RawValue("d", 0.5);
 * const b = new RawValue("d", 0.5);
 * console.assert(a instanceof RawValue && b instanceof RawValue && a.value === b.value);
 * ```
 */
export interface RawValueConstructor {
  /** Makes a new shared value (see {@linkcode RawValue}). */
  <N extends TypeName>(typecode: N, init?: ElementValue<N>): RawValue<CodeOf<N>>;
  /** Makes a new shared value (see {@linkcode RawValue}). */
  new <N extends TypeName>(typecode: N, init?: ElementValue<N>): RawValue<CodeOf<N>>;
  /** What `instanceof RawValue` checks. */
  readonly prototype: RawValue;
}

type Cell = { [i: number]: number | bigint } & ArrayLike<number | bigint>;

function codeOf(meta: unknown): Typecode {
  const code = (meta as { typecode?: unknown } | null)?.typecode;
  try {
    return specOf(code).code;
  } catch {
    return forgedMeta(`the RawValue typecode is ${describe(code)}`);
  }
}

const Impl = class RawValue {
  static {
    defineKind(this, "RawValue", {
      bytes: BYTES,
      create: (h: Handle) => {
        const code = codeOf(h.meta);
        const stored = Atomics.load(new Int32Array(h.buffer, h.byteOffset, 2), TYPECODE);
        if (stored !== code.charCodeAt(0)) {
          forgedMeta(
            `the RawValue typecode is "${code}", but its memory holds ${
              describe(String.fromCharCode(stored))
            }`,
          );
        }
        return new Impl(code);
      },
    });
  }

  #spec: Spec;
  #cell: Cell;
  #atomic: boolean;

  constructor(typecode: unknown, init?: unknown) {
    const { handle } = takePreset();
    const spec = specOf(typecode);
    const raw = init === undefined || handle
      ? undefined
      : encode(spec, init, `The initial value of RawValue(${describe(typecode)})`);
    const header = attach(this, Impl, BYTES, handle, { typecode: spec.code });
    this.#spec = spec;
    this.#cell = new spec.Array(header.buffer, header.byteOffset + VALUE_OFFSET, 1) as unknown as Cell;
    this.#atomic = spec.kind !== "float";
    if (!handle) header[TYPECODE] = spec.code.charCodeAt(0);
    if (raw !== undefined) this.#cell[0] = raw;
  }

  get value(): unknown {
    const cell = this.#cell as unknown as Int32Array;
    return decode(this.#spec, this.#atomic ? Atomics.load(cell, 0) : cell[0]);
  }

  set value(x: unknown) {
    const raw = encode(this.#spec, x, `The value of a RawValue("${this.#spec.code}")`);
    if (this.#atomic) Atomics.store(this.#cell as unknown as Int32Array, 0, raw as number);
    else this.#cell[0] = raw;
  }

  get typecode(): Typecode {
    return this.#spec.code;
  }
};

/**
 * Makes one typed value in shared memory, with no lock (Python's
 * `multiprocessing.RawValue`). Post it to workers (or pass it in `Process`
 * args): it arrives live on the same memory. Callable with or without `new`.
 *
 * @param typecode `"i"`, `"d"`, `"q"`, `"c"`, … or a ctypes or element name (see {@linkcode Typecode}).
 * @param init The initial value; default `0`, `0n`, `"\0"` or `false`.
 * @returns The shared value; `.value` reads and writes it.
 * @throws {TypeError} For an unknown typecode or an `init` of the wrong kind (a number for `q`, …).
 * @throws {RangeError} For an integer `init` outside the code's range.
 *
 * @example A shared double
 * ```ts
 * import { RawValue } from "@sabkit/sabkit";
 * const v = RawValue("d", 1.5);
 * v.value *= 2;
 * console.assert(v.value === 3);
 * const big = RawValue("q", 2n ** 62n); // 64-bit codes hold bigint
 * console.assert(big.value === 2n ** 62n);
 * ```
 */
export const RawValue: RawValueConstructor = function RawValue(typecode: unknown, init?: unknown) {
  return new Impl(typecode, init);
} as unknown as RawValueConstructor;
(RawValue as { prototype: unknown }).prototype = Impl.prototype;
Object.defineProperty(Impl.prototype, "constructor", { value: RawValue });
