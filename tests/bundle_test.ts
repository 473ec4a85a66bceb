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
  Lock,
  RawValue,
  RLock,
  Semaphore,
  SharedArray,
  Value,
} from "../mod.ts";
import { KIND_TAGS } from "../src/core/_kinds.ts";
import { handleOf } from "../src/core/_handle.ts";
import { runtime, sleep } from "./_util.ts";
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

interface Port {
  post(message: unknown): void;
  next(): Promise<unknown>;
  close(): void;
}

/** A module worker on `url`, whichever runtime runs the test. */
async function start(url: URL): Promise<Port> {
  const inbox: unknown[] = [];
  let wake = (): void => {};
  const push = (m: unknown): void => {
    inbox.push(m);
    wake();
  };
  const next = async (): Promise<unknown> => {
    while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return inbox.shift();
  };
  const web = (globalThis as { Worker?: typeof Worker }).Worker;
  if (runtime !== "node" && web !== undefined) {
    const w = new web(url, { type: "module" });
    w.onmessage = (e) => push(e.data);
    w.onerror = (e) => push({ error: String(e.message) });
    return { post: (m) => w.postMessage(m), next, close: () => w.terminate() };
  }
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const w = new NodeWorker(url);
  w.on("message", push);
  w.on("error", (e) => push({ error: String(e) }));
  return { post: (m) => w.postMessage(m), next, close: () => void w.terminate() };
}

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
  };
}

/** Posts `data` until the worker answers (Deno may lose a message of a worker that just started). */
async function ask(port: Port, data: unknown): Promise<Report> {
  for (let attempt = 0;; attempt++) {
    port.post(data);
    const answer = await Promise.race([port.next(), sleep(2000).then(() => undefined)]);
    if (answer !== undefined) return answer as Report;
    if (attempt === 4) throw new Error("The bundled worker never answered");
  }
}

for (const entry of ["revive_root", "revive_process"]) {
  test(`bundle: a worker bundled by esbuild that imports only revive (${entry}) revives every kind`, async () => {
    const port = await start(await bundle(entry));
    try {
      const o = everyKind();
      // Every kind of the table is here, so a new kind must join this test.
      const kinds = new Set(Object.values(o).map((x) => handleOf(x)!.kind));
      assert.deepEqual([...kinds].sort(), Object.keys(KIND_TAGS).sort());
      const report = await ask(port, o);
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
    } finally {
      port.close();
    }
  });
}
