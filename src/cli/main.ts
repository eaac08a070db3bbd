#!/usr/bin/env node
/**
 * The `rnnkit` command line as the package installs it: RNNKIT_BACKEND / RNNKIT_THREADS
 * applied, then the commands of ./program.ts.
 */
import { configureFromEnvironment } from "../node/environment.js";
import { makeProgram, runProgram } from "./program.js";

configureFromEnvironment();
void runProgram(makeProgram());
