/**
 * A bundled program receives every kind of sabkit object: a worker that
 * imports only `revive` (from the root, from /process) is bundled by esbuild
 * as users ship it (the package says `"sideEffects": false`, so a bundler
 * drops every module it sees no use of) and must revive every kind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import {
  Barrier,
  BoundedSemaphore,
  Channel,
  Condition,
  Event,
  FloatChannel,
  JoinableQueue,
  Lock,
  LockManager,
  Pipe,
  Queue,
  RawValue,
  RLock,
  RwLock,
  Semaphore,
  SharedArray,
  SimpleQueue,
  Value,
} from "../mod.ts";
import { KIND_TAGS } from "../src/core/_kinds.ts";
import { handleOf } from "../src/core/_handle.ts";
import { runtime } from "./_util.ts";
import { ask, startModuleWorker } from "./_bundle.ts";
import type { Report } from "./bundle/_exercise.ts";

/** Bundles `entry` (in tests/bundle/) into node_modules/.cache, where esbuild itself writes it. */
async function bundle(entry: string): Promise<URL> {
  const out = new URL(`../node_modules/.cache/sabkit/bundle-${runtime}-${entry}.mjs`, import.meta.url);
  const result = await build({
    entryPoints: [new URL(`./bundle/${entry}.ts`, import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    outfile: out.pathname,
    logLevel: "silent",
  });
  assert.deepEqual(result.errors, []);
  return out;
}

/** The ends of the pipe in `everyKind()` (the test keeps the first). */
const pipeEnds = Pipe();

/** One object of every kind. */
function everyKind() {
  return {
    lock: new Lock(),
    rlock: new RLock(),
    semaphore: new Semaphore(1),
    bounded: new BoundedSemaphore(1),
    condition: new Condition(new Lock()),
    event: new Event(),
    barrier: new Barrier(1),
    rawValue: RawValue("i"),
    value: Value("i", 0),
    doubles: SharedArray("d", 3),
    flags: SharedArray("?", 2),
    bytes: SharedArray("c", 4),
    wide: SharedArray("u", 4),
    channel: new Channel("d", { capacity: 4, slots: 2 }),
    floats: new FloatChannel(4),
    rwlock: new RwLock({ maxReaders: 4 }),
    locks: new LockManager({ maxRequests: 4, nameCapacity: 16 }),
    queue: new Queue({ maxsize: 4 }),
    simple: new SimpleQueue(),
    joinable: new JoinableQueue(),
    pipe: pipeEnds[1],
  };
}

for (const entry of ["revive_root", "revive_process"]) {
  test(`bundle: a worker bundled by esbuild that imports only revive (${entry}) revives every kind`, async () => {
    const port = await startModuleWorker(await bundle(entry));
    try {
      const o = everyKind();
      // Every kind of the table is here, so a new kind must join this test.
      const kinds = new Set(Object.values(o).map((x) => handleOf(x)!.kind));
      assert.deepEqual([...kinds].sort(), Object.keys(KIND_TAGS).sort());
      const report = await ask(port, o) as Report;
      assert.equal((report as { error?: string }).error, undefined);
      assert.deepEqual(
        report.kinds,
        Object.fromEntries(Object.entries(o).map(([k, x]) => [k, handleOf(x)!.kind])),
      );
      assert.deepEqual(report.results, {
        lock: true,
        rlock: true,
        semaphore: true,
        bounded: true,
        condition: true,
        barrier: 0,
        flags: true,
        text: [true, true, false],
        typecodes: "d?cu",
      });
      // The effects, seen on the same memory here.
      assert.ok(o.lock.locked() && o.rlock.locked());
      assert.equal(o.condition.acquire({ blocking: false }), false, "the worker holds the condition's lock");
      assert.equal(o.semaphore.getValue(), 0);
      assert.equal(o.bounded.getValue(), 0);
      assert.ok(o.event.isSet());
      assert.equal(o.rawValue.value, 42);
      assert.equal(o.value.value, 43);
      assert.deepEqual(o.doubles.slice(), new Float64Array([0, 2.5, 0]));
      assert.equal(o.flags.get(0), true);
      assert.equal(o.bytes.value, "hi");
      assert.equal(o.wide.value, "日本");
      assert.deepEqual([...o.channel.recv({ timeout: 0 })!], [1, 2, 3]);
      assert.deepEqual([...o.floats.recv({ timeout: 0 })!], [4, 5]);
      assert.deepEqual(o.queue.getNowait(), { from: "queue" });
      assert.deepEqual(o.simple.get(), { from: "simple" });
      assert.deepEqual(o.joinable.getNowait(), { from: "joinable" });
      assert.deepEqual(pipeEnds[0].recv(), { from: "pipe" });
    } finally {
      port.close();
    }
  });
}
