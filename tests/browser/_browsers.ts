/**
 * Where the browsers of the browser suite are: the system's Chromium and
 * Firefox (Debian's `chromium` and `firefox-esr`), or the binaries named by
 * `SABKIT_CHROMIUM` / `SABKIT_FIREFOX`. No imports beyond node: so
 * scripts/test.ts can ask before it runs the suite.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The browsers the suite runs in, as puppeteer-core names them. */
export const BROWSERS: Record<string, { env: string; paths: string[]; puppeteer: "chrome" | "firefox" }> = {
  chromium: {
    env: "SABKIT_CHROMIUM",
    paths: ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"],
    puppeteer: "chrome",
  },
  firefox: {
    env: "SABKIT_FIREFOX",
    paths: ["/usr/bin/firefox-esr", "/usr/bin/firefox"],
    puppeteer: "firefox",
  },
};

/** How to get them (the command CI's .ci/run runs). */
export const INSTALL_HINT = "apt-get update && apt-get install -y chromium firefox-esr (as root, Debian)";

/** The executable of browser `name`, or `undefined` when it is not installed. */
export function findBrowser(name: string): string | undefined {
  const b = BROWSERS[name];
  const override = process.env[b.env];
  if (override) return existsSync(override) ? override : undefined;
  return b.paths.find((p) => existsSync(p));
}

/** The browser's own version line (`Chromium 156.0…`, `Mozilla Firefox 153.8.0esr`), without the build note. */
export function browserVersion(executable: string): string {
  const r = spawnSync(executable, ["--version"], { encoding: "utf8", timeout: 20000 });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  return line.replace(/ built on .*$/, "").replace(/^Mozilla /, "") || "version unknown";
}
