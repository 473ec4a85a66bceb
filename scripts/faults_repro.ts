/**
 * The faults issue's snippets, each run many times on the current runtime,
 * printing how often it failed. `node|bun|deno run -A scripts/faults_repro.ts [runs] [case…]`
 * Cases: stuck (bug 1), steal (bug 2), selfexit (bug 3), deno-terminate (bug 4), join (bug 5).
 */
import { Channel, Lock, OwnerDiedError, Process, Semaphore } from "../mod.ts";
import { runtime } from "../src/runtime/mod.ts";

const args = runtime === "deno" ? Deno.args : process.argv.slice(2);
const runs = Number(args[0] ?? 300);
const cases = args.slice(1).length > 0
  ? args.slice(1)
  : ["stuck", "steal", "selfexit", "deno-terminate", "join"];
const worker = new URL("../tests/workers/repro.ts", import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = performance.now() + ms; !predicate();) {
    if (performance.now() > end) return false;
    await sleep(1);
  }
  return true;
}

/** Bug 1: a kill between taking a lock and recording its holder. */
async function stuck(): Promise<string> {
  let failures = 0;
  let died = 0;
  for (let run = 0; run < runs; run++) {
    const lock = new Lock();
    const n = new Int32Array(new SharedArrayBuffer(4));
    const p = new Process(worker, { exportName: "hammer", args: [lock, n] }).start();
    await until(() => Atomics.load(n, 0) > 100 + (run % 50) * 37);
    p.terminate();
    await p.join();
    try {
      if (lock.acquire({ timeout: 1000 })) lock.release();
      else failures++;
    } catch (e) {
      if (!(e instanceof OwnerDiedError)) throw e;
      died++;
      if (lock.acquire({ timeout: 1000, recover: true })) lock.release();
      else failures++;
    }
  }
  return `stuck: ${failures} of ${runs} kills left the lock stuck (${died} reported OwnerDiedError, then recovered)`;
}

/** Bug 2: an aborted acquireAsync in a worker steals the release's wake-up. */
async function steal(): Promise<string> {
  let late = 0;
  let worst = 0;
  const n = runs;
  for (let run = 0; run < n; run++) {
    const sem = new Semaphore(0);
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const p = new Process(worker, { exportName: "abortThenRelease", args: [sem, flags] }).start();
    await until(() => Atomics.load(flags, 0) === 1);
    const t0 = performance.now();
    const got = sem.acquire({ timeout: 5000 });
    const ms = performance.now() - t0;
    worst = Math.max(worst, ms);
    if (!got || ms > 1500) late++;
    await p.join();
  }
  return `steal: ${late} of ${n} blocking acquires missed the release (slowest ${
    worst.toFixed(0)
  } ms; the release comes after 300)`;
}

/** Bug 3: a worker that ends itself must be seen as ended, its lock as owner-died. */
async function selfexit(): Promise<string> {
  const ways = ["process.exit", ...(runtime === "deno" ? ["close", "Deno.exit"] : [])];
  const out: string[] = [];
  for (const how of ways) {
    let wrong = 0;
    const n = Math.min(runs, 30);
    for (let run = 0; run < n; run++) {
      const lock = new Lock();
      const p = new Process(worker, { exportName: "exitHolding", args: [lock, how] }).start();
      const code = await p.join(2000);
      let owner = "none";
      try {
        lock.acquire({ timeout: 500 });
        owner = "acquired";
      } catch (e) {
        owner = e instanceof OwnerDiedError ? "died" : String(e);
      }
      const expected = how === "close" ? 0 : 3;
      if (code !== expected || p.alive || owner !== "died") wrong++;
      if (run === 0) out.push(`  ${how}: join → ${code}, alive ${p.alive}, lock ${owner}`);
      p.terminate();
    }
    out.push(`selfexit ${how}: ${wrong} of ${n} wrong`);
  }
  return out.join("\n");
}

/** Bug 4: a terminated receiver must take nothing more once terminate() was called. */
async function denoTerminate(): Promise<string> {
  let lost = 0;
  let unstopped = 0;
  let wrongCode = 0;
  const n = runs;
  for (let run = 0; run < n; run++) {
    const ch = new Channel("d", { capacity: 1, slots: 1024 });
    const taken = new Int32Array(new SharedArrayBuffer(4));
    const p = new Process(worker, { exportName: "drain", args: [ch, taken] }).start();
    let sent = 0;
    const one = new Float64Array(1);
    // Keep it busy: send until it has taken some, then terminate while messages are queued.
    while (Atomics.load(taken, 0) < 1000) {
      ch.send(one);
      sent++;
    }
    for (let i = 0; i < 500; i++, sent++) ch.send(one, { timeout: 1000 });
    p.terminate();
    const atTerminate = Atomics.load(taken, 0);
    const code = await p.join(5000).catch(() => "rejected");
    if (code === null) unstopped++;
    if (code !== -15) wrongCode++;
    const atJoin = Atomics.load(taken, 0);
    await sleep(50);
    const later = Atomics.load(taken, 0);
    // What it counted after join() said it ended, or beyond one message in flight at terminate().
    if (later !== atJoin || atJoin > atTerminate + 1) lost++;
    ch.close();
  }
  return `terminate: ${lost} of ${n} terminated receivers took messages after terminate() (${unstopped} not stopped within 5 s, ${wrongCode} joins not -15)`;
}

/** Bug 5: join() after terminate() must resolve -15, never reject. */
async function join(): Promise<string> {
  let wrong = 0;
  const codes = new Map<string, number>();
  for (let run = 0; run < runs; run++) {
    const lock = new Lock();
    lock.acquire();
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const p = new Process(worker, { exportName: "block", args: [lock, flags] }).start();
    if (run % 2 === 0) await until(() => Atomics.load(flags, 0) === 1);
    else await sleep(run % 7);
    p.terminate();
    let r: string;
    try {
      r = String(await p.join());
    } catch (e) {
      r = `rejected ${(e as Error).message}`;
    }
    codes.set(r, (codes.get(r) ?? 0) + 1);
    if (r !== "-15") wrong++;
  }
  return `join: ${wrong} of ${runs} joins after terminate() did not give -15 (${
    [...codes].map(([k, v]) => `${k}: ${v}`).join(", ")
  })`;
}

const all: Record<string, () => Promise<string>> = {
  stuck,
  steal,
  selfexit,
  "deno-terminate": denoTerminate,
  join,
};
for (const c of cases) {
  const t0 = performance.now();
  console.log(`${runtime} ${await all[c]()} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
}
