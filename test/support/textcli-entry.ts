/**
 * Test support: the `rnnkit` program with `train text` and `info` registered, as the
 * tests spawn it: node --import <build>/src/node/register.js textcli-entry.js ARGS…
 */
import { Command } from "commander";
import { makeProgram, runProgram } from "../../src/cli/program.js";
import { trainTextCommand } from "../../src/cli/train-text.js";
import { infoCommand } from "../../src/cli/info.js";

/** makeProgram() plus the text-training commands (added only where the program lacks them). */
export function textProgram(): Command {
  const program = makeProgram();
  let train = program.commands.find((c) => c.name() === "train");
  if (train === undefined) {
    train = new Command("train").description("train a model on your data");
    program.addCommand(train);
  }
  if (!train.commands.some((c) => c.name() === "text")) train.addCommand(trainTextCommand());
  if (!program.commands.some((c) => c.name() === "info")) program.addCommand(infoCommand());
  return program;
}

if (process.argv[1]?.endsWith("textcli-entry.js")) runProgram(textProgram());
