/**
 * A module that ends its worker while it loads. Deno ignores an exit called
 * during a dynamic import's evaluation, so the target must still not run.
 */
(globalThis as unknown as { process: { exit(code: number): void } }).process.exit(7);

/** The target: must never run. */
export default function target(flags: Int32Array): void {
  Atomics.add(flags, 0, 1);
}
