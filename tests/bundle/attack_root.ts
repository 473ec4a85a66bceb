// A worker that imports the whole package as users write it ("sabkit"); the attack test bundles and minifies it.
import * as sabkit from "sabkit";
import { serveAttack } from "./attack_probe.ts";

serveAttack(sabkit.revive, sabkit);
