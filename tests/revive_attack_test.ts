/**
 * The revive path as an adversarial user meets it: forged and truncated
 * handles of every kind, meta getters and Proxies that build other sabkit
 * objects while a handle is revived, constructors that throw in the middle of
 * a revive (the construct slot must be left empty), users' subclasses,
 * typecodes that a typed array cannot tell (`c`, `?`), `copy()`, identity of
 * a handle met twice, and bundles minified as users ship them (class names
 * mangled: messages must still name kinds). Each bug they found is fixed
 * in `src/`; its test stays here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { build, type Plugin } from "esbuild";
import * as sabkit from "../mod.ts";
import {
  Barrier,
  BoundedSemaphore,
  Channel,
  Condition,
  copy,
  Event,
  FloatChannel,
  Lock,
  RawArray,
  RawValue,
  revive,
  RLock,
  Semaphore,
  SharedArray,
  synchronized,
  SynchronizedArray,
  SynchronizedString,
  SynchronizedValue,
  Value,
} from "../mod.ts";
import { construct, type Handle, HANDLE_KEY, handleOf } from "../src/core/_handle.ts";
import { KIND_TAGS } from "../src/core/_kinds.ts";
import { runtime, withProcesses } from "./_util.ts";
import { ask, type ModuleWorker, startModuleWorker } from "./_bundle.ts";
import { BASES, kindMessages, type Revived, valueMessages } from "./bundle/attack_probe.ts";

/** The first word of every object's memory is this plus its kind's tag (see _handle.ts). */
const MAGIC_BASE = 0x5ab00000;
type KindName = keyof typeof KIND_TAGS;
const KINDS = Object.keys(KIND_TAGS) as KindName[];

/** One object of every kind, and of each typecode a typed array cannot tell. */
function everyKind() {
  return {
    lock: new Lock(),
    rlock: new RLock(),
    semaphore: new Semaphore(2),
    bounded: new BoundedSemaphore(2),
    condition: new Condition(new Lock()),
    event: new Event(),
    barrier: new Barrier(2, { timeout: 1000 }),
    rawValue: RawValue("i", 5),
    value: Value("d", 1.5),
    doubles: SharedArray("d", [1, 2]),
    flags: SharedArray("?", [true, false]),
    bytes: SharedArray("c", "ab"),
    wide: SharedArray("u", "日本"),
    words: SharedArray("H", [7, 8]),
    channel: new Channel("d", { capacity: 4, slots: 2 }),
    floats: new FloatChannel(4),
  };
}

/** A handle record as `postMessage` delivers it, with some fields replaced (or deleted, for `undefined`). */
function forge(x: object, patch: Partial<Record<keyof Handle, unknown>> = {}): { [HANDLE_KEY]: unknown } {
  const h = structuredClone(handleOf(x)!) as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return { [HANDLE_KEY]: h };
}

function kindOfObject(x: object): KindName {
  return handleOf(x)!.kind as KindName;
}

/** A copy of every word of `x`'s own memory. */
function snapshot(x: object): Int32Array {
  const h = handleOf(x)!;
  return new Int32Array(h.buffer.slice(h.byteOffset, h.byteOffset + h.byteLength));
}

/**
 * Asserts that `x` lives on new memory of its own kind: a buffer of its own
 * (none of `stale`) whose first word is its kind's tag. A constructor that
 * took a stale handle from the construct slot would sit on that handle's
 * buffer instead.
 */
function assertFresh(x: object, stale: readonly SharedArrayBuffer[] = []): void {
  const h = handleOf(x)!;
  assert.equal(h.byteOffset, 0, `${h.kind}: at the start of its buffer`);
  assert.equal(h.buffer.byteLength, Math.ceil(h.byteLength / 8) * 8, `${h.kind}: a buffer of its own size`);
  assert.equal(Atomics.load(new Int32Array(h.buffer), 0), MAGIC_BASE + KIND_TAGS[h.kind as KindName], h.kind);
  for (const s of stale) assert.notEqual(h.buffer, s, `${h.kind}: not on a stale handle's buffer`);
}

/** Makes one object of several kinds with plain calls and checks each is on fresh memory. */
function assertPlainCallsFresh(stale: readonly SharedArrayBuffer[] = []): void {
  const lock = new Lock();
  assertFresh(lock, stale);
  assert.equal(lock.acquire({ blocking: false }), true);
  assert.ok(lock.locked());
  assertFresh(new Event(), stale);
  assertFresh(new Semaphore(3), stale);
  const flags = SharedArray("?", 1);
  assertFresh(flags, stale);
  assert.equal(flags.typecode, "?");
  const bytes = SharedArray("c", 2);
  assert.ok(bytes instanceof SynchronizedString);
  assertFresh(bytes, stale);
  assertFresh(Value("i", 3), stale);
  assertFresh(new Channel("d", { capacity: 4 }), stale);
}

const REVIVE_ERROR = /^Cannot revive a sabkit object: /;

function assertForged(record: unknown, what: string): void {
  assert.throws(() => revive(record), (e: unknown) => {
    assert.ok(e instanceof TypeError, `${what}: a TypeError, got ${e}`);
    assert.match((e as Error).message, REVIVE_ERROR, what);
    return true;
  }, what);
}

// ---------------------------------------------------------------------------
// Handles that revive, and identity
// ---------------------------------------------------------------------------

test("revive attack: every kind revives from a structured clone as its kind, on the same memory", () => {
  const o = everyKind();
  const r = revive(structuredClone(o));
  for (const [key, x] of Object.entries(o)) {
    const got = (r as Record<string, object>)[key];
    assert.equal(kindOfObject(got), kindOfObject(x), key);
    assert.equal(Object.getPrototypeOf(got), Object.getPrototypeOf(x), `${key}: the same class`);
    assert.notEqual(got, x);
  }
  r.lock.acquire();
  assert.ok(o.lock.locked(), "the revived lock is the same memory");
  r.flags.set(1, true);
  assert.equal(o.flags.get(1), true);
  assert.equal(r.flags.typecode, "?");
  assert.equal(r.bytes.value, "ab");
  assert.equal(r.wide.value, "日本");
  assert.equal(r.words.typecode, "H");
  assert.ok(!(r.words instanceof SynchronizedString));
});

test("revive attack: a handle met twice in one message revives to one object; two revives make two", () => {
  const lock = new Lock();
  const value = Value("i", 1, { lock });
  const cond = new Condition(lock);
  const flags = SharedArray("?", 2, { lock });
  // Structured clone keeps the sharing: one record for `lock`, wherever it appears.
  const sent = structuredClone({
    a: lock,
    b: [lock, { deep: lock }],
    m: new Map<unknown, unknown>([[lock, value], ["v", value]]),
    s: new Set([lock, value]),
    value,
    cond,
    flags,
  });
  const r = revive(sent);
  assert.ok(r.a instanceof Lock);
  assert.equal(r.b[0], r.a);
  assert.equal((r.b[1] as { deep: Lock }).deep, r.a);
  const [[key, mapped], [name, v]] = [...r.m];
  assert.equal(key, r.a);
  assert.equal(name, "v");
  assert.equal(mapped, v);
  assert.equal(v, r.value);
  assert.ok(r.value instanceof SynchronizedValue);
  assert.deepEqual([...r.s], [r.a, r.value]);
  // The lock inside each object's meta is the same revived object too.
  assert.equal(r.value.getLock(), r.a);
  assert.equal(r.cond.getLock(), r.a);
  assert.equal(r.flags.getLock(), r.a);
  assert.equal(r.flags.typecode, "?");
  // A second revive of the same record builds new objects on the same memory.
  const again = revive(sent);
  assert.notEqual(again.a, r.a);
  again.a.acquire();
  assert.ok(lock.locked() && r.a.locked());
  assert.equal(r.value.acquire({ blocking: false }), false, "the value's lock is that lock");
  again.a.release();
  // A live object passes through unchanged.
  assert.equal(revive(lock), lock);
  assert.equal(revive({ lock }).lock, lock);
});

test("revive attack: a record whose own meta holds the record is a cycle, refused", () => {
  const record = forge(new Condition()) as { [HANDLE_KEY]: { meta: unknown } };
  record[HANDLE_KEY].meta = { lock: record };
  assertForged(record, "a Condition whose lock is itself");
  const inMap = forge(SharedArray("d", 1)) as { [HANDLE_KEY]: { meta: unknown } };
  inMap[HANDLE_KEY].meta = new Map([["self", inMap]]);
  assertForged(inMap, "an array whose meta map holds itself");
  assertPlainCallsFresh();
});

// ---------------------------------------------------------------------------
// Forged and truncated handles
// ---------------------------------------------------------------------------

test("revive attack: a handle naming another kind is a TypeError, for every kind and every other name", () => {
  const o = everyKind();
  const before = Object.values(o).map(snapshot);
  const stale: SharedArrayBuffer[] = [];
  for (const [key, x] of Object.entries(o)) {
    stale.push(handleOf(x)!.buffer);
    for (const name of KINDS) {
      if (name === kindOfObject(x)) continue;
      assertForged(forge(x, { kind: name }), `${key} as ${name}`);
    }
    for (const name of ["", "lock", "LOCK", "__proto__", "constructor", "toString", "SynchronizedString"]) {
      assertForged(forge(x, { kind: name }), `${key} as ${JSON.stringify(name)}`);
    }
    assertForged(
      { [HANDLE_KEY]: { ...handleOf(x)!, kind: new String(kindOfObject(x)) } },
      `${key}: a String object`,
    );
  }
  assert.deepEqual(Object.values(o).map(snapshot), before, "no refused handle changed any memory");
  assertPlainCallsFresh(stale);
});

test("revive attack: a handle with a field missing or altered is a TypeError, for every kind", () => {
  const o = everyKind();
  const before = Object.values(o).map(snapshot);
  const stale: SharedArrayBuffer[] = [];
  for (const [key, x] of Object.entries(o)) {
    const h = handleOf(x)!;
    stale.push(h.buffer);
    for (const field of ["brand", "kind", "buffer", "byteOffset", "byteLength", "domain"] as const) {
      assertForged(forge(x, { [field]: undefined }), `${key} without ${field}`);
    }
    if (h.meta !== null) assertForged(forge(x, { meta: undefined }), `${key} without meta`);
    const bad: Partial<Record<keyof Handle, unknown>>[] = [
      { brand: "sabkit/2" },
      { byteLength: h.byteLength + 8 },
      { byteLength: h.byteLength - 8 },
      { byteLength: String(h.byteLength) },
      { byteOffset: 8 },
      { byteOffset: 4 },
      { byteOffset: -8 },
      { byteOffset: 0.5 },
      { byteOffset: "0" },
      { buffer: new ArrayBuffer(h.buffer.byteLength) },
      { buffer: new Uint8Array(h.buffer) },
      { buffer: h.buffer.slice(0, h.buffer.byteLength - 8) },
      { buffer: new SharedArrayBuffer(h.buffer.byteLength) },
      { domain: new SharedArrayBuffer(64) },
      { domain: h.buffer },
      { domain: null },
    ];
    for (const patch of bad) assertForged(forge(x, patch), `${key} with ${Object.keys(patch)[0]} altered`);
  }
  // The record itself is not an object, or reading it throws.
  assertForged({ [HANDLE_KEY]: null }, "a null record");
  assertForged({ [HANDLE_KEY]: "Lock" }, "a string record");
  const trap = new Proxy({}, {
    get() {
      throw new Error("trap");
    },
  });
  assertForged({ [HANDLE_KEY]: trap }, "a record whose reads throw");
  assert.deepEqual(Object.values(o).map(snapshot), before, "no refused handle changed any memory");
  assertPlainCallsFresh(stale);
});

test("revive attack: a FloatChannel handle claiming Channel and a Channel claiming FloatChannel are refused", () => {
  const floats = new FloatChannel(4);
  const chan = new Channel("d", { capacity: 4, slots: 1 });
  assertForged(forge(floats, { kind: "Channel" }), "a FloatChannel as a Channel");
  assertForged(forge(chan, { kind: "FloatChannel" }), "a Channel as a FloatChannel");
  // Each meta alone claims the other's shape.
  assertForged(
    forge(floats, { meta: { typecode: "d", capacity: 4, slots: 2 } }),
    "a FloatChannel with 2 slots",
  );
  assertForged(forge(chan, { meta: { typecode: "f", capacity: 4, slots: 1 } }), "a d Channel as f");
  assertForged(
    forge(chan, { meta: { typecode: "f", capacity: 8, slots: 1 } }),
    "a d Channel as f, same bytes",
  );
  assertForged(forge(chan, { meta: { typecode: "d", capacity: 2, slots: 2 } }), "a Channel reshaped");
  // Both still work, and the real handles revive.
  chan.send([1, 2]);
  floats.send([3]);
  assert.deepEqual([...revive(structuredClone(chan)).recv({ timeout: 0 })!], [1, 2]);
  assert.deepEqual([...revive(structuredClone(floats)).recv({ timeout: 0 })!], [3]);
  assert.ok(revive(structuredClone(floats)) instanceof FloatChannel);
});

test("revive attack: an array handle that re-types its elements is refused (c on B, ? on B, B on ?, u on H, …)", () => {
  const arrays = {
    B: SharedArray("B", [1, 2]),
    "?": SharedArray("?", [true, false]),
    c: SharedArray("c", "xy"),
    H: SharedArray("H", [3, 4]),
    u: SharedArray("u", "zw"),
    b: SharedArray("b", [-1, 2]),
  };
  const claims: [keyof typeof arrays, string][] = [
    ["B", "c"],
    ["B", "?"],
    ["B", "b"],
    ["?", "B"],
    ["?", "c"],
    ["c", "B"],
    ["c", "?"],
    ["c", "u"],
    ["H", "u"],
    ["u", "H"],
    ["u", "c"],
    ["b", "B"],
    ["B", "x"],
    ["B", ""],
  ];
  for (const [code, claim] of claims) {
    const a = arrays[code];
    const meta = structuredClone(handleOf(a)!.meta) as Record<string, unknown>;
    assertForged(forge(a, { meta: { ...meta, typecode: claim } }), `a ${code} array claiming ${claim}`);
  }
  // A RawValue too.
  assertForged(forge(RawValue("i", 1), { meta: { typecode: "d" } }), "an i RawValue claiming d");
  assertForged(forge(RawValue("B", 1), { meta: { typecode: "?" } }), "a B RawValue claiming ?");
  for (const [code, a] of Object.entries(arrays)) {
    const r = revive(structuredClone(a));
    assert.equal(r.typecode, code);
    assert.equal(r instanceof SynchronizedString, code === "c" || code === "u", code);
  }
  assert.equal(arrays["?"].get(0), true);
  assert.equal(arrays.c.value, "xy");
});

test("revive attack: meta parts of the wrong kind (a Semaphore for a lock, a view on a Lock) are refused", () => {
  const lock = new Lock();
  const value = Value("i", 1);
  const array = SharedArray("i", 2);
  const cond = new Condition();
  const arrayMeta = structuredClone(handleOf(array)!.meta) as Record<string, unknown>;
  const valueMeta = structuredClone(handleOf(value)!.meta) as Record<string, unknown>;
  const lookAlike = Object.create(Lock.prototype);
  const locks: [string, unknown][] = [
    ["a Semaphore", structuredClone(new Semaphore())],
    ["a Condition", structuredClone(new Condition())],
    ["an Event", structuredClone(new Event())],
    ["a SynchronizedValue", structuredClone(Value("i", 1))],
    ["a look-alike", lookAlike],
    ["a plain object", { acquire() {}, release() {} }],
    ["nothing", null],
  ];
  for (const [what, l] of locks) {
    assertForged(forge(array, { meta: { ...arrayMeta, lock: l } }), `an array whose lock is ${what}`);
    assertForged(forge(value, { meta: { ...valueMeta, lock: l } }), `a value whose lock is ${what}`);
    assertForged(forge(cond, { meta: { lock: l } }), `a condition whose lock is ${what}`);
  }
  const lockWords = new Int32Array(handleOf(lock)!.buffer);
  const objs: [string, unknown][] = [
    ["a view on a Lock", lockWords],
    ["a view on its own header", new Int32Array(handleOf(array)!.buffer)],
    ["a DataView", new DataView(new SharedArrayBuffer(8))],
    ["an unshared Int32Array", new Int32Array(2)],
    ["a Float64Array", new Float64Array(new SharedArrayBuffer(16))],
  ];
  for (const [what, obj] of objs) {
    assertForged(forge(array, { meta: { ...arrayMeta, obj } }), `an array of ${what}`);
  }
  assertForged(forge(value, { meta: { ...valueMeta, obj: structuredClone(value) } }), "a value of a value");
  assertForged(forge(value, { meta: { ...valueMeta, obj: structuredClone(lock) } }), "a value of a lock");
  assert.equal(lock.locked(), false, "the lock whose words were offered is untouched");
  assert.deepEqual([...lockWords.subarray(1)], [0, 0, 0]);
  assertPlainCallsFresh([handleOf(lock)!.buffer, handleOf(array)!.buffer, handleOf(value)!.buffer]);
});

// ---------------------------------------------------------------------------
// User code while a handle is revived
// ---------------------------------------------------------------------------

test("revive attack: a meta getter that builds sabkit objects runs once, before the slot is set; the revived meta is a copy", () => {
  const flags = SharedArray("?", [false, true]);
  const meta = structuredClone(handleOf(flags)!.meta) as Record<string, unknown>;
  const made: object[] = [];
  let reads = 0;
  const record = forge(flags, {
    meta: {
      typecode: "?",
      obj: meta.obj,
      get lock() {
        reads++;
        made.push(new Lock(), SharedArray("c", 1), Value("i", 2), new Event());
        return meta.lock;
      },
    },
  });
  const r = revive(record) as unknown as SynchronizedArray<"?">;
  assert.equal(reads, 1, "the getter ran once");
  assert.equal(r.typecode, "?");
  assert.equal(r.get(1), true);
  for (const x of made) assertFresh(x, [handleOf(flags)!.buffer]);
  assert.equal((made[1] as SynchronizedArray).typecode, "c");
  // The revived handle's meta is plain data: no getter survives into it.
  const revivedMeta = handleOf(r)!.meta as object;
  assert.ok("value" in Object.getOwnPropertyDescriptor(revivedMeta, "lock")!);
  void (revivedMeta as { lock: unknown }).lock;
  assert.equal(reads, 1, "reading the revived meta runs no user code");
  // Posting the revived array again carries no getter either.
  assert.equal(revive(structuredClone(r)).typecode, "?");
  assert.equal(reads, 1);
});

test("revive attack: a Proxy meta or record whose traps build sabkit objects and change their answers", () => {
  const flags = SharedArray("?", [true]);
  const meta = structuredClone(handleOf(flags)!.meta) as Record<string, unknown>;
  const made: object[] = [];
  let gets = 0;
  const fickle = new Proxy({ ...meta }, {
    get(target, key, receiver) {
      made.push(new Lock());
      // Each read of typecode says something else: the checks and the build must see one answer.
      if (key === "typecode") return ++gets % 2 === 1 ? "?" : "B";
      return Reflect.get(target, key, receiver);
    },
    ownKeys(target) {
      made.push(new Semaphore());
      return Reflect.ownKeys(target);
    },
  });
  let r: SynchronizedArray | undefined;
  try {
    r = revive(forge(flags, { meta: fickle }) as unknown as SynchronizedArray);
  } catch (e) {
    assert.ok(e instanceof TypeError, String(e));
  }
  if (r !== undefined) {
    assert.equal(r.typecode, "?");
    assert.equal(r.get(0), true);
  }
  assert.ok(made.length > 0);
  for (const x of made) assertFresh(x, [handleOf(flags)!.buffer]);
  // The whole record as a Proxy whose traps build objects: each field is read once.
  const h = handleOf(flags)!;
  const reads = new Map<PropertyKey, number>();
  const record = new Proxy({ ...h, meta }, {
    get(target, key, receiver) {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      made.push(new Event());
      return Reflect.get(target, key, receiver);
    },
  });
  const r2 = revive({ [HANDLE_KEY]: record }) as unknown as SynchronizedArray<"?">;
  assert.equal(r2.typecode, "?");
  for (const [key, n] of reads) assert.equal(n, 1, `${String(key)} read once`);
  for (const x of made) assertFresh(x, [h.buffer]);
  assertPlainCallsFresh([h.buffer]);
});

test(
  "revive attack: a meta getter or Proxy trap that throws makes revive throw the forged-handle TypeError",
  () => {
    const a = SharedArray("B", 2);
    const meta = structuredClone(handleOf(a)!.meta) as Record<string, unknown>;
    assertForged(
      forge(a, {
        meta: {
          ...meta,
          get lock(): never {
            throw new Error("boom");
          },
        },
      }),
      "a meta getter that throws",
    );
    const trap = new Proxy({}, {
      ownKeys(): never {
        throw new Error("boom");
      },
    });
    assertForged(forge(a, { meta: trap }), "a meta Proxy whose ownKeys throws");
  },
);

// ---------------------------------------------------------------------------
// The construct slot
// ---------------------------------------------------------------------------

test("revive attack: a constructor or create that throws during revive leaves the slot empty (the next new allocates)", () => {
  const chan = new Channel("d", { capacity: 4, slots: 1 });
  const flags = SharedArray("?", 2);
  const barrier = new Barrier(2);
  const cond = new Condition();
  const value = Value("i", 1);
  const stale = [chan, flags, barrier, cond, value].map((x) => handleOf(x)!.buffer);
  const failing: [string, unknown][] = [
    // The Channel constructor takes the handle, then finds the memory is not this channel's.
    ["a Channel whose meta says f", forge(chan, { meta: { typecode: "f", capacity: 8, slots: 1 } })],
    // SynchronizedArray's create refuses before any constructor runs.
    [
      "an array whose typecode does not match",
      forge(flags, { meta: { ...structuredClone(handleOf(flags)!.meta as object), typecode: "B" } }),
    ],
    ["a Barrier with a NaN timeout", forge(barrier, { meta: { timeout: NaN } })],
    ["a Condition without a lock", forge(cond, { meta: { lock: 1 } })],
    [
      "a Value of a Lock",
      forge(value, { meta: { obj: structuredClone(new Lock()), lock: structuredClone(new Lock()) } }),
    ],
  ];
  for (const [what, record] of failing) {
    assertForged(record, what);
    assertPlainCallsFresh(stale);
  }
  // The same through revive's container walk, with a good handle after the bad one in the same message.
  assert.throws(() => revive([failing[0][1], structuredClone(new Lock())]), TypeError);
  assertPlainCallsFresh(stale);
});

test("revive attack: construct() with a maker that throws, skips the constructor or throws before takePreset leaves no handle behind", () => {
  const victim = new Lock();
  const handle = handleOf(victim)!;
  assert.throws(() =>
    construct({ handle }, () => {
      throw new RangeError("in make");
    }), RangeError);
  assertPlainCallsFresh([handle.buffer]);
  assert.throws(() => construct({ handle }, () => 1), /did not take its preset/);
  assertPlainCallsFresh([handle.buffer]);
  // SynchronizedString checks its array before super(), so before the SynchronizedArray constructor takes the slot.
  assert.throws(
    () => construct({ handle }, () => new SynchronizedString(new Int8Array(4) as never)),
    TypeError,
  );
  assertPlainCallsFresh([handle.buffer]);
  // A kind-less new.target throws after the constructor took the slot.
  assert.throws(() => construct({ handle }, () => Reflect.construct(Lock, [], Object)), TypeError);
  assertPlainCallsFresh([handle.buffer]);
  assert.equal(victim.locked(), false);
});

test("revive attack: user code running inside the construct slot cannot take the handle being revived", () => {
  const flags = SharedArray("?", [true, false]);
  const h = handleOf(flags)!;
  const lock = new Lock();
  let inner: SynchronizedArray | undefined;
  let armed = false;
  // instanceof walks the chain: lock -> proxy -> (trap) -> Lock.prototype.
  Object.setPrototypeOf(
    lock,
    new Proxy(Object.create(Lock.prototype), {
      getPrototypeOf(target) {
        if (armed && inner === undefined) inner = synchronized(new Uint8Array(new SharedArrayBuffer(4)));
        return Reflect.getPrototypeOf(target);
      },
    }),
  );
  assert.ok(lock instanceof Lock);
  armed = true;
  let r: SynchronizedArray | undefined;
  try {
    r = revive({
      [HANDLE_KEY]: { ...h, meta: { ...(h.meta as object), lock } },
    }) as unknown as SynchronizedArray;
  } catch (e) {
    assert.ok(e instanceof TypeError, String(e));
  }
  if (inner !== undefined) {
    assert.equal(inner.typecode, "B", "synchronized(Uint8Array) is a B array");
    assertFresh(inner, [h.buffer]);
  }
  if (r !== undefined) {
    assert.equal(r.typecode, "?");
    assert.equal(handleOf(r)!.buffer, h.buffer, "revived on the handle's memory");
  }
  assertPlainCallsFresh([h.buffer]);
});

test(
  "revive attack: a constructor called with another class as new.target never brands its memory as that kind",
  () => {
    // Each pair: the constructor that runs, its arguments, and the class given as new.target.
    const pairs: [new (...a: never[]) => object, unknown[], new (...a: never[]) => object][] = [
      [Semaphore, [5], Lock],
      [Lock, [], Semaphore],
      [Event, [], Lock],
      [Barrier, [3], RLock],
      [Lock, [], Event],
      [RLock, [], Condition],
    ];
    for (const [Ctor, args, Target] of pairs) {
      let made: object;
      try {
        made = Reflect.construct(Ctor, args, Target);
      } catch (e) {
        assert.ok(e instanceof TypeError, `${Ctor.name} as ${Target.name}: ${e}`);
        continue;
      }
      const own = kindOfObject(new (Ctor as new (...a: unknown[]) => object)(...args));
      assert.equal(
        kindOfObject(made),
        own,
        `${Ctor.name} with new.target ${Target.name} brands its own kind`,
      );
    }
    class Reparented extends Semaphore {}
    Object.setPrototypeOf(Reparented.prototype, Lock.prototype);
    let made: object | undefined;
    try {
      made = new Reparented(5);
    } catch (e) {
      assert.ok(e instanceof TypeError, String(e));
    }
    if (made !== undefined) assert.equal(kindOfObject(made), "Semaphore");
    // What a worker would see: a free Lock, never one held by "agent 5".
    let forged: object | undefined;
    try {
      forged = Reflect.construct(Semaphore, [5], Lock);
    } catch {
      // Refused: nothing to post.
    }
    if (forged !== undefined) {
      const r = revive(structuredClone(forged)) as unknown as Lock;
      assert.ok(
        !(r instanceof Lock) || !r.locked(),
        "a posted Lock is never held by an agent that never took it",
      );
    }
  },
);

// ---------------------------------------------------------------------------
// Users' subclasses
// ---------------------------------------------------------------------------

class MyLock extends Lock {
  // Private state only: an own enumerable field would travel beside the handle (see the public-field test below).
  #label = "mine";
  get label(): string {
    return this.#label;
  }
}
class MyRLock extends RLock {}
class MySemaphore extends Semaphore {}
class MySem extends BoundedSemaphore {
  constructor() {
    super(2);
  }
}
class MyCondition extends Condition {}
class MyEvent extends Event {
  // A field initializer that builds another sabkit object (runs after super()).
  #extra = new Lock();
  get extra(): Lock {
    return this.#extra;
  }
}
class MyBarrier extends Barrier {}
class MyValue extends SynchronizedValue<"i"> {}
class MyArray extends SynchronizedArray<"B"> {}
class MyString extends SynchronizedString<"c" | "u"> {}
class MyChannel extends Channel<"i"> {}
class MyFloats extends FloatChannel {}
const eventOf = new WeakMap<object, Event>();
/** Builds sabkit objects before super(), while no slot is set. */
class LockAfterEvent extends Lock {
  constructor() {
    const event = new Event();
    const inner = SharedArray("?", 1);
    super();
    eventOf.set(this, event);
    void inner;
  }
  get event(): Event {
    return eventOf.get(this)!;
  }
}

function subclassInstances() {
  const u8 = new Uint8Array(new SharedArrayBuffer(4));
  const u16 = new Uint16Array(new SharedArrayBuffer(8));
  return {
    lock: new MyLock(),
    rlock: new MyRLock(),
    semaphore: new MySemaphore(3),
    bounded: new MySem(),
    condition: new MyCondition(new MyLock()),
    event: new MyEvent(),
    barrier: new MyBarrier(2),
    value: new MyValue(RawValue("i", 9)),
    bytes: new MyString(u8),
    wide: new MyString(u16),
    flags: new MyArray(new Uint8Array(new SharedArrayBuffer(2))),
    channel: new MyChannel("i", { capacity: 2 }),
    floats: new MyFloats(3),
    after: new LockAfterEvent(),
  };
}

const SUBCLASS_KINDS: Record<string, [string, string, string?]> = {
  // key: [kind, the base class revive builds, typecode]
  lock: ["Lock", "Lock"],
  rlock: ["RLock", "RLock"],
  semaphore: ["Semaphore", "Semaphore"],
  bounded: ["BoundedSemaphore", "BoundedSemaphore"],
  condition: ["Condition", "Condition"],
  event: ["Event", "Event"],
  barrier: ["Barrier", "Barrier"],
  value: ["SynchronizedValue", "SynchronizedValue", "i"],
  bytes: ["SynchronizedArray", "SynchronizedString", "c"],
  wide: ["SynchronizedArray", "SynchronizedString", "u"],
  flags: ["SynchronizedArray", "SynchronizedArray", "B"],
  channel: ["Channel", "Channel", "i"],
  floats: ["FloatChannel", "FloatChannel", "d"],
  after: ["Lock", "Lock"],
};

test("revive attack: users' subclasses construct, brand their base kind, work, and revive as the base class", () => {
  const o = subclassInstances();
  for (const [key, x] of Object.entries(o)) {
    const [kind, base, code] = SUBCLASS_KINDS[key];
    assert.equal(kindOfObject(x), kind, key);
    assertFresh(x);
    const Base = (sabkit as unknown as Record<string, { prototype: object }>)[base];
    assert.ok(x instanceof (Base as unknown as typeof Object), `${key} is a ${base}`);
    const r = revive(structuredClone(x)) as { typecode?: string };
    assert.equal(Object.getPrototypeOf(r), Base.prototype, `${key} revives as exactly ${base}`);
    assert.equal(kindOfObject(r), kind);
    if (code !== undefined) {
      assert.equal((x as { typecode?: string }).typecode, code, `${key} typecode`);
      assert.equal(r.typecode, code, `${key} revived typecode`);
    }
  }
  assertFresh(o.event.extra);
  assertFresh(o.after.event);
  assert.notEqual(handleOf(o.after.event)!.buffer, handleOf(o.after)!.buffer);
  // They behave as their base: a bounded subclass refuses to pass its initial value, naming the kind.
  assert.throws(() => o.bounded.release(), /BoundedSemaphore/);
  o.semaphore.release(5);
  assert.equal(o.semaphore.getValue(), 8);
  const rl = revive(structuredClone(o.lock));
  rl.acquire();
  assert.ok(o.lock.locked());
  assert.throws(() => o.lock.guard({ timeout: 0 }), /Could not acquire the Lock within 0 ms/);
  assert.equal(o.lock.label, "mine");
  o.bytes.value = "hey";
  assert.equal(revive(structuredClone(o.bytes)).value, "hey");
  o.channel.send([1, 2]);
  assert.deepEqual([...revive(structuredClone(o.channel)).recv({ timeout: 0 })!], [1, 2]);
  o.floats.send([0.5]);
  const rf = revive(structuredClone(o.floats));
  assert.ok(rf instanceof FloatChannel);
  assert.deepEqual([...rf.recv({ timeout: 0 })!], [0.5]);
  assert.throws(() => new MyString(new Int8Array(new SharedArrayBuffer(4)) as never), TypeError);
  assertPlainCallsFresh();
});

test(
  "revive attack: a subclass instance with a public field, posted, revives as its base kind or is refused, never left dead",
  () => {
    class Labelled extends Lock {
      label = "mine";
    }
    class Tagged extends SynchronizedString<"c"> {
      tag = 1;
    }
    for (const x of [new Labelled(), new Tagged(new Uint8Array(new SharedArrayBuffer(2)))]) {
      let r: unknown;
      try {
        r = revive(structuredClone(x));
      } catch (e) {
        assert.ok(e instanceof TypeError, String(e));
        continue;
      }
      assert.ok(
        r instanceof Lock || r instanceof SynchronizedString,
        `revived as its base: ${Object.keys(r as object)}`,
      );
    }
  },
);

test("revive attack: users' subclasses passed to a Process arrive as their base classes", async () => {
  const o = subclassInstances();
  const lock = new MyLock();
  const out = SharedArray("u", 2048);
  await withProcesses(async (start) => {
    const p = start("revive_attack_args", { args: [o, lock, out] });
    assert.equal(await p.join(), 0);
  });
  const seen = JSON.parse(out.value) as Record<string, { kind: string; cls: string; typecode?: string }>;
  for (const [key, [kind, base, code]] of Object.entries(SUBCLASS_KINDS)) {
    const expected: { kind: string; cls: string; typecode?: string } = { kind, cls: base };
    if (key === "bytes" || key === "wide" || key === "flags") expected.typecode = code;
    assert.deepEqual(seen[key], expected, key);
  }
  assert.ok(lock.locked(), "the worker took the lock: the same memory");
});

// ---------------------------------------------------------------------------
// Typecodes a typed array cannot tell, and copy()
// ---------------------------------------------------------------------------

test("revive attack: new SynchronizedString(u8) is c, synchronized(u8) and new SynchronizedArray(u8) are B; each revives as itself", () => {
  const u8 = () => new Uint8Array(new SharedArrayBuffer(4));
  const u16 = () => new Uint16Array(new SharedArrayBuffer(8));
  const cases: [string, SynchronizedArray, string, boolean][] = [
    ["new SynchronizedString(u8)", new SynchronizedString(u8()), "c", true],
    ["new SynchronizedString(u16)", new SynchronizedString(u16()), "u", true],
    ["synchronized(u8)", synchronized(u8()), "B", false],
    ["synchronized(u16)", synchronized(u16()), "H", false],
    ["new SynchronizedArray(u8)", new SynchronizedArray(u8()), "B", false],
    ["new SynchronizedArray(u16)", new SynchronizedArray(u16()), "H", false],
    ['SharedArray("?")', SharedArray("?", 4), "?", false],
    ['SharedArray("c")', SharedArray("c", 4), "c", true],
    ['SharedArray("B")', SharedArray("B", 4), "B", false],
  ];
  for (const [what, a, code, text] of cases) {
    assert.equal(a.typecode, code, what);
    assert.equal(a instanceof SynchronizedString, text, what);
    const r = revive(structuredClone(a));
    assert.equal(r.typecode, code, `${what} revived`);
    assert.equal(r instanceof SynchronizedString, text, `${what} revived`);
    // Revived twice over (the revived object posted on).
    const rr = revive(structuredClone(r));
    assert.equal(rr.typecode, code, `${what} revived twice`);
    const c = copy(r);
    assert.equal(c.typecode, code, `copy of ${what} revived`);
    assert.equal(c instanceof SynchronizedString, text);
    assertFresh(c, [handleOf(a)!.buffer]);
  }
  const flags = revive(structuredClone(SharedArray("?", [true, false, true])));
  assert.deepEqual([...flags], [true, false, true]);
  flags.set(1, true);
  assert.deepEqual([...copy(flags)], [true, true, true]);
  assert.throws(() => flags.set(0, 2 as never), TypeError, "a ? array still refuses a number after revive");
});

test("revive attack: copy() of every kind of shared data is new memory of the same typecode and contents", () => {
  const lock = new Lock();
  // What to copy, and the class copy() must make (a subclass's copy is its base class).
  const items: [string, object, object][] = [
    ["RawValue q", RawValue("q", -5n), RawValue.prototype],
    ["RawValue ?", RawValue("?", true), RawValue.prototype],
    ["RawValue c", RawValue("c", "z"), RawValue.prototype],
    ["Value d", Value("d", 2.5, { lock }), SynchronizedValue.prototype],
    ["Value ?", Value("?", true), SynchronizedValue.prototype],
    ["array ?", SharedArray("?", [true, false]), SynchronizedArray.prototype],
    ["array c", SharedArray("c", "hi"), SynchronizedString.prototype],
    ["array u", SharedArray("u", "日本"), SynchronizedString.prototype],
    ["array q", SharedArray("q", [1n, -2n]), SynchronizedArray.prototype],
    ["array f", SharedArray("f", [0.5, 1.5]), SynchronizedArray.prototype],
    [
      "a subclass string",
      new MyString(new Uint8Array(new SharedArrayBuffer(2))),
      SynchronizedString.prototype,
    ],
    ["a subclass value", new MyValue(RawValue("i", 4)), SynchronizedValue.prototype],
  ];
  type Data = { typecode: string; value?: unknown; getLock?: () => unknown };
  for (const [what, x, proto] of items) {
    for (const source of [x, revive(structuredClone(x))] as Data[]) {
      const c = copy(source as never) as Data;
      assert.equal(c.typecode, source.typecode, what);
      assert.equal(Object.getPrototypeOf(c), proto, `${what}: the class copy() makes`);
      if (source instanceof SynchronizedArray) assert.deepEqual([...c as SynchronizedArray], [...source]);
      else assert.deepEqual(c.value, source.value, what);
      if (source.getLock) assert.notEqual(c.getLock!(), source.getLock(), `${what}: a new lock`);
      assertFresh(c, [handleOf(x)!.buffer]);
    }
  }
  const raw = RawArray("h", [1, -1]);
  const rc = copy(raw);
  assert.ok(rc instanceof Int16Array && rc.buffer instanceof SharedArrayBuffer && rc.buffer !== raw.buffer);
  assert.deepEqual([...rc], [1, -1]);
  for (const x of [new Lock(), new Event(), new Channel("d", { capacity: 1 })]) {
    assert.throws(() => copy(x as never), TypeError);
  }
});

// ---------------------------------------------------------------------------
// Bundled and minified workers
// ---------------------------------------------------------------------------

const root = new URL("../", import.meta.url);
const cache = new URL(`node_modules/.cache/sabkit/revive-attack-${runtime}/`, root);

/** The npm build (tsconfig.build.json, as `npm run build` runs it) into a private directory. */
function buildPackage(): URL {
  const out = new URL("dist/", cache);
  const tsc = new URL("node_modules/.bin/tsc", root).pathname;
  const r = spawnSync(tsc, [
    "-p",
    "tsconfig.build.json",
    "--outDir",
    out.pathname,
    "--declaration",
    "false",
    "--isolatedDeclarations",
    "false",
  ], { cwd: root.pathname, encoding: "utf8" });
  // Type errors elsewhere in the tree still emit: what matters here is the JavaScript.
  assert.ok(r.error === undefined, String(r.error));
  readFileSync(new URL("mod.js", out));
  return out;
}

/** Resolves "sabkit" and "sabkit/…" through the package's exports map: to the sources (jsr.json) or a build. */
function packagePlugin(dist: URL | undefined): Plugin {
  const manifest = JSON.parse(readFileSync(new URL(dist ? "package.json" : "jsr.json", root), "utf8")) as {
    exports: Record<string, string | { default: string }>;
  };
  return {
    name: "sabkit-package",
    setup(b) {
      b.onResolve({ filter: /^sabkit(\/.*)?$/ }, (args) => {
        const key = args.path === "sabkit" ? "." : `./${args.path.slice("sabkit/".length)}`;
        const entry = manifest.exports[key];
        if (entry === undefined) return { errors: [{ text: `sabkit exports no ${key}` }] };
        const target = typeof entry === "string" ? entry : entry.default;
        const path = dist
          ? new URL(target.replace(/^\.\/dist\//, ""), dist).pathname
          : new URL(target, root).pathname;
        return { path };
      });
    },
  };
}

async function bundle(entry: string, name: string, dist: URL | undefined, target = "esnext"): Promise<URL> {
  const out = new URL(`${name}.mjs`, cache);
  const result = await build({
    entryPoints: [new URL(`tests/bundle/${entry}.ts`, root).pathname],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target,
    outfile: out.pathname,
    plugins: [packagePlugin(dist)],
    logLevel: "silent",
  });
  assert.deepEqual(result.errors, []);
  const text = readFileSync(out, "utf8");
  assert.ok(!/class Lock\b/.test(text), "minified: the class names are mangled");
  return out;
}

interface Answer {
  error?: string;
  report: Record<string, Revived>;
  kinds?: Record<string, string>;
  values?: Record<string, string>;
}

/** Posts `data` until the worker answers; the answer carries no error. */
async function askAttack(port: ModuleWorker, data: unknown): Promise<Answer> {
  const answer = await ask(port, data) as Answer;
  assert.equal(answer.error, undefined);
  return answer;
}

/** What the workers revive: users' subclasses, and a lock this thread holds. */
function posted() {
  const held = new Lock();
  held.acquire();
  const o = subclassInstances();
  const data = {
    lock: o.lock,
    rlock: o.rlock,
    semaphore: o.semaphore,
    bounded: o.bounded,
    condition: o.condition,
    event: o.event,
    barrier: o.barrier,
    value: o.value,
    flags: SharedArray("?", [true]),
    bytes: o.bytes,
    wide: o.wide,
    doubles: SharedArray("d", [2.5]),
    channel: o.channel,
    floats: o.floats,
    held,
  };
  data.event.set();
  data.bytes.value = "ok";
  data.wide.value = "日";
  return data;
}

/** What a worker must report for `posted()` (checked per key, so a failure names it). */
function assertReport(answer: Answer, withApi: boolean): void {
  const exact = (key: string): boolean | undefined => (withApi ? BASES[key] !== undefined : undefined);
  const want: Record<string, Revived> = {
    lock: { kind: "Lock", exact: exact("lock"), use: true },
    rlock: { kind: "RLock", exact: exact("rlock"), use: true },
    semaphore: { kind: "Semaphore", exact: exact("semaphore"), use: true },
    bounded: { kind: "BoundedSemaphore", exact: exact("bounded"), use: true },
    condition: { kind: "Condition", exact: exact("condition"), use: true },
    event: { kind: "Event", exact: exact("event"), use: true },
    barrier: { kind: "Barrier", exact: exact("barrier"), use: 2 },
    value: { kind: "SynchronizedValue", exact: exact("value"), typecode: "i", use: 9 },
    flags: { kind: "SynchronizedArray", exact: exact("flags"), typecode: "?", use: true },
    bytes: { kind: "SynchronizedArray", exact: exact("bytes"), typecode: "c", use: "ok" },
    wide: { kind: "SynchronizedArray", exact: exact("wide"), typecode: "u", use: "日" },
    doubles: { kind: "SynchronizedArray", exact: exact("doubles"), typecode: "d", use: 2.5 },
    channel: { kind: "Channel", exact: exact("channel"), typecode: "i", use: 2 },
    floats: { kind: "FloatChannel", exact: exact("floats"), typecode: "d", use: 3 },
    held: { kind: "Lock", exact: undefined, use: "TimeoutError: Could not acquire the Lock within 0 ms" },
  };
  assert.deepEqual(Object.keys(answer.report).sort(), Object.keys(want).sort());
  for (const [key, w] of Object.entries(want)) {
    // structured clone drops undefined fields' keys, so compare defined fields only.
    const got = answer.report[key];
    for (const [field, value] of Object.entries(w)) {
      if (value === undefined) continue;
      assert.deepEqual((got as unknown as Record<string, unknown>)[field], value, `${key}.${field}`);
    }
  }
}

const BUNDLES: { name: string; entry: string; dist: boolean; api: boolean; target?: string }[] = [
  { name: "sources-root", entry: "attack_root", dist: false, api: true },
  { name: "dist-root", entry: "attack_root", dist: true, api: true },
  { name: "dist-process", entry: "attack_process", dist: true, api: false },
  // Class static blocks and private fields lowered by the bundler.
  { name: "dist-root-es2020", entry: "attack_root", dist: true, api: true, target: "es2020" },
];

/** The answers of every bundle, computed once (two tests below read them). */
let answers: Promise<Map<string, Answer>> | undefined;

function bundleAnswers(): Promise<Map<string, Answer>> {
  answers ??= (async () => {
    const dist = buildPackage();
    const out = new Map<string, Answer>();
    for (const b of BUNDLES) {
      const url = await bundle(b.entry, b.name, b.dist ? dist : undefined, b.target);
      const port = await startModuleWorker(url);
      try {
        out.set(b.name, await askAttack(port, posted()));
      } finally {
        port.close();
      }
    }
    return out;
  })();
  return answers;
}

test("revive attack: minified bundles (of the sources and of the npm build, root and /process) revive subclasses as base kinds and name kinds in messages", async () => {
  const all = await bundleAnswers();
  const expectedKinds = kindMessages(sabkit);
  // The unbundled messages name their kinds (the reference the bundles must match).
  assert.equal(expectedKinds.lockGuard, "TimeoutError: Could not acquire the Lock within 0 ms");
  assert.equal(
    expectedKinds.stringGuard,
    "TimeoutError: Could not acquire the SynchronizedArray within 0 ms",
  );
  assert.match(expectedKinds.wrongKind, /^TypeError: Cannot revive a sabkit object: .*Semaphore/);
  assert.match(expectedKinds.barrierBroken, /^BrokenBarrierError: /);
  assert.match(expectedKinds.channelClosed, /^ChannelClosedError: /);
  for (const b of BUNDLES) {
    const answer = all.get(b.name)!;
    assertReport(answer, b.api);
    if (b.api) assert.deepEqual(answer.kinds, expectedKinds, `${b.name}: kind messages`);
  }
});

test(
  "revive attack: in a minified bundle, messages that name a sabkit value name its kind, not a mangled class",
  async () => {
    const all = await bundleAnswers();
    const expected = valueMessages(sabkit);
    assert.match(expected.conditionOfSemaphore, /got a Semaphore$/);
    for (const b of BUNDLES) {
      if (b.api) assert.deepEqual(all.get(b.name)!.values, expected, `${b.name}: value messages`);
    }
  },
);
