/**
 * `rnnkit train series FILE.csv --target COL …` and `rnnkit forecast MODEL FILE.csv --steps N`:
 * a forecaster on the numeric columns of a user's CSV file (src/train/forecaster.ts says how
 * trend and seasonality are handled), and multi-step forecasts from the end of a file.
 *
 * Everything the data or the options could refuse is checked before training or writing:
 * a bad cell (line and column), an unknown column (the columns listed), data too short for
 * the window, horizon and splits (the numbers and the option to change), a missing file.
 * The command objects are exported for the program to add: `trainSeriesCommand()` (named
 * "series", to go under `train`) and `forecastCommand()`.
 */
import { dirname, extname, resolve } from "node:path";
import { existsSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import {
  columnIndex, CsvDataError, extendTime, findTimeColumn, numericColumn, readTimeAxis, seasonFromAutocorrelation, seasonFromStep,
  type CsvTable, type FillMethod, type TimeAxis,
} from "../data/csv.js";
import {
  baselines, CONFIG_KEY, fitState, forecastSeries, lagOf, oneStepPredictions, readSeriesState, rmse, SERIES_KEY, splitProblem,
  trainForecaster, type ForecasterSettings, type SeriesSplit, type SeriesState, type SeriesTransform,
} from "../train/forecaster.js";
import { SequenceToVector } from "../nn/topologies.js";
import type { CellKind } from "../ops/recurrent.js";
import { checkInputFile, readCsvFile } from "../node/csv-files.js";
import { checkWritableDir, writeFileAtomic } from "../node/atomic.js";
import { loadModel, saveModel } from "../node/files.js";
import { terminalProgress, type ProgressMode } from "../node/progress.js";
import { lineChart, type LineSeries } from "../plot/line-chart.js";
import { PNG_UNAVAILABLE, svgToPng } from "../node/png.js";

/** `train series` options as commander hands them over. */
export interface TrainSeriesArgs {
  target?: string;
  inputs?: string;
  time?: string;
  window: string;
  horizon: string;
  cell: CellKind;
  hidden: string;
  layers: string;
  epochs: string;
  patience: string;
  lr: string;
  batch: string;
  validation: string;
  test: string;
  seed: string;
  fill: FillMethod;
  transform: SeriesTransform;
  season?: string;
  out: string;
  report?: string;
  progress?: ProgressMode;
  json: boolean;
}

/** The defaults of `train series` (chosen on the airline series; docs/results/airline). */
export const SERIES_DEFAULTS = {
  window: "12", horizon: "1", cell: "lstm", hidden: "32", layers: "1", epochs: "150", patience: "30", lr: "0.01", batch: "16",
  validation: "0.1", test: "0.2", seed: "0", fill: "none", transform: "seasonal", out: "model.safetensors",
} as const;

function num(cmd: string, name: string, raw: string, check: (v: number) => boolean, want: string): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || !check(v)) throw new Error(`${cmd}: --${name} must be ${want}, got '${raw}'`);
  return v;
}
const posInt = (cmd: string, name: string, raw: string) => num(cmd, name, raw, (v) => Number.isInteger(v) && v >= 1, "a positive integer");

/** A part of the rows: a fraction of all rows when below 1, else a whole count. */
function rowsOf(name: string, raw: string, n: number): number {
  const v = num("train series", name, raw, (x) => x >= 0 && (x < 1 || Number.isInteger(x)), "a fraction in [0, 1) or a whole number of rows");
  return v < 1 ? Math.round(v * n) : v;
}

/** The time axis's steps as text, for the printed configuration. */
function describeStep(axis: TimeAxis | null): string {
  if (axis === null) return "none (rows are numbered)";
  const s = axis.step;
  if (s === null) return `"${axis.column}", irregular`;
  if (s.unit === "month") return `"${axis.column}", ${s.count === 1 ? "monthly" : `every ${s.count} months`}`;
  if (s.unit === "ms") {
    const named: Record<number, string> = { 86_400_000: "daily", 3_600_000: "hourly", 604_800_000: "weekly", 60_000: "every minute" };
    return `"${axis.column}", ${named[s.count] ?? `every ${s.count / 1000} s`}`;
  }
  return `"${axis.column}", step ${s.count}`;
}

function transformText(state: Pick<SeriesState, "transform" | "lag" | "log">): string {
  if (state.lag === 0) return state.log ? "log of the values" : "the values themselves";
  const what = state.lag === 1 ? "the previous value" : `the value ${state.lag} rows (one season) earlier`;
  return state.log ? `log ratio to ${what}` : `difference to ${what}`;
}

/** Labels for the x axis: the time labels (extended past the end when regular) or row numbers. */
function tickLabeler(axis: TimeAxis | null, extra: string[]): (x: number) => string {
  const labels = axis ? [...axis.labels, ...extra] : [];
  return (x) => (Number.isInteger(x) && x >= 0 && x < labels.length ? labels[x] : String(x));
}

async function writeChart(path: string, svg: string, log: (m: string) => void): Promise<string[]> {
  if (extname(path).toLowerCase() === ".svg") {
    writeFileAtomic(path, svg);
    return [path];
  }
  const png = await svgToPng(svg);
  if (png === null) {
    const svgPath = path.replace(/\.png$/i, ".svg");
    writeFileAtomic(svgPath, svg);
    log(PNG_UNAVAILABLE);
    return [svgPath];
  }
  writeFileAtomic(path, png);
  return [path];
}

/** Refuses an output file whose directory does not exist or which is a directory (before any work). */
function checkOutputFile(path: string, option: string): void {
  if (path === "") throw new Error(`${option} needs a file name, got an empty string`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`${option} ${path}: is a directory`);
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`${option} ${path}: the directory ${dirname(path)} does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`${option} ${path}: ${dirname(path)} is not a directory`);
}

/** The data a series model reads from a table: target, inputs, time axis. */
function readColumns(table: CsvTable, target: string, inputs: string[], time: string | null, fill: FillMethod) {
  const x = numericColumn(table, target, fill);
  const cols = inputs.map((c) => numericColumn(table, c, fill));
  const axis = time === null ? null : readTimeAxis(table, time);
  return { x: x.values, inputs: cols.map((c) => c.values), axis, filled: x.filled + cols.reduce((a, c) => a + c.filled, 0) };
}

/** What `train series` did, as --json prints it. */
export interface TrainSeriesSummary {
  config: Record<string, unknown>;
  testRmse: number | null;
  /** One-step-ahead RMSE on the validation rows (what a window or other setting should be tuned on). */
  validationRmse: number | null;
  baselines: { persistence: number | null; seasonalNaive: number | null };
  bestEpoch: number;
  model: string;
  report: string | null;
}

/** `train series`: checks everything, trains, saves the model and writes the report. */
export async function trainSeries(file: string, args: TrainSeriesArgs, print = true): Promise<TrainSeriesSummary> {
  const cmd = "train series";
  const window = posInt(cmd, "window", args.window);
  const horizon = posInt(cmd, "horizon", args.horizon);
  const settings = {
    window, horizon, cell: args.cell, hidden: posInt(cmd, "hidden", args.hidden), layers: posInt(cmd, "layers", args.layers),
    epochs: posInt(cmd, "epochs", args.epochs), patience: num(cmd, "patience", args.patience, (v) => Number.isInteger(v) && v >= 0, "a non-negative integer"), lr: num(cmd, "lr", args.lr, (v) => v > 0, "a number > 0"), batch: posInt(cmd, "batch", args.batch),
    seed: num(cmd, "seed", args.seed, Number.isInteger, "an integer"), transform: args.transform,
  };
  const seasonArg = args.season === undefined ? undefined : num(cmd, "season", args.season, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  if (args.target === undefined) throw new Error(`${cmd}: --target COLUMN is required (the column to forecast)`);
  checkOutputFile(args.out, "--out");
  if (args.report === "") throw new Error("--report needs a directory, got an empty string");
  if (args.report !== undefined && existsSync(args.report) && !statSync(args.report).isDirectory()) throw new Error(`--report ${args.report}: is not a directory`);

  // The data, all checked before any training.
  const table = readCsvFile(file);
  columnIndex(table, args.target, "--target");
  const inputs = args.inputs === undefined ? [] : args.inputs.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const c of inputs) columnIndex(table, c, "--inputs");
  if (inputs.includes(args.target)) throw new Error(`${cmd}: --inputs repeats the target column "${args.target}" (the target's past is always an input)`);
  const time = findTimeColumn(table, args.time, [args.target, ...inputs]);
  const data = readColumns(table, args.target, inputs, time, args.fill);
  const n = data.x.length;
  const test = rowsOf("test", args.test, n);
  const validation = rowsOf("validation", args.validation, n);
  const split: SeriesSplit = { n, trainEnd: n - test - validation, valEnd: n - test };
  if (split.trainEnd <= 0) {
    throw new CsvDataError(`${file}: data too short: ${n} rows, and --test ${args.test} (${test} rows) with --validation ${args.validation} (${validation} rows) leave none for training; use smaller --test or --validation`);
  }
  const seasonFound = seasonArg !== undefined
    ? { season: seasonArg, how: "--season" }
    : seasonFromStep(data.axis?.step ?? null) ?? seasonFromAutocorrelation(data.x.slice(0, split.trainEnd), 60);
  const season = seasonFound?.season ?? 1;
  const seasonHow = seasonFound?.how ?? "no seasonal period found (give one with --season)";
  const lag = lagOf(settings.transform, season);
  const problem = splitProblem(split, { window, horizon, lag });
  if (problem) throw new CsvDataError(`${file}: ${problem}`);
  if (validation > 0 && validation < horizon) throw new CsvDataError(`${file}: --validation ${args.validation} gives ${validation} rows, fewer than --horizon ${horizon}; use more validation rows or --validation 0`);
  const progressMode: ProgressMode = args.progress ?? (args.json ? "none" : "auto");
  if (args.report !== undefined) checkWritableDir(args.report);

  const state = fitState(
    { format: "rnnkit.series/1", target: args.target, inputs, time, fill: args.fill, window, horizon, transform: settings.transform, lag, season },
    data.x, data.inputs, split.trainEnd,
  );
  const config: Record<string, unknown> = {
    file, target: args.target, inputs, time, timeStep: describeStep(data.axis), fill: args.fill, filled: data.filled,
    rows: n, train: split.trainEnd, validation, test, season, seasonFrom: seasonHow, transformMeaning: transformText(state),
    ...settings,
  };
  const log = (m: string) => {
    if (print && !args.json) console.log(m);
  };
  log(`train series: ${file}, target "${args.target}"${inputs.length ? `, inputs ${inputs.join(", ")}` : ""}; time ${describeStep(data.axis)}${data.filled ? `; ${data.filled} gaps filled (${args.fill})` : ""}`);
  log(`  rows ${n}: train ${split.trainEnd}, validation ${validation}, test ${test} (chronological); season ${season} (${seasonHow})`);
  log(`  model input: ${transformText(state)}, standardised on the training rows; ${settings.cell} ${settings.layers}×${settings.hidden}, window ${window}, horizon ${horizon}`);
  log(`  epochs ${settings.epochs}, lr ${settings.lr}, batch ${settings.batch}, seed ${settings.seed}; keeps the epoch with the lowest validation loss${validation > 0 && settings.patience > 0 ? `, stops after ${settings.patience} epochs without a better one` : ""}`);

  const forecasterSettings: ForecasterSettings = { ...settings, season };
  const trained = trainForecaster(state, data.x, data.inputs, split, forecasterSettings, progressMode === "none" ? undefined : terminalProgress(progressMode));

  let testRmse: number | null = null, persistence: number | null = null, seasonalNaive: number | null = null;
  let testPred: number[] = [];
  if (test > 0) {
    testPred = oneStepPredictions(trained.model, state, data.x, data.inputs, split.valEnd, n);
    const actual = data.x.slice(split.valEnd);
    testRmse = rmse(testPred, actual);
    const b = baselines(data.x, season, split.valEnd, n);
    persistence = split.valEnd >= 1 ? rmse(b.persistence, actual) : null;
    seasonalNaive = season > 1 && split.valEnd >= season ? rmse(b.seasonalNaive, actual) : null;
  }
  const validationRmse = validation > 0
    ? rmse(oneStepPredictions(trained.model, state, data.x, data.inputs, split.trainEnd, split.valEnd), data.x.slice(split.trainEnd, split.valEnd))
    : null;
  const metrics = { testRmse, validationRmse, persistence, seasonalNaive, bestEpoch: trained.bestEpoch };
  saveModel(args.out, trained.model, undefined, {
    [SERIES_KEY]: JSON.stringify(state),
    [CONFIG_KEY]: JSON.stringify({ ...config, ...metrics }),
  });
  const f1 = (v: number | null) => (v === null ? "n/a" : v.toFixed(2));
  if (test > 0) log(`test RMSE ${f1(testRmse)} (one step ahead, ${test} rows); persistence ${f1(persistence)}, seasonal naive ${f1(seasonalNaive)}; best epoch ${trained.bestEpoch}`);
  log(`saved ${args.out}`);

  if (args.report !== undefined) {
    const dir = args.report;
    const files: string[] = [];
    const ticks = tickLabeler(data.axis, []);
    if (test > 0) {
      const xs = testPred.map((_, i) => split.valEnd + i);
      const b = baselines(data.x, season, split.valEnd, n);
      const series: LineSeries[] = [
        { name: "actual", x: data.x.map((_, i) => i), y: data.x },
        { name: `${settings.cell} one step ahead`, x: xs, y: testPred },
        { name: "persistence", x: xs, y: b.persistence, dashed: true },
      ];
      if (seasonalNaive !== null) series.push({ name: "seasonal naive", x: xs, y: b.seasonalNaive, dashed: true });
      const svg = lineChart(series, { title: `${args.target}: test predictions (RMSE ${f1(testRmse)})`, xLabel: time ?? "row", yLabel: args.target, xTickLabel: ticks });
      writeFileAtomic(`${dir}/test-predictions.svg`, svg);
      files.push("test-predictions.svg", ...(await writeChart(`${dir}/test-predictions.png`, svg, log)).map((p) => p.slice(dir.length + 1)));
    }
    const loss: LineSeries[] = [{ name: "train", x: trained.history.map((h) => h.epoch), y: trained.history.map((h) => h.loss) }];
    if (trained.history.some((h) => h.valLoss !== undefined)) loss.push({ name: "validation", x: trained.history.map((h) => h.epoch), y: trained.history.map((h) => h.valLoss ?? NaN) });
    const lossSvg = lineChart(loss, { title: "loss (MSE of the standardised model input)", xLabel: "epoch", yLabel: "loss", logY: true });
    writeFileAtomic(`${dir}/loss.svg`, lossSvg);
    files.push("loss.svg", ...(await writeChart(`${dir}/loss.png`, lossSvg, log)).map((p) => p.slice(dir.length + 1)));
    const md = [
      `# Series forecast: ${args.target}`,
      "",
      `Data: \`${file}\`, ${n} rows; time column ${describeStep(data.axis)}${data.filled ? `; ${data.filled} gaps filled (${args.fill})` : ""}.`,
      `Split (chronological): training rows 1–${split.trainEnd}, validation ${validation} rows, test the last ${test} rows.`,
      "",
      "| forecast (one step ahead, test rows) | RMSE |",
      "|---|---|",
      `| ${settings.cell} ${settings.layers}×${settings.hidden}, window ${window} | ${f1(testRmse)} |`,
      `| persistence (the previous value) | ${f1(persistence)} |`,
      `| seasonal naive (the value ${season} rows earlier) | ${f1(seasonalNaive)} |`,
      "",
      "## How",
      "",
      `- Seasonal period ${season}: ${seasonHow}.`,
      `- The network reads and predicts the ${transformText(state)} (transform \`${settings.transform}\`), standardised with the mean ${state.mean.toPrecision(4)} and deviation ${state.std.toPrecision(4)} of the training rows; predictions are turned back into ${args.target} with the known values before them. Both are stored in the model file (metadata \`${SERIES_KEY}\`).`,
      `- Weights of the epoch with the lowest validation loss (epoch ${trained.bestEpoch}; ${trained.history.length} of at most ${settings.epochs} epochs run).`,
      "",
      "## Plots",
      "",
      ...(test > 0 ? ["![test predictions](test-predictions.svg)", ""] : []),
      "![loss](loss.svg)",
      "",
      "## Configuration",
      "",
      "```json",
      JSON.stringify({ ...config, ...metrics }, null, 1),
      "```",
      "",
    ].join("\n");
    writeFileAtomic(`${dir}/report.md`, md);
    log(`report: ${dir}/report.md (${files.join(", ")})`);
  }
  const summary: TrainSeriesSummary = {
    config, testRmse, validationRmse, baselines: { persistence, seasonalNaive }, bestEpoch: trained.bestEpoch, model: args.out, report: args.report ?? null,
  };
  if (print && args.json) console.log(JSON.stringify(summary));
  return summary;
}

/** The `series` command (to go under `train`). */
export function trainSeriesCommand(): Command {
  const d = SERIES_DEFAULTS;
  return new Command("series")
    .description("train a forecaster on numeric columns of a CSV file (one row per time step, header row)")
    .argument("<file>", "CSV file with a header row")
    .option("--target <column>", "the column to forecast (required)")
    .option("--inputs <columns>", "more input columns, comma-separated (their future is unknown: forecasts reach at most --horizon steps)")
    .option("--time <column>", "the time column (default: the first column of dates or named like time/date/month)")
    .option("--window <n>", "steps the model reads", d.window)
    .option("--horizon <n>", "steps it predicts at once", d.horizon)
    .addOption(new Option("--cell <cell>", "recurrent cell").choices(["lstm", "gru", "rnn"]).default(d.cell))
    .option("--hidden <n>", "hidden units", d.hidden)
    .option("--layers <n>", "recurrent layers", d.layers)
    .option("--epochs <n>", "training epochs at most (the best validation epoch is kept)", d.epochs)
    .option("--patience <n>", "stop after this many epochs without a better validation loss (0: never)", d.patience)
    .option("--lr <rate>", "Adam learning rate", d.lr)
    .option("--batch <n>", "batch size", d.batch)
    .option("--validation <part>", "validation rows before the test rows: a fraction of all rows, or a count", d.validation)
    .option("--test <part>", "test rows at the end: a fraction of all rows, or a count", d.test)
    .option("--seed <n>", "random seed", d.seed)
    .addOption(new Option("--fill <method>", "fill missing values instead of refusing them").choices(["none", "previous", "interpolate"]).default(d.fill))
    .addOption(new Option("--transform <t>", "what the model predicts: seasonal = (log) ratio to one season earlier, diff = to the previous step, level = the values").choices(["seasonal", "diff", "level"]).default(d.transform))
    .option("--season <n>", "seasonal period in rows (default: from the time step, e.g. 12 for monthly data, or the autocorrelation)")
    .option("--out <file>", "model file to write", d.out)
    .option("--report <dir>", "write report.md and plots of the test predictions there")
    .addOption(new Option("--progress <mode>", "training progress (default auto; none with --json)").choices(["auto", "bar", "lines", "json", "none"]))
    .option("--json", "print the configuration and results as one JSON object", false)
    .action(async (file: string, opts: TrainSeriesArgs) => {
      await trainSeries(file, opts);
    });
}

/** `forecast` options as commander hands them over. */
export interface ForecastArgs {
  steps?: string;
  output?: string;
  plot?: string;
}

/** `forecast`: `steps` values after the end of the file, as CSV rows (time, value). */
export async function forecastFromFile(modelPath: string, file: string, args: ForecastArgs): Promise<{ times: string[]; values: number[]; csv: string }> {
  if (args.steps === undefined) throw new Error("forecast: --steps N is required (how many steps after the end of the file)");
  const steps = posInt("forecast", "steps", args.steps);
  if (args.output !== undefined) checkOutputFile(args.output, "-o");
  if (args.plot !== undefined) {
    checkOutputFile(args.plot, "--plot");
    if (![".png", ".svg"].includes(extname(args.plot).toLowerCase())) throw new Error(`--plot ${args.plot}: must end in .png or .svg`);
  }
  checkInputFile(modelPath, "model file");
  const { model, metadata } = loadModel(modelPath);
  const state = readSeriesState(metadata, modelPath);
  if (!(model instanceof SequenceToVector)) throw new Error(`${modelPath}: holds a ${model.constructor.name}, not a series model`);
  const table = readCsvFile(file);
  columnIndex(table, state.target, "the model's target");
  for (const c of state.inputs) columnIndex(table, c, "an input column of the model");
  const time = state.time !== null && table.columns.includes(state.time) ? state.time : findTimeColumn(table, undefined, [state.target, ...state.inputs]);
  const data = readColumns(table, state.target, state.inputs, time, state.fill);
  const need = state.lag + state.window;
  if (data.x.length < need) {
    throw new CsvDataError(`${file}: data too short: ${data.x.length} rows; the model reads ${state.window} rows${state.lag ? ` of differences at lag ${state.lag}` : ""}, so it needs at least ${need}`);
  }
  if (state.log && data.x.some((v) => !(v > 0))) throw new CsvDataError(`${file}: column "${state.target}" has values ≤ 0, but the model was trained on logs (all values > 0)`);
  const values = forecastSeries(model, state, data.x, data.inputs, steps);
  const regular = data.axis !== null && data.axis.step !== null;
  const times = regular ? extendTime(data.axis!, steps) : values.map((_, i) => String(data.x.length + i + 1));
  const header = regular ? data.axis!.column : "row";
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const csv = [`${q(header)},${q(state.target)}`, ...values.map((v, i) => `${q(times[i])},${+v.toPrecision(6)}`)].join("\n") + "\n";
  if (args.output !== undefined) writeFileAtomic(args.output, csv);
  else process.stdout.write(csv);
  if (args.plot !== undefined) {
    const n = data.x.length;
    const svg = lineChart(
      [
        { name: "history", x: data.x.map((_, i) => i), y: data.x },
        { name: `forecast, ${steps} steps`, x: [n - 1, ...values.map((_, i) => n + i)], y: [data.x[n - 1], ...values], dashed: true },
      ],
      { title: `${state.target}: ${steps}-step forecast`, xLabel: data.axis?.column ?? "row", yLabel: state.target, xTickLabel: tickLabeler(data.axis, regular ? times : []) },
    );
    const log = (m: string) => console.error(m);
    await writeChart(args.plot, svg, log);
  }
  return { times, values, csv };
}

/** The `forecast` command. */
export function forecastCommand(): Command {
  return new Command("forecast")
    .description("forecast the steps after the end of a CSV file with a model from `train series` (predictions fed back)")
    .argument("<model>", "model file written by `rnnkit train series`")
    .argument("<file>", "CSV file with the model's columns; the forecast starts after its last row")
    .option("--steps <n>", "steps to forecast (required)")
    .option("-o, --output <file>", "write the forecast as CSV (time, value) here instead of stdout")
    .option("--plot <file>", "plot of the history and the forecast (.png or .svg)")
    .action(async (modelPath: string, file: string, opts: ForecastArgs) => {
      await forecastFromFile(modelPath, file, opts);
    });
}
