/**
 * The first module of every `Process` worker. It listens before doing
 * anything else (a message that arrives before a listener is lost), waits
 * for the parent's start message, then calls the target with revived args.
 *
 * @module
 */

import "../../mod.ts";
import { setAgent } from "../_agent.ts";
import {
  type StartMessage,
  STATE,
  STATE_FAILED,
  STATE_RETURNED,
  STATE_RUNNING,
  STATE_STARTING,
  writeError,
} from "../_control.ts";
import { revive } from "../_handle.ts";
import { setStopWord } from "../_wait.ts";
import { workerPort } from "./mod.ts";

const port = workerPort();

function isStart(x: unknown): x is StartMessage {
  return typeof x === "object" && x !== null && (x as StartMessage).sabkit === "start";
}

async function run(message: StartMessage): Promise<void> {
  const control = new Int32Array(message.control);
  // A repeated start message must not run the target twice.
  if (Atomics.compareExchange(control, STATE, STATE_STARTING, STATE_RUNNING) !== STATE_STARTING) {
    return;
  }
  setAgent(message.domain, message.agentId);
  setStopWord(control);
  let state = STATE_RETURNED;
  try {
    const mod = await import(message.url) as Record<string, unknown>;
    const target = mod[message.exportName];
    if (typeof target !== "function") {
      throw new TypeError(
        `The module ${message.url} has no function export ${JSON.stringify(message.exportName)}`,
      );
    }
    await target(...revive(message.args));
  } catch (error) {
    writeError(control, error);
    state = STATE_FAILED;
  }
  Atomics.store(control, STATE, state);
  Atomics.notify(control, STATE);
  port.exit(state === STATE_RETURNED ? 0 : 1);
}

port.onMessage((data) => {
  if (isStart(data)) void run(data);
});
