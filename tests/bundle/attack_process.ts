// A worker that imports only `revive` from "sabkit/process"; the attack test bundles and minifies it.
import { revive } from "sabkit/process";
import { serveAttack } from "./attack_probe.ts";

serveAttack(revive);
