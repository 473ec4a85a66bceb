/**
 * What survives `postMessage`: every sabkit object carries one own enumerable
 * property, {@linkcode HANDLE_KEY}, holding a structured-clone-safe record of
 * the memory it lives on. Structured clone keeps only that record; `revive`
 * checks it and builds a live object on the same memory. Anything forged is a
 * `TypeError`, never a silent view on the wrong bytes.
 *
 * The checks trust nothing a record can fake: each field is read exactly once
 * (a getter or a Proxy cannot show the checks one buffer and the build
 * another), buffers and typed arrays are measured through the engine's own
 * getters (not through properties an object may shadow), handles nested in
 * `meta` are checked as strictly as top-level ones, and the memory a typed
 * array in `meta` views may not be a sabkit object's own memory.
 *
 * @module
 */

import { adoptDomain, domainBuffer, isDomain } from "./_agent.ts";
import { describe, withArticle } from "./_describe.ts";
import { KIND_NAMES, KIND_TAGS, type KindName } from "./_kinds.ts";
import { KIND_NAMES_BY_PROTOTYPE } from "./_names.ts";

/** The property that carries a sabkit object's handle through structured clone. */
export const HANDLE_KEY = "__sabkit";
const BRAND = "sabkit/1";
/** The first word of every object's memory is `MAGIC_BASE + tag` of its kind. */
const MAGIC_BASE = 0x5ab00000;
/** Every object's memory starts on an 8-byte boundary (bigint and float64 views). */
const ALIGN = 8;

/** The structured-clone-safe description of a sabkit object. */
export interface Handle {
  /** Always `"sabkit/1"`. */
  readonly brand: string;
  /** The kind's name (`"Lock"`, `"RLock"`, …; see `_kinds.ts`). */
  readonly kind: string;
  /** The shared memory the object lives on. */
  readonly buffer: SharedArrayBuffer;
  /** Where the object starts in `buffer`. */
  readonly byteOffset: number;
  /** How many bytes it spans. */
  readonly byteLength: number;
  /** The agent-id domain of the program that made it. */
  readonly domain: SharedArrayBuffer;
  /** Kind-specific plain data; may contain other sabkit objects. */
  readonly meta: unknown;
}

/** How one kind of object is checked and brought back to life. */
export interface KindSpec<T extends object> {
  /**
   * The byte length of every object of the kind, or the byte length its
   * memory must have for a revived `meta` (it throws for a meta no object
   * of the kind has).
   */
  readonly bytes: number | ((meta: unknown) => number);
  /**
   * Calls the class's constructor for a checked handle (`meta` already
   * revived; check what the constructor does not). The handle waits in the
   * construct slot: the constructor's first step, {@linkcode takePreset},
   * takes it. Default: the constructor with no arguments.
   */
  create?(handle: Handle): T;
}

/** A kind as defined: its name and tag from the one table (`_kinds.ts`), its size, its constructor call. */
export interface Kind<T extends object> {
  /** The kind's name, as found in `Handle.kind`. */
  readonly name: KindName;
  /** Its tag: its memory's first word is `MAGIC_BASE + tag`. */
  readonly tag: number;
  /** The byte length of every object of the kind, if it does not depend on `meta`. */
  readonly fixed: number | undefined;
  /** The byte length the memory must have for a revived `meta`. */
  byteLength(meta: unknown): number;
  /** Builds the live object (see {@linkcode KindSpec.create}). */
  create(handle: Handle): T;
}

/** A class (its constructor), as `new.target` gives it. */
// deno-lint-ignore ban-types
export type Class = Function;

const byName = new Map<string, Kind<object>>();
/** Kinds by their class's prototype (a callable wrapper such as `RawValue` shares its class's). */
const byPrototype = new WeakMap<object, Kind<object>>();
/** Every object `brand` made in this agent, and its kind: what a `meta` may hold as it is. */
const live = new WeakMap<object, KindName>();

/**
 * Defines the kind of the objects `cls` builds; called once, from a `static`
 * block of the class, so the kind exists whenever the class does (a bundler
 * that keeps the class keeps its kind). A second definition of a name or of
 * a class throws.
 */
export function defineKind<T extends object>(cls: Class, name: KindName, spec: KindSpec<T>): Kind<T> {
  const prototype = cls.prototype as object;
  if (byName.has(name) || byPrototype.has(prototype)) {
    throw new Error(`sabkit: the kind ${name} is defined twice`);
  }
  const { bytes } = spec;
  const kind: Kind<T> = Object.freeze({
    name,
    tag: KIND_TAGS[name],
    fixed: typeof bytes === "number" ? bytes : undefined,
    byteLength: typeof bytes === "number" ? () => bytes : bytes,
    create: spec.create ?? (() => new (cls as new () => T)()),
  });
  byName.set(name, kind as Kind<object>);
  byPrototype.set(prototype, kind as Kind<object>);
  KIND_NAMES_BY_PROTOTYPE.set(prototype, name);
  return kind;
}

/** The kind of the objects `cls` builds: its own, or the nearest base class's (a user's subclass). */
export function kindOf(cls: Class): Kind<object> {
  return kindBy(cls.prototype);
}

/** The kind of an object under construction, from its prototype chain (`new.target`'s prototype). */
function kindBy(prototype: unknown): Kind<object> {
  for (let p = prototype; typeof p === "object" && p !== null; p = Object.getPrototypeOf(p)) {
    const kind = byPrototype.get(p);
    if (kind !== undefined) return kind;
  }
  throw new TypeError(`${describe(prototype)} is the prototype of no kind of sabkit object`);
}

/** What a constructor call is given besides its arguments. */
export interface Preset {
  /** The checked handle being revived: the constructor attaches to its memory. */
  readonly handle?: Handle;
  /** The typecode, where the arguments cannot tell it (a `?` array is a `Uint8Array`). */
  readonly typecode?: string;
}

const NONE: Preset = Object.freeze({});

/**
 * The construct slot: what {@linkcode construct} gives the constructor it
 * calls, held from just before that call until the constructor takes it
 * (synchronously, with no user code in between).
 */
let slot: Preset | undefined;

/** Every sabkit constructor's first step: takes what it was given (once); empty for a plain `new`. */
export function takePreset(): Preset {
  const preset = slot ?? NONE;
  slot = undefined;
  return preset;
}

/** Calls `make`, whose sabkit constructor takes `preset`; throws if it never did. */
export function construct<T>(preset: Preset, make: () => T): T {
  slot = preset;
  try {
    const made = make();
    if (slot !== undefined) throw new Error("sabkit: a constructor did not take its preset");
    return made;
  } finally {
    slot = undefined;
  }
}

/** Allocates zeroed, aligned shared memory for a new object of `kind`. */
export function allocate(kind: Kind<object>, byteLength: number): Int32Array {
  const i32 = new Int32Array(new SharedArrayBuffer(roundUp(byteLength)));
  i32[0] = MAGIC_BASE + kind.tag;
  return i32;
}

/** The memory of an object: the revived handle's, or new memory for `kind`. */
export function memoryOf(kind: Kind<object>, byteLength: number, handle: Handle | undefined): Int32Array {
  return handle === undefined
    ? allocate(kind, byteLength)
    : new Int32Array(handle.buffer, handle.byteOffset, byteLength / 4);
}

function roundUp(byteLength: number): number {
  return Math.ceil(byteLength / ALIGN) * ALIGN;
}

/**
 * The kind `target` is being built as by the constructor of `own`: the
 * nearest kind in its prototype chain (that of `new.target`), which must
 * lead to `own` (`Reflect.construct(Semaphore, [], Lock)` would make a Lock
 * on a Semaphore's words).
 */
function kindBuilt(target: object, own: Class): Kind<object> {
  let kind: Kind<object> | undefined;
  for (let p = Object.getPrototypeOf(target); p !== null; p = Object.getPrototypeOf(p)) {
    kind ??= byPrototype.get(p);
    if (p === own.prototype) return kind!;
  }
  throw new TypeError(`${describe(target)} is not built by its own class: new.target does not extend it`);
}

/**
 * A constructor's memory step, after it took its preset: the memory of the
 * kind `target` is being built as (see `kindBuilt`; `own` is the class whose
 * constructor runs), the handle's or new, with `target` branded on it.
 */
export function attach(
  target: object,
  own: Class,
  byteLength: number,
  handle: Handle | undefined,
  meta: unknown = null,
): Int32Array {
  const kind = kindBuilt(target, own);
  if (handle !== undefined && handle.kind !== kind.name) {
    // Only a constructor reached from the wrong kind's revive gets here: never attach across kinds.
    throw new TypeError(
      `Cannot revive a sabkit object: ${withArticle(handle.kind)} cannot become ${withArticle(kind.name)}`,
    );
  }
  const memory = memoryOf(kind, byteLength, handle);
  brand(target, kind, memory, byteLength, meta);
  return memory;
}

/** Attaches the handle to a live object (the only own enumerable property it has). */
export function brand(
  target: object,
  kind: Kind<object>,
  memory: Int32Array,
  byteLength: number,
  meta: unknown = null,
): void {
  const handle: Handle = {
    brand: BRAND,
    kind: kind.name,
    buffer: memory.buffer as SharedArrayBuffer,
    byteOffset: memory.byteOffset,
    byteLength,
    domain: domainBuffer(),
    meta,
  };
  Object.defineProperty(target, HANDLE_KEY, { value: handle, enumerable: true });
  live.set(target, kind.name);
}

/** Whether `x` is a sabkit object made (or revived) in this agent, not a look-alike. */
export function isLive(x: unknown): boolean {
  return typeof x === "object" && x !== null && live.has(x);
}

/**
 * The kind of a sabkit object made (or revived) in this agent; `undefined`
 * for anything else. A lookup that runs no user code (unlike `instanceof`,
 * which a Proxy in a prototype chain can answer), so it is safe while a
 * handle waits in the construct slot.
 */
export function liveKind(x: unknown): KindName | undefined {
  return typeof x === "object" && x !== null ? live.get(x) : undefined;
}

/** The handle of a live sabkit object, or `undefined`. */
export function handleOf(x: unknown): Handle | undefined {
  if (typeof x !== "object" || x === null || !Object.hasOwn(x, HANDLE_KEY)) return undefined;
  return (x as Record<string, Handle>)[HANDLE_KEY];
}

// The engine's own getters: an object may shadow `byteLength` or `buffer` with
// a property of its own, or be a look-alike with the right prototype; these
// read the internal slots, and throw for anything that is not the real thing.
const getter = (o: object, key: PropertyKey): (this: unknown) => unknown =>
  Object.getOwnPropertyDescriptor(o, key)!.get! as (this: unknown) => unknown;
const SAB_BYTE_LENGTH = getter(SharedArrayBuffer.prototype, "byteLength");
const TYPED_ARRAY = Object.getPrototypeOf(Int8Array.prototype) as object;
const TA_NAME = getter(TYPED_ARRAY, Symbol.toStringTag);
const TA_BUFFER = getter(TYPED_ARRAY, "buffer");
const TA_BYTE_OFFSET = getter(TYPED_ARRAY, "byteOffset");
const TA_LENGTH = getter(TYPED_ARRAY, "length");

/** The byte length of a genuine `SharedArrayBuffer`; `undefined` for anything else (a Proxy, a look-alike). */
export function sharedLength(x: unknown): number | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  try {
    return SAB_BYTE_LENGTH.call(x) as number;
  } catch {
    return undefined;
  }
}

/** What a genuine typed array is, read from its internal slots. */
export interface View {
  /** Its class's name: `"Float64Array"`, … */
  readonly name: string;
  /** The memory it views. */
  readonly buffer: ArrayBufferLike;
  /** Where it starts in `buffer`. */
  readonly byteOffset: number;
  /** How many elements it has. */
  readonly length: number;
}

/**
 * The class name of a genuine typed array (`"Float64Array"`, …), from its
 * internal slots; `undefined` for anything else (a Proxy, a look-alike).
 * Never throws, never runs user code.
 */
export function typedArrayName(x: unknown): string | undefined {
  return TA_NAME.call(x) as string | undefined;
}

/** The internal slots of a genuine typed array; `undefined` for anything else (a Proxy, a look-alike). */
export function viewOf(x: unknown): View | undefined {
  if (typeof x !== "object" || x === null) return undefined;
  try {
    const name = TA_NAME.call(x);
    if (typeof name !== "string") return undefined;
    return {
      name,
      buffer: TA_BUFFER.call(x) as ArrayBufferLike,
      byteOffset: TA_BYTE_OFFSET.call(x) as number,
      length: TA_LENGTH.call(x) as number,
    };
  } catch {
    return undefined;
  }
}

/**
 * What sabkit object's own memory `buffer` is (`"a Lock"`, …, or the agent
 * id domain); `undefined` if it is not one. Each object's memory is a buffer
 * of its own whose first word is its kind's tag (and whose length is the
 * kind's size, when fixed); a typed array of user data over such a buffer
 * would corrupt that object, so shared data may not be made of it. A buffer
 * of user data that happens to look exactly like that (the tag word first,
 * the kind's exact size) is refused as well: content cannot tell them apart.
 */
export function objectMemory(buffer: SharedArrayBuffer): string | undefined {
  const total = sharedLength(buffer);
  if (total === undefined) return undefined;
  if (total >= 4) {
    const name = KIND_NAMES.get(Atomics.load(new Int32Array(buffer, 0, 1), 0) - MAGIC_BASE);
    if (name !== undefined) {
      // A kind this agent has not loaded cannot be measured: its tag alone decides.
      const kind = byName.get(name);
      const size = kind?.fixed;
      if (size === undefined || total === roundUp(size)) return withArticle(name);
    }
  }
  return isDomain(buffer) ? "the agent id domain" : undefined;
}

/** How every refusal of `revive` begins. */
const FORGED = "Cannot revive a sabkit object: ";

function forged(why: string, cause?: unknown): never {
  throw new TypeError(`${FORGED}${why}`, cause === undefined ? undefined : { cause });
}

/** A handle record's fields, each read once. */
interface Fields {
  brand: unknown;
  kind: unknown;
  buffer: unknown;
  byteOffset: unknown;
  byteLength: unknown;
  domain: unknown;
  meta: unknown;
}

/** Reads each field of a record exactly once, in a fixed order (getters and Proxy traps run once each). */
function readFields(record: object): Fields {
  const r = record as Record<string, unknown>;
  try {
    const brand = r.brand;
    const kind = r.kind;
    const buffer = r.buffer;
    const byteOffset = r.byteOffset;
    const byteLength = r.byteLength;
    const domain = r.domain;
    const meta = r.meta;
    return { brand, kind, buffer, byteOffset, byteLength, domain, meta };
  } catch (cause) {
    return forged("reading the handle threw", cause);
  }
}

/** A genuine, unaltered `SharedArrayBuffer` (properties read off it are the engine's own). */
function isPlainShared(x: unknown): x is SharedArrayBuffer {
  return sharedLength(x) !== undefined && Object.getPrototypeOf(x) === SharedArrayBuffer.prototype &&
    Reflect.ownKeys(x as object).length === 0;
}

/** Checks a received handle record and returns the live object. */
function reviveHandle(record: unknown, cx: Revival): object {
  if (typeof record !== "object" || record === null) forged(`the handle is ${describe(record)}`);
  // Copied to locals first, then checked, then built from the locals only.
  const h = readFields(record);
  if (h.brand !== BRAND) forged(`the brand is ${describe(h.brand)}, expected "${BRAND}"`);
  const kind = typeof h.kind === "string" ? cx.kinds.get(h.kind) : undefined;
  if (kind === undefined) forged(`unknown kind ${describe(h.kind)}`);
  const { buffer, byteOffset, byteLength, domain } = h;
  const total = sharedLength(buffer);
  if (total === undefined) forged(`the ${kind.name} memory is ${describe(buffer)}, not a SharedArrayBuffer`);
  if (!isInteger(byteOffset) || byteOffset % ALIGN !== 0) {
    forged(`the ${kind.name} byte offset ${describe(byteOffset)} is not a multiple of ${ALIGN}`);
  }
  const meta = walkMeta(h.meta, cx, kind.name);
  const expected = kind.byteLength(meta);
  if (byteLength !== expected) {
    forged(`the ${kind.name} byte length is ${describe(byteLength)}, expected ${expected}`);
  }
  if (byteOffset + expected > total) {
    forged(`the ${kind.name} spans bytes ${byteOffset}..${byteOffset + expected} of a ${total}-byte buffer`);
  }
  // Every object has a buffer of its own (`allocate`): data on the rest of a larger one would overlap it.
  if (byteOffset !== 0 || total !== roundUp(expected)) {
    forged(
      `the ${kind.name} is bytes ${byteOffset}..${
        byteOffset + expected
      } of a ${total}-byte buffer, not a buffer of its own`,
    );
  }
  const shared = buffer as SharedArrayBuffer;
  const word = Atomics.load(new Int32Array(shared, byteOffset, 1), 0);
  if (word !== MAGIC_BASE + kind.tag) forged(`the memory does not hold ${withArticle(kind.name)}`);
  if (!isPlainShared(domain) || !isDomain(domain)) forged(`the agent domain is ${describe(domain)}`);
  adoptDomain(domain);
  const handle: Handle = Object.freeze({
    brand: BRAND,
    kind: kind.name,
    buffer: shared,
    byteOffset,
    byteLength: expected,
    domain,
    meta,
  });
  return construct({ handle }, () => kind.create(handle));
}

/** Revives `meta` strictly; what a getter or Proxy trap in it throws becomes the revive's `TypeError`. */
function walkMeta(meta: unknown, cx: Revival, owner: string): unknown {
  try {
    return walk(meta, cx, owner);
  } catch (e) {
    if (e instanceof TypeError && e.message.startsWith(FORGED)) throw e;
    return forged(`reading the ${owner} meta threw`, e);
  }
}

function isInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** Marks a handle record being revived: meeting it again inside itself is a cycle no object has. */
const PENDING = Symbol("reviving");

/**
 * Revives the sabkit objects inside `x`. Inside a handle's `meta` (`owner` is
 * the kind's name) it is strict: only plain data, handle records, typed
 * arrays and sabkit objects live in this agent may appear there.
 */
function walk(x: unknown, cx: Revival, owner?: string): unknown {
  const seen = cx.seen;
  if (typeof x !== "object" || x === null) {
    if (owner !== undefined && typeof x === "function") forged(`the ${owner} meta holds ${describe(x)}`);
    return x;
  }
  if (seen.has(x)) {
    const done = seen.get(x);
    if (done === PENDING) forged(`the ${owner ?? "handle"} contains its own handle`);
    return done;
  }
  if (live.has(x)) return x;
  if (Object.hasOwn(x, HANDLE_KEY)) {
    if (Object.keys(x).length === 1 && Object.getPrototypeOf(x) === Object.prototype) {
      seen.set(x, PENDING);
      const revived = reviveHandle((x as Record<string, unknown>)[HANDLE_KEY], cx);
      seen.set(x, revived);
      return revived;
    }
    // Not a handle record as structured clone delivers one, and not a live object: a clone of
    // an object with own properties besides its handle (a subclass's public fields do not travel).
    if (owner !== undefined) forged(`the ${owner} meta holds ${describe(x)}, which is not a sabkit object`);
    const extra = Object.keys(x).filter((k) => k !== HANDLE_KEY).slice(0, 3).join(", ");
    forged(
      `${describe(x)} carries ${
        extra === "" ? "no plain record" : `own properties (${extra})`
      } besides its handle; ` +
        "a subclass's public fields do not travel: keep its state in #private fields or shared memory",
    );
  }
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    seen.set(x, out);
    for (const item of x) out.push(walk(item, cx, owner));
    return out;
  }
  if (x instanceof Map) {
    const out = new Map();
    seen.set(x, out);
    for (const [k, v] of x) out.set(walk(k, cx, owner), walk(v, cx, owner));
    return out;
  }
  if (x instanceof Set) {
    const out = new Set();
    seen.set(x, out);
    for (const v of x) out.add(walk(v, cx, owner));
    return out;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) {
    if (owner !== undefined && viewOf(x) === undefined) forged(`the ${owner} meta holds ${describe(x)}`);
    return x;
  }
  const out: Record<string, unknown> = {};
  seen.set(x, out);
  for (const [k, v] of Object.entries(x)) out[k] = walk(v, cx, owner);
  return out;
}

/** One call of `revive`: the records met so far, and the kinds it can build. */
interface Revival {
  readonly seen: Map<object, unknown>;
  readonly kinds: ReadonlyMap<string, Kind<object>>;
}

const tables = new WeakMap<readonly Class[], ReadonlyMap<string, Kind<object>>>();

/**
 * Makes every sabkit object inside `value` live again, building only the
 * kinds of `classes` (`revive` passes every class by value, so a bundler
 * keeps every class, and with it the kind its `static` block defines).
 * Walks arrays, plain objects, `Map`s and `Set`s; returns other values
 * unchanged.
 */
export function reviveWith<T>(value: T, classes: readonly Class[]): T {
  let kinds = tables.get(classes);
  if (kinds === undefined) {
    kinds = new Map(classes.map((c) => [kindOf(c).name, kindOf(c)]));
    tables.set(classes, kinds);
  }
  return walk(value, { seen: new Map(), kinds }) as T;
}

/**
 * Makes every sabkit object inside `value` live again, building any kind
 * this agent has loaded: for values that arrive through a queue, whose
 * modules cannot import `revive` (it names the queue classes: an import
 * cycle). Every entrypoint that has the queues loads `revive` too.
 */
export function reviveLoaded<T>(value: T): T {
  return walk(value, { seen: new Map(), kinds: byName }) as T;
}
