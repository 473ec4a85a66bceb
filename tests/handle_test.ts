import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, revive, RLock } from "../mod.ts";
import { withProcesses } from "./_util.ts";

type Record_ = { __sabkit: Record<string, unknown> };

test("revive: a Lock inside an object inside an array comes back live", () => {
  const lock = new Lock();
  const sent = [{ label: "x", lock, inner: new Map([["r", new RLock()]]) }];
  const received = revive(structuredClone(sent));
  const got = received[0].lock;
  assert.ok(got instanceof Lock);
  assert.equal(received[0].label, "x");
  assert.ok(received[0].inner.get("r") instanceof RLock);
  assert.notEqual(got, lock);
  lock.acquire();
  assert.equal(got.locked(), true, "same memory");
  assert.equal(got.acquire({ blocking: false }), false);
  got.release();
  assert.equal(lock.locked(), false);
});

test("revive: a worker receives a nested lock live and uses it", async () => {
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  await withProcesses(async (start) => {
    assert.equal(await start("nested", { args: [[{ lock, counter }]] }).join(), 0);
  });
  assert.equal(counter[0], 7);
});

test("revive: plain values pass through; live objects stay as they are", () => {
  const lock = new Lock();
  assert.equal(revive(lock), lock);
  assert.deepEqual(revive({ a: [1, "b", null] }), { a: [1, "b", null] });
  const u8 = new Uint8Array(3);
  assert.equal(revive(u8), u8);
});

function forge(mutate: (h: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(new Lock()) as unknown as Record_;
  mutate(copy.__sabkit);
  return copy;
}

test("revive: forged and truncated handles are TypeErrors", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["wrong brand", forge((h) => (h.brand = "evil/1")), /brand is "evil\/1"/],
    ["unknown kind", forge((h) => (h.kind = "Nuke")), /unknown kind "Nuke"/],
    ["not shared", forge((h) => (h.buffer = new ArrayBuffer(8))), /ArrayBuffer, not a SharedArrayBuffer/],
    ["misaligned", forge((h) => (h.byteOffset = 4)), /byte offset 4/],
    ["negative offset", forge((h) => (h.byteOffset = -8)), /byte offset -8/],
    ["out of range", forge((h) => (h.byteOffset = 64)), /spans bytes 64\.\.80 of a 16-byte buffer/],
    ["truncated", forge((h) => (h.byteLength = 4)), /byte length is 4, expected 16/],
    [
      "other kind's memory",
      forge((h) => {
        const r = (structuredClone(new RLock()) as unknown as Record_).__sabkit;
        h.buffer = r.buffer;
      }),
      /does not hold a Lock/,
    ],
    ["zeroed memory", forge((h) => (h.buffer = new SharedArrayBuffer(16))), /does not hold a Lock/],
    ["bad domain", forge((h) => (h.domain = new SharedArrayBuffer(64))), /agent domain/],
    ["not an object", { __sabkit: 5 }, /handle is 5/],
  ];
  for (const [name, forged, message] of cases) {
    assert.throws(() => revive(forged), (e) => {
      assert.ok(e instanceof TypeError, name);
      assert.match((e as Error).message, message, name);
      return true;
    });
  }
});
