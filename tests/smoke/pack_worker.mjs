/** Adds 1 to `counter[0]` `times` times under the lock. */
export default function increment(lock, counter, times) {
  for (let i = 0; i < times; i++) {
    lock.acquire();
    counter[0] += 1;
    lock.release();
  }
}
