/**
 * The codec as it runs in a browser (no Buffer; a TextDecoder that refuses
 * views on shared memory), checked on the samples, 3,000 random values and
 * long strings, decoded out of shared memory. Run as its own process by
 * tests/queue_codec_test.ts: the codec reads the runtime once, when it loads.
 *
 * @module
 */
delete (globalThis as Record<string, unknown>).Buffer;
const TD = TextDecoder;
(globalThis as Record<string, unknown>).TextDecoder = class extends TD {
  override decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string {
    if (input && (input as Uint8Array).buffer instanceof SharedArrayBuffer) throw new TypeError("shared");
    return super.decode(input, options);
  }
};
const { decodeValue, ValueEncoder } = await import("../../src/queue/_value_codec.ts");
const { assertSameAsClone, mulberry32, randomValue, sampleValues } = await import("../_values.ts");
const fmt = await import("../../src/queue/_value_codec_format.ts");
if (fmt.RuntimeBuffer !== undefined || fmt.DECODER_TAKES_SHARED) throw new Error("not simulated");
const e = new ValueEncoder();
const ring = new Uint8Array(new SharedArrayBuffer(1 << 24), 8);
const values: unknown[] = sampleValues().map(([, v]) => v);
for (let seed = 1; seed <= 3000; seed++) values.push(randomValue(mulberry32(seed), 4));
values.push("x".repeat(100000) + "é", "日本".repeat(50000) + "\ud800", "a\ud800".repeat(5000));
for (const v of values) {
  const sh: SharedArrayBuffer[] = [];
  const b = e.encode(v, sh);
  ring.set(b);
  assertSameAsClone(decodeValue(ring.subarray(0, b.length), sh), v);
}
console.log("ok", values.length);
