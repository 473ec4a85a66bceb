/** Fails with a recognizable message. */
export default function fail(code: number): never {
  throw new RangeError(`boom ${code} from the worker`);
}

/** A named export, for `exportName`. */
export function add(out: Int32Array, a: number, b: number): void {
  out[0] = a + b;
}

/** Fails later, from a timer: an uncaught error the target's own report never sees. */
export function later(): Promise<never> {
  setTimeout(() => {
    throw new RangeError("boom from a timer");
  }, 20);
  return new Promise(() => {});
}
