// A worker that imports only `revive`, from the /process entrypoint; the test bundles it.
import { revive } from "../../src/process/mod.ts";
import { serve } from "./_exercise.ts";

serve(revive);
