/**
 * `npm run build && node --import ./build/src/node/register.js build/bench/airline.js [--data FILE] [--out docs/results/airline]`
 *
 * `rnnkit train series` on the airline passengers (Box & Jenkins series G, 144 months) with
 * the split of the widely copied Keras tutorial: the first 96 months for training (the last
 * 10% of all rows of them, 14 months, for validation), the last 48 for test, one-step-ahead
 * forecasts. Reports the test RMSE of the command with its defaults (only `--test 48` given)
 * and with a window tuned on the VALIDATION RMSE, mean and spread over 5 seeds, beside the
 * persistence and seasonal-naive baselines, plus 12- and 24-month multi-step forecasts from
 * the end of the training months (against the actual test months) and from the end of the
 * data. Writes report.md and plots (SVG + PNG) to --out. Takes seconds; not part of npm test.
 */
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, platform, arch } from "node:os";
import { join } from "node:path";
import { forecastFromFile, SERIES_DEFAULTS, trainSeries, type TrainSeriesArgs, type TrainSeriesSummary } from "../src/cli/series.js";
import { readCsvFile } from "../src/node/csv-files.js";
import { numericColumn, readTimeAxis } from "../src/data/csv.js";
import { baselines, forecastSeries, oneStepPredictions, readSeriesState, rmse } from "../src/train/forecaster.js";
import { loadModel } from "../src/node/files.js";
import { writeFileAtomic, checkWritableDir } from "../src/node/atomic.js";
import { lineChart } from "../src/plot/line-chart.js";
import { svgToPng } from "../src/node/png.js";
import type { SequenceToVector } from "../src/nn/topologies.js";

const { values: opts } = parseArgs({
  options: {
    data: { type: "string", default: "../shared/data/timeseries/airline-passengers.csv" },
    out: { type: "string", default: "docs/results/airline" },
  },
});
const file = opts.data!;
const outDir = opts.out!;
checkWritableDir(outDir);
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-airline-"));
const started = performance.now();
const SEEDS = [0, 1, 2, 3, 4];
const TEST = 48;
const WINDOWS = [3, 6, 12, 18, 24];

const table = readCsvFile(file);
const x = numericColumn(table, "Passengers", "none").values;
const axis = readTimeAxis(table, "Month");
const n = x.length;
const trainEnd = n - TEST;

// The baselines on the split, first (the tutorial-derived figures: 48.0 and 41.9).
const actual = x.slice(trainEnd);
const b = baselines(x, 12, trainEnd, n);
const persistence = rmse(b.persistence, actual), seasonalNaive = rmse(b.seasonalNaive, actual);
console.log(`baselines on the last ${TEST} months: persistence ${persistence.toFixed(2)}, seasonal naive ${seasonalNaive.toFixed(2)}`);

function args(seed: number, extra: Partial<TrainSeriesArgs> = {}): TrainSeriesArgs {
  return {
    ...SERIES_DEFAULTS, target: "Passengers", test: String(TEST), seed: String(seed), out: join(tmp, `m-${seed}-${extra.window ?? "d"}.safetensors`),
    progress: "none", json: false, ...extra,
  } as TrainSeriesArgs;
}

const stats = (v: number[]) => {
  const mean = v.reduce((a, c) => a + c, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, c) => a + (c - mean) ** 2, 0) / (v.length - 1));
  return { mean, sd, min: Math.min(...v), max: Math.max(...v) };
};

const defaults: TrainSeriesSummary[] = [];
for (const seed of SEEDS) defaults.push(await trainSeries(file, args(seed), false));
const d = stats(defaults.map((r) => r.testRmse!));
console.log(`defaults (window ${SERIES_DEFAULTS.window}): test RMSE ${d.mean.toFixed(2)} ± ${d.sd.toFixed(2)} over ${SEEDS.length} seeds`);

// Window tuned on the validation RMSE (mean over the seeds); the test rows are not looked at.
const byWindow = new Map<number, TrainSeriesSummary[]>();
for (const w of WINDOWS) {
  const runs = String(w) === SERIES_DEFAULTS.window ? defaults : [];
  if (runs.length === 0) for (const seed of SEEDS) runs.push(await trainSeries(file, args(seed, { window: String(w) }), false));
  byWindow.set(w, runs);
  console.log(`window ${w}: validation RMSE ${stats(runs.map((r) => r.validationRmse!)).mean.toFixed(2)}, test RMSE ${stats(runs.map((r) => r.testRmse!)).mean.toFixed(2)}`);
}
const tuned = [...byWindow.entries()].sort((a, c) => stats(a[1].map((r) => r.validationRmse!)).mean - stats(c[1].map((r) => r.validationRmse!)).mean)[0];
const t = stats(tuned[1].map((r) => r.testRmse!));
console.log(`tuned window ${tuned[0]}: test RMSE ${t.mean.toFixed(2)} ± ${t.sd.toFixed(2)}`);

// Multi-step: the default model of seed 0, from the end of the 96 training months, against the actual months.
const { model, metadata } = loadModel<SequenceToVector>(defaults[0].model);
const state = readSeriesState(metadata, defaults[0].model);
const f24 = forecastSeries(model, state, x.slice(0, trainEnd), [], 24);
const multi = { m12: rmse(f24.slice(0, 12), x.slice(trainEnd, trainEnd + 12)), m24: rmse(f24, x.slice(trainEnd, trainEnd + 24)) };
const snaive24 = rmse(x.slice(trainEnd - 12, trainEnd).concat(x.slice(trainEnd - 12, trainEnd)), x.slice(trainEnd, trainEnd + 24));
console.log(`multi-step from ${axis.labels[trainEnd - 1]}: RMSE 12 months ${multi.m12.toFixed(2)}, 24 months ${multi.m24.toFixed(2)} (repeating the last training year: ${snaive24.toFixed(2)})`);
const tick = (i: number) => (Number.isInteger(i) && i >= 0 && i < n ? axis.labels[i] : String(i));

async function chart(name: string, svg: string): Promise<void> {
  writeFileAtomic(join(outDir, `${name}.svg`), svg);
  const png = await svgToPng(svg);
  if (png) writeFileAtomic(join(outDir, `${name}.png`), png);
}

const xs = (from: number, len: number) => Array.from({ length: len }, (_, i) => from + i);
const testPred = oneStepPredictions(model, state, x, [], trainEnd, n);
await chart("test-predictions", lineChart([
  { name: "actual", x: xs(0, n), y: x },
  { name: `LSTM, defaults, one step ahead (RMSE ${rmse(testPred, actual).toFixed(1)})`, x: xs(trainEnd, TEST), y: testPred },
  { name: `seasonal naive (RMSE ${seasonalNaive.toFixed(1)})`, x: xs(trainEnd, TEST), y: b.seasonalNaive, dashed: true },
  { name: `persistence (RMSE ${persistence.toFixed(1)})`, x: xs(trainEnd, TEST), y: b.persistence, dashed: true },
], { title: "Airline passengers: one-step-ahead forecasts of the 48 test months (seed 0)", xLabel: "month", yLabel: "passengers (thousands)", xTickLabel: tick }));
await chart("multistep", lineChart([
  { name: "actual", x: xs(0, n), y: x },
  { name: `24 months from ${axis.labels[trainEnd - 1]} (RMSE ${multi.m24.toFixed(1)})`, x: xs(trainEnd - 1, 25), y: [x[trainEnd - 1], ...f24], dashed: true },
  { name: `12 months (RMSE ${multi.m12.toFixed(1)})`, x: xs(trainEnd - 1, 13), y: [x[trainEnd - 1], ...f24.slice(0, 12)] },
], { title: "Airline passengers: multi-step forecasts from the end of the training months (predictions fed back)", xLabel: "month", yLabel: "passengers (thousands)", xTickLabel: tick }));
// From the end of the data, through the command itself (1961–1962 are not in the file).
const fc = await forecastFromFile(defaults[0].model, file, { steps: "24", output: join(outDir, "forecast-1961-1962.csv"), plot: join(outDir, "forecast-1961-1962.png") });
await forecastFromFile(defaults[0].model, file, { steps: "24", output: join(tmp, "f.csv"), plot: join(outDir, "forecast-1961-1962.svg") });
const seconds = (performance.now() - started) / 1000;
rmSync(tmp, { recursive: true, force: true });

const f2 = (v: number) => v.toFixed(1);
const valMeans = WINDOWS.map((w) => stats(byWindow.get(w)!.map((r) => r.validationRmse!)).mean);
const row = (s: ReturnType<typeof stats>) => `${f2(s.mean)} ± ${f2(s.sd)} (min ${f2(s.min)}, max ${f2(s.max)})`;
const md = `# Airline passengers: \`rnnkit train series\` against the naive baselines

Data: \`airline-passengers.csv\` (Box & Jenkins 1976, series G: monthly international airline passengers in thousands, 1949-01 to 1960-12, 144 months).
Split of the widely copied Keras tutorial: the first 96 months (1949-01 to ${axis.labels[trainEnd - 1]}) for training, of which the last 14 months (10% of all rows, the command's default \`--validation 0.1\`) are for validation (choosing the epoch, and here the window); the last 48 months (${axis.labels[trainEnd]} to ${axis.labels[n - 1]}) for test. One-step-ahead forecasts: each test month is predicted from the actual months before it.

Command: \`node --import ./build/src/node/register.js build/bench/airline.js\` (after \`npm run build\`), which runs \`rnnkit train series airline-passengers.csv --target Passengers --test 48 --seed S\` (defaults otherwise) for S = 0…4, and the same with \`--window W\` for W in ${WINDOWS.join(", ")}. Run on ${new Date().toISOString().slice(0, 10)}, ${platform()}/${arch()}, Node ${process.version}; ${seconds.toFixed(1)} s in all.

| forecast (one step ahead, 48 test months) | test RMSE (thousands of passengers) |
|---|---|
| persistence (last month's value) | ${persistence.toFixed(2)} |
| seasonal naive (the value 12 months earlier) | ${seasonalNaive.toFixed(2)} |
| \`rnnkit train series\`, defaults (LSTM 1×32, window 12), 5 seeds | ${row(d)} |
| \`rnnkit train series\`, window ${tuned[0]} (lowest mean validation RMSE), 5 seeds | ${row(t)} |

The baselines agree with the published figures for this split (persistence 48.0, seasonal naive 41.9).

Validation and test RMSE by window (means over the 5 seeds): ${WINDOWS.map((w) => `window ${w}: ${f2(stats(byWindow.get(w)!.map((r) => r.validationRmse!)).mean)} / ${f2(stats(byWindow.get(w)!.map((r) => r.testRmse!)).mean)}`).join("; ")}.

The window is chosen on only 14 validation months, whose mean RMSE barely separates the windows (from ${f2(Math.min(...valMeans))} to ${f2(Math.max(...valMeans))}), so the choice is close to a coin toss; the test RMSE of single seeds varies more than the validation RMSE suggests (largest single-seed test RMSE of the chosen window: ${f2(t.max)}).

Multi-step (predictions fed back, seed 0, defaults), from ${axis.labels[trainEnd - 1]} against the actual test months: RMSE ${f2(multi.m12)} over 12 months and ${f2(multi.m24)} over 24 (repeating the last training year: ${f2(snaive24)} over 24).

## How the defaults handle trend and seasonality

The network never sees the raw passenger counts. With the default \`--transform seasonal\` it reads and predicts z_t = log x_t − log x_{t−12}: the log of the ratio to the same month a year earlier (the seasonal period comes from the monthly time column). That turns the growing trend and the growing (multiplicative) seasonal swing into a small, roughly stationary year-on-year growth rate; z = 0 would be the seasonal-naive forecast, so the network only has to learn how the growth rate moves. z is standardised with the mean and deviation of the training months only. A prediction is turned back into passengers as x_t = x_{t−12} · exp(z_t); the transform, the lag, the log flag and the standardisation are stored in the model file's metadata (\`rnnkit.series\`), the effective configuration under \`rnnkit.config\`. The weights kept are those of the epoch with the lowest validation loss.

## Plots

![test predictions](test-predictions.png)

![multi-step forecasts](multistep.png)

![forecast 1961–1962](forecast-1961-1962.png)

The last plot is \`rnnkit forecast model.safetensors airline-passengers.csv --steps 24 --plot forecast-1961-1962.png\` with the seed-0 default model (its CSV: forecast-1961-1962.csv, ${fc.times[0]} to ${fc.times[fc.times.length - 1]}).
`;
writeFileAtomic(join(outDir, "report.md"), md);
writeFileAtomic(join(outDir, "results.json"), JSON.stringify({
  date: new Date().toISOString(), seconds, persistence, seasonalNaive, defaults: defaults.map((r) => ({ seed: r.config.seed, testRmse: r.testRmse, validationRmse: r.validationRmse, bestEpoch: r.bestEpoch })),
  tunedWindow: tuned[0], tuned: tuned[1].map((r) => ({ seed: r.config.seed, testRmse: r.testRmse, validationRmse: r.validationRmse })),
  byWindow: Object.fromEntries([...byWindow].map(([w, runs]) => [w, { validation: stats(runs.map((r) => r.validationRmse!)), test: stats(runs.map((r) => r.testRmse!)) }])),
  multistep: { ...multi, repeatLastYear24: snaive24 },
}, null, 1) + "\n");
console.log(`report: ${join(outDir, "report.md")} (${seconds.toFixed(1)} s)`);
