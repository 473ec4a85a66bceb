/**
 * The first module of every `Process` worker. It listens before doing
 * anything else (a message that arrives before a listener is lost), waits
 * for the parent's start message, then calls the target with revived args.
 *
 * Everything the parent must learn travels through the control block: the
 * state (running, returned, failed, ended itself, stopped) and the error
 * record. Where the runtime reports no exit (Deno, browsers), this module
 * also reports the worker's own `close()` / `process.exit()` / `Deno.exit()`
 * and confirms a `terminate()` once no JavaScript of the worker runs on.
 *
 * @module
 */

import { setAgent } from "../core/_agent.ts";
import {
  clearError,
  EXIT_CODE,
  type StartMessage,
  STATE,
  STATE_EXITED,
  STATE_FAILED,
  STATE_RETURNED,
  STATE_RUNNING,
  STATE_STARTING,
  STATE_STOPPED,
  STOP,
  type StopMessage,
  writeError,
} from "../process/_control.ts";
import { revive } from "../process/revive.ts";
import { setStopWord, TerminatedError } from "../core/_wait.ts";
import { workerPort } from "./mod.ts";

const port = workerPort();
let control: Int32Array | undefined;
/** While the target module loads: Deno ignores an exit called during a dynamic import's evaluation. */
let loading = false;
/** The code of an exit called while loading, carried out once the import returns. */
let pendingExit: number | undefined;

/** Which of the parent's messages `x` is, if any. */
function kindOf(x: unknown): string | undefined {
  return typeof x === "object" && x !== null ? (x as StartMessage | StopMessage).sabkit : undefined;
}

/** Moves the state from RUNNING (or STARTING) to a final one; `false` if it was final already. */
function end(state: number): boolean {
  const c = control!;
  for (;;) {
    const s = Atomics.load(c, STATE);
    if (s > STATE_RUNNING) return false;
    if (Atomics.compareExchange(c, STATE, s, state) === s) break;
  }
  // From here on, every sabkit call of this worker refuses: it has ended.
  Atomics.store(c, STOP, 1);
  Atomics.notify(c, STATE);
  return true;
}

/** Names the module in a load error that lacks it (Bun's syntax errors say only "Unexpected ;"). */
function loadError(url: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.message.includes(url) || (error.stack ?? "").includes(url)) {
    return error;
  }
  // A plain Error with the same name: some runtimes' load errors cannot be constructed (Bun's BuildMessage).
  const named = new Error(`${error.message} (in ${url})`, { cause: error });
  named.name = error.name === "BuildMessage" ? "SyntaxError" : error.name;
  return named;
}

async function run(message: StartMessage): Promise<void> {
  const c = new Int32Array(message.control);
  // A repeated start message must not run the target twice.
  if (Atomics.compareExchange(c, STATE, STATE_STARTING, STATE_RUNNING) !== STATE_STARTING) return;
  control = c;
  setAgent(message.domain, message.agentId);
  setStopWord(c);
  let state = STATE_RETURNED;
  try {
    let mod: Record<string, unknown>;
    loading = true;
    try {
      mod = await import(message.url) as Record<string, unknown>;
    } catch (error) {
      if (pendingExit === undefined) throw loadError(message.url, error);
      mod = {};
    } finally {
      loading = false;
    }
    if (pendingExit !== undefined) {
      // The module asked to end while it loaded: the target never runs.
      Atomics.store(c, EXIT_CODE, pendingExit);
      if (end(STATE_EXITED)) port.exit(pendingExit);
      return;
    }
    const target = mod[message.exportName];
    if (typeof target !== "function") {
      throw new TypeError(
        `The module ${message.url} has no function export ${JSON.stringify(message.exportName)}`,
      );
    }
    await target(...revive(message.args));
  } catch (error) {
    // Stopped by terminate(): not a failure of the target (join() reports -15).
    if (error instanceof TerminatedError) state = STATE_STOPPED;
    else {
      writeError(c, error);
      state = STATE_FAILED;
    }
  }
  if (end(state)) port.exit(state === STATE_RETURNED ? 0 : 1);
}

port.onMessage((data) => {
  const kind = kindOf(data);
  if (kind === "start") void run(data as StartMessage);
  // This runs from the event loop, so the task that was running when terminate() was called has returned.
  else if (kind === "stop" && control !== undefined && end(STATE_STOPPED)) port.exit(1);
});

port.onUncaught((error, handled) => {
  const c = control;
  if (c === undefined || Atomics.load(c, STATE) !== STATE_RUNNING) return;
  if (error instanceof TerminatedError) {
    end(STATE_STOPPED);
    return;
  }
  // Recorded now, for the parent to report if the runtime ends the worker over it (Bun's own
  // report is a source excerpt); forgotten if a listener of the worker handled it and it runs on.
  writeError(c, error);
  setTimeout(() => {
    if (handled()) clearError(c);
  }, 0);
});

port.onSelfExit((code) => {
  // Also called by this module's own `port.exit()`, once the state is final already.
  if (control === undefined || Atomics.load(control, STATE) !== STATE_RUNNING) return;
  if (loading) {
    pendingExit = code;
    return;
  }
  Atomics.store(control, EXIT_CODE, code);
  end(STATE_EXITED);
});
