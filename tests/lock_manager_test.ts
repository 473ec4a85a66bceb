/**
 * LockManager against what the Web Platform Tests for web-locks assert
 * (web-locks/acquire, held, ifAvailable, lock-attributes, mode-exclusive,
 * mode-shared, mode-mixed, query, query-empty, query-order, resource-names,
 * signal, steal), in one thread; each test names the WPT file it follows.
 * The same behaviour between threads is in lock_manager_threads_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type LockGrant, LockManager, type LockMode, revive } from "../mod.ts";
import { memoryOf } from "./_memory.ts";

/** A promise and the function that resolves it. */
function deferred<T = void>(): [Promise<T>, (v: T) => void] {
  let resolve!: (v: T) => void;
  const p = new Promise<T>((r) => (resolve = r));
  return [p, resolve];
}

const never = new Promise<never>(() => {});

/**
 * Requests `name` and holds it until the returned function is called (which
 * resolves once the lock is released); resolves once granted.
 */
async function holdLock(locks: LockManager, name: string, options = {}): Promise<() => Promise<void>> {
  const [release, done] = deferred();
  const [granted, grant] = deferred();
  const request = locks.request(name, options, () => {
    grant();
    return release;
  }).catch(() => {});
  await granted;
  return () => {
    done();
    return request;
  };
}

/** Rejects with a DOMException (or Error) named `name`. */
async function rejectsNamed(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.equal((e as Error).name, name, message ?? name);
    if (typeof DOMException === "function" && name !== "TypeError") assert.ok(e instanceof DOMException);
    return true;
  });
}

const modes = (list: { name: string; mode: string }[], name: string) =>
  list.filter((l) => l.name === name).map((l) => l.mode);

// ------------------------------------------------------------------ acquire --

test("web-locks/acquire: request needs a name and a callback; mode must be shared or exclusive", async () => {
  const locks = new LockManager();
  const l = locks as unknown as { request(...a: unknown[]): Promise<unknown> };
  await assert.rejects(l.request(), TypeError);
  await assert.rejects(l.request("r"), TypeError);
  await assert.rejects(l.request("r", { mode: "foo" }, () => {}), TypeError);
  await assert.rejects(l.request("r", { mode: null }, () => {}), TypeError);
  assert.equal(await locks.request("r", { mode: "exclusive" }, (lock) => lock!.mode), "exclusive");
  assert.equal(await locks.request("r", { mode: "shared" }, (lock) => lock!.mode), "shared");
  for (const bad of [undefined, null, 123, "abc", [], {}, new Promise(() => {})]) {
    await assert.rejects(l.request("r", bad), TypeError, `callback ${String(bad)}`);
  }
});

test("web-locks/acquire: option combinations the spec refuses are NotSupportedError, and change nothing", async () => {
  const locks = new LockManager();
  const before = memoryOf(locks);
  const signal = new AbortController().signal;
  await rejectsNamed(locks.request("r", { steal: true, ifAvailable: true }, () => {}), "NotSupportedError");
  await rejectsNamed(locks.request("r", { mode: "shared", steal: true }, () => {}), "NotSupportedError");
  await rejectsNamed(locks.request("r", { signal, steal: true }, () => {}), "NotSupportedError");
  await rejectsNamed(locks.request("r", { signal, ifAvailable: true }, () => {}), "NotSupportedError");
  assert.deepEqual(memoryOf(locks), before);
});

test("web-locks/acquire: the returned promise settles after the release, with the callback's result or error", async () => {
  const locks = new LockManager();
  const [promise, release] = deferred();
  const order: string[] = [];
  const returned = locks.request("r", () => promise);
  assert.ok(returned instanceof Promise);
  returned.then(() => order.push("returned"));
  promise.then(() => order.push("holding"));
  release();
  await Promise.all([returned, promise]);
  assert.deepEqual(order, ["holding", "returned"]);
  const error = { name: "test" };
  await assert.rejects(
    locks.request("r", () => {
      throw error;
    }),
    (e) => e === error,
  );
  await assert.rejects(
    locks.request("r", () => Promise.reject(error)),
    (e) => e === error,
  );
});

// -------------------------------------------------------------------- held --

test("web-locks/held: the result is promisified; the lock is held until the callback's promise resolves or rejects", async () => {
  const locks = new LockManager();
  assert.equal(await locks.request("r", () => 123), 123);
  for (const how of ["resolve", "reject"]) {
    const [granted, grant] = deferred();
    let settle!: () => void;
    const first = locks.request("r", () => {
      grant();
      return new Promise<void>((resolve, reject) => {
        settle = how === "resolve" ? resolve : () => reject(new Error("expected"));
      });
    });
    first.catch(() => {});
    await granted;
    const order: string[] = [];
    await Promise.all([
      new Promise((r) => setTimeout(r, 30)).then(() => {
        order.push("released");
        settle();
      }),
      locks.request("r", () => void order.push("2nd granted")),
    ]);
    assert.deepEqual(order, ["released", "2nd granted"], how);
  }
  // The same client cannot take it again while it holds it.
  let called = false;
  await locks.request("r", async () => {
    await locks.request("r", { ifAvailable: true }, (lock) => {
      called = true;
      assert.equal(lock, null);
    });
  });
  assert.ok(called);
});

// ------------------------------------------------------------- ifAvailable --

test("web-locks/ifAvailable: granted when free, null (with the callback's result or error) when not", async () => {
  const locks = new LockManager();
  assert.notEqual(await locks.request("r", { ifAvailable: true }, (lock) => lock), null);
  await locks.request("r", async () => {
    assert.equal(
      await locks.request("r", { ifAvailable: true }, (lock) => (assert.equal(lock, null), 123)),
      123,
    );
    await assert.rejects(
      locks.request("r", { ifAvailable: true }, () => Promise.reject(123)),
      (e) => e === 123,
    );
    const error = { name: "test" };
    await assert.rejects(
      locks.request("r", { ifAvailable: true }, () => {
        throw error;
      }),
      (e) => e === error,
    );
    // An unrelated lock is available.
    assert.notEqual(await locks.request("other", { ifAvailable: true }, (lock) => lock), null);
    // A shared request when the exclusive lock is held: null.
    assert.equal(await locks.request("r", { mode: "shared", ifAvailable: true }, (lock) => lock), null);
  });
  await locks.request("r", { mode: "shared" }, async () => {
    assert.notEqual(await locks.request("r", { mode: "shared", ifAvailable: true }, (lock) => lock), null);
    assert.equal(await locks.request("r", { ifAvailable: true }, (lock) => lock), null);
  });
  // Available once the previous release is processed.
  await locks.request("a", async () => {
    await locks.request("b", () => {});
    assert.notEqual(await locks.request("b", { ifAvailable: true }, (lock) => lock), null);
  });
  // Not grantable while another request for the name waits, even between holders.
  const release = await holdLock(locks, "q");
  const waiting = locks.request("q", () => "second");
  release();
  assert.equal(
    await locks.request("q", { ifAvailable: true }, (lock) => lock),
    null,
    "the waiting request is first",
  );
  assert.equal(await waiting, "second");
});

// ---------------------------------------------------------- lock-attributes --

test("web-locks/lock-attributes: the granted lock reflects the name and mode", async () => {
  const locks = new LockManager();
  for (const mode of ["exclusive", "shared"] as LockMode[]) {
    const lock = await locks.request("resource", { mode }, (l) => l) as LockGrant;
    assert.equal(lock.name, "resource");
    assert.equal(lock.mode, mode);
  }
  assert.equal(await locks.request("resource", (l) => l!.mode), "exclusive");
});

// ------------------------------------------------------------------- modes --

test("web-locks/mode-exclusive: granted in order; distinct names are independent", async () => {
  const locks = new LockManager();
  const granted: number[] = [];
  const log = (n: number) => () => void granted.push(n);
  await Promise.all([locks.request("a", log(1)), locks.request("a", log(2)), locks.request("a", log(3))]);
  assert.deepEqual(granted, [1, 2, 3]);
  granted.length = 0;
  let inner!: Promise<unknown>;
  await locks.request("a", () => {
    inner = Promise.all([locks.request("a", log(1)), locks.request("b", log(2))]);
  });
  await inner;
  assert.deepEqual(granted, [2, 1]);
});

test("web-locks/mode-shared: granted in order across names; shared locks are not exclusive", async () => {
  const locks = new LockManager();
  const granted: number[] = [];
  const log = (n: number) => () => void granted.push(n);
  await Promise.all(
    ["a", "b", "c", "a", "b", "c"].map((name, i) => locks.request(name, { mode: "shared" }, log(i + 1))),
  );
  assert.deepEqual(granted, [1, 2, 3, 4, 5, 6]);
  let again = false;
  await locks.request("a", { mode: "shared" }, async () => {
    await locks.request("a", { mode: "shared" }, () => void (again = true));
  });
  assert.ok(again);
});

test("web-locks/mode-mixed: an exclusive request waits for shared holders, and later shared requests wait for it", async () => {
  const locks = new LockManager();
  const [blocked, unblock] = deferred();
  const granted: string[] = [];
  for (const n of [1, 2, 3]) {
    locks.request("a", { mode: "shared" }, async () => {
      granted.push(`a-shared-${n}`);
      await blocked;
    });
  }
  let exclusive!: LockGrant;
  const exclusiveRequest = locks.request("a", (lock) => {
    granted.push("a-exclusive");
    exclusive = lock!;
  });
  await locks.request("b", () => void granted.push("b-exclusive"));
  assert.deepEqual(granted, ["a-shared-1", "a-shared-2", "a-shared-3", "b-exclusive"]);
  unblock();
  await exclusiveRequest;
  assert.equal(exclusive.mode, "exclusive");
  assert.deepEqual(granted, ["a-shared-1", "a-shared-2", "a-shared-3", "b-exclusive", "a-exclusive"]);
});

test("web-locks/mode-mixed: releasing an exclusive lock grants every shared request behind it; an exclusive between shared runs", async () => {
  const locks = new LockManager();
  const [held, release] = deferred();
  const exclusive = locks.request("r", () => held);
  const shared = Array.from({ length: 5 }, () => locks.request("r", { mode: "shared" }, () => never));
  let state = await locks.query();
  assert.equal(state.held.length, 1);
  assert.equal(state.pending.length, 5);
  release();
  await exclusive;
  state = await locks.query();
  assert.equal(state.held.length, 5);
  assert.ok(state.held.every((l) => l.mode === "shared"));
  void shared;

  const locks2 = new LockManager();
  const [s, sharedDone] = deferred();
  const [x, exclusiveDone] = deferred();
  const first = Promise.all(
    Array.from({ length: 5 }, () => locks2.request("r", { mode: "shared" }, () => s)),
  );
  const between = locks2.request("r", () => x);
  for (let i = 0; i < 5; i++) locks2.request("r", { mode: "shared" }, () => never);
  state = await locks2.query();
  assert.deepEqual(state.held.map((l) => l.mode), Array(5).fill("shared"));
  sharedDone();
  await first;
  state = await locks2.query();
  assert.deepEqual(state.held.map((l) => l.mode), ["exclusive"]);
  exclusiveDone();
  await between;
  state = await locks2.query();
  assert.deepEqual(state.held.map((l) => l.mode), Array(5).fill("shared"));
});

// ------------------------------------------------------------------- query --

test("web-locks/query-empty and query: empty arrays; entries with name, mode and clientId; counts per mode", async () => {
  const locks = new LockManager();
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
  await locks.request("r", async () => {
    let second = false;
    locks.request("r", () => void (second = true));
    await locks.request("r", { ifAvailable: true }, async (lock) => {
      assert.equal(lock, null);
      assert.ok(!second);
      const state = await locks.query();
      for (const entry of [state.held[0], state.pending[0]]) {
        assert.deepEqual(Object.keys(entry).sort(), ["clientId", "mode", "name"]);
      }
      assert.deepEqual(modes(state.pending, "r"), ["exclusive"]);
      assert.deepEqual(modes(state.held, "r"), ["exclusive"]);
      assert.equal(state.held[0].clientId, locks.clientId);
    });
  });
  await locks.request("r", { mode: "shared" }, async () => {
    assert.deepEqual(modes((await locks.query()).held, "r"), ["shared"]);
    await locks.request("r", { mode: "shared" }, async () => {
      assert.deepEqual(modes((await locks.query()).held, "r"), ["shared", "shared"]);
    });
  });
  await locks.request("r1", async () => {
    await locks.request("r2", { mode: "shared" }, async () => {
      const state = await locks.query();
      assert.deepEqual(modes(state.held, "r1"), ["exclusive"]);
      assert.deepEqual(modes(state.held, "r2"), ["shared"]);
      assert.equal(state.held[0].clientId, state.held[1].clientId, "one thread, one clientId");
    });
  });
  await locks.request("r", async () => {
    locks.request("r", { mode: "shared" }, () => {});
    locks.request("r", { mode: "shared" }, () => {});
    const state = await locks.query();
    assert.deepEqual(modes(state.held, "r"), ["exclusive"]);
    assert.deepEqual(modes(state.pending, "r"), ["shared", "shared"]);
  });
});

test("web-locks/query-order: pending in request order, held in grant order (steals included)", async () => {
  const locks = new LockManager();
  const r = await Promise.all(["r1", "r2", "r3"].map((n) => holdLock(locks, n)));
  for (const n of ["r3", "r2", "r1"]) locks.request(n, { mode: "shared" }, () => {}).catch(() => {});
  assert.deepEqual((await locks.query()).pending.map((l) => l.name), ["r3", "r2", "r1"]);
  for (const release of r) await release();

  const locks1 = new LockManager();
  const first = await Promise.all(["r1", "r2", "r3"].map((n) => holdLock(locks1, n)));
  const next = ["r1", "r2", "r3"].map((n) => holdLock(locks1, n));
  await locks1.request("other", () => {});
  void first[1]();
  void first[2]();
  void first[0]();
  await Promise.all(next);
  assert.deepEqual((await locks1.query()).held.map((l) => l.name), ["r2", "r3", "r1"]);

  const locks2 = new LockManager();
  await Promise.all(["s1", "s2", "s3"].map((n) => holdLock(locks2, n)));
  await Promise.all(["s3", "s1", "s2"].map((n) => holdLock(locks2, n, { steal: true })));
  assert.deepEqual((await locks2.query()).held.map((l) => l.name), ["s3", "s1", "s2"]);
});

// ---------------------------------------------------------- resource-names --

test("web-locks/resource-names: any string, not mangled; names starting with - are NotSupportedError", async () => {
  const locks = new LockManager();
  for (const name of ["", "abc\x00def", "\uD800", "\uDC00", "\uDC00\uD800", "\uFFFF", "x".repeat(5000)]) {
    assert.equal(await locks.request(name, (lock) => lock!.name), name);
  }
  await locks.request("\uD800", async (lock) => {
    assert.equal(lock!.name, "\uD800");
    // A lone surrogate is not replaced by U+FFFD: the other name is free.
    assert.equal(await locks.request("\uFFFD", { ifAvailable: true }, (l) => l?.name), "\uFFFD");
  });
  for (const name of ["-", "-foo"]) await rejectsNamed(locks.request(name, () => {}), "NotSupportedError");
  assert.equal(await locks.request("x-anything", () => "ok"), "ok");
  // Non-strings become strings, as the Web IDL DOMString conversion does.
  assert.equal(
    await (locks as unknown as { request(n: unknown, f: (l: LockGrant) => string): Promise<string> })
      .request(12, (l) => l.name),
    "12",
  );
});

// ------------------------------------------------------------------ signal --

test("web-locks/signal: a signal that is not an AbortSignal is a TypeError; an aborted one rejects with its reason", async () => {
  const locks = new LockManager();
  for (const signal of ["string", 12.34, false, {}, Symbol(), () => {}, globalThis]) {
    await assert.rejects(
      locks.request("r", { signal: signal as AbortSignal }, () => assert.fail("callback")),
      TypeError,
    );
  }
  const c = new AbortController();
  c.abort();
  await rejectsNamed(locks.request("r", { signal: c.signal }, () => assert.fail("callback")), "AbortError");
  await assert.rejects(locks.request("r", { signal: c.signal }, () => {}), (e) => e === c.signal.reason);
  const c2 = new AbortController();
  c2.abort("My dog ate it.");
  await assert.rejects(locks.request("r", { signal: c2.signal }, () => {}), (e) => e === "My dog ate it.");
});

test("web-locks/signal: aborting a waiting request rejects it (at once or later); after the grant an abort changes nothing", async () => {
  const locks = new LockManager();
  await holdLock(locks, "r");
  for (const later of [false, true]) {
    const c = new AbortController();
    const p = locks.request("r", { signal: c.signal }, () => assert.fail("callback"));
    const state = await locks.query();
    assert.equal(state.held.filter((l) => l.name === "r").length, 1);
    assert.equal(state.pending.filter((l) => l.name === "r").length, 1);
    if (later) setTimeout(() => c.abort(), 10);
    else c.abort();
    await rejectsNamed(p, "AbortError");
    assert.equal((await locks.query()).pending.length, 0, "withdrawn");
  }
  // Not aborted: granted.
  assert.equal(await locks.request("s", { signal: new AbortController().signal }, () => "got"), "got");
  // Aborted synchronously after request(): rejected, the callback never runs, the next request goes on.
  const c = new AbortController();
  let ran = false;
  const p = locks.request("s", { signal: c.signal }, () => void (ran = true));
  c.abort();
  await rejectsNamed(p, "AbortError");
  assert.ok(!ran);
  assert.equal(await locks.request("s", () => "next"), "next");
  // Aborted after the grant, or after the release: the result stands.
  for (const after of ["granted", "released"]) {
    const c3 = new AbortController();
    const [acquired, acquire] = deferred();
    let release!: (v: string) => void;
    const released = locks.request("s", { signal: c3.signal }, () => {
      acquire();
      return new Promise<string>((r) => (release = r));
    });
    await acquired;
    if (after === "granted") c3.abort();
    release("resolved ok");
    if (after === "released") c3.abort();
    assert.equal(await released, "resolved ok");
  }
  // An aborted waiting request lets the next one through; custom and default reasons.
  const c4 = new AbortController();
  const release = await holdLock(locks, "t");
  const first = locks.request("t", { signal: c4.signal }, () => never);
  const next = locks.request("t", () => "resolved");
  c4.abort("My cat handled it");
  await assert.rejects(first, (e) => e === "My cat handled it");
  release();
  assert.equal(await next, "resolved");
});

// ------------------------------------------------------------------- steal --

test("web-locks/steal: granted when free or held; the robbed request rejects with AbortError; it jumps the queue; the last steal wins", async () => {
  const locks = new LockManager();
  let called = false;
  await locks.request("r", { steal: true }, (lock) => void (called = lock !== null));
  assert.ok(called);

  const robbed = locks.request("r", () => never);
  const rejected = rejectsNamed(robbed, "AbortError");
  await locks.request("r", { steal: true }, (lock) => assert.notEqual(lock, null));
  await rejected;

  locks.request("s", () => never).catch(() => {});
  let granted = false;
  const waiting = locks.request("s", () => void (granted = true));
  await locks.request("s", { steal: true }, () => assert.ok(!granted, "the steal goes first"));
  await waiting;
  assert.ok(granted);

  locks.request("t", () => never).catch(() => {});
  let sawAbort = false;
  const firstSteal = locks.request("t", { steal: true }, () => never).catch(() => void (sawAbort = true));
  await locks.request("t", { steal: true }, () => {});
  await firstSteal;
  assert.ok(sawAbort);
});

// ------------------------------------------------------------ sabkit's own --

test("LockManager: options, limits as RangeError (nothing changed), revive", async () => {
  assert.throws(() => new LockManager({ maxRequests: 0 }), RangeError);
  assert.throws(() => new LockManager({ nameCapacity: 1.5 }), RangeError);
  assert.throws(() => new LockManager({ maxRequests: "2" as unknown as number }), TypeError);
  assert.throws(() => new LockManager(7 as unknown as object), TypeError);
  const locks = new LockManager({ maxRequests: 2, nameCapacity: 8 });
  const r1 = await holdLock(locks, "a");
  const r2 = await holdLock(locks, "b");
  await assert.rejects(locks.request("c", () => {}), /More than 2 lock requests are pending or held at once/);
  await r1();
  await r2();
  await locks.request("c", () => {});
  await assert.rejects(
    locks.request("123456789", () => {}),
    /more than its nameCapacity of 8 UTF-16 code units/,
  );
  // Names in use at once count; names no longer used make room.
  const r3 = await holdLock(locks, "abcd");
  await assert.rejects(locks.request("efghi", () => {}), RangeError);
  assert.equal(await locks.request("efgh", () => "fits"), "fits");
  await r3();
  assert.equal(await locks.request("efghijkl", () => "room again"), "room again");
  const copy = revive(structuredClone(locks));
  const release = await holdLock(locks, "mem");
  assert.deepEqual((await copy.query()).held.map((l) => l.name), ["mem"]);
  assert.equal(await copy.request("mem", { ifAvailable: true }, (l) => l), null);
  await release();
  assert.throws(
    () =>
      revive({
        __sabkit: { ...structuredClone((locks as unknown as { __sabkit: object }).__sabkit), meta: {} },
      }),
    TypeError,
  );
});

test("LockManager: many distinct names over time reuse the name table", async () => {
  const locks = new LockManager({ maxRequests: 4, nameCapacity: 64 });
  for (let i = 0; i < 500; i++) {
    assert.equal(await locks.request(`name-${i}-${"x".repeat(i % 40)}`, (l) => l!.name.length > 0), true);
  }
  await Promise.all(
    Array.from(
      { length: 4 },
      (_, i) => locks.request(`n${i}`, { mode: "shared" }, () => new Promise((r) => setTimeout(r, 5))),
    ),
  );
  assert.deepEqual(await locks.query(), { held: [], pending: [] });
});
