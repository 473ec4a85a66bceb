/**
 * A Pool of workers: `map` in chunks, `apply`, `imapUnordered`, and a task
 * whose worker dies (it rejects; the pool replaces the worker and goes on).
 * Run: `npx deno run --allow-read examples/pool.ts`, `npx bun examples/pool.ts`,
 * `npx node examples/pool.ts`.
 */
import * as mp from "../mod.ts";

const tasks = new URL("./pool_tasks.ts", import.meta.url);
{
  await using pool = new mp.Pool(tasks, { processes: 2 });
  const xs = Array.from({ length: 100_000 }, (_, i) => i);
  const squares = await pool.map<number>("square", xs, { chunksize: 10_000 });
  console.log(squares.at(-1)); // 9999800001
  console.log(await pool.apply("add", [2, 3])); // 5
  for await (const n of pool.imapUnordered<number>("primesBelow", [100_000, 10, 1000])) console.log(n);
  try {
    await pool.apply("crash", [3]);
  } catch (e) {
    console.log(e instanceof mp.WorkerExitError, (e as mp.WorkerExitError).exitCode); // true 3
  }
  console.log(await pool.apply("add", [1, 1])); // 2: a new worker took its place
} // await using: close() and join()
