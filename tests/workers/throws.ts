/** Fails with a recognizable message. */
export default function fail(code: number): never {
  throw new RangeError(`boom ${code} from the worker`);
}

/** A named export, for `exportName`. */
export function add(out: Int32Array, a: number, b: number): void {
  out[0] = a + b;
}
