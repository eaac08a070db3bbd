#!/usr/bin/env node
/**
 * The repository's `rnnkit` command line: the published commands plus `repro`, which reruns
 * the classic experiments (their plotting and data dependencies are development
 * dependencies of this repository, not of the package). `npm start` runs `repro all --quick`.
 */
import { configureFromEnvironment } from "../node/environment.js";
import { makeProgram, runProgram } from "../cli/program.js";
import { repro } from "./repro.js";

configureFromEnvironment();
const program = makeProgram();
program
  .command("repro")
  .description("rerun a classic experiment and write reports/<name>/ (results.json, report.md, plots); 'all --quick' runs every one briefly")
  .argument("[words...]", "an experiment name or 'all', then --quick, --out DIR, --progress MODE and --key value settings; see repro --help")
  .allowUnknownOption()
  .helpOption(false)
  .action(async (words: string[]) => {
    process.exitCode = await repro(words);
  });

void runProgram(program);
