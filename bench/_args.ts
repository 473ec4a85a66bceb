/**
 * The options of `npm run bench` (`bench/run.ts`), checked before anything
 * runs or is written: a mistyped runtime or a bad count is an error, never a
 * run of nothing that overwrites the results with an empty table.
 *
 * @module
 */

/** What `bench/run.ts` was asked to do. */
export interface BenchArgs {
  /** `--quick`: a smoke run. */
  quick: boolean;
  /** `--report`: also write `bench/RESULTS.md`. */
  document: boolean;
  /** `--rebuild`: measure nothing, rebuild the table from `bench/results/`. */
  rebuild: boolean;
  /** `--no-fail`: exit 0 even if a target is missed (a broken run still fails). */
  noFail: boolean;
  /** `--only=…`: the runtimes asked for, or `undefined` for all. */
  only: string[] | undefined;
  /** `--repeat=N`: runs per runtime (5 with `--report` unless told). */
  repeat: number;
  /** `--filter=REGEX`: only the rows it matches (section or name, e.g. `queue`); `undefined` for all. */
  filter: string | undefined;
}

const USAGE =
  "expected --quick, --only=RUNTIME[,RUNTIME…], --repeat=N (N a whole number from 1 to 100), --filter=REGEX, --report, --rebuild, --no-fail";

/**
 * Parses the runner's arguments. `runtimes` are the names `--only` accepts.
 *
 * @throws {Error} For an unknown option, an unknown or empty `--only` list, a `--repeat` that is not a whole number from 1 to 100, or a `--filter` that is empty or not a regular expression.
 */
export function parseBenchArgs(argv: readonly string[], runtimes: readonly string[]): BenchArgs {
  const flags = ["--quick", "--report", "--rebuild", "--no-fail"];
  const unknown = argv.filter((a) => !flags.includes(a) && !/^--(only|repeat|filter)=/.test(a));
  if (unknown.length > 0) throw new Error(`Unknown option ${unknown.join(" ")}: ${USAGE}`);
  const valueOf = (name: string): string | undefined => {
    const given = argv.filter((a) => a.startsWith(`--${name}=`));
    if (given.length > 1) throw new Error(`--${name} is given ${given.length} times: give it once`);
    return given[0]?.slice(name.length + 3);
  };
  const onlyArg = valueOf("only");
  let only: string[] | undefined;
  if (onlyArg !== undefined) {
    only = onlyArg.split(",");
    const bad = only.filter((r) => !runtimes.includes(r));
    if (only.length === 0 || bad.length > 0) {
      throw new Error(
        `--only=${onlyArg}: unknown runtime ${bad.map((r) => JSON.stringify(r)).join(", ")}; known: ${
          runtimes.join(", ")
        }`,
      );
    }
  }
  const document = argv.includes("--report");
  const repeatArg = valueOf("repeat");
  const repeat = repeatArg === undefined ? (document ? 5 : 1) : Number(repeatArg);
  if (!/^\d+$/.test(repeatArg ?? "1") || !Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw new Error(`--repeat=${repeatArg}: ${USAGE}`);
  }
  const filter = valueOf("filter");
  if (filter !== undefined) {
    let ok = filter !== "";
    try {
      new RegExp(filter, "i");
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`--filter=${filter}: not a regular expression; ${USAGE}`);
  }
  return {
    quick: argv.includes("--quick"),
    document,
    rebuild: argv.includes("--rebuild"),
    noFail: argv.includes("--no-fail"),
    only,
    repeat,
    filter,
  };
}
