import type { Semaphore } from "../../mod.ts";

/** Releases `sem` by `n`, a semaphore it never acquired. */
export default function release(sem: Semaphore, n: number): void {
  sem.release(n);
}
