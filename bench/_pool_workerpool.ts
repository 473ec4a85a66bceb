/** workerpool's worker for the Pool benchmark: the tasks of `_pool_tasks.ts`. */
import workerpool from "workerpool";
import { add, square, squareAll, work } from "./_pool_tasks.ts";

workerpool.worker({ add, square, squareAll, work });
