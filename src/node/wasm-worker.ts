/**
 * A helper thread of the wasm kernels (Node `worker_threads`): runs `runHelper` on what
 * ./threads.ts passes in `workerData` — instantiate the kernels on the caller's shared
 * memory and serve its slice of each split product until told to stop.
 */
import { workerData } from "node:worker_threads";
import { runHelper, type HelperData } from "../backend/wasm/team.js";

runHelper(workerData as HelperData);
