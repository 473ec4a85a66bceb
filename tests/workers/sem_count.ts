import type { Semaphore } from "../../mod.ts";

/**
 * CPython's `_test_semaphore` on a semaphore of 2, in a worker: records the
 * value, or the result of an acquire (1 true, 0 false), after every step.
 */
export default function count(sem: Semaphore, out: Int32Array): void {
  const steps: Array<() => number> = [
    () => sem.getValue(),
    () => Number(sem.acquire()),
    () => sem.getValue(),
    () => Number(sem.acquire()),
    () => sem.getValue(),
    () => Number(sem.acquire({ blocking: false })),
    () => sem.getValue(),
    () => (sem.release(), sem.getValue()),
    () => (sem.release(), sem.getValue()),
  ];
  steps.forEach((step, i) => (out[i] = step()));
}
