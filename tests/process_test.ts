import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuCount, Lock, Process, ProcessError } from "../mod.ts";
import { runScript, until, withProcesses, workerUrl } from "./_util.ts";

test("Process: join rejects with the worker's error name, message and stack", async () => {
  await withProcesses(async (start) => {
    const p = start("throws", { args: [42], name: "thrower" });
    await assert.rejects(p.join(), (e) => {
      assert.ok(e instanceof ProcessError);
      assert.equal(e.remoteName, "RangeError");
      assert.equal(e.message, "boom 42 from the worker");
      assert.match(e.stack ?? "", /throws\.ts/);
      return true;
    });
    assert.equal(p.exitCode, 1);
    assert.equal(p.alive, false);
    assert.equal(p.name, "thrower");
  });
});

test("Process: exportName calls a named export; a missing export is an error", async () => {
  const out = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    assert.equal(await start("throws", { exportName: "add", args: [out, 20, 22] }).join(), 0);
    assert.equal(out[0], 42);
    await assert.rejects(start("throws", { exportName: "nope" }).join(), /no function export "nope"/);
  });
});

test("Process: terminate() stops a worker blocked in acquire; join resolves -15", async () => {
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(4));
  lock.acquire();
  await withProcesses(async (start) => {
    const p = start("block", { args: [lock, flags] });
    await until(() => Atomics.load(flags, 0) === 1);
    assert.equal(p.alive, true);
    assert.equal(await p.join(20), null, "still blocked");
    p.terminate();
    assert.equal(await p.join(), -15);
    assert.equal(p.exitCode, -15);
    assert.equal(p.alive, false);
  });
  assert.equal(flags[0], 1, "the worker never got the lock");
  lock.release();
});

test("Process: a terminated or failed process does not keep this one alive", () => {
  const r = runScript("terminate_exit.ts", 20000);
  // Deno also prints the worker's uncaught error; nothing else may reach stderr.
  assert.equal(r.stderr.replace(/.*boom from a timer[^]*/, ""), "");
  assert.equal(
    r.stdout.trim(),
    "exit codes -15, -15; never joined\nuncaught error: exit code 1; never joined",
  );
  assert.equal(r.status, 0, "exited by itself");
});

test("Process: lifecycle errors and bad arguments", async () => {
  assert.throws(() => new Process(42 as unknown as URL), { name: "TypeError", message: /42/ });
  assert.throws(() => new Process(workerUrl("throws"), { args: 5 as unknown as [] }), TypeError);
  const p = new Process(workerUrl("throws"), {
    exportName: "add",
    args: [new Int32Array(new SharedArrayBuffer(4)), 1, 2],
  });
  assert.equal(p.exitCode, null);
  assert.equal(p.alive, false);
  await assert.rejects(p.join(), /not started/);
  try {
    p.start();
    assert.throws(() => p.start(), /started already/);
    assert.equal(await p.join(), 0);
  } finally {
    p.terminate();
  }
});

test("cpuCount: a positive integer", () => {
  const n = cpuCount();
  assert.ok(Number.isInteger(n) && n >= 1);
});
