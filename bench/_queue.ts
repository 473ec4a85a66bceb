/**
 * The Queue benchmark (issue 18): any value through `Queue`,
 * `JoinableQueue`, `SimpleQueue` and `Pipe` against postMessage at its best
 * and multithreading's `channel()`, and the value codec alone. The producer
 * (this module) is the main thread, the consumer a worker
 * (`_queue_worker.ts`) that verifies every value; `registerQueueRows` adds
 * the rows to `bench.ts`'s table (three sections: small records, record
 * round trips, 1 MB values).
 *
 * `npm run bench -- --filter=queue` runs only these rows.
 *
 * @module
 */

import { barplot, do_not_optimize, group, summary } from "mitata";
import type * as MT from "multithreading";
import { JoinableQueue, Pipe, Queue, SimpleQueue } from "../mod.ts";
import { decodeValue, ValueEncoder } from "../src/queue/_value_codec.ts";
import type { Scenario } from "./bench.ts";
import {
  BIG_CHARS,
  BIG_F64,
  bigString,
  checkBigString,
  checkRecord,
  codecLimitRow,
  MT_REC,
  PM_F64,
  PM_STR,
  record,
  recordBytes,
} from "./_queue_record.ts";
import type { ValueKind } from "./_queue_worker.ts";
import { BATCH_MS, Consumer, FULL_CHECK, rethrow, type Session, verified } from "./_scenarios.ts";
import {
  check,
  DONE,
  fill,
  newControl,
  READY,
  stamp,
  TARGET,
  throwIfFailed,
  waitAtLeast,
  waitAtLeastAsync,
} from "./_shared.ts";

type Ctl = Int32Array<SharedArrayBuffer>;

/** `bench.ts`'s row registration (its `def`). */
export type Def = (
  meta: Omit<Scenario, "batch"> & { full: number; quick: number; per?: number },
  open: () => Session | Promise<Session>,
) => { baseline(): unknown };

const WORKER = new URL("./_queue_worker.ts", import.meta.url);
/** Milliseconds a worker may take to start. */
const SETUP_MS = 30_000;

/** Value `seq` of `kind`, built anew. */
function makeValue(kind: ValueKind): (seq: number) => unknown {
  if (kind === "rec") return record;
  if (kind === "str") return (seq) => ({ id: seq, text: bigString(seq) });
  const data = new Float64Array(BIG_F64);
  fill(data);
  return (seq) => {
    stamp(data, BIG_F64, seq);
    return { id: seq, data };
  };
}

/** Waits for one message at a time, with a deadline checked every 100 ms. */
class Inbox {
  #queue: unknown[] = [];
  #wake: (() => void) | undefined;

  push(value: unknown): void {
    this.#queue.push(value);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async next(c: Consumer): Promise<unknown> {
    const deadline = performance.now() + BATCH_MS;
    while (this.#queue.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, 100);
      });
      clearTimeout(timer);
      if (this.#queue.length > 0) break;
      throwIfFailed(c.ctl, c.what);
      if (c.worker.error !== undefined) {
        throw new Error(`${c.what}: the worker failed: ${c.worker.error.message}`);
      }
      if (performance.now() > deadline) throw new Error(`${c.what}: timed out after ${BATCH_MS} ms`);
    }
    return this.#queue.shift();
  }
}

// ----------------------------------------------------------- postMessage ---

/**
 * postMessage of each value (structured clone), one warm worker verifying
 * them. `burst`: post the batch, then await the consumer's count as a
 * message (the event loop free: postMessage at its best); else block in
 * `Atomics.wait` until the batch is verified.
 */
export async function openPostValues(what: string, kind: ValueKind, burst: boolean): Promise<Session> {
  const c = await Consumer.start(what, "clone", 0, { value: kind, reply: burst }, [], WORKER);
  const counts = new Inbox();
  if (burst) c.worker.onMessage((data) => counts.push(data));
  const value = makeValue(kind);
  let seq = 0;
  return verified({
    async run(n) {
      c.begin(n);
      for (let i = 0; i < n; i++) c.worker.post(value(seq++));
      if (burst) {
        const count = await counts.next(c);
        if (count !== c.sent) throw new Error(`${what}: the consumer counted ${count}, expected ${c.sent}`);
        await c.endAsync();
      } else c.end();
    },
    close: () => c.stop(),
  }, () => c.stop());
}

/** Round trip of a record over postMessage: post it, await the worker's echo, check it. */
export async function openPostPingPong(what: string): Promise<Session> {
  const c = await Consumer.start(what, "echo", 0, {}, [], WORKER);
  const replies = new Inbox();
  c.worker.onMessage((data) => replies.push(data));
  let seq = 0;
  return verified({
    async run(n) {
      for (let i = 0; i < n; i++, seq++) {
        c.worker.post(record(seq));
        const wrong = checkRecord(await replies.next(c), seq, seq < FULL_CHECK);
        if (wrong !== undefined) throw new Error(`${what}: ${wrong}`);
      }
    },
    close: () => c.stop(),
  }, () => c.stop());
}

// ---------------------------------------------------------------- sabkit ---

/** Which queue a row measures. */
export type QueueType = "Queue" | "JoinableQueue" | "SimpleQueue";

/**
 * Values through a sabkit queue: the producer `put`s the batch (a
 * JoinableQueue's then `join`s: every item `taskDone`), the consumer `get`s
 * and verifies each. `bytes`: the queue's shared memory (default 64 KiB).
 */
export async function openQueueValues(
  what: string,
  kind: ValueKind,
  type: QueueType,
  bytes?: number,
): Promise<Session> {
  const q = type === "JoinableQueue"
    ? new JoinableQueue({ bytes })
    : type === "SimpleQueue"
    ? new SimpleQueue()
    : new Queue({ bytes });
  const c = await Consumer.start(
    what,
    "queue",
    0,
    {
      queue: q,
      value: kind,
      joinable: type === "JoinableQueue",
    },
    [],
    WORKER,
  );
  const value = makeValue(kind);
  let seq = 0;
  const stop = (): void => {
    q.close();
    c.stop();
  };
  return verified({
    run(n) {
      c.begin(n);
      try {
        for (let i = 0; i < n; i++) q.put(value(seq++));
        if (type === "JoinableQueue" && !(q as JoinableQueue).join(BATCH_MS)) {
          throw new Error(`${what}: join timed out`);
        }
      } catch (e) {
        rethrow(c, e);
      }
      c.end();
    },
    close: stop,
  }, stop);
}

/** Values through a one-way `Pipe(false)`: `send` here, `recv` in the worker. */
export async function openPipeValues(what: string, kind: ValueKind, bytes?: number): Promise<Session> {
  const [rx, tx] = Pipe(false, { bytes });
  const c = await Consumer.start(what, "pipe", 0, { conn: rx, value: kind }, [], WORKER);
  const value = makeValue(kind);
  let seq = 0;
  const stop = (): void => {
    tx.close();
    c.stop();
  };
  return verified({
    run(n) {
      c.begin(n);
      try {
        for (let i = 0; i < n; i++) tx.send(value(seq++));
      } catch (e) {
        rethrow(c, e);
      }
      c.end();
    },
    close: stop,
  }, stop);
}

/** Round trip of a record over two one-way Pipes: send on one, the worker sends it back on the other. */
export async function openPipePingPong(what: string): Promise<Session> {
  const [thereRx, thereTx] = Pipe(false);
  const [backRx, backTx] = Pipe(false);
  const c = await Consumer.start(what, "pipeEcho", 0, { conns: [thereRx, backTx] }, [], WORKER);
  let seq = 0;
  const stop = (): void => {
    thereTx.close();
    backRx.close();
    c.stop();
  };
  return verified({
    run(n) {
      try {
        for (let i = 0; i < n; i++, seq++) {
          thereTx.send(record(seq));
          const wrong = checkRecord(backRx.recv(), seq, seq < FULL_CHECK);
          if (wrong !== undefined) throw new Error(`${what}: ${wrong}`);
        }
      } catch (e) {
        rethrow(c, e);
      }
    },
    close: stop,
  }, stop);
}

// ------------------------------------------------------ one thread: codec ---

/** The Queue's value codec alone, one thread: encode a record, then decode a copy of its bytes. */
export function openCodec(kind: ValueKind, part: "both" | "encode" | "decode" = "both"): Session {
  if (part !== "both") return openCodecPart(part, kind);
  const encoder = new ValueEncoder();
  const none: SharedArrayBuffer[] = [];
  const value = makeValue(kind);
  const out = new Uint8Array(kind === "rec" ? 4096 : 4 * BIG_CHARS);
  let seq = 0;
  let last: unknown;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        const bytes = encoder.encode(value(seq++), none);
        // As a queue does: the bytes go to other memory (a copy), and are decoded from there.
        out.set(bytes);
        last = decodeValue(out.subarray(0, bytes.length), none);
      }
      do_not_optimize(last);
      const wrong = kind === "rec" ? checkRecord(last, seq - 1, true) : checkBigString(last, seq - 1, false);
      if (wrong !== undefined) throw new Error(`codec: ${wrong}`);
    },
    close() {},
  };
}

/**
 * One side of the codec alone, one thread: `encode` of a value built anew
 * (a producer's share: a 1 MB string is then flattened, as any encoder and
 * postMessage must), or `decode` of a value's bytes (a consumer's share, out
 * of shared memory as a queue's consumer decodes, into a new value).
 */
function openCodecPart(part: "encode" | "decode", kind: ValueKind): Session {
  const encoder = new ValueEncoder();
  const none: SharedArrayBuffer[] = [];
  const value = makeValue(kind);
  const sample = encoder.encode(value(7), none);
  const shared = new Uint8Array(new SharedArrayBuffer(sample.length));
  shared.set(sample);
  let seq = 0;
  let last: unknown;
  const verify = (v: unknown, at: number): void => {
    const wrong = wrongValue(kind, v, at);
    if (wrong !== undefined) throw new Error(`${part}: ${wrong}`);
  };
  return {
    run(n) {
      if (part === "encode") {
        let size = 0;
        for (let i = 0; i < n; i++) size += encoder.encode(value(seq++), none).length;
        do_not_optimize(size);
        verify(decodeValue(encoder.encode(value(seq - 1), none), none), seq - 1);
      } else {
        for (let i = 0; i < n; i++) last = decodeValue(shared, none);
        do_not_optimize(last);
        verify(last, 7);
      }
    },
    close() {},
  };
}

/** What is wrong with `v` as value `seq` of `kind`, all of it checked. */
function wrongValue(kind: ValueKind, v: unknown, seq: number): string | undefined {
  if (kind === "rec") return checkRecord(v, seq, true);
  if (kind === "str") return checkBigString(v, seq, true);
  const o = v as { id: number; data: Float64Array };
  if (o?.id !== seq || !(o.data instanceof Float64Array)) return `typed array ${seq}: id ${o?.id}`;
  return check(o.data, o.data.length, o.data.length, seq, true);
}

/** `structuredClone` of a record, one thread (what postMessage's clone costs without the transport). */
export function openStructuredClone(): Session {
  let seq = 0;
  let last: unknown;
  return {
    run(n) {
      for (let i = 0; i < n; i++) last = structuredClone(record(seq++));
      do_not_optimize(last);
      const wrong = checkRecord(last, seq - 1, true);
      if (wrong !== undefined) throw new Error(`structuredClone: ${wrong}`);
    },
    close() {},
  };
}

// -------------------------------------------------------- multithreading ---

let mt: typeof MT | undefined;

/**
 * multithreading's `channel()` (its default capacity) carrying the record
 * (or, with `json`, the record as a JSON string, parsed by the receiver):
 * the producer `blockingSend`s, a `spawn`ed task `blockingRecv`s and checks
 * the stamps (and the first values field by field). The spawned function is
 * stringified: it cannot use this module, so its checks are written out.
 *
 * Checked with 0.3.52 on Node: records sent as objects arrive with their
 * keys and values shifted after a few hundred (`{"kind":"sym",
 * "quote.level2":"AAPL",…}` for record 308), so that row is an error in the
 * table; as JSON strings they arrive intact.
 */
export async function openMtRecords(what: string, json: boolean): Promise<Session> {
  mt ??= await import("multithreading");
  const { channel, move, spawn } = mt;
  const ctl = newControl();
  const [tx, rx] = channel<unknown>();
  const expected = Array.from({ length: FULL_CHECK }, (_, i) => JSON.stringify(record(i)));
  const handle = spawn(move(rx, { ctl, expected }), (rx, box) => {
    const { ctl, expected } = box;
    const fail = (text: string): string => {
      new Uint8Array(ctl.buffer, 64, 2048).set(new TextEncoder().encode(text).subarray(0, 2047));
      Atomics.store(ctl, 3, 1); // ERROR
      Atomics.notify(ctl, 1); // DONE
      return text;
    };
    Atomics.store(ctl, 0, 1); // READY
    let count = 0;
    let target = 0;
    for (;;) {
      const r = rx.blockingRecv();
      if (!r.ok) return count;
      const v = (typeof r.value === "string" ? JSON.parse(r.value) : r.value) as {
        id: number;
        px: number[];
        tags: unknown[];
      };
      const seq = count;
      if (v.id !== seq || v.px[7] !== (seq * 0.5 + 100.0625) * 1.0009765625 || v.tags[0] !== seq) {
        return fail(`record ${seq}: ${JSON.stringify(v)} (lost, repeated, reordered or torn)`);
      }
      if (seq < expected.length && JSON.stringify(v) !== expected[seq]) return fail(`record ${seq} differs`);
      count++;
      if (count >= target) {
        target = Atomics.load(ctl, 2); // TARGET
        if (count > target) return fail(`record ${count} arrived, but only ${target} were sent`);
        if (count === target) {
          Atomics.store(ctl, 1, count); // DONE
          Atomics.notify(ctl, 1);
        }
      }
    }
  });
  let failure: Error | undefined;
  void handle.join().then((r) => {
    if (!r.ok) failure = r.error instanceof Error ? r.error : new Error(String(r.error));
  });
  const stop = async (): Promise<void> => {
    tx.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([handle.join(), new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    mt?.shutdown();
  };
  try {
    await waitAtLeastAsync(ctl, READY, 1, SETUP_MS, `${what}: start`, () => failure);
  } catch (e) {
    await stop();
    throw e;
  }
  let seq = 0;
  const session: Session = {
    run(n) {
      Atomics.store(ctl, TARGET, seq + n);
      for (let i = 0; i < n; i++) {
        const r = tx.blockingSend(json ? JSON.stringify(record(seq++)) : record(seq++));
        if (!r.ok) {
          throwIfFailed(ctl, what);
          throw new Error(`${what}: send failed: ${r.error.message}`);
        }
      }
      waitAtLeast(ctl, DONE, seq, BATCH_MS, what);
      throwIfFailed(ctl, what);
      if (Atomics.load(ctl, DONE) !== seq) throw new Error(`${what}: ${ctl[DONE]} verified, ${seq} sent`);
    },
    close: stop,
  };
  try {
    session.run(FULL_CHECK);
  } catch (e) {
    await stop();
    throw e;
  }
  return session;
}

// ------------------------------------------------------------------ rows ---

/** The postMessage row of small records (the section's baseline) and the name suffix of its burst. */
export const PM_REC = "postMessage(record) clone";
const BURST = ", burst (post all, then await the count)";
const PM_RT = "postMessage ping-pong of a record";
/** Bytes of the 1 MB values (the string's characters are ASCII: one byte each in UTF-8). */
const MB = 1 << 20;

/** Adds the Queue benchmark's rows to the table, through `bench.ts`'s `def`. */
export function registerQueueRows(def: Def): void {
  const rec = { section: "rec", bytes: 0, vs: PM_REC } as const;
  const size = recordBytes();
  group(
    `small records (${size} B as JSON: 3 short strings, 8 numbers, a nested array), main → worker`,
    () => {
      summary(() => {
        barplot(() => {
          def(
            { ...rec, name: PM_REC, role: "baseline", full: 20_000, quick: 2_000 },
            () => openPostValues(PM_REC, "rec", false),
          ).baseline();
          def(
            { ...rec, name: `${PM_REC}${BURST}`, role: "baseline", alt: PM_REC, full: 20_000, quick: 2_000 },
            () => openPostValues(`${PM_REC} burst`, "rec", true),
          );
          for (const type of ["Queue", "SimpleQueue", "JoinableQueue"] as const) {
            const name = `sabkit ${type} put → get${type === "JoinableQueue" ? " + taskDone, join" : ""}`;
            def(
              { ...rec, name, role: "sabkit", full: 50_000, quick: 5_000 },
              () => openQueueValues(name, "rec", type),
            );
          }
          const pipe = "sabkit Pipe(false) send → recv";
          def(
            { ...rec, name: pipe, role: "sabkit", full: 50_000, quick: 5_000 },
            () => openPipeValues(pipe, "rec"),
          );
          def(
            {
              ...rec,
              name: "limit: sabkit value codec, encode + copy + decode (one thread)",
              role: "limit",
              full: 100_000,
              quick: 10_000,
            },
            () => openCodec("rec"),
          );
          for (const part of ["encode", "decode"] as const) {
            const name = `limit: sabkit value codec, ${part} only (one thread)`;
            def({ ...rec, name, role: "limit", full: 100_000, quick: 10_000 }, () => openCodec("rec", part));
          }
          def(
            {
              ...rec,
              name: "limit: structuredClone (one thread)",
              role: "limit",
              full: 100_000,
              quick: 10_000,
            },
            () => openStructuredClone(),
          );
          for (const json of [false, true]) {
            const name = `${MT_REC}${json ? ", as a JSON string" : ""}`;
            def({ ...rec, name, role: "peer", full: 20_000, quick: 2_000 }, () => openMtRecords(name, json));
          }
        });
      });
    },
  );

  const rt = { section: "rec-rt", bytes: 0, vs: PM_RT } as const;
  group("round trip of a small record (ping-pong)", () => {
    summary(() => {
      barplot(() => {
        def({ ...rt, name: PM_RT, role: "baseline", full: 2_000, quick: 200 }, () => openPostPingPong(PM_RT))
          .baseline();
        const name = "sabkit ping-pong over 2 Pipes (send → recv, send back)";
        def({ ...rt, name, role: "sabkit", full: 20_000, quick: 2_000 }, () => openPipePingPong(name));
      });
    });
  });

  const big = { section: "1mb", bytes: MB } as const;
  group("1 MB values: a string and a Float64Array inside an object, main → worker", () => {
    barplot(() => {
      for (const [kind, pm] of [["str", PM_STR], ["f64", PM_F64]] as const) {
        const what = kind === "str" ? "{ id, text: 1 MB string }" : "{ id, data: 1 MB Float64Array }";
        def(
          { ...big, vs: pm, name: pm, role: "baseline", full: 50, quick: 10 },
          () => openPostValues(pm, kind, false),
        );
        def(
          { ...big, vs: pm, name: `${pm}${BURST}`, role: "baseline", alt: pm, full: 50, quick: 10 },
          () => openPostValues(`${pm} burst`, kind, true),
        );
        for (const bytes of [undefined, 4 * MB]) {
          const name = `sabkit Queue ← ${what}${
            bytes === undefined ? " (64 KiB: streamed)" : " (bytes: 4 MiB)"
          }`;
          def(
            { ...big, vs: pm, name, role: "sabkit", full: 50, quick: 10 },
            () => openQueueValues(name, kind, "Queue", bytes),
          );
        }
        const pipe = `sabkit Pipe(false) ← ${what} (64 KiB: streamed)`;
        def(
          { ...big, vs: pm, name: pipe, role: "sabkit", full: 50, quick: 10 },
          () => openPipeValues(pipe, kind),
        );
        // A queue's producer encodes every value (on this thread: the report's target compares
        // postMessage with it) and its consumer decodes it (on a worker: shown, for its share).
        for (const part of ["encode", "decode"] as const) {
          def(
            { ...big, vs: pm, name: codecLimitRow(part, what), role: "limit", full: 50, quick: 10 },
            () => openCodecPart(part, kind),
          );
        }
      }
    });
  });
}
