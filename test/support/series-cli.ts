/**
 * A small `rnnkit` with the series commands (`train series`, `forecast`), for their tests
 * until the published program adds them: errors print `rnnkit: …` and exit 2, as there.
 */
import { Command } from "commander";
import { configureFromEnvironment } from "../../src/node/environment.js";
import { forecastCommand, trainSeriesCommand } from "../../src/cli/series.js";

configureFromEnvironment();
const program = new Command("rnnkit");
program.addCommand(new Command("train").description("train a model").addCommand(trainSeriesCommand()));
program.addCommand(forecastCommand());
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`rnnkit: ${(e as Error).message}`);
  process.exitCode = 2;
});
