/**
 * `npm run test:browser`: the browser suite in headless Chromium and Firefox.
 * Bundles tests/browser/suite.ts, its workers and sabkit's bootstrap with
 * esbuild (code splitting, as users ship), and the README's example the way
 * the README says; serves them on 127.0.0.1 with the cross-origin isolation
 * headers; opens each page with puppeteer-core on the system browsers; prints
 * each result and, per browser, `<browser> <version>: N passed, N failed`;
 * ends with `N passed, N failed`.
 *
 *   node scripts/test_browser.ts [chromium] [firefox] [--report=FILE]
 *
 * `--report` (one browser) writes `{ pass, fail }` for scripts/test.ts. A
 * browser that is not installed is skipped with a line saying how to install
 * it, except under `CI=true`, where it is a failure.
 */
import { build, type BuildOptions, type Plugin } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSERS, findBrowser, INSTALL_HINT } from "../tests/browser/_browsers.ts";
import type { PageReport, Result } from "../tests/browser/_harness.ts";
import { serve } from "../tests/browser/example/serve.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = `${ROOT}node_modules/.cache/sabkit/browser/`;
/** The whole suite's time limit in one browser (it takes about 10 s). */
const SUITE_TIMEOUT_MS = 120_000;
const EXAMPLE_TIMEOUT_MS = 30_000;
/** What the browsers log about the modules the suite fails to load on purpose (a missing one, a 404). */
const EXPECTED_NOISE =
  /Failed to load resource: the server responded with a status of 404|Loading Worker from .*\/runtime\/bootstrap\.js.* was blocked because of a disallowed MIME type/;

/** The package's names, resolved to the sources (the suite tests this checkout, not a build of it). */
const sources: Plugin = {
  name: "sabkit-sources",
  setup(b) {
    // tests/_values.ts (the Queue tests' values and checks) asserts with node:assert: a shim here.
    b.onResolve(
      { filter: /^node:assert\/strict$/ },
      () => ({ path: `${ROOT}tests/browser/_node_assert.ts` }),
    );
    b.onResolve({ filter: /^(@sabkit\/sabkit|sabkit)(\/\w+)?$/ }, (args) => {
      const sub = /\/(\w+)$/.exec(args.path.replace(/^@sabkit\//, ""))?.[1];
      return { path: `${ROOT}${sub === undefined ? "mod.ts" : `src/${sub}/mod.ts`}` };
    });
  },
};

async function bundle(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const common: BuildOptions = {
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    sourcemap: "inline",
    logLevel: "warning",
    plugins: [sources],
  };
  // The suite: the page, its worker modules, and sabkit's bootstrap as an entry of its own.
  await build({
    ...common,
    entryPoints: {
      suite: `${ROOT}tests/browser/suite.ts`,
      bootstrap: `${ROOT}src/runtime/bootstrap.ts`,
      "workers/blocking": `${ROOT}tests/browser/workers/blocking.ts`,
      "workers/revive_root": `${ROOT}tests/bundle/revive_root.ts`,
      // Pool: its worker loop as an entry (passed as `workerModule`), and the tasks module.
      pool_worker: `${ROOT}src/pool/_worker.ts`,
      "workers/pool_tasks": `${ROOT}tests/workers/pool_tasks.ts`,
    },
    outdir: OUT,
    chunkNames: "chunks/[name]-[hash]",
  });
  writeFileSync(
    `${OUT}index.html`,
    `<!doctype html>\n<meta charset="utf-8">\n<title>sabkit browser suite</title>\n<script type="module" src="./suite.js"></script>\n`,
  );
  // The README's example, as the README builds it: `esbuild main.ts worker.ts bootstrap=… --bundle
  // --splitting --format=esm --outdir=public` (there the bootstrap is the npm package's build of it).
  const example = `${ROOT}tests/browser/example/`;
  await build({
    ...common,
    sourcemap: false,
    entryPoints: [
      `${example}main.ts`,
      `${example}worker.ts`,
      { in: `${ROOT}src/runtime/bootstrap.ts`, out: "bootstrap" },
    ],
    outdir: `${OUT}example/`,
  });
  copyFileSync(`${example}index.html`, `${OUT}example/index.html`);
}

/** The README must show the example's files as they are (the suite runs these very files). */
function readmeShowsExample(): string | undefined {
  const readme = readFileSync(`${ROOT}README.md`, "utf8");
  for (const file of ["index.html", "main.ts", "worker.ts", "serve.ts"]) {
    const text = readFileSync(`${ROOT}tests/browser/example/${file}`, "utf8");
    if (!readme.includes(text)) return `README.md does not show tests/browser/example/${file} as it is`;
  }
  return undefined;
}

function print(browser: string, r: Result): void {
  if (r.skipped !== undefined) return console.log(`skip ${browser} › ${r.name}: ${r.skipped}`);
  console.log(`${r.ok ? "ok  " : "FAIL"} ${browser} › ${r.name} (${r.ms} ms)`);
  if (!r.ok) console.log(`       ${(r.error ?? "").replaceAll("\n", "\n       ")}`);
}

/** Passed, failed and skipped tests. */
function tally(results: Result[]): { pass: number; fail: number; skip: number } {
  const skip = results.filter((r) => r.skipped !== undefined).length;
  const fail = results.filter((r) => !r.ok).length;
  return { pass: results.length - skip - fail, fail, skip };
}

/** Runs the suite page and the example page in one browser; returns every result. */
async function runIn(name: string, executable: string, origin: string): Promise<Result[]> {
  const { default: puppeteer } = await import("puppeteer-core");
  const results: Result[] = [];
  const t0 = performance.now();
  const browser = await puppeteer.launch({
    browser: BROWSERS[name].puppeteer,
    executablePath: executable,
    headless: true,
    // As root (CI) Chromium's sandbox cannot start; the pages are our own.
    args: BROWSERS[name].puppeteer === "chrome" ? ["--no-sandbox"] : [],
  });
  try {
    const version = await browser.version();
    console.log(`\n${name}: ${version} (${executable}), started in ${Math.round(performance.now() - t0)} ms`);
    const page = await browser.newPage();
    const printed = new Set<string>();
    page.on("console", (m) => {
      const text = m.text();
      // The suite loads a missing worker module on purpose; the browser's note of the 404 is no news.
      if (EXPECTED_NOISE.test(text)) return;
      if (!text.startsWith("sabkit:result ")) return console.log(`  [${name} console] ${text}`);
      const r = JSON.parse(text.slice("sabkit:result ".length)) as Result;
      printed.add(r.name);
      print(name, r);
    });
    page.on("pageerror", (e) => {
      if (!EXPECTED_NOISE.test(String(e))) console.log(`  [${name} page error] ${String(e)}`);
    });
    await page.goto(`${origin}/index.html?browser=${name}`);
    try {
      await page.waitForFunction(
        () => (globalThis as unknown as { __sabkit?: PageReport }).__sabkit?.done === true,
        { timeout: SUITE_TIMEOUT_MS, polling: 100 },
      );
    } catch (e) {
      results.push({ name: "the suite finished in time", ok: false, ms: SUITE_TIMEOUT_MS, error: String(e) });
    }
    const report = await page.evaluate(() => (globalThis as unknown as { __sabkit?: PageReport }).__sabkit);
    for (const r of report?.results ?? []) {
      if (!printed.has(r.name)) print(name, r);
      results.push(r);
    }
    if ((report?.results.length ?? 0) === 0) {
      results.push({ name: "the suite page ran", ok: false, ms: 0, error: "no result came from the page" });
    }

    // The README's example: its page writes the count into <output>.
    const e0 = performance.now();
    const example = await browser.newPage();
    example.on("pageerror", (e) => console.log(`  [${name} example page error] ${String(e)}`));
    let error: string | undefined = readmeShowsExample();
    try {
      await example.goto(`${origin}/example/`);
      await example.waitForFunction(
        () =>
          (globalThis as unknown as { document: Document }).document.querySelector("output")?.textContent !==
            "",
        { timeout: EXAMPLE_TIMEOUT_MS, polling: 50 },
      );
      const text = await example.evaluate(() =>
        (globalThis as unknown as { document: Document }).document.querySelector("output")?.textContent
      );
      if (text !== "41000") {
        error = `${error ?? ""}\nthe example printed ${JSON.stringify(text)}, expected "41000"`;
      }
    } catch (e) {
      error = `${error ?? ""}\n${String(e)}`;
    }
    const r = {
      name: "the README's example (page + worker, bundled) counts 41000",
      ok: !error,
      ms: 0,
      error,
    };
    r.ms = Math.round(performance.now() - e0);
    print(name, r);
    results.push(r);
    const { pass, fail, skip } = tally(results);
    const ms = Math.round(performance.now() - t0);
    console.log(
      `${name} ${version}: ${pass} passed, ${fail} failed${skip > 0 ? `, ${skip} skipped` : ""} (${ms} ms)`,
    );
  } finally {
    // Closing the browser ends every page and worker it had.
    await browser.close();
  }
  return results;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const report = args.find((a) => a.startsWith("--report="))?.slice("--report=".length);
  const names = args.filter((a) => !a.startsWith("--"));
  for (const n of names) if (!(n in BROWSERS)) throw new Error(`Unknown browser ${n}: chromium or firefox`);
  const wanted = names.length > 0 ? names : Object.keys(BROWSERS);
  if (report !== undefined && wanted.length !== 1) throw new Error("--report needs exactly one browser");
  const ci = process.env.CI === "true";

  await bundle();
  const server = serve(OUT, 0);
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let pass = 0;
  let fail = 0;
  let skip = 0;
  try {
    for (const name of wanted) {
      const executable = findBrowser(name);
      if (executable === undefined) {
        const line = `${name}: not installed; install it with ${INSTALL_HINT}`;
        if (ci) {
          console.log(`FAIL ${line} (CI=true: a missing browser is a failure)`);
          fail++;
        } else {
          console.log(`skipped ${line}`);
        }
        continue;
      }
      try {
        const t = tally(await runIn(name, executable, origin));
        pass += t.pass;
        fail += t.fail;
        skip += t.skip;
      } catch (e) {
        console.log(`FAIL ${name}: ${(e as Error).stack ?? e}`);
        fail++;
      }
    }
  } finally {
    server.close();
    server.closeAllConnections();
  }
  if (report !== undefined) {
    mkdirSync(dirname(resolve(report)), { recursive: true });
    writeFileSync(report, JSON.stringify({ pass, fail }));
  }
  console.log(`\n${pass} passed, ${fail} failed${skip > 0 ? `, ${skip} skipped` : ""}`);
  return fail === 0 ? 0 : 1;
}

process.exitCode = await main();
