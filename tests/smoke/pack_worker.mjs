/** `times` increments under the lock, then the first element of every message it takes from `ch`. */
export default function work(lock, counter, times, ch) {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    counter[0] += 1;
    lock.release();
  }
  const buf = new Float64Array(ch.capacity);
  while (ch.recvInto(buf) !== null) {
    lock.acquire();
    counter[0] += buf[0];
    lock.release();
  }
}
