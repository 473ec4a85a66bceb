import type { Channel, Event } from "../../mod.ts";
import { prng } from "../_chan.ts";

/**
 * Message `seq` of producer `id` has 2 + (r % 7) elements: `[id, seq,
 * id·1e6 + seq + j …]`, where r is the producer's seeded random number.
 * Every `failEvery`-th message's fill writes half of it and throws: that
 * message must never arrive. The producer alternates sendWith and
 * sendWithAsync. Returns nothing; the test checks what arrived.
 */
export async function producer(
  ch: Channel<"d">,
  id: number,
  count: number,
  seed: number,
  failEvery: number,
): Promise<void> {
  const next = prng(seed);
  for (let seq = 0; seq < count; seq++) {
    const n = 2 + (next() % 7);
    const fails = failEvery > 0 && seq % failEvery === failEvery - 1;
    const fill = (m: Float64Array): void => {
      m[0] = id;
      m[1] = seq;
      for (let j = 2; j < n; j++) {
        if (fails && j === n >> 1) throw new Error("fill failed");
        m[j] = id * 1e6 + seq + j;
      }
      if (fails) throw new Error("fill failed");
    };
    try {
      if (seq % 2 === 0) ch.sendWith(n, fill, { timeout: 30000 });
      else await ch.sendWithAsync(n, fill, { timeout: 30000 });
      if (fails) throw new Error(`message ${seq} of producer ${id} was sent although its fill threw`);
    } catch (e) {
      if (!fails || (e as Error).message !== "fill failed") throw e;
    }
  }
}

/**
 * Receives in place until the channel is closed and drained, counting each
 * `(id, seq)` in `seen[id·count + seq]` and each malformed message in
 * `errors[0]`.
 */
export function consumer(ch: Channel<"d">, seen: Int32Array, count: number, errors: Int32Array): void {
  const check = (m: Float64Array): void => {
    const id = m[0], seq = m[1];
    let bad = m.length < 2 || m.length > 8 || !Number.isInteger(id) || !Number.isInteger(seq);
    for (let j = 2; j < m.length && !bad; j++) if (m[j] !== id * 1e6 + seq + j) bad = true;
    if (bad) Atomics.add(errors, 0, 1);
    else Atomics.add(seen, id * count + seq, 1);
  };
  while (ch.recvWith(check, { timeout: 30000 }) !== null);
}

/**
 * Claims a slot with sendWith, writes a partial message, sets `flags[0]`
 * and then blocks inside `fill` until terminated (in sabkit waits, which a
 * Deno terminate() can stop: it cannot stop plain JavaScript).
 */
export function stuck(ch: Channel<"d">, flags: Int32Array, never: Event): void {
  ch.sendWith(4, (m) => {
    m[0] = -1;
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    for (;;) never.wait(50);
  });
}
