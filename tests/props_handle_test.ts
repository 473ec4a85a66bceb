/**
 * Property-based test of `revive` against corrupted handles. A handle is
 * taken as another thread receives it (`structuredClone`), one to three of its
 * fields (`brand`, `kind`, `buffer`, `byteOffset`, `byteLength`, `domain`,
 * `meta`, or the whole handle) are replaced with values drawn from a pool,
 * and the result is revived, bare or inside an array, object, Map or Set.
 *
 * Validity is defined by the pool: a replacement is valid when it is the
 * field's own value, an equivalent one (another spelling of the same
 * typecode; any `meta` of a kind that has none, unless it nests a forged
 * handle), or genuine parts of another live object that the API could
 * combine just as well (the memory of another object of the same kind and
 * typecode; another `Lock`/`RLock`, `RawValue` or shared typed array of the
 * right class inside a synchronized object's or a condition's `meta`, but
 * never a view on a sabkit object's own memory, nor a Proxy or look-alike). A
 * handle is valid when all its replacements are. Then `revive` must return an
 * object of the same class on the expected memory (checked by a write through
 * one view seen through the other); otherwise it must throw a `TypeError` and
 * leave every object's memory as it was. Never a silent view on the wrong bytes.
 *
 * Out of scope by definition: a byte-exact copy of genuine memory (or of the
 * agent domain) in a new buffer is structurally indistinguishable from the
 * original and would revive onto the copy; and a Condition's memory swapped
 * for another Condition's revives with the first one's lock (the waiter words
 * do not record their lock), which this test checks through the lock only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Barrier,
  BoundedSemaphore,
  Channel,
  Condition,
  Event,
  FloatChannel,
  Lock,
  RawArray,
  RawValue,
  revive,
  RLock,
  Semaphore,
  SharedArray,
  Value,
} from "../mod.ts";
import { memoryOf } from "./_memory.ts";
import { clone, type Wire } from "./_wire.ts";

// deno-lint-ignore no-explicit-any
type Live = any;

/** Where a valid revived object must live: on the original's memory, the other's, or (meta parts swapped) either. */
type Target = "original" | "other" | "unchecked";

interface Candidate {
  value: unknown;
  valid: boolean;
  target?: Target;
}

interface Ctx {
  original: object;
  other: object;
  /** An object of another kind, whose name the kind pool leaves out (else the two could make a genuine handle of it). */
  foreign: object;
  /** The original's handle as received, never mutated. */
  h: Wire;
}

interface Subject {
  kind: string;
  make(): object;
  /** Same kind, another typecode: its memory must not pass for the original's. */
  variant?(): object;
  /** Whether the data lives in `meta` (synchronized data): then the header's memory is only a tag. */
  composite?: boolean;
  /** Whether a change made through `a` shows through `b` (and undoes it). */
  probe(a: Live, b: Live): boolean;
  meta(ctx: Ctx): Candidate[];
}

const ok = (value: unknown, target: Target = "original"): Candidate => ({ value, valid: true, target });
const no = (value: unknown): Candidate => ({ value, valid: false });

/** Any meta is ignored by kinds that have none, unless it nests a forged handle. */
const ignoredMeta = (): Candidate[] => [
  ok(null),
  ok(undefined),
  ok(5),
  ok("x"),
  ok({ a: 1 }),
  ok([1, 2]),
  ok(clone(new Lock())),
  no({ __sabkit: 5 }),
  no([{ __sabkit: { brand: "x" } }]),
  no({
    nested: clone(new Semaphore(1)),
    forged: { __sabkit: { ...clone(new Lock()).__sabkit, kind: "RLock" } },
  }),
];

const lockProbe = (a: Live, b: Live): boolean => {
  assert.ok(a.acquire({ blocking: false }));
  const seen = b.locked();
  a.release();
  return seen && !b.locked();
};

const semaphoreProbe = (a: Live, b: Live): boolean => {
  assert.ok(a.acquire({ blocking: false }));
  const seen = b.getValue() === 0;
  a.release();
  return seen;
};

const SUBJECTS: Subject[] = [
  { kind: "Lock", make: () => new Lock(), probe: lockProbe, meta: ignoredMeta },
  { kind: "RLock", make: () => new RLock(), probe: lockProbe, meta: ignoredMeta },
  { kind: "Semaphore", make: () => new Semaphore(1), probe: semaphoreProbe, meta: ignoredMeta },
  { kind: "BoundedSemaphore", make: () => new BoundedSemaphore(1), probe: semaphoreProbe, meta: ignoredMeta },
  {
    kind: "Event",
    make: () => new Event(),
    probe: (a, b) => {
      a.set();
      const seen = b.isSet();
      a.clear();
      return seen;
    },
    meta: ignoredMeta,
  },
  {
    kind: "Barrier",
    make: () => new Barrier(2),
    probe: (a, b) => {
      a.abort();
      const seen = b.broken;
      a.reset();
      return seen;
    },
    meta: ({ h }) => [
      ok(h.meta),
      ok({ timeout: 5 }),
      ok({ timeout: -1 }),
      no({ timeout: NaN }),
      no({ timeout: "5" }),
      no({}),
      no(null),
      no(5),
      no(undefined),
    ],
  },
  {
    kind: "Condition",
    make: () => new Condition(new Lock()),
    // Its lock comes from meta. Its own memory (the waiter bookkeeping) swapped for another
    // Condition's pairs words and lock that no constructor pairs; neither records the other.
    composite: true,
    probe: (a, b) => {
      assert.ok(a.acquire({ blocking: false }));
      const got = b.acquire({ blocking: false });
      if (got) b.release();
      a.release();
      return !got;
    },
    meta: ({ h }) => [
      ok(h.meta),
      ok({ lock: clone(new Lock()) }, "unchecked"),
      ok({ lock: clone(new RLock()) }, "unchecked"),
      no({ lock: clone(new Semaphore(1)) }),
      no({ lock: 5 }),
      no({}),
      no(null),
      no({ lock: { __sabkit: { brand: "x" } } }),
    ],
  },
  {
    kind: "RawValue",
    make: () => RawValue("i", 1),
    variant: () => RawValue("d", 1),
    probe: (a, b) => {
      a.value = 123456;
      const seen = b.value === 123456;
      a.value = 1;
      return seen;
    },
    meta: ({ h }) => [
      ok(h.meta),
      ok({ typecode: "c_int" }),
      ok({ typecode: "int32" }),
      no({ typecode: "I" }),
      no({ typecode: "d" }),
      no({ typecode: "q" }),
      no({ typecode: "x" }),
      no({ typecode: 5 }),
      no({}),
      no(null),
    ],
  },
  {
    kind: "SynchronizedValue",
    make: () => Value("i", 1),
    composite: true,
    probe: (a, b) => {
      a.value = 123456;
      const seen = b.value === 123456;
      a.value = 1;
      return seen;
    },
    meta: ({ h }) => {
      const { obj, lock } = h.meta as Wire;
      return [
        ok(h.meta),
        ok({ obj: clone(RawValue("i", 5)), lock }, "unchecked"),
        ok({ obj: clone(RawValue("d", 5)), lock }, "unchecked"),
        ok({ obj, lock: clone(new Lock()) }, "unchecked"),
        no({ obj: clone(new Lock()), lock }),
        no({ obj: 5, lock }),
        no({ obj, lock: clone(new Semaphore(1)) }),
        no({ obj, lock: new Proxy(new Lock(), {}) }),
        no({ obj: Object.create(RawValue.prototype), lock }),
        no({ obj: { ...(obj as object), extra: 1 }, lock }),
        no({ obj }),
        no(null),
        no({ obj: { __sabkit: { ...(obj as { __sabkit: Wire }).__sabkit, meta: { typecode: "d" } } }, lock }),
      ];
    },
  },
  {
    kind: "SynchronizedArray",
    make: () => SharedArray("d", [1, 2]),
    variant: () => SharedArray("f", [1, 2]),
    composite: true,
    probe: (a, b) => {
      a.set(0, 42);
      const seen = b.get(0) === 42;
      a.set(0, 1);
      return seen;
    },
    meta: ({ h }) => {
      const m = h.meta as Wire;
      return [
        ok(m),
        ok({ ...m, typecode: "float64" }),
        ok({ ...m, typecode: "c_double" }),
        no({ ...m, typecode: "f" }),
        no({ ...m, typecode: "q" }),
        no({ ...m, typecode: 5 }),
        ok({ ...m, obj: RawArray("d", 2) }, "unchecked"),
        no({ ...m, obj: new Float64Array(2) }),
        no({ ...m, obj: RawArray("f", 2) }),
        ok({ ...m, lock: clone(new RLock()) }, "unchecked"),
        no({ ...m, lock: clone(new Event()) }),
        // Data on a sabkit object's own memory would write its words (bug 9).
        no({ ...m, obj: new Float64Array(clone(new Lock()).__sabkit.buffer as SharedArrayBuffer) }),
        no({ ...m, obj: new Float64Array(clone(new Semaphore(1)).__sabkit.buffer as SharedArrayBuffer) }),
        no({
          ...m,
          obj: new Float64Array(clone(RawValue("d", 1)).__sabkit.buffer as SharedArrayBuffer, 8, 1),
        }),
        no({ ...m, obj: new Proxy(RawArray("d", 2), {}) }),
        no({ ...m, lock: { ...(m.lock as object), extra: 1 } }),
        no({ ...m, lock: new Proxy(new RLock(), {}) }),
        no({ ...m, obj: undefined }),
        no(null),
      ];
    },
  },
  {
    kind: "SynchronizedString",
    make: () => SharedArray("c", "ab"),
    variant: () => SharedArray("B", [97, 98]),
    composite: true,
    probe: (a, b) => {
      a.set(0, "z");
      const seen = b.get(0) === "z";
      a.set(0, "a");
      return seen;
    },
    meta: ({ h }) => {
      const m = h.meta as Wire;
      return [
        ok(m),
        ok({ ...m, typecode: "c_char" }),
        no({ ...m, typecode: "B" }),
        no({ ...m, typecode: "?" }),
        no({ ...m, typecode: "u" }),
        ok({ ...m, obj: RawArray("B", 2) }, "unchecked"),
        no({ ...m, obj: RawArray("H", 2) }),
        no({ ...m, obj: new Uint8Array(clone(new Lock()).__sabkit.buffer as SharedArrayBuffer, 4, 2) }),
        no({ ...m, obj: new Uint8Array(clone(new Event()).__sabkit.buffer as SharedArrayBuffer, 0, 2) }),
      ];
    },
  },
];

const channelProbe = (a: Live, b: Live): boolean => {
  a.send([42], { timeout: 0 });
  let seen = false;
  try {
    seen = b.recv({ timeout: 0 })?.[0] === 42;
  } catch {
    // TimeoutError: b is another channel; take the message back through a.
  }
  if (!seen) a.recv({ timeout: 0 });
  return seen;
};

const channelMeta = ({ h }: Ctx): Candidate[] => {
  const m = h.meta as Wire;
  return [
    ok(m),
    no({ ...m, typecode: "float64" }),
    no({ ...m, typecode: "f" }),
    no({ ...m, typecode: "q" }),
    no({ ...m, capacity: 5 }),
    no({ ...m, capacity: 100 }),
    no({ ...m, capacity: -1 }),
    no({ ...m, slots: (m.slots as number) + 1 }),
    no({ ...m, slots: 0 }),
    no({}),
    no(null),
  ];
};

SUBJECTS.push(
  {
    kind: "Channel",
    make: () => new Channel("d", { capacity: 4, slots: 2 }),
    variant: () => new Channel("f", { capacity: 4, slots: 2 }),
    probe: channelProbe,
    meta: channelMeta,
  },
  {
    kind: "FloatChannel",
    make: () => new FloatChannel(4),
    variant: () => new Channel("d", { capacity: 4, slots: 1 }),
    probe: channelProbe,
    meta: channelMeta,
  },
);

const KIND_NAMES = [
  "Lock",
  "RLock",
  "Semaphore",
  "BoundedSemaphore",
  "Condition",
  "Event",
  "Barrier",
  "RawValue",
  "SynchronizedValue",
  "SynchronizedArray",
  "Channel",
  "FloatChannel",
];

const FIELDS = ["brand", "kind", "buffer", "byteOffset", "byteLength", "domain", "meta", "handle"] as const;
type Field = typeof FIELDS[number];

/** The pool of replacements for one field of one subject's handle. */
function pool(field: Field, subject: Subject, ctx: Ctx): Candidate[] {
  const { h } = ctx;
  const length = h.byteLength as number;
  const domain = h.domain as SharedArrayBuffer;
  switch (field) {
    case "brand":
      return [ok("sabkit/1"), no("sabkit/2"), no(""), no(1), no(undefined), no(null), no({})];
    case "kind":
      return [
        ok(h.kind),
        ...KIND_NAMES.filter((k) => k !== h.kind && k !== clone(ctx.foreign).__sabkit.kind).map(no),
        no("Nuke"),
        no(String(h.kind).toLowerCase()),
        no(5),
        no(undefined),
      ];
    case "buffer": {
      return [
        ok(h.buffer),
        ok(clone(ctx.other).__sabkit.buffer, subject.composite ? "original" : "other"),
        no(clone(ctx.foreign).__sabkit.buffer),
        ...(subject.variant ? [no(clone(subject.variant()).__sabkit.buffer)] : []),
        no(new SharedArrayBuffer(length)),
        no(new SharedArrayBuffer(1024)),
        no(new ArrayBuffer(length)),
        no(new Int32Array(new SharedArrayBuffer(length))),
        no(undefined),
        no("buffer"),
      ];
    }
    case "byteOffset":
      return [
        ok(h.byteOffset),
        no(8),
        no(4),
        no(-8),
        no(1),
        no(0.5),
        no(NaN),
        no("0"),
        no(2 ** 40),
        no(2 ** 53),
        no(null),
      ];
    case "byteLength":
      return [
        ok(length),
        no(length + 1),
        no(length + 8),
        no(length - 4),
        no(0),
        no(String(length)),
        no(NaN),
        no(undefined),
      ];
    case "domain":
      return [
        ok(h.domain),
        no(new SharedArrayBuffer(domain.byteLength)),
        no(new SharedArrayBuffer(64)),
        no(new ArrayBuffer(domain.byteLength)),
        no(h.buffer),
        no(undefined),
      ];
    case "meta":
      return subject.meta(ctx);
    case "handle":
      return [no(5), no(null), no("sabkit/1"), no([]), no({}), no(new Lock())];
  }
}

/** Which candidate of a pool: often one of the first two (the field's own value, and for buffers the other object's). */
const PICK = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(0, 1) }, { weight: 2, arbitrary: fc.nat() });

type Wrap = "bare" | "array" | "object" | "map" | "set";

function reviveIn(wrap: Wrap, x: unknown): unknown {
  switch (wrap) {
    case "bare":
      return revive(x);
    case "array":
      return revive([1, x])[1];
    case "object":
      return revive({ a: { b: x } }).a.b;
    case "map":
      return revive(new Map([["k", x]])).get("k");
    case "set":
      return [...revive(new Set([x]))][0];
  }
}

test("props: a corrupted handle of any kind is refused with a TypeError unless it is still valid, never a wrong view", () => {
  const outcomes = { revived: 0, refused: 0, onOther: 0 };
  fc.assert(
    fc.property(
      fc.nat({ max: SUBJECTS.length - 1 }),
      fc.nat(),
      fc.uniqueArray(fc.record({ field: fc.constantFrom(...FIELDS), pick: PICK }), {
        minLength: 1,
        maxLength: 3,
        selector: (m) => m.field,
      }),
      fc.constantFrom<Wrap>("bare", "array", "object", "map", "set"),
      (s, f, mutations, wrap) => {
        const subject = SUBJECTS[s];
        const original = subject.make();
        const other = subject.make();
        const h = clone(original).__sabkit;
        const foreigners = SUBJECTS.filter((x) => clone(x.make()).__sabkit.kind !== h.kind);
        const ctx: Ctx = { original, other, foreign: foreigners[f % foreigners.length].make(), h };
        const received = clone(original);
        let valid = true;
        const targets: Target[] = [];
        let wire: unknown = received;
        const labels: string[] = [];
        for (const { field, pick } of mutations) {
          const candidates = pool(field, subject, ctx);
          const c = candidates[pick % candidates.length];
          labels.push(`${field}#${pick % candidates.length}`);
          valid &&= c.valid;
          targets.push(c.target ?? "original");
          if (field === "handle") wire = { __sabkit: c.value };
          else received.__sabkit[field] = c.value;
        }
        const target: Target = targets.includes("unchecked")
          ? "unchecked"
          : targets.includes("other")
          ? "other"
          : "original";
        const before = memoryOf(original, other);
        let revived: unknown;
        let error: unknown;
        try {
          revived = reviveIn(wrap, wire);
        } catch (e) {
          error = e;
        }
        const what = `${subject.kind} with ${labels.join(", ")} (${wrap})`;
        if (!valid) {
          assert.ok(error instanceof TypeError, `${what} must be refused, got ${error ?? "a live object"}`);
          assert.match(error.message, /^Cannot revive a sabkit object: /, what);
          assert.deepEqual(memoryOf(original, other), before, `${what}: memory unchanged`);
          outcomes.refused++;
          return;
        }
        assert.equal(error, undefined, `${what} is valid but was refused: ${(error as Error)?.message}`);
        assert.equal(Object.getPrototypeOf(revived), Object.getPrototypeOf(original), what);
        if (target === "original") {
          assert.ok(subject.probe(revived, original), `${what}: on the original's memory`);
          assert.ok(!subject.probe(revived, other), `${what}: not on the other's memory`);
        } else if (target === "other") {
          assert.ok(subject.probe(revived, other), `${what}: on the other's memory`);
          assert.ok(!subject.probe(revived, original), `${what}: not on the original's memory`);
          outcomes.onOther++;
        }
        outcomes.revived++;
      },
    ),
    { seed: 0x5ab0720, numRuns: 1500 },
  );
  // The pools must exercise both sides.
  assert.ok(
    outcomes.revived >= 100 && outcomes.refused >= 800 && outcomes.onOther >= 8,
    JSON.stringify(outcomes),
  );
});
