/**
 * A `BroadcastChannel` as the queues use it to carry `SharedArrayBuffer`s
 * (which shared memory cannot hold) to every thread that has the queue, and
 * whether a thread can take its messages without running its event loop.
 *
 * Measured by hand on Node 26, Bun 1.4, Deno 2.9 (a worker blocked in
 * `Atomics.wait` while the main thread posts, then polling for 1 s):
 * `receiveMessageOnPort` of `node:worker_threads` takes a
 * `BroadcastChannel`'s message synchronously on Node only; Bun accepts the
 * channel but never returns its messages to a thread that blocks, and Deno's
 * accepts only its `MessagePort`. A `MessagePort` would work on all three,
 * but it joins two threads, while a queue has any number of them, joining at
 * any time. Node's and Deno's `node:worker_threads` `BroadcastChannel` can
 * be `unref`ed (Deno's global one keeps the process alive); Bun's global one
 * can too; browsers have only the global one.
 *
 * @module
 */

import { builtin } from "./node.ts";
import { runtime } from "./mod.ts";

/** A message the channel delivered. */
export type BroadcastListener = (data: unknown) => void;

/** One thread's end of a named broadcast channel. */
export interface Broadcast {
  /** Posts to every other thread's end of the same name (structured clone: shared buffers travel). */
  post(message: unknown): void;
  /** Takes the next message now, without the event loop (only where {@linkcode canReceiveSync}). */
  receiveSync(): { message: unknown } | undefined;
  /** Closes this end. */
  close(): void;
}

interface ChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  unref?(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
}
type ChannelClass = new (name: string) => ChannelLike;

interface Threads {
  BroadcastChannel?: ChannelClass;
  receiveMessageOnPort?: (port: unknown) => { message: unknown } | undefined;
}

const threads = runtime === "browser" ? undefined : builtin<Threads>("node:worker_threads");

/** Whether a blocked thread can take a broadcast message (`receiveSync`): Node only (see the module note). */
export const canReceiveSync: boolean = runtime === "node" && threads?.receiveMessageOnPort !== undefined;

/** The class to use: `node:worker_threads`' where there is one (it can be unref'ed on Deno), else the global. */
const Channel: ChannelClass | undefined = threads?.BroadcastChannel ??
  (globalThis as { BroadcastChannel?: ChannelClass }).BroadcastChannel;

/** Whether this runtime has broadcast channels at all. */
export const canBroadcast: boolean = Channel !== undefined;

/**
 * Opens this thread's end of the channel `name`; `listener` gets each
 * message the event loop delivers. The end does not keep the process alive.
 */
export function openBroadcast(name: string, listener: BroadcastListener): Broadcast {
  if (Channel === undefined) throw new TypeError("This runtime has no BroadcastChannel");
  const bc = new Channel(name);
  bc.onmessage = (e) => listener(e.data);
  bc.unref?.();
  const receive = threads?.receiveMessageOnPort;
  return {
    post: (message) => bc.postMessage(message),
    receiveSync: () => canReceiveSync ? receive!(bc) : undefined,
    close: () => bc.close(),
  };
}
