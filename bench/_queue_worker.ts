/**
 * The consumer side of the Queue benchmark's scenarios (`_queue.ts`): one
 * worker per scenario. The producer posts an {@linkcode Init}; the consumer
 * sets `READY`, verifies every value it receives (stamps, count, and the
 * first values field by field) and publishes each finished batch in `DONE`.
 * A failure is written to the control block, so the producer throws.
 *
 * @module
 */

import { type Connection, type JoinableQueue, type Queue, revive } from "../mod.ts";
import { checkBigString, checkRecord } from "./_queue_record.ts";
import { parentPort } from "./_port.ts";
import { check, type Init, serveConsumers, setError, Tally } from "./_shared.ts";

const port = parentPort();
type Ctl = Int32Array<SharedArrayBuffer>;

/** What the values of a scenario are: small records, a 1 MB string or a 1 MB Float64Array, in an object. */
export type ValueKind = "rec" | "str" | "f64";

/** Checks value `seq` of `kind`; throws what is wrong. */
function verify(kind: ValueKind, v: unknown, seq: number, full: boolean): void {
  let wrong: string | undefined;
  if (kind === "rec") wrong = checkRecord(v, seq, full);
  else if (kind === "str") wrong = checkBigString(v, seq, full);
  else {
    const o = v as { id: number; data: Float64Array };
    if (o?.id !== seq || !(o.data instanceof Float64Array)) wrong = `typed array ${seq}: id ${o?.id}`;
    else wrong = check(o.data, o.data.length, o.data.length, seq, full);
  }
  if (wrong !== undefined) throw new Error(wrong);
}

/** Whether `e` is the end of a closed queue or pipe (`ChannelClosedError`). */
function ended(e: unknown): boolean {
  return (e as Error)?.name === "ChannelClosedError";
}

type Consumer = (init: Init, ctl: Ctl) => void;

const consumers: Record<string, Consumer> = {
  /** postMessage (structured clone); a burst's producer awaits the count as a message. */
  clone(init, ctl) {
    const kind = init.value as ValueKind;
    const tally = new Tally(ctl, init.reply === true ? (count) => port.post(count) : undefined);
    let failed = false;
    port.onMessage((data) => {
      if (failed) return;
      try {
        verify(kind, data, tally.count, tally.count < init.fullCheck);
        tally.one();
      } catch (e) {
        failed = true;
        setError(ctl, e);
      }
    });
  },

  /** postMessage ping-pong: every value straight back. */
  echo() {
    port.onMessage((data) => port.post(data));
  },

  /** A Queue, JoinableQueue or SimpleQueue: blocking `get` until it is closed (JoinableQueue: `taskDone` each). */
  queue(init, ctl) {
    const q = revive(init.queue) as Queue;
    const kind = init.value as ValueKind;
    const joinable = init.joinable === true;
    const tally = new Tally(ctl);
    try {
      for (;;) {
        let v: unknown;
        try {
          v = q.get();
        } catch (e) {
          if (ended(e)) return;
          throw e;
        }
        verify(kind, v, tally.count, tally.count < init.fullCheck);
        if (joinable) (q as JoinableQueue).taskDone();
        tally.one();
      }
    } catch (e) {
      setError(ctl, e);
      q.close(); // the producer's blocked put throws instead of waiting forever
    }
  },

  /** The receiving end of a Pipe: blocking `recv` until it is closed. */
  pipe(init, ctl) {
    const conn = revive(init.conn) as Connection;
    const kind = init.value as ValueKind;
    const tally = new Tally(ctl);
    try {
      for (;;) {
        let v: unknown;
        try {
          v = conn.recv();
        } catch (e) {
          if (ended(e)) return;
          throw e;
        }
        verify(kind, v, tally.count, tally.count < init.fullCheck);
        tally.one();
      }
    } catch (e) {
      setError(ctl, e);
      conn.close();
    }
  },

  /** Ping-pong over two Pipes: receive on one, send it back on the other. */
  pipeEcho(init, ctl) {
    const [from, to] = revive(init.conns) as Connection[];
    try {
      for (;;) {
        let v: unknown;
        try {
          v = from.recv();
        } catch (e) {
          if (ended(e)) return;
          throw e;
        }
        to.send(v);
      }
    } catch (e) {
      setError(ctl, e);
      to.close();
    }
  },
};

serveConsumers(port, consumers);
