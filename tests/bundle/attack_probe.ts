/**
 * What tests/revive_attack_test.ts asks of sabkit both on its sources and
 * inside bundled, minified workers (where every class name is mangled): the
 * messages that name a kind or a value, and how posted objects (users'
 * subclasses among them) revive. Everything here is idempotent: the test
 * may post a message again if a runtime loses the first one.
 */

import { answer } from "./_serve.ts";

// The module namespace of sabkit, whichever build it is (the sources, a bundle of dist/).
// deno-lint-ignore no-explicit-any
type Api = Record<string, any>;

/** Runs `f` and returns what it threw as `"Name: message"` (or `"returned"`). */
function thrown(f: () => unknown): string {
  try {
    f();
    return "returned";
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Messages that name a kind through the kind table (guard, counts, revive): they must survive a bundler. */
export function kindMessages(api: Api): Record<string, string> {
  const held = new api.Lock();
  held.acquire();
  const record = (x: object, patch: Record<string, unknown>): unknown => ({
    __sabkit: { ...(x as { __sabkit: object }).__sabkit, ...patch },
  });
  const flags = api.SharedArray("?", 2);
  return {
    lockGuard: thrown(() => held.guard({ timeout: 0 })),
    semaphoreGuard: thrown(() => new api.Semaphore(0).guard({ timeout: 0 })),
    boundedGuard: thrown(() => new api.BoundedSemaphore(0).guard({ timeout: 0 })),
    conditionGuard: thrown(() => new api.Condition(held).guard({ timeout: 0 })),
    valueGuard: thrown(() => api.Value("i", 1, { lock: held }).guard({ timeout: 0 })),
    arrayGuard: thrown(() => api.SharedArray("d", 1, { lock: held }).guard({ timeout: 0 })),
    stringGuard: thrown(() => api.SharedArray("c", 1, { lock: held }).guard({ timeout: 0 })),
    boundedCount: thrown(() => new api.BoundedSemaphore(-1)),
    boundedRelease: thrown(() => new api.BoundedSemaphore(1).release()),
    unknownKind: thrown(() => api.revive(record(held, { kind: "Nope" }))),
    wrongKind: thrown(() => api.revive(record(held, { kind: "Semaphore" }))),
    wrongTypecode: thrown(() =>
      api.revive(record(flags, { meta: { ...flags.__sabkit.meta, typecode: "B" } }))
    ),
    channelClosed: thrown(() => {
      const ch = new api.Channel("d", { capacity: 2 });
      ch.close();
      ch.send([1]);
    }),
    barrierBroken: thrown(() => {
      const b = new api.Barrier(2);
      b.abort();
      b.wait();
    }),
  };
}

/** Messages that name a sabkit object given where it does not belong (describe()). */
export function valueMessages(api: Api): Record<string, string> {
  const value = api.Value("i", 1);
  return {
    conditionOfSemaphore: thrown(() => new api.Condition(new api.Semaphore())),
    arrayLockEvent: thrown(() => api.SharedArray("d", 2, { lock: new api.Event() })),
    valueLockBarrier: thrown(() => api.Value("i", 1, { lock: new api.Barrier(1) })),
    synchronizedTwice: thrown(() => api.synchronized(api.SharedArray("d", 2))),
    copyLock: thrown(() => api.copy(new api.Lock())),
    valueOfLock: thrown(() => new api.SynchronizedValue(new api.Lock())),
    reviveValueLockSemaphore: thrown(() =>
      api.revive({
        __sabkit: { ...value.__sabkit, meta: { ...value.__sabkit.meta, lock: new api.Semaphore() } },
      })
    ),
  };
}

/** How one revived object came out. */
export interface Revived {
  /** The kind its handle names. */
  kind: string;
  /** Whether its prototype is exactly `api[base].prototype` (`undefined` without an api). */
  exact?: boolean;
  /** The typecode of shared data. */
  typecode?: string;
  /** What using it gave (idempotent reads and acquire/release pairs). */
  use?: unknown;
}

/** The base class each posted key must revive as. */
export const BASES: Record<string, string> = {
  lock: "Lock",
  rlock: "RLock",
  semaphore: "Semaphore",
  bounded: "BoundedSemaphore",
  condition: "Condition",
  event: "Event",
  barrier: "Barrier",
  value: "SynchronizedValue",
  flags: "SynchronizedArray",
  bytes: "SynchronizedString",
  wide: "SynchronizedString",
  doubles: "SynchronizedArray",
  channel: "Channel",
  floats: "FloatChannel",
};

// deno-lint-ignore no-explicit-any
function use(key: string, x: any): unknown {
  switch (key) {
    case "lock":
    case "rlock":
    case "semaphore":
    case "bounded":
    case "condition": {
      const got = x.acquire({ blocking: false });
      if (got) x.release();
      return got;
    }
    case "event":
      return x.isSet();
    case "barrier":
      return x.parties;
    case "value":
      return x.value;
    case "flags":
    case "doubles":
      return x.get(0);
    case "bytes":
    case "wide":
      return x.value;
    case "channel":
    case "floats":
      return x.capacity ?? null;
    case "held":
      return thrown(() => x.guard({ timeout: 0 }));
  }
  return undefined;
}

/** Revives `data` (an object of sabkit objects) and reports each entry. */
export function reviveReport(revive: <T>(x: T) => T, data: unknown, api?: Api): Record<string, Revived> {
  const objects = revive(data) as Record<string, { __sabkit: { kind: string }; typecode?: string }>;
  const out: Record<string, Revived> = {};
  for (const [key, x] of Object.entries(objects)) {
    const base = BASES[key];
    out[key] = {
      kind: x.__sabkit.kind,
      exact: api && base ? Object.getPrototypeOf(x) === api[base].prototype : undefined,
      typecode: typeof x.typecode === "string" ? x.typecode : undefined,
      use: use(key, x),
    };
  }
  return out;
}

/** Answers each message `{ data }` with `{ report, kinds?, values? }`, in a web or a Node worker. */
export function serveAttack(revive: <T>(x: T) => T, api?: Api): void {
  answer((data) => ({
    report: reviveReport(revive, data, api),
    kinds: api ? kindMessages(api) : undefined,
    values: api ? valueMessages(api) : undefined,
  }));
}
