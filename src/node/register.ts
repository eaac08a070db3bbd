/**
 * `node --import rnnkit/node/register`: the Node platform hooks plus RNNKIT_BACKEND and
 * RNNKIT_THREADS applied before the program starts (the test runner and the benchmarks use it).
 */
import { configureFromEnvironment } from "./environment.js";

configureFromEnvironment();
