/**
 * The commands of the `rnnkit` command line (thin: parses arguments and calls library
 * functions), shared by the published entry (./main.ts) and the repository's, which adds
 * `repro` (src/experiments/cli.ts).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { checkFixtures } from "./check-fixtures.js";
import { runDemo } from "./demo.js";
import { parseNumber, sampleFromFile, type SampleArgs } from "./sample.js";
import { describeError, EXIT } from "./paths.js";
import { trainTextCommand } from "./train-text.js";
import { forecastCommand, trainSeriesCommand } from "./series.js";
import { infoCommand } from "./info.js";
import { predictCommand } from "./predict.js";
import { convertCommand } from "./convert.js";
import { buildNativeCommand } from "./build-native.js";

/** The package's version, from the package.json next to the build (build/src/cli/ → ../../../). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The exit codes, as every command's help shows them. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  a check failed (check-fixtures: a case failed, errored or is not supported)
  2  a usage or data error (an unknown option, a bad value, a missing or unreadable file)`;

/** Adds an example section to a command's help. */
function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText("after", `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}`).join("\n")}`);
}

/** The program with every published command. */
export function makeProgram(): Command {
  const program = new Command();
  program
    .name("rnnkit")
    .description("Recurrent neural networks (RNN, LSTM, GRU) from their equations.")
    .version(packageVersion(), "-V, --version", "print the version of rnnkit and exit")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .addHelpText("after", `${EXIT_CODES_HELP}\n\nRun 'rnnkit <command> --help' for a command's options and an example.`);

  const checkCommand = program
    .command("check-fixtures")
    .description("check the library against PyTorch reference fixtures (files or directories of the fixture format)")
    .argument("<paths...>", "fixture files or directories")
    .addOption(new Option("--dtype <dtype>", "precision to run in").choices(["float32", "float64", "both"]).default("float32"))
    .option("--json", "one JSON line per case", false)
    .option("-q, --quiet", "print only failing cases and the summary", false)
    .action((paths: string[], opts: { dtype: "float32" | "float64" | "both"; json: boolean; quiet: boolean }) => {
      process.exitCode = checkFixtures(paths, opts);
    });
  examples(checkCommand, "rnnkit check-fixtures test/fixtures --dtype both --quiet");

  const demoCommand = program
    .command("demo")
    .description("train a small LSTM on a built-in task and print its loss falling")
    .option("--seed <n>", "random seed", "1")
    .option("--steps <n>", "training steps", "200")
    .action((opts: { seed: string; steps: string }) => {
      const seed = parseNumber("seed", opts.seed, Number.isInteger, "an integer", "demo");
      const steps = parseNumber("steps", opts.steps, (v) => Number.isInteger(v) && v >= 1, "a positive integer", "demo");
      runDemo({ seed, steps });
    });
  examples(demoCommand, "rnnkit demo --steps 100 --seed 2");

  const sampleCommand = program
    .command("sample")
    .description("generate text from a saved character model (one with its vocabulary in the metadata, as `repro charnn` saves)")
    .argument("<model-file>", "a model file, e.g. reports/charnn/charnn-lstm.safetensors")
    .option("--prime <text>", "text the model reads first and that starts the output (default: none, start from a newline)")
    .option("--temperature <t>", "softmax temperature; 0 = always the most likely character", "0.8")
    .option("--length <n>", "characters to generate", "500")
    .option("--seed <n>", "random seed of the sampling", "0")
    .action((file: string, opts: SampleArgs) => {
      process.stdout.write(`${sampleFromFile(file, opts)}\n`);
    });
  examples(sampleCommand, "rnnkit sample reports/charnn/charnn-lstm.safetensors --prime 'The ' --length 200");

  const trainCommand = program
    .command("train")
    .description("train a model on your own data: a character model on a text file, or a forecaster on CSV columns");
  trainCommand.addCommand(examples(trainTextCommand(), "rnnkit train text input.txt --minutes 10 --out shakespeare.safetensors"));
  trainCommand.addCommand(examples(trainSeriesCommand(), "rnnkit train series airline-passengers.csv --target Passengers --out airline.safetensors"));
  examples(trainCommand, "rnnkit train text input.txt --minutes 10", "rnnkit train series sales.csv --target units --window 12");
  program.addCommand(examples(forecastCommand(), "rnnkit forecast airline.safetensors airline-passengers.csv --steps 24 -o forecast.csv --plot forecast.png"));
  program.addCommand(examples(infoCommand(), "rnnkit info shakespeare.safetensors"));
  program.addCommand(examples(
    predictCommand(),
    "rnnkit predict classifier.safetensors x.npy -o y.npy",
    "rnnkit predict shakespeare.safetensors ids.npy",
  ));
  program.addCommand(examples(
    convertCommand(packageVersion()),
    "rnnkit convert classifier.safetensors classifier.onnx",
  ));
  program.addCommand(examples(buildNativeCommand(), "rnnkit build-native", "CC=clang rnnkit build-native"));
  for (const command of program.commands) sameErrorHandling(command);
  return program;
}

/**
 * Commands made apart and added (`addCommand` copies no settings) hand commander's errors to
 * `runProgram` as the program's own do, which exits 2.
 */
function sameErrorHandling(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) sameErrorHandling(sub);
}

/**
 * Runs `program` on `argv` (the process's arguments by default) and sets the exit code:
 * --help and --version exit 0; a usage error (commander has already printed it) and any
 * error a command throws (printed here as one line) exit 2; a command sets 1 itself
 * when a check fails.
 */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    console.error(`rnnkit: ${describeError(e)}`);
    process.exitCode = EXIT.usage;
  }
}
