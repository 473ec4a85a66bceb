/**
 * The control block a `Process` shares with its worker. Everything the worker
 * reports travels through it, not through messages: Deno sometimes loses a
 * worker's first unprompted message, so the parent starts the only handshake
 * and reads the outcome from shared memory.
 *
 * @module
 */

import { STOP_INDEX } from "./_wait.ts";

/** Set (and notified) by `terminate()`; sliced waits in the worker give up. */
export const STOP: number = STOP_INDEX;
/** The worker's progress: one of the `STATE_*` values. */
export const STATE = 1;
/** Byte length of the JSON error record. */
const ERROR_LENGTH = 2;
const ERROR_OFFSET = 64;
const ERROR_MAX = 16384;

/** The start message has not arrived yet. */
export const STATE_STARTING = 0;
/** The target is running. */
export const STATE_RUNNING = 1;
/** The target returned. */
export const STATE_RETURNED = 2;
/** The target threw; the error record is written. */
export const STATE_FAILED = 3;

/** The message that starts the worker. */
export interface StartMessage {
  /** Marks the message as ours. */
  sabkit: "start";
  /** The module to import. */
  url: string;
  /** The export to call. */
  exportName: string;
  /** Posted arguments, revived in the worker. */
  args: unknown[];
  /** The control block. */
  control: SharedArrayBuffer;
  /** The agent-id domain of the parent. */
  domain: SharedArrayBuffer;
  /** The id the parent drew for the worker. */
  agentId: number;
}

/** A new control block. */
export function newControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(ERROR_OFFSET + ERROR_MAX));
}

/** What the parent learns of a worker's failure. */
export interface ErrorRecord {
  /** The error's name. */
  name: string;
  /** The error's message. */
  message: string;
  /** The worker-side stack, if any. */
  stack?: string;
}

/** Writes the error record (truncated to fit) before the state says FAILED. */
export function writeError(control: Int32Array, error: unknown): void {
  const e = error instanceof Error ? error : undefined;
  const record: ErrorRecord = {
    name: e?.name ?? "Error",
    message: e?.message ?? String(error),
    stack: e?.stack,
  };
  let bytes = new TextEncoder().encode(JSON.stringify(record));
  if (bytes.length > ERROR_MAX) {
    record.stack = record.stack?.slice(0, 2000);
    record.message = record.message.slice(0, 4000);
    bytes = new TextEncoder().encode(JSON.stringify(record));
  }
  new Uint8Array(control.buffer, ERROR_OFFSET, ERROR_MAX).set(bytes.subarray(0, ERROR_MAX));
  control[ERROR_LENGTH] = Math.min(bytes.length, ERROR_MAX);
}

/** Reads the error record once the state says FAILED. */
export function readError(control: Int32Array): ErrorRecord | undefined {
  const n = control[ERROR_LENGTH];
  if (n === 0) return undefined;
  const bytes = new Uint8Array(control.buffer, ERROR_OFFSET, n).slice();
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as ErrorRecord;
  } catch {
    return undefined;
  }
}
