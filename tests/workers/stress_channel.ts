import { type Channel, ChannelClosedError } from "../../mod.ts";

/**
 * Channel stress and fault workers. A message is `[producer, seq, payload…]`
 * with 0–5 payload elements, each `producer · 1e7 + seq`, so a receiver can
 * check every element it gets.
 */
const STALL_MS = 120000;

function fill(msg: Float64Array, producer: number, seq: number): Float64Array {
  const n = 2 + (seq % 6);
  msg[0] = producer;
  msg[1] = seq;
  for (let j = 2; j < n; j++) msg[j] = producer * 1e7 + seq;
  return msg.subarray(0, n);
}

/** Sends `count` tagged messages (`send`, or `sendAsync` when `async`). */
export async function produce(
  ch: Channel<"d">,
  producer: number,
  count: number,
  async: boolean,
): Promise<void> {
  const msg = new Float64Array(ch.capacity);
  for (let seq = 0; seq < count; seq++) {
    if (async) await ch.sendAsync(fill(msg, producer, seq), { timeout: STALL_MS });
    else ch.send(fill(msg, producer, seq), { timeout: STALL_MS });
  }
}

/**
 * Sends tagged messages until the channel closes: `accepted[producer]` counts
 * the sends that returned. The send that throws must be a `ChannelClosedError`,
 * and so must one more after it.
 */
export async function produceUntilClosed(
  ch: Channel<"d">,
  producer: number,
  accepted: Int32Array,
  async: boolean,
): Promise<void> {
  const msg = new Float64Array(ch.capacity);
  for (let seq = 0;; seq++) {
    try {
      if (async) await ch.sendAsync(fill(msg, producer, seq), { timeout: STALL_MS });
      else ch.send(fill(msg, producer, seq), { timeout: STALL_MS });
    } catch (e) {
      if (!(e instanceof ChannelClosedError)) throw e;
      try {
        ch.send(fill(msg, producer, seq + 1), { timeout: 0 });
      } catch (again) {
        if (again instanceof ChannelClosedError) return;
        throw again;
      }
      throw new Error("a send after close went through");
    }
    Atomics.store(accepted, producer, seq + 1);
  }
}

/**
 * Checks one received message and marks it in `seen` (one byte per producer
 * and seq); `last` holds the last seq seen here from each producer.
 */
export function check(
  buf: ArrayLike<number>,
  n: number,
  seen: Uint8Array,
  perProducer: number,
  last: number[],
): void {
  const producer = buf[0];
  const seq = buf[1];
  if (!(producer >= 0 && producer < last.length && seq >= 0 && seq < perProducer) || n !== 2 + (seq % 6)) {
    throw new Error(`bad message [${Array.from(buf).slice(0, n).join(", ")}]`);
  }
  for (let j = 2; j < n; j++) {
    if (buf[j] !== producer * 1e7 + seq) throw new Error(`producer ${producer} message ${seq}: bad payload`);
  }
  if (seq <= last[producer]) throw new Error(`producer ${producer}: message ${seq} after ${last[producer]}`);
  last[producer] = seq;
  Atomics.add(seen, producer * perProducer + seq, 1);
}

/**
 * Receives until the channel is closed and drained, checking every message;
 * counts them in `counts[index]`. `mode`: "recvInto", "recv", "async" (recvAsync),
 * "recvWith" or "recvWithAsync".
 */
export async function consume(
  ch: Channel<"d">,
  seen: Uint8Array,
  producers: number,
  perProducer: number,
  counts: Int32Array,
  index: number,
  mode: string,
): Promise<void> {
  const last = new Array<number>(producers).fill(-1);
  const buf = new Float64Array(ch.capacity);
  for (;;) {
    let n: number | null;
    let m: ArrayLike<number> = buf;
    if (mode === "recvInto") {
      n = ch.recvInto(buf, { timeout: STALL_MS });
    } else if (mode === "recvWith" || mode === "recvWithAsync") {
      // Checked in place, while the slot is still held.
      const inPlace = (view: Float64Array) => {
        check(view, view.length, seen, perProducer, last);
        Atomics.add(counts, index, 1);
      };
      const got = mode === "recvWith"
        ? ch.recvWith(inPlace, { timeout: STALL_MS })
        : await ch.recvWithAsync(inPlace, { timeout: STALL_MS });
      if (got === null) return;
      continue;
    } else {
      const got = mode === "async"
        ? await ch.recvAsync({ timeout: STALL_MS })
        : ch.recv({ timeout: STALL_MS });
      n = got === null ? null : got.length;
      if (got !== null) m = got;
    }
    if (n === null) return;
    check(m, n, seen, perProducer, last);
    Atomics.add(counts, index, 1);
  }
}

/**
 * Counts its arrival in `flags[0]`, then one blocking `recv` (or `send` of
 * `[value]`): `out[slot]` becomes 1 for a message/sent, 2 for a timeout,
 * 3 for closed (`null` or `ChannelClosedError`), 5 otherwise, and
 * `out[slot + 1]` the received value; counts itself done in `flags[1]`.
 */
export function once(
  ch: Channel<"d">,
  side: "send" | "recv",
  flags: Int32Array,
  out: Float64Array,
  slot: number,
  timeout: number,
  value = 0,
): void {
  Atomics.add(flags, 0, 1);
  let outcome = 5;
  try {
    if (side === "send") {
      ch.send([value], { timeout });
      outcome = 1;
    } else {
      const m = ch.recv({ timeout });
      outcome = m === null ? 3 : 1;
      if (m !== null) out[slot + 1] = m[0];
    }
  } catch (e) {
    const name = (e as Error).name;
    outcome = name === "TimeoutError" ? 2 : e instanceof ChannelClosedError ? 3 : 5;
  }
  out[slot] = outcome;
  Atomics.add(flags, 1, 1);
}
