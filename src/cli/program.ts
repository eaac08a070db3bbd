/**
 * The commands of the `rnnkit` command line (thin: parses arguments and calls library
 * functions), shared by the published entry (./main.ts) and the repository's, which adds
 * `repro` (src/experiments/cli.ts).
 */
import { Command, Option } from "commander";
import { checkFixtures } from "./check-fixtures.js";
import { runDemo } from "./demo.js";
import { parseNumber, sampleFromFile, type SampleArgs } from "./sample.js";

/** The program with every published command. */
export function makeProgram(): Command {
  const program = new Command();
  program.name("rnnkit").description("Recurrent neural networks (RNN, LSTM, GRU) from their equations.");

  program
    .command("check-fixtures")
    .description("check the library against PyTorch reference fixtures (files or directories of the fixture format)")
    .argument("<paths...>", "fixture files or directories")
    .addOption(new Option("--dtype <dtype>", "precision to run in").choices(["float32", "float64", "both"]).default("float32"))
    .option("--json", "one JSON line per case", false)
    .option("-q, --quiet", "print only failing cases and the summary", false)
    .action((paths: string[], opts: { dtype: "float32" | "float64" | "both"; json: boolean; quiet: boolean }) => {
      process.exitCode = checkFixtures(paths, opts);
    });

  program
    .command("demo")
    .description("train a small LSTM on a built-in task and print its loss falling")
    .option("--seed <n>", "random seed", "1")
    .option("--steps <n>", "training steps", "200")
    .action((opts: { seed: string; steps: string }) => {
      const seed = parseNumber("seed", opts.seed, Number.isInteger, "an integer", "demo");
      const steps = parseNumber("steps", opts.steps, (v) => Number.isInteger(v) && v >= 1, "a positive integer", "demo");
      runDemo({ seed, steps });
    });

  program
    .command("sample")
    .description("generate text from a saved character model (one with its vocabulary in the metadata, as `repro charnn` saves)")
    .argument("<model-file>", "a model file, e.g. reports/charnn/charnn-lstm.safetensors")
    .option("--prime <text>", "text the model reads first and that starts the output (default: start from a newline)")
    .option("--temperature <t>", "softmax temperature; 0 = always the most likely character", "0.8")
    .option("--length <n>", "characters to generate", "500")
    .option("--seed <n>", "random seed of the sampling", "0")
    .action((file: string, opts: SampleArgs) => {
      process.stdout.write(`${sampleFromFile(file, opts)}\n`);
    });
  return program;
}

/** Runs `program` on the process's arguments; an error prints one line and exits 2. */
export function runProgram(program: Command): void {
  program.parseAsync(process.argv).catch((e: unknown) => {
    console.error(`rnnkit: ${(e as Error).message}`);
    process.exitCode = 2;
  });
}
