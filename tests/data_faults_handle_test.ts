/**
 * Forged handles, tried as an attacker would (issue 14, bug 9): a nested
 * handle or typed array pointing at another kind's memory, a handle record
 * whose fields are getters or Proxy traps that answer differently on each
 * read, truncated buffers, wrong offsets, look-alikes built in the same
 * thread. Each must be a `TypeError` ("Cannot revive a sabkit object: …")
 * that leaves every object's memory as it was, or, where the input is in
 * fact valid (a getter read once), an object on the memory that was checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  Channel,
  Condition,
  Event,
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
import { domainBuffer } from "../src/core/_agent.ts";
import { memoryOf } from "./_memory.ts";
import { clone, type Wire } from "./_wire.ts";

/** The memory of a sabkit object, as a received handle names it (a new SharedArrayBuffer object). */
function memory(x: object): SharedArrayBuffer {
  return clone(x).__sabkit.buffer as SharedArrayBuffer;
}

function refuses(call: () => unknown, message: RegExp, what: string): void {
  assert.throws(call, (e) => {
    assert.ok(e instanceof TypeError, `${what}: expected a TypeError, got ${e}`);
    assert.match((e as Error).message, /^Cannot revive a sabkit object: /, what);
    assert.match((e as Error).message, message, what);
    return true;
  }, what);
}

/** Every kind of object whose memory a forged typed array could aim at. */
const VICTIMS: Array<[string, () => object]> = [
  ["Lock", () => new Lock()],
  ["RLock", () => new RLock()],
  ["Semaphore", () => new Semaphore(1)],
  ["Event", () => new Event()],
  ["Condition", () => new Condition()],
  ["Barrier", () => new Barrier(2)],
  ["RawValue", () => RawValue("i", 7)],
  ["SynchronizedValue", () => Value("i", 7)],
  ["SynchronizedArray", () => SharedArray("i", 4)],
  ["Channel", () => new Channel("i", { capacity: 4 })],
];

test("faults: a SynchronizedArray whose data views another object's memory is refused; nothing is written", () => {
  for (const [name, make] of VICTIMS) {
    const victim = make();
    const buffer = memory(victim);
    for (const [code, View] of [["i", Int32Array], ["B", Uint8Array], ["d", Float64Array]] as const) {
      const a = SharedArray(code, 2);
      const before = memoryOf(a, victim);
      // At the start of the memory, and further in (a view need not cover the tag word to do harm).
      for (const offset of [0, 8]) {
        if (offset + View.BYTES_PER_ELEMENT > buffer.byteLength) continue;
        const obj = new (View as Int32ArrayConstructor)(buffer, offset, 1);
        const w = clone(a);
        (w.__sabkit.meta as Wire).obj = obj;
        refuses(
          () => revive(w),
          new RegExp(`on the memory of an? ${name}\\b`),
          `${code} on ${name} +${offset}`,
        );
        // Sent again (a new SharedArrayBuffer object for the same memory): refused all the same.
        refuses(
          () => revive(structuredClone(w)),
          new RegExp(`memory of an? ${name}\\b`),
          `${code} on ${name}, resent`,
        );
        // And the API refuses to build one in the first place.
        assert.throws(() => synchronized(obj as unknown as Int32Array<SharedArrayBuffer>), {
          name: "TypeError",
          message: new RegExp(`on the memory of an? ${name}\\b`),
        });
      }
      assert.deepEqual(memoryOf(a, victim), before, `${code} on ${name}: nothing written`);
    }
  }
});

test("faults: the issue's snippet: writing through a forged array can no longer lock a Lock", () => {
  const lock = new Lock();
  const xs = SharedArray("i", 4);
  const w = clone(xs);
  (w.__sabkit.meta as Wire).obj = new Int32Array(memory(lock));
  let forged: SynchronizedArray<"i"> | undefined;
  try {
    forged = revive(w) as unknown as SynchronizedArray<"i">;
    forged.set(1, 2);
  } catch (e) {
    assert.ok(e instanceof TypeError);
  }
  assert.equal(forged, undefined, "the forged handle must not revive");
  assert.equal(lock.locked(), false);
  assert.ok(lock.acquire({ blocking: false }));
  lock.release();
});

test("faults: data on the agent id domain's memory is refused", () => {
  const a = SharedArray("i", 2);
  const w = clone(a);
  (w.__sabkit.meta as Wire).obj = new Int32Array(domainBuffer(), 0, 2);
  refuses(() => revive(w), /memory of the agent id domain/, "domain");
  assert.throws(() => synchronized(new Int32Array(domainBuffer(), 0, 2)), TypeError);
});

test("faults: plain user data that merely starts with zeros, or with other words, is fine", () => {
  // The check looks at a kind's tag word and exact size: ordinary data passes.
  for (const init of [[0, 0, 0, 0], [1, 2, 3, 4], [0x5ab00001, 0, 0]]) {
    const a = synchronized(RawArray("i", init));
    const back = revive(structuredClone(a));
    back.set(0, 9);
    assert.equal(a.get(0), 9);
  }
});

test("faults: typed arrays in meta are known by their internal slots: Proxy, look-alike, shadowed buffer", () => {
  const a = SharedArray("d", 2);
  const lock = new Lock();
  const real = RawArray("d", 2);
  const shadowed = new Float64Array(2); // not shared, pretending to be
  Object.defineProperty(shadowed, "buffer", { value: new SharedArrayBuffer(16) });
  const lookalike = Object.create(Float64Array.prototype);
  Object.defineProperty(lookalike, "buffer", { value: memory(lock) });
  const cases: Array<[string, unknown, RegExp]> = [
    [
      "a Proxy of a shared Float64Array",
      new Proxy(real, {}),
      /the SynchronizedArray meta holds|holds an object/,
    ],
    ["a Float64Array with a shadowed buffer", shadowed, /not on a SharedArrayBuffer/],
    ["a look-alike with the prototype", lookalike, /the SynchronizedArray meta holds/],
  ];
  const before = memoryOf(a, lock, real);
  for (const [what, obj, message] of cases) {
    const w = clone(a);
    (w.__sabkit.meta as Wire).obj = obj;
    refuses(() => revive(w), message, what);
    assert.throws(() => synchronized(obj as Float64Array<SharedArrayBuffer>), TypeError, what);
  }
  assert.deepEqual(memoryOf(a, lock, real), before);
});

test("faults: nested handles are checked as strictly as top-level ones", () => {
  const v = Value("i", 3);
  const a = SharedArray("i", [1, 2]);
  const s = SharedArray("c", "ab");
  const event = new Event();
  const sem = new Semaphore(1);
  const lockWire = clone(new Lock()).__sabkit;
  const rawWire = clone(RawValue("i", 5)).__sabkit;
  const liveLock = new Lock();
  const cases: Array<[string, object, (meta: Wire) => void, RegExp]> = [
    ["Value lock: a Lock handle on an Event's memory", v, (m) => {
      m.lock = { __sabkit: { ...lockWire, buffer: memory(event) } };
    }, /spans bytes 0\.\.16 of a 8-byte buffer/],
    ["Value lock: a Lock handle on a Semaphore's memory", v, (m) => {
      m.lock = { __sabkit: { ...lockWire, buffer: memory(sem) } };
    }, /does not hold a Lock/],
    ["Value lock: a record with an extra key", v, (m) => {
      m.lock = { __sabkit: lockWire, extra: 1 };
    }, /meta holds an Object, which is not a sabkit object/],
    ["Value lock: a look-alike Lock made in this thread", v, (m) => {
      m.lock = Object.assign(Object.create(Lock.prototype), { __sabkit: lockWire });
    }, /meta holds a Lock, which is not a sabkit object/],
    ["Value lock: a Proxy of a live Lock", v, (m) => {
      m.lock = new Proxy(liveLock, {});
    }, /not a sabkit object|meta holds/],
    ["Value obj: a RawValue handle on a Lock's memory", v, (m) => {
      m.obj = { __sabkit: { ...rawWire, buffer: memory(liveLock) } };
    }, /does not hold a RawValue/],
    ["Value obj: a RawValue handle at a wrong offset", v, (m) => {
      m.obj = { __sabkit: { ...rawWire, byteOffset: 8 } };
    }, /spans bytes 8\.\.24 of a 16-byte buffer/],
    ["Value obj: a truncated RawValue handle", v, (m) => {
      m.obj = { __sabkit: { ...rawWire, byteLength: 8 } };
    }, /byte length is 8, expected 16/],
    ["Value obj: a function", v, (m) => {
      m.obj = () => 1;
    }, /meta holds function/],
    ["Array lock: an RLock handle on a Lock's memory", a, (m) => {
      m.lock = { __sabkit: { ...clone(new RLock()).__sabkit, buffer: memory(liveLock) } };
    }, /does not hold an RLock/],
    ["Array lock: a Condition (not a lock)", a, (m) => {
      m.lock = clone(new Condition());
    }, /lock is a Condition/],
    ["String obj: a Uint8Array on a Lock's memory", s, (m) => {
      m.obj = new Uint8Array(memory(liveLock));
    }, /holds a Uint8Array on the memory of a Lock/],
    ["String obj: a Uint16Array for a c array", s, (m) => {
      m.obj = RawArray("u", 2);
    }, /not a Uint8Array/],
  ];
  for (const [what, target, mutate, message] of cases) {
    const before = memoryOf(v, a, s, event, sem, liveLock);
    const w = clone(target);
    mutate(w.__sabkit.meta as Wire);
    refuses(() => revive(w), message, what);
    refuses(() => revive([{ deep: new Map([["k", w]]) }]), message, `${what} (nested in containers)`);
    assert.deepEqual(memoryOf(v, a, s, event, sem, liveLock), before, `${what}: nothing written`);
  }
  assert.equal(liveLock.locked(), false);
});

test("faults: a handle that contains itself is a TypeError, not a stack overflow", () => {
  const v = Value("i", 1);
  const w = clone(v);
  (w.__sabkit.meta as Wire).obj = w;
  refuses(() => revive(structuredClone(w)), /contains its own handle/, "self-nested");
});

const FIELDS = ["brand", "kind", "buffer", "byteOffset", "byteLength", "domain", "meta"] as const;

test("faults: each field of a handle is read exactly once (getters and Proxy traps)", () => {
  for (const make of [() => new Lock(), () => Value("d", 2.5), () => SharedArray("i", [1, 2, 3])]) {
    const original = make();
    const h = clone(original).__sabkit;
    const reads = new Map<PropertyKey, number>();
    const proxy = new Proxy(h, {
      get(target, key, receiver) {
        reads.set(key, (reads.get(key) ?? 0) + 1);
        return Reflect.get(target, key, receiver);
      },
    });
    const revived = revive({ __sabkit: proxy }) as object;
    assert.equal(Object.getPrototypeOf(revived), Object.getPrototypeOf(original));
    for (const f of FIELDS) assert.equal(reads.get(f), 1, `${f} read once`);
  }
});

test("faults: a getter that answers differently on the second read cannot move the object", () => {
  // Checked with one buffer, built on the same one: the first answer is the only one used.
  const lock = new Lock();
  const zeroed = new SharedArrayBuffer(16);
  const h = clone(lock).__sabkit;
  const good = h.buffer;
  let reads = 0;
  Object.defineProperty(h, "buffer", { get: () => (reads++ === 0 ? good : zeroed), enumerable: true });
  const revived = revive({ __sabkit: h }) as unknown as Lock;
  assert.equal(reads, 1);
  assert.ok(revived.acquire({ blocking: false }));
  assert.equal(lock.locked(), true, "the revived lock is on the checked memory");
  revived.release();
  assert.deepEqual([...new Int32Array(zeroed)], [0, 0, 0, 0], "nothing written to the other buffer");

  // The other way round: the first answer is forged, so it is refused.
  const h2 = clone(lock).__sabkit;
  const good2 = h2.buffer;
  let reads2 = 0;
  Object.defineProperty(h2, "buffer", { get: () => (reads2++ === 0 ? zeroed : good2), enumerable: true });
  refuses(() => revive({ __sabkit: h2 }), /does not hold a Lock/, "forged first read");

  // Every field, through a Proxy that answers from another object after the first read.
  for (const field of ["buffer", "byteOffset", "meta", "domain"] as const) {
    const a = SharedArray("i", [1, 2]);
    const other = SharedArray("i", [3, 4]);
    const ha = clone(a).__sabkit;
    const hb = clone(other).__sabkit;
    hb.byteOffset = 8; // a wrong answer for byteOffset
    hb.domain = new SharedArrayBuffer(64); // and for domain
    const seen = new Set<PropertyKey>();
    const flip = new Proxy(ha, {
      get(target, key) {
        if (key === field && seen.has(key)) return hb[field];
        seen.add(key);
        return target[key as string];
      },
    });
    const revived = revive({ __sabkit: flip }) as unknown as SynchronizedArray<"i">;
    revived.set(0, 42);
    assert.equal(a.get(0), 42, `${field}: on the checked memory`);
    assert.equal(other.get(0), 3, `${field}: not on the other's`);
  }
});

test("faults: a getter or trap that throws gives sabkit's TypeError, with the cause", () => {
  const h = clone(new Lock()).__sabkit;
  const cause = new Error("boom");
  Object.defineProperty(h, "byteOffset", {
    get: () => {
      throw cause;
    },
    enumerable: true,
  });
  assert.throws(() => revive({ __sabkit: h }), (e) => {
    assert.ok(e instanceof TypeError);
    assert.match((e as Error).message, /^Cannot revive a sabkit object: reading the handle threw/);
    assert.equal((e as Error).cause, cause);
    return true;
  });
  const { proxy, revoke } = Proxy.revocable(clone(new Lock()).__sabkit, {});
  revoke();
  refuses(() => revive({ __sabkit: proxy }), /reading the handle threw/, "revoked proxy");
});

test("faults: buffers are measured by the engine, not by properties they may shadow", () => {
  const lock = new Lock();
  const before = memoryOf(lock);
  // A truncated buffer claiming to be long enough: refused by its real length, as a TypeError.
  const h = clone(lock).__sabkit;
  const short = new SharedArrayBuffer(8);
  new Int32Array(short)[0] = new Int32Array(h.buffer as SharedArrayBuffer)[0];
  Object.defineProperty(short, "byteLength", { value: 1024 });
  h.buffer = short;
  refuses(() => revive({ __sabkit: h }), /spans bytes 0\.\.16 of a 8-byte buffer/, "short buffer");
  // An ArrayBuffer dressed up as a SharedArrayBuffer.
  const h2 = clone(lock).__sabkit;
  const fake = new ArrayBuffer(16);
  Object.setPrototypeOf(fake, SharedArrayBuffer.prototype);
  h2.buffer = fake;
  refuses(() => revive({ __sabkit: h2 }), /not a SharedArrayBuffer/, "ArrayBuffer with the SAB prototype");
  // The agent domain with a shadowed length.
  const h3 = clone(lock).__sabkit;
  const domain = h3.domain as SharedArrayBuffer;
  Object.defineProperty(domain, "byteLength", { value: 64 });
  refuses(() => revive({ __sabkit: h3 }), /agent domain/, "shadowed domain");
  // Offsets: every way to get them wrong.
  for (const byteOffset of [4, -8, 0.5, 16, 2 ** 53, NaN, "0", null]) {
    const w = clone(lock);
    w.__sabkit.byteOffset = byteOffset;
    refuses(() => revive(w), /byte offset|spans bytes/, `byteOffset ${String(byteOffset)}`);
  }
  assert.deepEqual(memoryOf(lock), before);
});

test("faults: a handle for one kind on another kind's memory is refused, for every pair", () => {
  const makers: Array<() => object> = [
    () => new Lock(),
    () => new RLock(),
    () => new Semaphore(1),
    () => new Event(),
    () => new Barrier(2),
    () => RawValue("i", 1),
    () => Value("i", 1),
    () => SharedArray("i", 2),
    () => SharedArray("c", 2),
  ];
  for (const makeA of makers) {
    for (const makeB of makers) {
      const a = makeA();
      const b = makeB();
      const ha = clone(a).__sabkit;
      const hb = clone(b).__sabkit;
      if (ha.kind === hb.kind) continue;
      const before = memoryOf(a, b);
      const w = { __sabkit: { ...ha, buffer: hb.buffer, byteLength: hb.byteLength } };
      refuses(() => revive(w), /./, `${ha.kind} on ${hb.kind}'s memory`);
      assert.deepEqual(memoryOf(a, b), before);
    }
  }
});

test("faults: the constructors take only genuine parts made in this agent", () => {
  const lookalikeRaw = Object.create(RawValue.prototype);
  assert.throws(() => new SynchronizedValue(lookalikeRaw), {
    name: "TypeError",
    message: /wraps a RawValue/,
  });
  assert.throws(() => synchronized(lookalikeRaw), TypeError);
  assert.throws(() => new SynchronizedString(new Proxy(RawArray("c", 2), {}) as never), TypeError);
  assert.throws(
    () => new SynchronizedString(new Uint8Array(memory(new Lock())) as Uint8Array<SharedArrayBuffer>),
    { name: "TypeError", message: /on the memory of a Lock/ },
  );
  // Genuine parts still work, with the same memory.
  const raw = RawArray("c", 3);
  const s = new SynchronizedString(raw);
  s.value = "hé";
  assert.deepEqual([...raw], [104, 0xe9, 0]);
});
