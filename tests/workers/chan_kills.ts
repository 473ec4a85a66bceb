import type { Channel } from "../../mod.ts";

/**
 * The sender and receiver of the random-kill test. Message `seq` has
 * `1 + seq % capacity` elements: `[seq, seq·8 + 1, seq·8 + 2, …]`.
 * `state`: [STOP, ATTEMPT, SENT, RECEIVED, ERRORS].
 */
export const STOP = 0;
export const ATTEMPT = 1;
export const SENT = 2;
export const RECEIVED = 3;
export const ERRORS = 4;
const WAIT = { timeout: 60000 };

/**
 * Sends seq `first`, `first + 1`, … until `state[STOP]`: `state[ATTEMPT]` is
 * the seq being sent, `state[SENT]` one past the last whose send returned.
 * `mode`: 0 send(Float64Array), 1 sendAsync, 2 send(Array).
 */
export async function sender(
  ch: Channel<"d">,
  state: Int32Array,
  first: number,
  mode: number,
): Promise<void> {
  const cap = ch.capacity;
  const buf = new Float64Array(cap);
  for (let seq = first;; seq++) {
    if (Atomics.load(state, STOP) !== 0) return;
    Atomics.store(state, ATTEMPT, seq);
    const n = 1 + (seq % cap);
    buf[0] = seq;
    for (let j = 1; j < n; j++) buf[j] = seq * 8 + j;
    const msg = buf.subarray(0, n);
    if (mode === 0) ch.send(msg, WAIT);
    else if (mode === 1) await ch.sendAsync(msg, WAIT);
    else ch.send(Array.from(msg), WAIT);
    Atomics.store(state, SENT, seq + 1);
  }
}

/**
 * Receives until closed and drained, as incarnation `inc`: marks each seq in
 * `by[seq]` with `inc + 1` in one compare-and-swap (a kill can never leave
 * half a record), counts a second receipt in `state[ERRORS]`, and checks the
 * message's length, payload and order. `mode`: 0 recvInto, 1 recvWith, 2 recvAsync.
 */
export async function receiver(
  ch: Channel<"d">,
  state: Int32Array,
  by: Int32Array,
  inc: number,
  mode: number,
): Promise<void> {
  const cap = ch.capacity;
  let last = -1;
  const record = (m: ArrayLike<number>, n: number): void => {
    const seq = m[0];
    let bad = n !== 1 + (seq % cap) || seq <= last;
    for (let j = 1; j < n; j++) if (m[j] !== seq * 8 + j) bad = true;
    if (bad || Atomics.compareExchange(by, seq, 0, inc + 1) !== 0) {
      Atomics.add(state, ERRORS, 1);
      throw new Error(
        `receiver ${inc}: bad, duplicate or out-of-order message ${seq} (length ${n}) after ${last}`,
      );
    }
    last = seq;
    Atomics.add(state, RECEIVED, 1);
  };
  const buf = new Float64Array(cap);
  for (;;) {
    if (mode === 0) {
      const n = ch.recvInto(buf, WAIT);
      if (n === null) return;
      record(buf, n);
    } else if (mode === 1) {
      if (ch.recvWith((m) => record(m, m.length), WAIT) === null) return;
    } else {
      const m = await ch.recvAsync(WAIT);
      if (m === null) return;
      record(m, m.length);
    }
  }
}
