/**
 * The one table of kinds: every kind of sabkit object, by the name its
 * handle carries, and its tag (the first word of its memory is
 * `MAGIC_BASE + tag`, see `_handle.ts`). A new primitive adds one row here
 * and defines its kind in a `static` block of its class; the table is
 * checked when it loads, so a duplicate tag throws at once.
 *
 * @module
 */

/** The tag of every kind, by name. Tags are never reused: a handle from an older build must not revive as another kind. */
export const KIND_TAGS = {
  Lock: 1,
  RLock: 2,
  Semaphore: 3,
  BoundedSemaphore: 4,
  Condition: 5,
  Event: 6,
  Barrier: 7,
  RawValue: 8,
  SynchronizedValue: 9,
  SynchronizedArray: 10,
  Channel: 11,
  FloatChannel: 12,
  RwLock: 13,
  LockManager: 14,
  Queue: 15,
  SimpleQueue: 16,
  JoinableQueue: 17,
  Connection: 18,
} as const;

/** The name of a kind of sabkit object. */
export type KindName = keyof typeof KIND_TAGS;

/** The kind names, by tag. */
export const KIND_NAMES: ReadonlyMap<number, KindName> = namesByTag();

function namesByTag(): Map<number, KindName> {
  const names = new Map<number, KindName>();
  for (const [name, tag] of Object.entries(KIND_TAGS) as [KindName, number][]) {
    const other = names.get(tag);
    if (other !== undefined) throw new Error(`sabkit: the kinds ${other} and ${name} share the tag ${tag}`);
    names.set(tag, name);
  }
  return names;
}
