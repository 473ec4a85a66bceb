// A worker that imports only `revive`, from the package root; the test bundles it.
import { revive } from "../../mod.ts";
import { serve } from "./_exercise.ts";

serve(revive);
