/**
 * The control block a `Process` shares with its worker. Everything the worker
 * reports travels through it, not through messages: Deno sometimes loses a
 * worker's first unprompted message, so the parent starts the only handshake
 * and reads the outcome from shared memory.
 *
 * The state word moves once, from RUNNING to a final state, by a
 * compare-and-swap in the worker (`end` in `runtime/bootstrap.ts`), which also
 * sets the worker's own stop word so that no sabkit call of it goes through
 * afterwards. The parent reports an exit (and marks the agent exited, which
 * lets others recover its locks) only once the worker can run no more
 * JavaScript:
 *
 * | the worker ends by…        | Node, Bun                           | Deno, browsers                                       |
 * |----------------------------|-------------------------------------|------------------------------------------------------|
 * | its target returning/throwing | RETURNED/FAILED, then the runtime's exit report | RETURNED/FAILED is its last JavaScript; the parent terminates it |
 * | `close()`, `process.exit()`, `Deno.exit()` | the runtime's exit report (its code) | EXITED + the code, written by the wrapped exit call just before it |
 * | an uncaught error          | the error, then the exit report      | the error event: the failing task has returned      |
 * | `terminate()`              | the exit report (-15)                | browsers: at once; Deno: STOPPED, written from the worker's event loop (so its running task has returned); a busy worker never writes it, and `join()` says it still runs |
 * | a kill at any instruction  | the exit report                      | (no such kill exists there)                          |
 *
 * @module
 */

import { STOP_INDEX } from "../core/_wait.ts";

/** Set (and notified) by `terminate()`; sliced waits in the worker give up. */
export const STOP: number = STOP_INDEX;
/** The worker's progress: one of the `STATE_*` values. */
export const STATE = 1;
/** Byte length of the JSON error record. */
const ERROR_LENGTH = 2;
/** The worker's count of its abandoned async waiters (kept by `_wait.ts`). */
export const ABANDONED = 3;
/** The code of a worker that ended itself (`STATE_EXITED`). */
export const EXIT_CODE = 4;
/** The error record (a JSON text) starts after the control words and may take up to 16 KiB. */
const ERROR_OFFSET = 64;
const ERROR_MAX = 16 * 1024;

/** The start message has not arrived yet. */
export const STATE_STARTING = 0;
/** The target is running. */
export const STATE_RUNNING = 1;
/** The target returned. */
export const STATE_RETURNED = 2;
/** The target threw; the error record is written. */
export const STATE_FAILED = 3;
/** The worker ended itself (`close()`, `process.exit()`); the code is at `EXIT_CODE`. */
export const STATE_EXITED = 4;
/** Asked to stop by `terminate()`, the worker confirmed from its event loop: no JavaScript of it runs on. */
export const STATE_STOPPED = 5;

/** The message `terminate()` posts where terminating cannot stop running JavaScript (Deno). */
export interface StopMessage {
  /** Marks the message as ours. */
  sabkit: "stop";
}

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

/** The longest name, message and stack an error record keeps (characters). */
const NAME_MAX = 200;
const MESSAGE_MAX = 4000;
const STACK_MAX = 8000;

/** `text` cut to `max` characters, marked as cut. */
function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A field of an error, read once and never throwing (a getter or a proxy may). */
function field(e: unknown, key: "name" | "message" | "stack"): string | undefined {
  try {
    const v = (e as Record<string, unknown>)[key];
    return v === undefined ? undefined : String(v);
  } catch {
    return undefined;
  }
}

/** What the parent is told of `error`: name, message and stack, each bounded. */
export function errorRecord(error: unknown): ErrorRecord {
  const isError = typeof error === "object" && error !== null;
  let text: string;
  try {
    text = isError ? field(error, "message") ?? "" : String(error);
  } catch {
    text = "(an error that cannot be converted to a string)";
  }
  const stack = isError ? field(error, "stack") : undefined;
  return {
    name: bounded((isError ? field(error, "name") : undefined) ?? "Error", NAME_MAX),
    message: bounded(text, MESSAGE_MAX),
    stack: stack === undefined ? undefined : bounded(stack, STACK_MAX),
  };
}

/** Writes the error record (bounded to fit) before the state says FAILED. */
export function writeError(control: Int32Array, error: unknown): void {
  const record = errorRecord(error);
  const encoder = new TextEncoder();
  let bytes = encoder.encode(JSON.stringify(record));
  // Up to 3 bytes per character: drop the stack, then shorten the message, until it fits.
  if (bytes.length > ERROR_MAX) {
    record.stack = undefined;
    bytes = encoder.encode(JSON.stringify(record));
  }
  while (bytes.length > ERROR_MAX) {
    record.message = bounded(record.message, Math.floor(record.message.length / 2));
    bytes = encoder.encode(JSON.stringify(record));
  }
  new Uint8Array(control.buffer, ERROR_OFFSET, ERROR_MAX).set(bytes);
  control[ERROR_LENGTH] = bytes.length;
}

/** Forgets the error record (an uncaught error that the worker's own listener handled). */
export function clearError(control: Int32Array): void {
  control[ERROR_LENGTH] = 0;
}

/** Reads the error record: the target's failure (FAILED), or an uncaught error that ended the worker. */
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
