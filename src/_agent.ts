/**
 * Agent identity. `threadId` cannot be trusted (it is 0 in every Deno web
 * worker), so ids come from one counter in shared memory: the id domain.
 * Every handle carries the domain, so an agent that revives any sabkit
 * object joins it; `Process` also hands each worker an id drawn by its parent.
 *
 * @module
 */

const DOMAIN_MAGIC = 0x5ab0d0;
const MAGIC = 0;
const NEXT_ID = 1;
/** How many agents have been marked exited: lets waiters notice a death cheaply. */
const EXITS = 2;
/**
 * How many async waiters, in all agents, gave up (abort, timeout) while the
 * engine still has them queued on a futex word: a notify may land on one of
 * them, so notifiers wake that many more (see `wake` in `_wait.ts`).
 */
const ABANDONED = 3;
const HEADER_WORDS = 16;
/** Agents with ids below this have an exit bit; later ones are never reported dead. */
const TRACKED_IDS = 1 << 20;
const DOMAIN_BYTES = HEADER_WORDS * 4 + TRACKED_IDS / 8;

let domain: Int32Array | undefined;
let adopted = false;
let id = 0;

/** The id domain's memory, created here if this agent has none yet. */
export function domainBuffer(): SharedArrayBuffer {
  if (domain === undefined) {
    domain = new Int32Array(new SharedArrayBuffer(DOMAIN_BYTES));
    domain[MAGIC] = DOMAIN_MAGIC;
    domain[NEXT_ID] = 1;
  }
  return domain.buffer as SharedArrayBuffer;
}

/** Whether `x` is the memory of an id domain. */
export function isDomain(x: unknown): x is SharedArrayBuffer {
  return x instanceof SharedArrayBuffer && x.byteLength === DOMAIN_BYTES &&
    Atomics.load(new Int32Array(x), MAGIC) === DOMAIN_MAGIC;
}

/**
 * Joins the domain a received handle came from. Only the first domain seen
 * counts, and only before this agent has drawn an id from a domain of its own.
 */
export function adoptDomain(buffer: SharedArrayBuffer): void {
  if (adopted || id !== 0) return;
  domain = new Int32Array(buffer);
  adopted = true;
}

/**
 * The largest agent id: a lock word holds its holder's id shifted left by
 * one (`_mutex.ts`), which must stay a positive Int32.
 */
export const MAX_AGENT_ID: number = 2 ** 30 - 1;

/** Draws a fresh id from this agent's domain (for a worker about to start). */
export function drawId(): number {
  domainBuffer();
  const next = Atomics.add(domain!, NEXT_ID, 1);
  if (next <= 0 || next > MAX_AGENT_ID) {
    Atomics.sub(domain!, NEXT_ID, 1);
    throw new RangeError(`The agent id space is exhausted (${MAX_AGENT_ID} agents)`);
  }
  return next;
}

/** Installs the id a parent drew for this agent (worker bootstrap only). */
export function setAgent(buffer: SharedArrayBuffer, agentId: number): void {
  domain = new Int32Array(buffer);
  adopted = true;
  id = agentId;
}

/** This agent's id: unique among all agents of the program, never 0. */
export function agentId(): number {
  if (id === 0) id = drawId();
  return id;
}

/** Records that an agent has ended (called by `Process` when its worker exits). */
export function markExited(agent: number): void {
  if (agent <= 0 || agent >= TRACKED_IDS) return;
  domainBuffer();
  const bit = 1 << (agent & 31);
  if ((Atomics.or(domain!, HEADER_WORDS + (agent >>> 5), bit) & bit) === 0) Atomics.add(domain!, EXITS, 1);
}

/**
 * How many agents have exited so far. Nobody notifies a waiter when a
 * worker dies: a waiter that polls this learns when to look for dead peers.
 */
export function exitCount(): number {
  return domain === undefined ? 0 : Atomics.load(domain, EXITS);
}

/** Whether an agent is known to have ended. Untracked ids never are. */
export function hasExited(agent: number): boolean {
  if (agent <= 0 || agent >= TRACKED_IDS || domain === undefined) return false;
  return (Atomics.load(domain, HEADER_WORDS + (agent >>> 5)) & (1 << (agent & 31))) !== 0;
}

/** Adds `delta` to the count of abandoned async waiters (see {@linkcode ABANDONED}). */
export function addAbandoned(delta: number): void {
  domainBuffer();
  Atomics.add(domain!, ABANDONED, delta);
}

/** How many async waiters are abandoned but may still take a notify (never negative). */
export function abandonedCount(): number {
  if (domain === undefined) return 0;
  const n = Atomics.load(domain, ABANDONED);
  return n > 0 ? n : 0;
}
