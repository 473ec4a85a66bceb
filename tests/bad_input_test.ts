import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BAD_INPUTS, browserWindow, errorsTable, normalizeTable, runCase } from "./_bad_inputs.ts";

test(`bad input: the catalogue has at least 30 cases (${BAD_INPUTS.length})`, () => {
  assert.ok(BAD_INPUTS.length >= 30);
  const keys = BAD_INPUTS.map((c) => `${c.api} / ${c.input}`);
  assert.equal(new Set(keys).size, keys.length, "every case is listed once");
});

for (const c of BAD_INPUTS) {
  test(`bad input: ${c.api} with ${c.input} → ${c.error.name}`, async () => {
    const { error, before, after } = await runCase(c);
    assert.ok(error instanceof Error, `expected a ${c.error.name}, but nothing was thrown`);
    assert.equal(
      Object.getPrototypeOf(error),
      c.error.prototype,
      `expected exactly a ${c.error.name}, got ${error.constructor.name}: ${error.message}`,
    );
    assert.match(error.message, c.message);
    assert.deepEqual(after, before, "the shared state is unchanged");
  });
}

test("bad input: in a (simulated) browser window, what never blocks still works", () => {
  assert.deepEqual(browserWindow().controls, { tryAcquire: true, setEventWait: true, valueReadWrite: true });
});

test("bad input: docs/errors.md is the table of the catalogue (regenerate: node scripts/errors_table.ts)", async () => {
  const committed = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");
  assert.equal(normalizeTable(committed), normalizeTable(await errorsTable()));
});
