/** Doubles every element of two RawArrays posted as plain typed arrays (no revive involved). */
export default function double(xs: Float64Array, qs: BigInt64Array): void {
  if (!(xs.buffer instanceof SharedArrayBuffer && qs.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError("A RawArray arrived unshared");
  }
  for (let i = 0; i < xs.length; i++) xs[i] *= 2;
  for (let i = 0; i < qs.length; i++) qs[i] *= 2n;
}
