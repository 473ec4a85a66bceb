import { Lock, SynchronizedArray, type SynchronizedString } from "../../mod.ts";

/**
 * Reports how each posted object (users' subclasses among them) arrived as a
 * Process arg: its kind, its class, its typecode; the report is JSON written
 * into `out`. Also takes `lock` once, so the parent sees the memory is shared.
 */
export default function report(
  items: Record<string, object>,
  lock: Lock,
  out: SynchronizedString<"u">,
): void {
  const seen: Record<string, unknown> = {};
  for (const [key, x] of Object.entries(items)) {
    seen[key] = {
      kind: (x as { __sabkit: { kind: string } }).__sabkit.kind,
      cls: x.constructor.name,
      typecode: x instanceof SynchronizedArray ? x.typecode : undefined,
    };
  }
  if (!(lock instanceof Lock) || !lock.acquire({ blocking: false })) {
    throw new Error("The lock did not arrive free");
  }
  out.value = JSON.stringify(seen);
}
