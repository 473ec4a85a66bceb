/** Adds 1 to `counter[0]` `times` times under the lock (the npm build's Lock). */
export default function increment(lock, counter, times) {
  for (let i = 0; i < times; i++) {
    const held = lock.guard();
    counter[0] = counter[0] + 1;
    held[Symbol.dispose]();
  }
}
