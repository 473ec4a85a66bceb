/**
 * The benchmark (bench/bench.ts, unchanged) in headless Chromium or Firefox:
 * `npm run bench -- --only=chromium,firefox` runs this once per browser, as
 * it runs bench.ts on Deno, Bun and Node.
 *
 *   node scripts/bench_browser.ts <chromium|firefox> [--out FILE] [--quick] [--filter=REGEX] [--colors|--no-colors]
 *
 * bench.ts and its workers are bundled by esbuild with its `node:` imports
 * mapped to bench/browser/_node_shims.ts, served on 127.0.0.1 with the cross-
 * origin isolation headers, and started in a dedicated worker of the page:
 * the benchmark's producer side blocks, which a window may not, so "main →
 * worker" is, in a browser, a page's worker → the worker it starts. mitata's
 * output comes back line by line; the results file is written here, with the
 * browser's name and version and this machine's figures (it is the same
 * machine). Exits with the benchmark's own exit code.
 */
import { build, type BuildOptions, type Plugin } from "esbuild";
import { readFile } from "node:fs/promises";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { BROWSERS, browserVersion, findBrowser, INSTALL_HINT } from "../tests/browser/_browsers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = `${ROOT}node_modules/.cache/sabkit/bench-browser/`;
const SHIMS = `${ROOT}bench/browser/_node_shims.ts`;

/** Node's built-in modules, as far as the benchmark uses them, from the shims. */
const SHIM_MODULES: Record<string, string> = {
  process: `import { proc } from ${JSON.stringify(SHIMS)}; export default proc;`,
  os: `import { os } from ${JSON.stringify(SHIMS)}; export default os; export const cpus = os.cpus;`,
  fs: `export { mkdirSync, rmSync, writeFileSync } from ${JSON.stringify(SHIMS)};`,
  path: `export { dirname } from ${JSON.stringify(SHIMS)};`,
  // Read only on Node (the benchmark asks sabkit's runtime layer first).
  worker_threads: "export const Worker = undefined; export const parentPort = null;",
  // mitata's heap probe, in a try: without it, no heap figures.
  v8: "export {};",
  // Its worker pool starts workers on files of its own package, which a bundle does not have (tried: the
  // pool never starts, each row waits out its 30 s start timeout): its rows are errors in the table.
  multithreading:
    `throw new Error("multithreading is not measured in browsers: its pool's workers load files a bundle lacks");`,
  // The Pool rows' peers (imported when their rows run) are Node worker pools.
  piscina: `throw new Error("piscina is not measured in browsers: it runs on node:worker_threads");`,
  tinypool: `throw new Error("tinypool is not measured in browsers: it runs on node:worker_threads");`,
  workerpool:
    `throw new Error("workerpool is not measured in browsers here: its worker script is not bundled");`,
};

const nodeShims: Plugin = {
  name: "node-shims",
  setup(b) {
    b.onResolve({
      filter: /^((node:)?(process|os|fs|path|worker_threads|v8)|multithreading|piscina|tinypool|workerpool)$/,
    }, (args) => ({
      path: args.path.replace(/^node:/, ""),
      namespace: "node-shim",
    }));
    b.onLoad({ filter: /.*/, namespace: "node-shim" }, (args) => ({
      contents: SHIM_MODULES[args.path],
      resolveDir: ROOT,
      loader: "ts",
    }));
  },
};

async function bundle(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  const common: BuildOptions = {
    bundle: true,
    format: "esm",
    platform: "browser",
    logLevel: "warning",
    plugins: [nodeShims],
    // mitata imports these only on Bun and on macOS.
    external: ["bun:jsc", "@mitata/counters"],
  };
  await build({ ...common, entryPoints: [`${ROOT}bench/bench.ts`], outdir: OUT });
  // The workers keep the names the benchmark gives their URLs (`new URL("./_consumer.ts", import.meta.url)`).
  const workers = new Set<string>();
  for (const f of readdirSync(`${ROOT}bench`).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(`${ROOT}bench/${f}`, "utf8");
    for (const m of text.matchAll(/new URL\("\.\/(_\w+\.ts)", import\.meta\.url\)/g)) workers.add(m[1]);
  }
  await build({
    ...common,
    entryPoints: [...workers].map((w) => `${ROOT}bench/${w}`),
    outdir: OUT,
    outExtension: { ".js": ".ts" },
  });
  // sabkit's worker bootstrap and Pool loop, which bench/_pool.ts passes to its pools: one split bundle,
  // so both share one copy of sabkit (as a user ships them, see the README's Browsers section).
  await build({
    ...common,
    splitting: true,
    entryPoints: {
      bootstrap: `${ROOT}src/runtime/bootstrap.ts`,
      pool_worker: `${ROOT}src/pool/_worker.ts`,
    },
    outdir: `${OUT}pool/`,
  });
  writeFileSync(
    `${OUT}index.html`,
    `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>sabkit benchmark</title>
<script type="module">
  const args = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  // In order, one at a time: the driver prints the lines as they come.
  let chain = Promise.resolve();
  const report = (m) => (chain = chain.then(() => fetch("/report", { method: "POST", body: JSON.stringify(m) })));
  const worker = new Worker("./bench.js", { type: "module", name: JSON.stringify({ sabkitBench: args }) });
  worker.onmessage = ({ data }) => report(data);
  worker.onerror = (e) => {
    report({ line: "the benchmark's worker failed: " + e.message });
    report({ exit: 1 });
  };
</script>
`,
  );
}

/** What the page reports: a line of output, a file the benchmark wrote, its exit code. */
interface Report {
  line?: string;
  file?: string;
  text?: string;
  exit?: number;
}

/**
 * Serves OUT with the isolation headers (the workers' files keep their `.ts`
 * names but hold JavaScript) and takes the page's reports.
 */
function serve(onReport: (r: Report) => void) {
  return createServer(async (req, res) => {
    if (req.method === "POST" && req.url === "/report") {
      let body = "";
      req.setEncoding("utf8");
      for await (const chunk of req) body += chunk;
      onReport(JSON.parse(body) as Report);
      res.writeHead(204).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname));
    const file = join(OUT, path.endsWith("/") ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "Content-Type": `${extname(file) === ".html" ? "text/html" : "text/javascript"}; charset=utf-8`,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  }).listen(0, "127.0.0.1");
}

/**
 * The browser's command line. Started directly, not through WebDriver: under
 * WebDriver BiDi (puppeteer), Firefox 153 sometimes never returns from
 * `new Worker()` called in a worker (stuck after 4 to 68 workers in 4 of 4
 * tries; the same page without the driver: 150 of 150, 5 times), and every
 * benchmark scenario starts its workers from the page's worker.
 */
function commandLine(name: string, profile: string, url: string): string[] {
  return BROWSERS[name].puppeteer === "chrome"
    // As root Chromium's sandbox cannot start; --expose-gc as bench/run.ts gives Node and Deno.
    ? [
      "--headless",
      "--no-sandbox",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--js-flags=--expose-gc",
      url,
    ]
    : ["--headless", "--no-remote", "--profile", profile, url];
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const name = argv[0];
  if (!(name in BROWSERS)) throw new Error(`The first argument must be chromium or firefox, got ${name}`);
  const outIndex = argv.indexOf("--out");
  const out = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const quick = argv.includes("--quick");
  const executable = findBrowser(name);
  if (executable === undefined) {
    console.error(`${name} is not installed; install it with ${INSTALL_HINT}`);
    return 1;
  }
  const version = browserVersion(executable).replace(/^\S+ /, "");
  console.log(`${name} ${version} (${executable})`);
  await bundle();
  const files = new Map<string, string>();
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (finish = resolve));
  const server = serve((r) => {
    if (r.line !== undefined) console.log(r.line);
    else if (r.file !== undefined) files.set(r.file, r.text ?? "");
    else if (r.exit !== undefined) finish(r.exit);
  });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const filter = argv.find((a) => a.startsWith("--filter="));
  const args = [
    "--no-colors",
    ...(quick ? ["--quick"] : []),
    ...(filter !== undefined ? [filter] : []),
    ...(out !== undefined ? ["--out", out] : []),
  ];
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html#${
    encodeURIComponent(JSON.stringify(args))
  }`;
  const profile = mkdtempSync(join(os.tmpdir(), `sabkit-bench-${name}-`));
  const loadBefore = os.loadavg();
  const browser = spawn(executable, commandLine(name, profile, url), { stdio: "ignore" });
  const gone = new Promise<void>((resolve) => browser.once("exit", () => resolve()));
  // bench/run.ts allows 2 minutes (quick) or 6 per runtime: end a little before, with a message.
  const limitMs = (quick ? 110 : 340) * 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const code = await Promise.race([
      exited,
      gone.then(() => 1),
      new Promise<number>((resolve) =>
        timer = setTimeout(() => {
          console.error(`The benchmark did not end within ${limitMs / 1000} s in ${name}`);
          resolve(1);
        }, limitMs)
      ),
    ]);
    if (code !== 0 && (browser.exitCode ?? browser.signalCode) !== null) {
      console.error(`${name} exited before the benchmark ended`);
    }
    // A benchmark that ended with a failed row (exit code 1) still wrote its results, as on Node: kept.
    if (out !== undefined && (code === 0 || files.has(out))) {
      const text = files.get(out);
      if (text === undefined) {
        console.error(`The benchmark wrote no ${out}`);
        return 1;
      }
      const result = JSON.parse(text);
      result.runtime = name;
      result.version = version;
      // The same machine as the other runtimes': its figures, as bench.ts gets them on Node.
      result.machine = {
        cores: os.availableParallelism?.() ?? os.cpus().length,
        cpu: os.cpus()[0]?.model ?? "unknown",
        loadavg: { before: loadBefore, after: os.loadavg() },
        os: { platform: os.platform(), arch: os.arch(), release: os.release() },
        memory: os.totalmem(),
      };
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify(result, null, 1));
    }
    return code;
  } finally {
    clearTimeout(timer);
    // Ending the browser ends the benchmark's workers, blocked or not.
    browser.kill();
    await gone;
    server.close();
    server.closeAllConnections();
    rmSync(profile, { recursive: true, force: true });
  }
}

process.exitCode = await main();
