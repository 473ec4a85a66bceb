/**
 * Pool on real workers: results in order (map, imap, starmap), complete
 * (imapUnordered), errors, a dead worker's task rejected and the pool still
 * serving, aborts of queued and running tasks, close/join/terminate,
 * `await using`, initializer, maxtasksperchild. Every pool is terminated and
 * joined (no worker left running) in `finally`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, Pool, type PoolOptions, ProcessError, TimeoutError, WorkerExitError } from "../mod.ts";
import { mulberry32 } from "./_values.ts";
import { runtime, sleep } from "./_util.ts";

const TASKS = new URL("./workers/pool_tasks.ts", import.meta.url);
const SLOW = { timeout: 120_000 };

async function withPool<T>(options: PoolOptions, body: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool(TASKS, { processes: 2, ...options });
  try {
    return await body(pool);
  } finally {
    pool.terminate();
    await pool.join();
  }
}

function ints(seed: number, n: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Math.floor(rng() * 2001) - 1000);
}

test("apply, map, starmap: exact results in order (seeded items, chunk sizes 1 to all)", SLOW, async () => {
  await withPool({}, async (pool) => {
    assert.equal(await pool.apply("add", [2, 3]), 5);
    const xs = ints(19, 2000);
    const squares = xs.map((x) => x * x);
    assert.deepEqual(await pool.map("square", xs), squares);
    for (const chunksize of [1, 7, 64, 2000, 5000]) {
      assert.deepEqual(await pool.map("square", xs, { chunksize }), squares, `chunksize ${chunksize}`);
    }
    assert.deepEqual(await pool.map("square", []), []);
    assert.deepEqual(await pool.map("square", new Set([3, 4])), [9, 16]);
    const pairs = xs.map((x, i) => [x, i]);
    assert.deepEqual(await pool.starmap("add", pairs, { chunksize: 13 }), xs.map((x, i) => x + i));
    // Many applies at once: each its own result.
    const all = await Promise.all(xs.map((x, i) => pool.apply("add", [x, i])));
    assert.deepEqual(all, xs.map((x, i) => x + i));
  });
});

test("shared memory and sabkit objects travel live both ways", SLOW, async () => {
  await withPool({}, async (pool) => {
    const lock = new Lock();
    const xs = new Int32Array(new SharedArrayBuffer(16));
    const rs = await Promise.all(
      Array.from(
        { length: 10 },
        () => pool.apply<{ same: Int32Array; made: Int32Array }>("bumpShared", [lock, xs]),
      ),
    );
    assert.deepEqual([...xs], [10, 10, 10, 10]);
    for (const r of rs) {
      assert.ok(r.same.buffer instanceof SharedArrayBuffer);
      assert.equal(r.made[0], 7);
    }
    // The array that came back is the same memory.
    rs[0].same[0] = 99;
    assert.equal(xs[0], 99);
    assert.equal(lock.locked(), false);
  });
});

test("arguments and results larger than the queues' memory are streamed", SLOW, async () => {
  await withPool({}, async (pool) => {
    const big = Array.from({ length: 100_000 }, (_, i) => i % 1000);
    const text = "x".repeat(600_000);
    const [a, b, c] = await Promise.all([
      pool.apply<number[]>("echo", [big]),
      pool.apply<string>("echo", [text]),
      pool.apply("add", [1, 2]),
    ]);
    assert.deepEqual(a, big);
    assert.equal(b, text);
    assert.equal(c, 3);
    // A map whose chunks are larger than the queue's memory.
    const xs = Array.from({ length: 200_000 }, (_, i) => i);
    const squares = await pool.map<number>("square", xs, { chunksize: 100_000 });
    assert.equal(squares.length, xs.length);
    assert.ok(squares.every((v, i) => v === i * i));
  });
});

test("imap yields in order, imapUnordered yields every result once", SLOW, async () => {
  await withPool({}, async (pool) => {
    const xs = ints(20, 500);
    for (const chunksize of [1, 10, 1000]) {
      const got: number[] = [];
      for await (const v of pool.imap<number>("square", xs, { chunksize })) got.push(v);
      assert.deepEqual(got, xs.map((x) => x * x));
      const un: number[] = [];
      for await (const v of pool.imapUnordered<number>("square", xs, { chunksize })) un.push(v);
      assert.deepEqual(un.sort((a, b) => a - b), xs.map((x) => x * x).sort((a, b) => a - b));
    }
    // Slow tasks finish out of order: imap still yields in order, imapUnordered as they finish.
    const ms = [60, 5, 30, 1];
    const ordered: number[] = [];
    for await (const v of pool.imap<number>("slowSquare", ms)) ordered.push(v);
    assert.deepEqual(ordered, ms.map((x) => x * x));
    const asDone: number[] = [];
    for await (const v of pool.imapUnordered<number>("slowSquare", [200, 1])) asDone.push(v);
    assert.deepEqual(asDone, [1, 40000]);
    // An endless iterable: imap reads ahead only a few chunks.
    function* naturals(): Generator<number> {
      for (let i = 0;; i++) yield i;
    }
    const first: number[] = [];
    for await (const v of pool.imap<number>("square", naturals(), { chunksize: 3 })) {
      first.push(v);
      if (first.length === 10) break;
    }
    assert.deepEqual(first, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    // Leaving early let the running chunks finish: no worker was stopped (the same two still answer).
    const names = new Set(
      await pool.map<string>("name", Array.from({ length: 40 }, () => undefined), { chunksize: 1 }),
    );
    assert.ok(names.size <= 2, [...names].join());
    assert.ok([...names].every((n) => /-[12]$/.test(n)), [...names].join());
  });
});

test("errors: a task that throws rejects with ProcessError; map, imap stop at the first", SLOW, async () => {
  await withPool({}, async (pool) => {
    const e = await pool.apply("fails", ["boom"]).catch((e) => e);
    assert.ok(e instanceof ProcessError && !(e instanceof WorkerExitError));
    assert.equal(e.remoteName, "RangeError");
    assert.equal(e.message, "boom");
    assert.match(e.stack ?? "", /fails/);
    const missing = await pool.apply("noSuchExport").catch((e) => e);
    assert.ok(missing instanceof ProcessError);
    assert.equal(missing.remoteName, "TypeError");
    assert.match(missing.message, /noSuchExport/);
    const xs = Array.from({ length: 100 }, (_, i) => i);
    await assert.rejects(pool.starmap("failsAt", xs.map((x) => [x, 37]), { chunksize: 8 }), /bad item 37/);
    for (const chunksize of [1, 5]) {
      const got: number[] = [];
      await assert.rejects(async () => {
        for await (const v of pool.imap<number>("upTo", xs, { chunksize })) got.push(v);
      }, /over the limit: 37/);
      // Every result before the failing item, in order (its chunk's earlier items included).
      assert.deepEqual(got, xs.slice(0, 37).map((x) => x * 2));
    }
    await assert.rejects(pool.map("upTo", xs, { chunksize: 1 }), /over the limit: 37/);
    // A result structuredClone refuses fails its task; an argument it refuses fails at once.
    await assert.rejects(pool.apply("echo", [() => 1]), TypeError);
    // The pool still serves.
    assert.equal(await pool.apply("add", [40, 2]), 42);
  });
});

test(
  "a worker that exits during a task: that task rejects with WorkerExitError, the others finish",
  SLOW,
  async () => {
    await withPool({}, async (pool) => {
      const before = Array.from({ length: 50 }, (_, i) => pool.apply("slowSquare", [i % 5, 2]));
      const dead = pool.apply("exitWith", [7]);
      const after = Array.from({ length: 50 }, (_, i) => pool.apply("add", [i, 1]));
      const e = await dead.catch((e) => e);
      assert.ok(e instanceof WorkerExitError, String(e));
      assert.equal(e.exitCode, 7);
      assert.deepEqual(await Promise.all(before), Array.from({ length: 50 }, (_, i) => (i % 5) ** 2));
      assert.deepEqual(await Promise.all(after), Array.from({ length: 50 }, (_, i) => i + 1));
      // Again, and again: each time replaced.
      for (let k = 0; k < 3; k++) {
        await assert.rejects(pool.apply("exitWith", [k + 1]), WorkerExitError);
        assert.equal(await pool.apply("add", [k, k]), 2 * k);
      }
    });
  },
);

test(
  "a worker killed by an uncaught error in a timer: its task rejects, the pool goes on",
  SLOW,
  async () => {
    await withPool({}, async (pool) => {
      const others = Array.from({ length: 20 }, (_, i) => pool.apply("slowSquare", [i, 1]));
      const e = await pool.apply("crashLater").catch((e) => e);
      assert.ok(e instanceof WorkerExitError, String(e));
      assert.match(e.message, /uncaught in a timer/);
      assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i * i));
      assert.equal(await pool.apply("add", [1, 1]), 2);
    });
  },
);

test("out of memory (Node's resourceLimits): the task rejects with WorkerExitError, the pool goes on", {
  ...SLOW,
  skip: runtime !== "node" && "resourceLimits are Node's",
}, async () => {
  await withPool({ resourceLimits: { maxOldGenerationSizeMb: 32 } }, async (pool) => {
    const others = Array.from({ length: 20 }, (_, i) => pool.apply("slowSquare", [i, 1]));
    const e = await pool.apply("oom").catch((e) => e);
    assert.ok(e instanceof WorkerExitError, String(e));
    assert.match(e.message, /memory/i);
    assert.deepEqual(await Promise.all(others), Array.from({ length: 20 }, (_, i) => i * i));
    assert.equal(await pool.apply("add", [1, 1]), 2);
  });
});

test(
  "abort: a queued task is dropped (never runs), a running one's worker is stopped and replaced",
  SLOW,
  async () => {
    const counts = new Int32Array(new SharedArrayBuffer(4 * 16));
    await withPool({ processes: 1, initializer: "setup", initargs: [0, counts] }, async (pool) => {
      // The only worker is busy for 300 ms: tasks 1 and 2 wait in the queue.
      const busy = pool.apply("mark", [0, 300]);
      await sleep(50);
      const queued = new AbortController();
      const one = pool.apply("mark", [1], { signal: queued.signal });
      const two = pool.apply("mark", [2]);
      queued.abort(new Error("not wanted"));
      await assert.rejects(one, /not wanted/);
      assert.equal(await busy, 0);
      assert.equal(await two, 2);
      assert.equal(counts[1], 0, "the dropped task ran");
      // More queued tasks dropped than the task queue holds at once (1024): the ones after them still run.
      const many = Array.from({ length: 1500 }, () => new AbortController());
      const hold = pool.apply("mark", [3, 200]);
      const dropped = many.map((c) => pool.apply("add", [1, 1], { signal: c.signal }).catch((e) => e));
      const after = pool.apply("mark", [4]);
      for (const c of many) c.abort(new Error("dropped"));
      assert.ok((await Promise.all(dropped)).every((e) => e instanceof Error && e.message === "dropped"));
      assert.equal(await hold, 3);
      assert.equal(await after, 4);
      // A running task: hung forever; aborting it stops its worker.
      const running = new AbortController();
      const hung = pool.apply("hang", [], { signal: running.signal });
      await sleep(100);
      running.abort(new Error("stop it"));
      await assert.rejects(hung, /stop it/);
      assert.equal(await pool.apply("add", [2, 2]), 4);
      // An aborted signal rejects at once.
      await assert.rejects(
        pool.apply("add", [1, 1], { signal: AbortSignal.abort(new Error("early")) }),
        /early/,
      );
      // A map aborted midway: rejects; the pool goes on.
      const c = new AbortController();
      const m = pool.map("slowSquare", [50, 50, 50, 50], { chunksize: 1, signal: c.signal });
      setTimeout(() => c.abort(new Error("map aborted")), 70);
      await assert.rejects(m, /map aborted/);
      assert.equal(await pool.apply("add", [3, 3]), 6);
    });
  },
);

test(
  "timeout: a task still running after it rejects with TimeoutError, its worker replaced",
  SLOW,
  async () => {
    await withPool({}, async (pool) => {
      // Deno stops a worker only when its task returns to the event loop: hang() does.
      await assert.rejects(pool.apply("hang", [], { timeout: 100 }), TimeoutError);
      if (runtime !== "deno") {
        await assert.rejects(pool.apply("spin", [60_000], { timeout: 100 }), TimeoutError);
      }
      assert.equal(await pool.apply("slowSquare", [3, 5], { timeout: 10_000 }), 9);
      assert.deepEqual(await pool.map("square", [1, 2, 3]), [1, 4, 9]);
    });
  },
);

test("close, join, terminate, await using", SLOW, async () => {
  // close: the tasks submitted before finish, then the workers end.
  const pool = new Pool(TASKS, { processes: 2 });
  try {
    await assert.rejects(pool.join(), /close\(\) or terminate\(\)/);
    const results = Array.from({ length: 100 }, (_, i) => pool.apply("slowSquare", [i % 3, 1]));
    pool.close();
    assert.throws(() => pool.apply("add", [1, 2]), /closed/);
    await pool.join();
    assert.deepEqual(await Promise.all(results), Array.from({ length: 100 }, (_, i) => (i % 3) ** 2));
  } finally {
    pool.terminate();
  }
  // terminate: pending tasks reject at once with WorkerExitError; join resolves.
  const p2 = new Pool(TASKS, { processes: 2 });
  const pending = Array.from({ length: 10 }, () => p2.apply("hang"));
  await sleep(50);
  p2.terminate();
  for (const r of await Promise.allSettled(pending)) {
    assert.equal(r.status, "rejected");
    assert.ok((r as PromiseRejectedResult).reason instanceof WorkerExitError);
  }
  await p2.join();
  assert.throws(() => p2.map("square", [1]), /terminated/);
  // await using: closed and joined at the end of the block.
  let kept: Pool | undefined;
  {
    await using p3 = new Pool(TASKS, { processes: 1, name: "scoped" });
    kept = p3;
    assert.equal(p3.name, "scoped");
    assert.equal(await p3.apply("add", [1, 2]), 3);
  }
  assert.throws(() => kept!.apply("add", [1, 2]), /closed/);
  await kept.join();
});

test("initializer and initargs; maxtasksperchild replaces workers", SLOW, async () => {
  await withPool({ initializer: "setup", initargs: [1000] }, async (pool) => {
    assert.deepEqual(await pool.map("withBase", [1, 2, 3], { chunksize: 1 }), [1001, 1002, 1003]);
  });
  await withPool({ processes: 2, maxtasksperchild: 3 }, async (pool) => {
    const counts = await pool.map<number>("callCount", Array.from({ length: 40 }, () => undefined), {
      chunksize: 1,
    });
    assert.ok(counts.every((c) => c >= 1 && c <= 3), String(counts));
    assert.equal(counts.length, 40);
  });
  // A worker named after its pool.
  await withPool({ processes: 1, name: "named" }, async (pool) => {
    assert.match(await pool.apply<string>("name"), /^named-\d+$/);
  });
});

test("a failing initializer or module rejects every task (no endless respawn)", SLOW, async () => {
  await withPool({ initializer: "badSetup" }, async (pool) => {
    const e = await pool.apply("add", [1, 2]).catch((e) => e);
    assert.ok(e instanceof ProcessError, String(e));
    assert.match(e.message, /setup failed/);
    await assert.rejects(pool.map("square", [1, 2]), /setup failed/);
  });
  const missing = new Pool(new URL("./workers/no_such_module.ts", import.meta.url), { processes: 1 });
  try {
    await assert.rejects(missing.apply("add", [1, 2]), ProcessError);
  } finally {
    missing.terminate();
    await missing.join();
  }
});

test("bad arguments are refused at once", async () => {
  assert.throws(() => new Pool("not a url"), TypeError);
  assert.throws(() => new Pool(TASKS, { processes: 0 }), RangeError);
  assert.throws(() => new Pool(TASKS, { processes: "2" as unknown as number }), TypeError);
  assert.throws(() => new Pool(TASKS, { maxtasksperchild: 0 }), RangeError);
  assert.throws(() => new Pool(TASKS, { initializer: 1 as unknown as string }), TypeError);
  assert.throws(() => new Pool(TASKS, { workerModule: "not a url" }), TypeError);
  assert.throws(() => new Pool(TASKS, { initargs: 1 as unknown as [] }), TypeError);
  assert.throws(() => new Pool(TASKS, { name: 1 as unknown as string }), TypeError);
  await withPool({ processes: 1 }, async (pool) => {
    assert.throws(() => pool.apply(1 as unknown as string), TypeError);
    assert.throws(() => pool.apply("add", 1 as unknown as number[]), TypeError);
    assert.throws(() => pool.map("square", 5 as unknown as number[]), TypeError);
    assert.throws(() => pool.imap("square", [1], { chunksize: 0 }), RangeError);
    await assert.rejects(pool.starmap("add", [1 as unknown as number[]]), TypeError);
  });
});
