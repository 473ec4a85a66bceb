/**
 * The npm build: `tsc` emits ESM `.js` and `.d.ts` into `dist/`. tsc rewrites
 * relative `.ts` specifiers in JavaScript but leaves them in declarations, so
 * they are rewritten here.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync("tsc", ["-p", "tsconfig.build.json"], { stdio: "inherit", shell: false });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

const specifier = /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g;
let rewritten = 0;
for (const file of files("dist")) {
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  const next = text.replace(specifier, (_, head, path, tail) => `${head}${path}.js${tail}`);
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
console.log(`build: dist/ written, ${rewritten} declaration files rewritten`);
