import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, OwnerDiedError, RLock } from "../mod.ts";
import { until, withProcesses } from "./_util.ts";

for (const Kind of [Lock, RLock]) {
  const name = Kind.name;

  test(`${name}: held by a worker that exited, acquire reports OwnerDiedError; recover takes it over`, async () => {
    const lock = new Kind();
    await withProcesses(async (start) => {
      assert.equal(await start("exit_holding", { args: [lock, Kind === RLock ? 2 : 1] }).join(), 0);
    });
    assert.equal(lock.locked(), true);
    assert.throws(() => lock.acquire({ timeout: 5000 }), (e) => {
      assert.ok(e instanceof OwnerDiedError);
      assert.match(e.message, new RegExp(`The ${name} is held by a worker that has exited`));
      return true;
    });
    await assert.rejects(lock.acquireAsync({ timeout: 5000 }), OwnerDiedError);
    assert.equal(lock.acquire({ blocking: false }), false, "a try does not take it over");
    assert.equal(lock.acquire({ recover: true, timeout: 5000 }), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire({ timeout: 0 }), true, "usable again");
    lock.release();
  });

  test(`${name}: a waiter blocked when the holder is terminated gets OwnerDiedError, not a hang`, async () => {
    const lock = new Kind();
    const flags = new Int32Array(new SharedArrayBuffer(8));
    await withProcesses(async (start) => {
      const holder = start("hold", { args: [lock, flags] });
      await until(() => Atomics.load(flags, 0) === 1);
      const waiting = lock.acquireAsync({ timeout: 10000 });
      holder.terminate();
      assert.equal(await holder.join(), -15);
      await assert.rejects(waiting, OwnerDiedError);
      assert.equal(await lock.acquireAsync({ recover: true }), true);
      lock.release();
    });
  });
}
