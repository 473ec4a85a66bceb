/**
 * Writes docs/errors.md, the table of the bad-input catalogue
 * (tests/_bad_inputs.ts), with the message each case really gives. The page
 * is generated, so `deno fmt` leaves it alone (deno.json); `tests/bad_input_test.ts`
 * checks the committed page against the catalogue. Run: `node scripts/errors_table.ts`.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errorsTable } from "../tests/_bad_inputs.ts";

const page = fileURLToPath(new URL("../docs/errors.md", import.meta.url));
writeFileSync(page, await errorsTable());
console.log(`Wrote ${page}`);
// Workers or handles the catalogue made must not keep this script alive.
process.exit(0);
