/** Snapshots of the shared memory behind sabkit objects, to prove a refused call changed nothing. */
import { handleOf } from "../src/core/_handle.ts";

/**
 * Every byte of shared state behind `xs`: a sabkit object's own memory (its
 * handle's byte range) and, recursively, what its handle refers to (the lock
 * and the data of a synchronized value or array); a typed array's bytes.
 */
export function memoryOf(...xs: unknown[]): number[][] {
  const out: number[][] = [];
  const seen = new Set<object>();
  const visit = (x: unknown): void => {
    if (typeof x !== "object" || x === null || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) {
      out.push([...new Uint8Array(x.buffer, x.byteOffset, x.byteLength)]);
      return;
    }
    const h = handleOf(x);
    if (h !== undefined) {
      out.push([...new Uint8Array(h.buffer, h.byteOffset, h.byteLength)]);
      visit(h.meta);
      return;
    }
    if (Array.isArray(x)) { for (const y of x) visit(y); }
    else if (Object.getPrototypeOf(x) === Object.prototype) { for (const y of Object.values(x)) visit(y); }
  };
  for (const x of xs) visit(x);
  return out;
}

/** The words of a sabkit object's own memory, for tests that simulate another agent. */
export function wordsOf(x: object): Int32Array {
  const h = handleOf(x);
  if (h === undefined) throw new TypeError("not a sabkit object");
  return new Int32Array(h.buffer, h.byteOffset, h.byteLength / 4);
}
