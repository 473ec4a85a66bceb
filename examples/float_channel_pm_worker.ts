/** The postMessage consumer: acknowledges every cloned message (a web Worker or a worker_threads one). */
interface Port {
  postMessage(data: unknown): void;
  on?(event: "message", listener: (data: Float64Array) => void): void;
  onmessage?: (e: MessageEvent<Float64Array>) => void;
}
const web = new URL(import.meta.url).searchParams.get("web") === "true";
const port = (web ? globalThis : (await import("node:worker_threads")).parentPort) as unknown as Port;
let total = 0;
const onData = (data: Float64Array) => {
  total += data.length;
  port.postMessage(total);
};
if (web) port.onmessage = (e) => onData(e.data);
else port.on!("message", onData);
port.postMessage("ready");
