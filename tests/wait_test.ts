import { test } from "node:test";
import assert from "node:assert/strict";
import { deadlineOf, remaining, waitAsync, waitSync } from "../src/core/_wait.ts";
import { runScript, runtime } from "./_util.ts";

test("wait: deadlines treat negative as 0 and Infinity as forever, reject NaN", () => {
  assert.equal(deadlineOf(undefined), Infinity);
  assert.equal(deadlineOf(Infinity), Infinity);
  assert.equal(remaining(deadlineOf(-100)), 0);
  const r = remaining(deadlineOf(1000));
  assert.ok(r > 900 && r <= 1000);
  assert.throws(() => deadlineOf(NaN), { name: "TypeError", message: /NaN/ });
  assert.throws(() => deadlineOf("1" as unknown as number), TypeError);
});

test("wait: waitSync returns false only once the deadline passed, true on a changed value", () => {
  const i32 = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  assert.equal(waitSync(i32, 0, 0, deadlineOf(25)), false);
  assert.ok(performance.now() - t0 >= 25);
  assert.equal(waitSync(i32, 0, 1, deadlineOf(1000)), true, "not-equal returns at once");
  assert.equal(waitSync(i32, 0, 0, deadlineOf(0)), false);
});

test("wait: waitAsync resolves on notify, on timeout, rejects on abort", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(4));
  const woken = waitAsync(i32, 0, 0, Infinity);
  setTimeout(() => {
    Atomics.store(i32, 0, 1);
    Atomics.notify(i32, 0);
  }, 10);
  assert.equal(await woken, true);
  assert.equal(await waitAsync(i32, 0, 1, deadlineOf(15)), false);
  const reason = new Error("why");
  const c = new AbortController();
  const pending = waitAsync(i32, 0, 1, Infinity, c.signal);
  c.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});

test(`wait: a lone pending async acquire keeps the ${runtime} process alive until it resolves`, () => {
  const r = runScript("keepalive.ts");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim(), "timed out: false after >= 200 ms; acquired: true");
  assert.equal(r.status, 0);
});
