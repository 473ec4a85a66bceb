/**
 * Process faults: workers that end themselves, joins after terminate(),
 * errors that must arrive readable, and Deno's terminate() that cannot stop
 * running JavaScript. Sizes grow under SABKIT_STRESS=full.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, OwnerDiedError, Process, ProcessError } from "../mod.ts";
import { size } from "./_stress.ts";
import { runtime, sleep, until, withProcesses } from "./_util.ts";

const ways = ["process.exit", ...(runtime === "deno" ? ["close", "Deno.exit"] : [])];
for (const how of ways) {
  test(`process faults: a worker that ends itself by ${how} is seen as ended; its lock reports OwnerDiedError`, async () => {
    await withProcesses(async (start) => {
      for (let run = 0; run < size(3, 30); run++) {
        const lock = new Lock();
        const p = start("repro", { exportName: "exitHolding", args: [lock, how] });
        assert.equal(await p.join(5000), how === "close" ? 0 : 3);
        assert.equal(p.alive, false);
        assert.throws(() => lock.acquire({ timeout: 2000 }), OwnerDiedError);
        assert.equal(lock.acquire({ timeout: 2000, recover: true }), true);
      }
    });
  });
}

test("process faults: join() after terminate() resolves -15, whenever terminate() lands", async () => {
  const codes: string[] = [];
  await withProcesses(async (start) => {
    for (let run = 0; run < size(20, 300); run++) {
      const lock = new Lock();
      lock.acquire();
      const flags = new Int32Array(new SharedArrayBuffer(4));
      const p = start("repro", { exportName: "block", args: [lock, flags] });
      // Seeded spread of moments: before the target starts, while it starts, once it blocks.
      if (run % 3 === 0) await until(() => Atomics.load(flags, 0) === 1);
      else await sleep((run * 7) % 11);
      p.terminate();
      codes.push(String(await p.join().catch((e) => `rejected: ${e.message}`)));
      assert.equal(p.alive, false);
    }
  });
  assert.deepEqual(new Set(codes), new Set(["-15"]));
});

test("process faults: an uncaught error in a worker arrives as its name and message, not a source excerpt", async () => {
  await withProcesses(async (start) => {
    const p = start("repro", { exportName: "uncaught" });
    await assert.rejects(p.join(10_000), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.equal(e.remoteName, "TypeError");
      assert.match(e.message, /^first line\nsecond line$|^(Uncaught )?TypeError: first line/);
      assert.doesNotMatch(e.message, /setTimeout|\| /, "no source excerpt");
      return true;
    });
    assert.equal(p.exitCode, 1);
  });
});

test("process faults: a huge error message or name arrives bounded, with its start", async () => {
  await withProcesses(async (start) => {
    await assert.rejects(start("repro", { exportName: "huge", args: ["message"] }).join(), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.ok(e.message.startsWith("mmmm"), e.message.slice(0, 50));
      assert.ok(e.message.length < 10_000 && /more characters/.test(e.message));
      return true;
    });
    await assert.rejects(start("repro", { exportName: "huge", args: ["name"] }).join(), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.equal(e.message, "short");
      assert.ok(e.remoteName.startsWith("NNNN") && e.remoteName.length < 1000);
      return true;
    });
  });
});

test("process faults: a module that does not parse is an error that names the module", async () => {
  const module = new URL("./fixtures/syntax_error.mjs", import.meta.url);
  const p = new Process(module).start();
  try {
    await assert.rejects(p.join(10_000), (e) => {
      assert.ok(e instanceof ProcessError);
      // Deno reports it as a TypeError whose message starts "SyntaxError:".
      assert.match(`${e.remoteName}: ${e.message}`, /SyntaxError/);
      assert.match(e.message, /syntax_error\.mjs/);
      return true;
    });
  } finally {
    p.terminate();
  }
});

test("process faults: a terminated worker running plain JavaScript takes nothing more; join tells the truth", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  await withProcesses(async (start) => {
    const p = start("repro", { exportName: "busyThenAcquire", args: [lock, flags, 600] });
    await until(() => Atomics.load(flags, 0) === 1);
    p.terminate();
    const early = await p.join(100);
    if (runtime === "deno") {
      // Deno cannot stop the loop (denoland/deno#35657): it runs on, and join says so.
      assert.equal(early, null);
      assert.equal(p.alive, true);
    }
    assert.equal(await p.join(10_000), -15);
    assert.equal(p.alive, false);
  });
  assert.equal(Atomics.load(flags, 1), 0, "its acquire after terminate() refused");
  assert.equal(lock.acquire({ timeout: 1000 }), true, "and it left the lock free");
});

test("process faults: a module that ends its worker while it loads: the exit code, and the target never runs", async () => {
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const p = new Process(new URL("./workers/top_exit.ts", import.meta.url), { args: [flags] }).start();
  try {
    assert.equal(await p.join(10_000), 7);
    assert.equal(p.alive, false);
    await sleep(100);
    assert.equal(Atomics.load(flags, 0), 0, "the target never ran");
  } finally {
    p.terminate();
  }
});

test("process faults: exit codes as Node reads them: process.exitCode, a numeric string", async () => {
  await withProcesses(async (start) => {
    assert.equal(await start("repro", { exportName: "exitWith", args: ["exitCode"] }).join(10_000), 9);
    assert.equal(await start("repro", { exportName: "exitWith", args: ["string"] }).join(10_000), 10);
  });
});

// Deno (as browsers) keeps a worker whose own listener prevents an uncaught error's default;
// Bun ends it all the same (checked without sabkit), Node has no such listener.
if (runtime === "deno") {
  test("process faults: an uncaught error that the worker's own listener handles does not end it", async () => {
    const flags = new Int32Array(new SharedArrayBuffer(4));
    await withProcesses(async (start) => {
      const p = start("repro", { exportName: "handledUncaught", args: [flags] });
      assert.equal(await p.join(10_000), 0);
    });
    assert.equal(flags[0], 1, "it ran on to the end");
  });
}

for (const how of ["terminate", "return"]) {
  test(`process faults: a worker's own worker ends with it (${how}): the lock it held reports OwnerDiedError`, async () => {
    const lock = new Lock();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    await withProcesses(async (start) => {
      const middle = start("repro", { exportName: "nestedHolder", args: [lock, flags, how] });
      await until(() => Atomics.load(flags, 1) === 1);
      if (how === "terminate") middle.terminate();
      assert.equal(await middle.join(10_000), how === "terminate" ? -15 : 0);
    });
    assert.throws(() => lock.acquire({ timeout: 3000 }), OwnerDiedError);
    assert.equal(lock.acquire({ timeout: 1000, recover: true }), true);
  });
}
