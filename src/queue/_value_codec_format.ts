/**
 * The value codec's wire format (tags, the typed array and error codes) and
 * what the runtime offers for text, shared by the encoder and the decoder.
 *
 * @module
 */

// Tags. 0x80..0xff are the small integers 0..127.
export const T_UNDEFINED = 0;
export const T_NULL = 1;
export const T_FALSE = 2;
export const T_TRUE = 3;
export const T_INT = 4;
export const T_F64 = 5;
export const T_UTF8 = 6;
export const T_UTF16 = 7;
export const T_BIGINT64 = 8;
export const T_BIGINT = 9;
export const T_REF = 10;
export const T_ARRAY = 11;
export const T_HOLE = 12;
export const T_OBJECT = 13;
export const T_SHAPE_NEW = 14;
export const T_SHAPE = 15;
export const T_MAP = 16;
export const T_SET = 17;
export const T_END = 18;
export const T_DATE = 19;
export const T_REGEXP = 20;
export const T_ARRAYBUFFER = 21;
export const T_RESIZABLE = 22;
export const T_SAB = 23;
export const T_VIEW = 24;
export const T_ERROR = 25;
export const T_DOMEXCEPTION = 26;
export const T_BOOLEAN_OBJECT = 27;
export const T_NUMBER_OBJECT = 28;
export const T_STRING_OBJECT = 29;
export const T_BIGINT_OBJECT = 30;
/** A long string whose UTF-8 bytes are all ASCII (the encoder knows it: as many bytes as units), read as Latin-1. */
export const T_ASCII = 31;
/**
 * A plain object with its key list as one block (byte length, then the key
 * count and the keys), then its values: the encoder copies the block of a
 * key list it wrote in an earlier value, and the decoder looks the block up
 * in the key lists it read before (a byte compare) to fill the object with
 * stores of constant keys. Each item stays self-describing, so any consumer
 * can read any item.
 */
export const T_SHAPE_DEF = 32;
export const SMALL_INT = 0x80;

/** Arrays up to this length are checked for non-index properties (see the module doc). */
export const ARRAY_PROPS_MAX = 64;
/** Buffers of this many bytes or more start at a multiple of 8 from the value's start. */
export const ALIGN_MIN = 64;
/** Values with up to this many objects find repeats by a linear search, larger ones by a Map. */
export const LINEAR_OBJECTS = 16;
/** Plain objects with more keys than this are not remembered as shapes. */
export const SHAPE_MAX_KEYS = 64;
/** Shapes compared before a new one is defined (most recent first). */
export const SHAPE_CACHE = 8;
/** Key lists an encoder keeps across values (most recent first), and the most characters of their keys in all. */
export const SHAPE_DEFS = 16;
export const SHAPE_DEF_CHARS = 1024;
/** A scratch buffer larger than this is dropped at the next encode, so one huge value does not pin memory. */
export const SCRATCH_KEEP: number = 1 << 22;
/** The scratch buffer's first size. */
export const SCRATCH_INITIAL: number = 1 << 12;

/** Error constructors by the name structured clone keeps (any other name arrives as "Error"). */
export const ERROR_TYPES: readonly ErrorConstructor[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
];
export const ERROR_CODES: ReadonlyMap<unknown, number> = new Map(ERROR_TYPES.map((E, i) => [E.name, i]));

export type ViewConstructor = new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => ArrayBufferView;
const g = globalThis as Record<string, unknown>;
/** Typed array names by code; the code is the index. DataView last. */
export const VIEW_NAMES: readonly string[] = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
  "DataView",
];
export const VIEW_CODES: ReadonlyMap<string, number> = new Map(VIEW_NAMES.map((n, i) => [n, i]));
export const DATAVIEW_CODE: number = VIEW_NAMES.length - 1;
export const VIEWS: readonly (ViewConstructor | undefined)[] = VIEW_NAMES.map((n) =>
  g[n] as ViewConstructor | undefined
);

/** %TypedArray%.prototype's `Symbol.toStringTag` getter: a typed array's own kind, whatever its class. */
export const TYPED_ARRAY_NAME: (this: unknown) => string | undefined = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)!.get as (this: unknown) => string | undefined;

export const HasSAB: boolean = typeof SharedArrayBuffer === "function";
export const DOMExceptionClass = g.DOMException as
  | (new (message?: string, name?: string) => Error)
  | undefined;

/** Classes structured clone refuses (or that we cannot read synchronously), where the runtime has them. */
export const REFUSED: readonly (abstract new (...args: never[]) => unknown)[] = [
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "FinalizationRegistry",
  "Promise",
  "Symbol",
  "Blob",
  "MessagePort",
  "ReadableStream",
  "WritableStream",
  "TransformStream",
].map((n) => g[n]).filter((c): c is abstract new (...args: never[]) => unknown => typeof c === "function");

/** A Node or Bun `Buffer`: its native UTF-8 methods beat TextEncoder/TextDecoder two to one there. */
export interface NodeBuffer extends Uint8Array {
  utf8Write(text: string, offset: number, length: number): number;
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  ucs2Write(text: string, offset: number, length: number): number;
  ucs2Slice(start: number, end: number): string;
  copy(target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number): number;
}
interface BufferClass {
  from(buffer: ArrayBufferLike, byteOffset?: number, length?: number): NodeBuffer;
  prototype: NodeBuffer;
}
const process = g.process as { versions?: { node?: string } } | undefined;
const maybeBuffer = g.Buffer as BufferClass | undefined;
/**
 * The runtime's own `Buffer` on Node, Bun and Deno (not a bundler's polyfill
 * in a browser, which decodes in JavaScript).
 */
export const RuntimeBuffer: BufferClass | undefined = maybeBuffer !== undefined &&
    typeof maybeBuffer.prototype.utf8Slice === "function" &&
    typeof maybeBuffer.prototype.latin1Slice === "function" &&
    typeof maybeBuffer.prototype.utf8Write === "function" &&
    typeof maybeBuffer.prototype.ucs2Slice === "function" &&
    typeof maybeBuffer.prototype.ucs2Write === "function" &&
    ("Bun" in g || typeof process?.versions?.node === "string")
  ? maybeBuffer
  : undefined;
/** Deno's Buffer.utf8Write is JavaScript over TextEncoder: slower than encodeInto there (measured). */
export const BUFFER_WRITES: boolean = RuntimeBuffer !== undefined && !("Deno" in g);
/** Node's Buffer.copy out of shared memory is a memmove: 14 GB/s against 6 for Uint8Array.slice (measured); Bun's and Deno's are no faster than float64 copies. */
export const BUFFER_COPIES: boolean = RuntimeBuffer !== undefined && !("Deno" in g) && !("Bun" in g);

/**
 * From this many bytes, Deno decodes UTF-8 with TextDecoder rather than its
 * Buffer's utf8Slice (JavaScript there: 3.6 GB/s from 2,000 bytes up, where
 * TextDecoder reaches 7.5 at 20,000 and 13 at 1 MB; measured); never on Node
 * and Bun, whose utf8Slice is native.
 */
export const TEXT_DECODER_MIN: number = "Deno" in g ? 4096 : Infinity;

export const textEncoder: TextEncoder = new TextEncoder();
export const textDecoder: TextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
/** Browsers' TextDecoder refuses views on shared memory; those are copied first there. */
export const DECODER_TAKES_SHARED: boolean = (() => {
  if (!HasSAB) return true;
  try {
    textDecoder.decode(new Uint8Array(new SharedArrayBuffer(1)));
    return true;
  } catch {
    return false;
  }
})();
/**
 * Whether long UTF-8 text out of shared memory is decoded faster from a
 * private copy: browsers' TextDecoder refuses shared views, and Deno's
 * decodes them at a quarter of its speed (1 MB: 388 µs from shared memory,
 * 87 from an ArrayBuffer, ~70 for the copy; Node and Bun gain nothing: 198
 * against 146 + 70, 197 against 126 + 70; measured). Large items are
 * decoded in the ring (`Items.tryGet`), so this is their path.
 */
export const DECODE_FROM_COPY: boolean = !DECODER_TAKES_SHARED || "Deno" in g;
/**
 * Strings shorter than this are encoded by a charCodeAt loop, longer ones by
 * Buffer.utf8Write or TextEncoder.encodeInto: where those cross over (measured:
 * Node's utf8Write from about 20 characters; Bun's loop and Deno's encodeInto
 * near 60).
 */
export const SHORT_STRING: number = BUFFER_WRITES && !("Bun" in g) ? 24 : 64;
