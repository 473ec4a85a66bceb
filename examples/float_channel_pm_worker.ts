/** The postMessage consumer: acknowledges every cloned message. */
import { parentPort } from "node:worker_threads";

interface Port {
  postMessage(data: unknown): void;
  on?(event: "message", listener: (data: Float64Array) => void): void;
  onmessage?: (e: MessageEvent<Float64Array>) => void;
}
// node:worker_threads (Node, and Bun even in a web Worker), else the web worker scope (Deno).
const port = (parentPort ?? globalThis) as unknown as Port;
let total = 0;
const onData = (data: Float64Array) => {
  total += data.length;
  port.postMessage(total);
};
if (parentPort !== null) port.on!("message", onData);
else port.onmessage = (e) => onData(e.data);
port.postMessage("ready");
