// Simulates a browser window's main thread, where Atomics.wait throws: a
// `document`, no Deno global, and Atomics.wait replaced by one that throws as
// browsers do. Runs each blocking call once and prints, as JSON, what it threw
// and whether the object's shared memory stayed as it was. Cannot run on Bun,
// whose `Bun` global cannot be hidden (sabkit rightly trusts it).
//
// The one place outside src/runtime/ that reads the runtime globals: it hides
// them, and must do so before sabkit loads, since src/runtime/ reads them once
// at load time (hence the dynamic imports below).

const g = globalThis as Record<string, unknown>;
if (g.Bun !== undefined) {
  console.error("browser_window.ts cannot hide the Bun global: run it with node or deno");
  // deno-lint-ignore no-process-global
  process.exit(2);
}
if (g.Deno !== undefined) {
  // Deno builds its `process` global on first use, from `Deno`: build it while `Deno` is still there.
  void g.process;
  Object.defineProperty(g, "Deno", { value: undefined, configurable: true });
}
g.document = {};
Atomics.wait = () => {
  throw new TypeError("Atomics.wait cannot be called in this context");
};
const mp = await import("../../mod.ts");
const { memoryOf } = await import("../_memory.ts");

/** Each call: the objects it touches, and the call itself. */
const calls: Record<string, () => [objects: unknown[], call: () => unknown]> = {
  "Lock.acquire": () => {
    const lock = new mp.Lock();
    return [[lock], () => lock.acquire()];
  },
  "RLock.guard": () => {
    const lock = new mp.RLock();
    return [[lock], () => lock.guard()];
  },
  "Semaphore.acquire": () => {
    const sem = new mp.Semaphore(0);
    return [[sem], () => sem.acquire({ timeout: 100 })];
  },
  "Event.wait": () => {
    const event = new mp.Event();
    return [[event], () => event.wait(100)];
  },
  "Condition.wait": () => {
    const lock = new mp.Lock();
    const cond = new mp.Condition(lock);
    lock.acquire({ blocking: false });
    return [[cond, lock], () => cond.wait(100)];
  },
  "Channel.recv": () => {
    const ch = new mp.Channel("d", { capacity: 4 });
    return [[ch], () => ch.recv({ timeout: 100 })];
  },
  "Barrier.wait": () => {
    const barrier = new mp.Barrier(2);
    return [[barrier], () => barrier.wait()];
  },
};

const report: Record<string, { name: string; message: string; unchanged: boolean }> = {};
for (const [key, make] of Object.entries(calls)) {
  const [objects, call] = make();
  const before = JSON.stringify(memoryOf(...objects));
  let name = "none";
  let message = "returned without an error";
  try {
    call();
  } catch (e) {
    name = (e as Error).constructor.name;
    message = (e as Error).message;
  }
  report[key] = { name, message, unchanged: JSON.stringify(memoryOf(...objects)) === before };
}

// What must still work there: trying without blocking, an Event already set, an uncontended Value.
const lock = new mp.Lock();
const event = new mp.Event();
event.set();
const value = mp.Value("i", 7);
value.value += 1;
const controls = {
  tryAcquire: lock.acquire({ blocking: false }) && !lock.acquire({ blocking: false }),
  setEventWait: event.wait(),
  valueReadWrite: value.value === 8,
};
console.log(JSON.stringify({ report, controls }));
