/** The postMessage baseline's receiver: checks stamps, acknowledges each big message and every 1,000th small one. */
import { parentPort } from "node:worker_threads";

interface Port {
  postMessage(data: unknown): void;
  on?(event: "message", listener: (data: Float64Array) => void): void;
  onmessage?: (e: MessageEvent<Float64Array>) => void;
}
// node:worker_threads (Node, and Bun even in a web Worker), else the web worker scope (Deno).
const port = (parentPort ?? globalThis) as unknown as Port;
let i = 0;
const onData = (data: Float64Array) => {
  if (data[0] !== i) throw new Error(`message ${i} arrived as ${data[0]}`);
  if (++i % (data.length > 1000 ? 1 : 1000) === 0) port.postMessage(i);
};
if (parentPort !== null) port.on!("message", onData);
else port.onmessage = (e) => onData(e.data);
port.postMessage("ready");
