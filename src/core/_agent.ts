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
/** How many entries of the nested-process table are taken (0: skip the scan). */
const NESTED_USED = 4;
const HEADER_WORDS = 16;
/** Agents with ids below this have an exit bit; later ones are never reported dead. */
const TRACKED_IDS = 1 << 20;
/**
 * The nested-process table: (child, parent) pairs of the workers that
 * workers started. The runtime ends a worker's workers with it, and nobody
 * else sees them go: marking an agent exited marks its children too.
 */
const NESTED = HEADER_WORDS + TRACKED_IDS / 32;
const NESTED_ENTRIES = 4096;
const DOMAIN_BYTES = (NESTED + 2 * NESTED_ENTRIES) * 4;

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
  started = true;
}

/** Whether this agent is a worker started by `Process` (its id came from its parent). */
let started = false;

/**
 * Records that this agent, itself a `Process` worker, starts the worker
 * `child`, so that `child` is marked exited along with this agent. Past
 * {@linkcode NESTED_ENTRIES} nested workers at a time, the rest go
 * unrecorded (their locks then wait for a timeout rather than report
 * `OwnerDiedError` when their parent dies).
 */
export function recordChild(child: number): void {
  if (!started || child >= TRACKED_IDS) return;
  const d = domain!;
  for (let e = 0; e < NESTED_ENTRIES; e++) {
    const at = NESTED + 2 * e;
    // The parent first: an entry whose child word is set is complete.
    if (Atomics.load(d, at) !== 0 || Atomics.compareExchange(d, at + 1, 0, -1) !== 0) continue;
    Atomics.store(d, at + 1, id);
    Atomics.store(d, at, child);
    Atomics.add(d, NESTED_USED, 1);
    return;
  }
}

/** This agent's id: unique among all agents of the program, never 0. */
export function agentId(): number {
  if (id === 0) id = drawId();
  return id;
}

/** Records that an agent has ended (called by `Process` when its worker exits). */
export function markExited(agent: number): void {
  if (agent <= 0 || agent >= TRACKED_IDS) return;
  const d = new Int32Array(domainBuffer());
  const pending = [agent];
  while (pending.length > 0) {
    const a = pending.pop()!;
    const bit = 1 << (a & 31);
    if ((Atomics.or(d, HEADER_WORDS + (a >>> 5), bit) & bit) === 0) Atomics.add(d, EXITS, 1);
    if (Atomics.load(d, NESTED_USED) === 0) continue;
    // Its own entry goes, and its children (ended by the runtime along with it) follow it.
    for (let e = 0; e < NESTED_ENTRIES; e++) {
      const at = NESTED + 2 * e;
      const child = Atomics.load(d, at);
      if (child === 0) continue;
      const parent = Atomics.load(d, at + 1);
      if (child !== a && parent !== a) continue;
      if (Atomics.compareExchange(d, at, child, 0) !== child) continue;
      Atomics.store(d, at + 1, 0);
      Atomics.sub(d, NESTED_USED, 1);
      if (parent === a) pending.push(child);
    }
  }
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
