/** Reading the JUnit reports of `deno test`, `bun test` and `node --test` alike. */
import { existsSync, readFileSync } from "node:fs";

/**
 * Counts the leaf test cases of a JUnit report (Deno also lists each
 * `describe` as a case of its own, named as the prefix of its steps).
 */
export function countJunit(file: string): { pass: number; fail: number } {
  if (!existsSync(file)) return { pass: 0, fail: 0 };
  const xml = readFileSync(file, "utf8");
  const cases = [...xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: /\bname="([^"]*)"/.exec(m[1])?.[1] ?? "",
    failed: /\bfailure=/.test(m[1]) || /<(failure|error)\b/.test(m[3] ?? ""),
    skipped: /<skipped\b/.test(m[3] ?? ""),
  }));
  const names = cases.map((c) => c.name);
  let pass = 0;
  let fail = 0;
  for (const c of cases) {
    if (names.some((n) => n.startsWith(`${c.name} &gt; `)) || c.skipped) continue;
    if (c.failed) fail++;
    else pass++;
  }
  return { pass, fail };
}
