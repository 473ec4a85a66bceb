/**
 * How the test workers report the outcome of a blocking wait in one shared
 * word (fault_wait.ts, sync_kill_agent.ts, sync_kill_loop.ts): one set of
 * codes and one reading of what a wait threw, so the tests read them alike.
 */
import { BrokenBarrierError, OwnerDiedError } from "../../mod.ts";

/** The wait returned true. */
export const TRUE = 1;
/** The wait returned false (timed out). */
export const FALSE = 2;
/** `OwnerDiedError`. */
export const OWNER_DIED = 3;
/** `BrokenBarrierError`. */
export const BROKEN = 4;
/** Anything else. */
export const OTHER = 5;

/** The code of what a wait threw. */
export function outcome(e: unknown): number {
  return e instanceof OwnerDiedError ? OWNER_DIED : e instanceof BrokenBarrierError ? BROKEN : OTHER;
}

/**
 * Runs `wait` and codes its outcome: {@linkcode TRUE} or {@linkcode FALSE},
 * a number (a barrier index) + 10, or the code of what it threw.
 */
export function settle(wait: () => boolean | number): number {
  try {
    const r = wait();
    return r === true ? TRUE : r === false ? FALSE : r + 10;
  } catch (e) {
    return outcome(e);
  }
}
