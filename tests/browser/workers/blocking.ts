/**
 * The worker side of the browser suite: process targets (one export each,
 * chosen with `exportName`) that use the blocking forms, as a browser's
 * workers may. Bundled with the page (code splitting): these classes are the
 * same copy of sabkit the bootstrap revives the arguments with.
 */
import {
  Barrier,
  BoundedSemaphore,
  Channel,
  Condition,
  Event,
  FloatChannel,
  Lock,
  OwnerDiedError,
  Process,
  RawValue,
  RLock,
  Semaphore,
  SynchronizedArray,
  SynchronizedString,
  SynchronizedValue,
} from "@sabkit/sabkit";

// The Queue and Pipe tests' targets (their own module: they check values with tests/_values.ts).
export * from "./queue.ts";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`worker check failed: ${what}`);
}

/** Adds 1 to `counter[0]` `times` times, each under `lock` taken `depth` times (an RLock re-entered). */
export function increment(lock: Lock | RLock, counter: Int32Array, times: number, depth = 1): void {
  for (let i = 0; i < times; i++) {
    for (let d = 0; d < depth; d++) lock.acquire();
    // A plain read-modify-write: only the lock makes it exact.
    counter[0] = counter[0] + 1;
    for (let d = 0; d < depth; d++) lock.release();
  }
}

/** `times` passes through `sem`; `stats`: [inside now, most inside at once, passes]. */
export function semSection(sem: Semaphore | BoundedSemaphore, stats: Int32Array, times: number): void {
  for (let i = 0; i < times; i++) {
    sem.acquire();
    const inside = Atomics.add(stats, 0, 1) + 1;
    for (let seen = Atomics.load(stats, 1); inside > seen; seen = Atomics.load(stats, 1)) {
      if (Atomics.compareExchange(stats, 1, seen, inside) === seen) break;
    }
    Atomics.sub(stats, 0, 1);
    Atomics.add(stats, 2, 1);
    sem.release();
  }
}

/** Releases a BoundedSemaphore once more than it was given: the error ends the process. */
export function overRelease(sem: BoundedSemaphore): void {
  sem.release();
}

/** Ping-pong on `box[0]`: waits for each odd value the window sets, answers with the next even one. */
export function condPong(cond: Condition, box: Int32Array, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    using _ = cond.guard();
    check(cond.waitFor(() => box[0] === 2 * i + 1, 10000), `round ${i} came`);
    box[0] = 2 * i + 2;
    cond.notifyAll();
  }
}

/** Ping-pong on two events: waits for `ping`, clears it, sets `pong`; counts rounds in `count[0]`. */
export function eventPong(ping: Event, pong: Event, count: Int32Array, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    check(ping.wait(10000), `ping ${i} came`);
    ping.clear();
    Atomics.add(count, 0, 1);
    pong.set();
  }
}

/** Waits at `barrier` `rounds` times, counting each index it gets in `out[round * parties + index]`. */
export function barrierRounds(barrier: Barrier, out: Int32Array, rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    const index = barrier.wait(10000);
    // Each party writes its own index's cell: the window checks every cell was written once.
    Atomics.add(out, r * barrier.parties + index, 1);
  }
}

/** Adds 1 to `v` and to every element of `arr`, `times` times, each under the object's own guard. */
export function dataAdd(v: SynchronizedValue<"i">, arr: SynchronizedArray<"d">, times: number): void {
  for (let i = 0; i < times; i++) {
    {
      using _ = v.guard();
      v.value += 1;
    }
    using _ = arr.guard();
    for (let j = 0; j < arr.length; j++) arr.set(j, arr.get(j) + 1);
  }
}

/** A typecode's case: its Value and SharedArray, the value the window gave, the one to write. */
export interface TypecodeCase {
  code: string;
  value: SynchronizedValue;
  array: SynchronizedArray;
  raw: RawValue;
  given: unknown;
  next: unknown;
}

/** Checks what the window wrote in every case, then writes `next` everywhere (the array: [next, given]). */
export function typecodes(cases: TypecodeCase[]): void {
  for (const c of cases) {
    const { code, value, array, raw } = c;
    check(value instanceof SynchronizedValue && raw instanceof RawValue, `${code}: revived classes`);
    check(array instanceof ((code === "c" || code === "u") ? SynchronizedString : SynchronizedArray), code);
    check(value.typecode === code && array.typecode === code && raw.typecode === code, `${code}: typecodes`);
    check(Object.is(value.value, c.given), `${code}: Value holds ${String(c.given)}`);
    check(Object.is(raw.value, c.given), `${code}: RawValue holds ${String(c.given)}`);
    check(array.length === 2 && Object.is(array.get(0), c.given) && Object.is(array.get(1), c.next), code);
    value.value = c.next as never;
    raw.value = c.next as never;
    array.setFrom([c.next, c.given] as never);
  }
}

/** Receives every message of `input` (until it is closed and drained) and sends it on to `output`. */
export function echo(input: Channel, output: Channel): void {
  for (const m of input) output.send(m);
  output.close();
}

/**
 * FloatChannel echo through the zero-copy forms: `recvInto` a buffer of its
 * own, then `sendWith` the message written in place, each element doubled.
 */
export function floatEcho(input: FloatChannel, output: FloatChannel): void {
  check(input instanceof FloatChannel && output instanceof FloatChannel, "FloatChannel revived");
  const buf = new Float64Array(input.capacity);
  for (let n = input.recvInto(buf); n !== null; n = input.recvInto(buf)) {
    output.sendWith(n, (view) => {
      for (let i = 0; i < n; i++) view[i] = buf[i] * 2;
    });
  }
  output.close();
}

/** Sends `count` messages `[id, seq, seq * 0.5, …]` of lengths 2 + seq % 7. */
export function produce(ch: Channel<"d">, id: number, count: number): void {
  for (let seq = 0; seq < count; seq++) {
    const m = [id, seq];
    for (let k = 0; k < seq % 7; k++) m.push(seq * 0.5 + k);
    ch.send(m);
  }
}

/** Receives until closed; adds the messages' count and sum into `totals[slot]` and `totals[slot + 1]`. */
export function consume(ch: Channel<"d">, totals: Float64Array, slot: number): void {
  let count = 0;
  let sum = 0;
  while (ch.recvWith((m) => m.forEach((x) => (sum += x))) !== null) count++;
  totals[slot] = count;
  totals[slot + 1] = sum;
}

/** Blocks in `event.wait()` until terminated. */
export function waitEvent(event: Event, started: Event): void {
  started.set();
  event.wait();
}

/** Blocks in `lock.acquire()` (the window holds it) until terminated. */
export function waitLock(lock: Lock, started: Event): void {
  started.set();
  lock.acquire();
}

/** Blocks in `ch.recv()` on an empty channel until terminated. */
export function waitRecv(ch: Channel, started: Event): void {
  started.set();
  ch.recv();
}

/** Takes `lock` (`depth` times) and returns without releasing it. */
export function exitHolding(lock: Lock | RLock, depth = 1): void {
  for (let i = 0; i < depth; i++) lock.acquire();
}

/** Takes `lock`, says so, then blocks until terminated. */
export function holdUntilTerminated(lock: Lock, held: Event, never: Event): void {
  lock.acquire();
  held.set();
  never.wait();
}

/** Waits for `lock`, whose holder exits: reports the error's name in `out[0]` (1: OwnerDiedError). */
export function expectOwnerDied(lock: Lock, out: Int32Array): void {
  try {
    lock.acquire({ timeout: 10000 });
    out[0] = 2;
  } catch (e) {
    out[0] = e instanceof OwnerDiedError ? 1 : 3;
    lock.acquire({ recover: true });
    lock.release();
  }
}

/** Throws a RangeError: `join()` rejects with its name, message and stack. */
export function fail(code: number): void {
  throw new RangeError(`boom ${code}`);
}

/** Rejects asynchronously: the awaited target's rejection is a failure too. */
export async function failLater(): Promise<void> {
  await new Promise((r) => setTimeout(r, 5));
  throw new TypeError("late boom");
}

/**
 * Checks that every argument arrived live, as this bundle's own classes (one
 * copy of sabkit), inside arrays, objects, Maps and Sets.
 */
export function revived(
  all: {
    lock: Lock;
    rlock: RLock;
    sem: Semaphore;
    bounded: BoundedSemaphore;
    cond: Condition;
    event: Event;
    barrier: Barrier;
    channel: Channel;
    floats: FloatChannel;
  },
  nested: [Map<string, Lock>, Set<Event>],
  raw: Float64Array,
  plain: { n: number; s: string; b: bigint },
): void {
  const classes = [
    Lock,
    RLock,
    Semaphore,
    BoundedSemaphore,
    Condition,
    Event,
    Barrier,
    Channel,
    FloatChannel,
  ];
  Object.values(all).forEach((x, i) =>
    check(x instanceof classes[i], `argument ${i} is a ${classes[i].name}`)
  );
  check(nested[0].get("k") instanceof Lock, "a Lock in a Map");
  check([...nested[1]][0] instanceof Event, "an Event in a Set");
  check(raw instanceof Float64Array && raw.buffer instanceof SharedArrayBuffer, "a RawArray");
  check(plain.n === 1.5 && plain.s === "s" && plain.b === 2n ** 70n, "plain values");
  // The effects, for the window to see on the same memory.
  all.lock.acquire();
  all.event.set();
  all.channel.send([1, 2, 3]);
  check(nested[0].get("k")!.acquire({ blocking: false }), "the Map's lock is free");
  raw[0] = 42;
}

/** Starts a child process (a worker's worker) running `increment`, and joins it. */
export async function nested(
  bootstrap: string,
  lock: Lock,
  counter: Int32Array,
  times: number,
): Promise<void> {
  const url = new URL("./blocking.js", import.meta.url);
  const child = new Process(url, { args: [lock, counter, times], exportName: "increment", bootstrap })
    .start();
  increment(lock, counter, times);
  check(await child.join(10000) === 0, "the child exited with 0");
}

/** Ends the worker with its own `close()`: the process exits with 0. */
export function selfClose(): void {
  (globalThis as unknown as { close(): void }).close();
}
