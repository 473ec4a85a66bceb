/**
 * The values of the Queue benchmark (issue 18), shared by the producer
 * (`_queue.ts`) and the consumer worker (`_queue_worker.ts`): a small record
 * (3 short strings, 8 numbers, a nested array: about 200 bytes as JSON),
 * a 1 MB string and a 1 MB typed array inside an object, each stamped with
 * its sequence number so that the consumer can tell a lost, repeated,
 * reordered or torn value, and checks that say what is wrong.
 *
 * @module
 */

/** The record of the small-value rows. */
export interface Rec {
  id: number;
  kind: string;
  sym: string;
  venue: string;
  px: number[];
  tags: (number | string)[];
}

const SYMS = ["AAPL", "MSFT", "NVDA", "AMZN"];

/** Record `seq`, built anew (as a producer builds what it sends). */
export function record(seq: number): Rec {
  const p = seq * 0.5 + 100.0625;
  return {
    id: seq,
    kind: "quote.level2",
    sym: SYMS[seq & 3],
    venue: "XNAS-primary",
    px: [p, p + 0.125, p + 0.25, p + 0.375, p - 0.125, p - 0.25, p - 0.375, p * 1.0009765625],
    tags: [seq, 12345.5, "settled"],
  };
}

/** Bytes of record `seq` as JSON (the size the rows' names give). */
export function recordBytes(seq = 123_456): number {
  return new TextEncoder().encode(JSON.stringify(record(seq))).length;
}

/**
 * What is wrong with `v` as record `seq`, or `undefined`; with `full`, every
 * field (else its stamps: id, the last price, the nested array's first element).
 */
export function checkRecord(v: unknown, seq: number, full: boolean): string | undefined {
  const r = v as Rec;
  if (typeof r !== "object" || r === null) return `record ${seq}: got ${typeof r}`;
  if (r.id !== seq || r.px?.[7] !== (seq * 0.5 + 100.0625) * 1.0009765625 || r.tags?.[0] !== seq) {
    return `record ${seq}: id ${r.id} (lost, repeated, reordered or torn)`;
  }
  if (full && JSON.stringify(r) !== JSON.stringify(record(seq))) {
    return `record ${seq}: ${JSON.stringify(r)}, expected ${JSON.stringify(record(seq))}`;
  }
  return undefined;
}

/** Characters of the big string (1 MB of ASCII). */
export const BIG_CHARS = 1 << 20;
/** Elements of the big typed array (1 MB of float64). */
export const BIG_F64 = 1 << 17;

const BODY = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(Math.ceil(BIG_CHARS / 36)).slice(
  0,
  BIG_CHARS - 16,
);

/** Big string `seq`: a 16-character stamp, then the body (1 MB). */
export function bigString(seq: number): string {
  return `${String(seq).padStart(15, "0")}:${BODY}`;
}

/** What is wrong with `v` as big string `seq` (`full`: every character). */
export function checkBigString(v: unknown, seq: number, full: boolean): string | undefined {
  const o = v as { id: number; text: string };
  const s = o?.text;
  if (o?.id !== seq || typeof s !== "string" || s.length !== BIG_CHARS) {
    return `big string ${seq}: id ${o?.id}, ${typeof s === "string" ? s.length : typeof s} characters`;
  }
  if (Number(s.slice(0, 15)) !== seq || s.charCodeAt(BIG_CHARS - 1) !== BODY.charCodeAt(BODY.length - 1)) {
    return `big string ${seq}: stamp ${s.slice(0, 15)} (lost, repeated, reordered or torn)`;
  }
  if (full && s !== bigString(seq)) return `big string ${seq}: the body differs`;
  return undefined;
}

/** The postMessage rows of the 1 MB values (the report's targets name them). */
export const PM_STR = "postMessage({ id, text: 1 MB string }) clone";
export const PM_F64 = "postMessage({ id, data: 1 MB Float64Array }) clone";

/** The name of the 1 MB section's row of one side of the codec alone, for `what` (the value). */
export function codecLimitRow(part: "encode" | "decode", what: string): string {
  return `limit: sabkit value codec, ${part} only, ${what} (one thread)`;
}

/** The rows of multithreading's channel() with records (the report's target takes the faster that worked). */
export const MT_REC = "multithreading channel() (32 slots), record";
