/**
 * `rnnkit train series` and `rnnkit forecast` end to end on small CSV files written here
 * (with a monthly time column, with gaps and --fill, without a time column), the CSV
 * helpers they use, and every refusal of bad data: exit 2, `rnnkit: …` on stderr naming
 * the line, column, columns or numbers, and nothing written. Tiny models, a few epochs.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  extendTime, findTimeColumn, numericColumn, parseCsv, parseDate, readTimeAxis, seasonFromAutocorrelation, seasonFromStep,
} from "../src/data/csv.js";
import { baselines, rmse, transformSeries } from "../src/train/forecaster.js";
import { loadModel } from "../src/node/files.js";

const root = mkdtempSync(join(tmpdir(), "rnnkit-series-"));
after(() => rmSync(root, { recursive: true, force: true }));
const cli = resolve("build/test/support/series-cli.js");
let dirs = 0;

/** A fresh directory holding the given files. */
function workdir(files: Record<string, string>): string {
  const dir = join(root, `d${dirs++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd });
const TINY = ["--hidden", "4", "--epochs", "3", "--window", "4", "--progress", "none"];

/** A monthly series with trend and a yearly pattern, `n` rows from 2020-01. */
function monthly(n: number, gaps: number[] = []): string {
  const lines = ['"Month","Sales"'];
  for (let i = 0; i < n; i++) {
    const y = 2020 + Math.floor(i / 12), m = (i % 12) + 1;
    const v = (100 + 2 * i) * (1 + 0.2 * Math.sin((2 * Math.PI * i) / 12));
    lines.push(`"${y}-${String(m).padStart(2, "0")}",${gaps.includes(i) ? "" : v.toFixed(1)}`);
  }
  return lines.join("\r\n");
}

test("CSV helpers: dates, steps, extension, fills, seasons", () => {
  assert.equal(parseDate("1949-01"), Date.UTC(1949, 0));
  assert.equal(parseDate("2020-02-30"), null);
  assert.equal(parseDate("112"), null);
  const t = parseCsv("date,v\n2021-01-30,1\n2021-01-31,2\n2021-02-01,3\n", "f.csv");
  const axis = readTimeAxis(t, "date");
  assert.deepEqual(axis.step, { unit: "ms", count: 86_400_000, format: "date" });
  assert.deepEqual(extendTime(axis, 2), ["2021-02-02", "2021-02-03"]);
  assert.equal(seasonFromStep(axis.step)?.season, 7);
  const q = readTimeAxis(parseCsv("t,v\n2020-01,1\n2020-04,2\n2020-07,3\n", "q.csv"), "t");
  assert.deepEqual(extendTime(q, 3), ["2020-10", "2021-01", "2021-04"]);
  assert.equal(seasonFromStep(q.step)?.season, 4);
  const num = readTimeAxis(parseCsv("step,v\n0.5,1\n1.0,2\n1.5,3\n", "n.csv"), "step");
  assert.deepEqual(extendTime(num, 2), ["2.0", "2.5"]);
  assert.equal(readTimeAxis(parseCsv("t,v\n1,1\n2,2\n4,3\n", "i.csv"), "t").step, null);
  assert.deepEqual(readTimeAxis(parseCsv("period,v\nQ1 1990,1\nQ2 1990,2\n", "l.csv"), "period"), { column: "period", labels: ["Q1 1990", "Q2 1990"], values: [0, 1], kind: "label", step: null });
  const gaps = parseCsv("a,b\n1,x\n,y\nNA,z\n4,w\n", "g.csv");
  assert.deepEqual(numericColumn(gaps, "a", "interpolate").values, [1, 2, 3, 4]);
  assert.deepEqual(numericColumn(gaps, "a", "previous"), { values: [1, 1, 1, 4], filled: 2 });
  assert.throws(() => numericColumn(gaps, "a", "none"), /^CsvDataError: g\.csv: line 3, column "a": missing value \(use --fill/);
  assert.throws(() => numericColumn(gaps, "b", "previous"), /g\.csv: line 2, column "b": 'x' is not a number/);
  assert.equal(findTimeColumn(gaps, undefined, ["a"]), null);
  assert.equal(findTimeColumn(parseCsv("x,When\n1,2020-01-01\n", "w.csv"), undefined, []), "When");
  const seasonal = Array.from({ length: 80 }, (_, i) => i + 10 * Math.sin((2 * Math.PI * i) / 6));
  assert.equal(seasonFromAutocorrelation(seasonal, 20)?.season, 6);
});

test("baselines and the seasonal transform", () => {
  const x = [1, 2, 4, 8, 16];
  assert.deepEqual(transformSeries(x, 1, true).slice(1).map((v) => +v.toFixed(6)), [0.693147, 0.693147, 0.693147, 0.693147]);
  const b = baselines(x, 2, 2, 5);
  assert.deepEqual(b, { persistence: [2, 4, 8], seasonalNaive: [1, 2, 4] });
  assert.equal(rmse([1, 2], [1, 4]), Math.sqrt(2));
});

test("train series and forecast on a monthly file: model, metadata, report, extended months", () => {
  const dir = workdir({ "sales.csv": monthly(60) });
  const r = run(dir, "train", "series", "sales.csv", "--target", "Sales", ...TINY, "--report", "rep", "--out", "m.safetensors", "--json");
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { testRmse: number; baselines: { persistence: number; seasonalNaive: number }; config: Record<string, unknown> };
  assert.ok(Number.isFinite(summary.testRmse));
  assert.ok(Number.isFinite(summary.baselines.persistence) && Number.isFinite(summary.baselines.seasonalNaive));
  assert.equal(summary.config.time, "Month");
  assert.equal(summary.config.season, 12);
  assert.equal(summary.config.test, 12);
  for (const f of ["report.md", "test-predictions.svg", "test-predictions.png", "loss.svg"]) assert.ok(existsSync(join(dir, "rep", f)), f);
  assert.match(readFileSync(join(dir, "rep", "report.md"), "utf8"), /seasonal naive \(the value 12 rows earlier\)/);
  const { metadata } = loadModel(join(dir, "m.safetensors"));
  const state = JSON.parse(metadata["rnnkit.series"]) as { log: boolean; lag: number; mean: number; std: number; window: number };
  assert.equal(state.log, true);
  assert.equal(state.lag, 12);
  assert.equal(state.window, 4);
  // Standardisation from the training rows only: 60 rows − 12 test − 6 validation = 42.
  const sales = readFileSync(join(dir, "sales.csv"), "utf8").split("\r\n").slice(1).map((l) => Number(l.split(",")[1]));
  const z = transformSeries(sales.slice(0, 42), 12, true).filter(Number.isFinite);
  const mean = z.reduce((a, v) => a + v, 0) / z.length;
  assert.ok(Math.abs(state.mean - mean) < 1e-12, `${state.mean} vs ${mean}`);
  assert.ok(state.std > 0);
  assert.equal((JSON.parse(metadata["rnnkit.config"]) as { epochs: number }).epochs, 3);

  const f = run(dir, "forecast", "m.safetensors", "sales.csv", "--steps", "14", "-o", "fc.csv", "--plot", "fc.png");
  assert.equal(f.status, 0, f.stderr);
  const rows = readFileSync(join(dir, "fc.csv"), "utf8").trim().split("\n");
  assert.equal(rows[0], "Month,Sales");
  assert.equal(rows.length, 15);
  assert.equal(rows[1].split(",")[0], "2025-01");
  assert.equal(rows[14].split(",")[0], "2026-02");
  for (const row of rows.slice(1)) assert.ok(Number.isFinite(Number(row.split(",")[1])) && Number(row.split(",")[1]) > 0, row);
  assert.ok(readFileSync(join(dir, "fc.png")).subarray(1, 4).toString() === "PNG");
  // To stdout, with an SVG plot.
  const g = run(dir, "forecast", "m.safetensors", "sales.csv", "--steps", "2", "--plot", "fc.svg");
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout.trim().split("\n").length, 3);
  assert.match(readFileSync(join(dir, "fc.svg"), "utf8"), /^<svg/);
});

test("gaps are filled with --fill previous or interpolate, and the forecast fills them the same way", () => {
  const dir = workdir({ "gaps.csv": monthly(48, [5, 6, 30]) });
  for (const fill of ["previous", "interpolate"]) {
    const r = run(dir, "train", "series", "gaps.csv", "--target", "Sales", ...TINY, "--fill", fill, "--out", `${fill}.safetensors`, "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { config: { filled: number } }).config.filled, 3);
    const f = run(dir, "forecast", `${fill}.safetensors`, "gaps.csv", "--steps", "3");
    assert.equal(f.status, 0, f.stderr);
    assert.equal(f.stdout.trim().split("\n").length, 4);
  }
});

test("without a time column: rows are numbered, input columns limit the forecast to the horizon", () => {
  const lines = ["level,temp"];
  for (let i = 0; i < 40; i++) lines.push(`${(5 + Math.sin(i / 3) + i * 0.1).toFixed(3)},${(20 + Math.cos(i / 3)).toFixed(2)}`);
  const dir = workdir({ "plain.csv": lines.join("\n") + "\n" });
  const r = run(dir, "train", "series", "plain.csv", "--target", "level", "--inputs", "temp", ...TINY, "--transform", "diff", "--horizon", "2", "--report", "rep");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /time none \(rows are numbered\)/);
  assert.match(r.stdout, /test RMSE \d/);
  assert.ok(existsSync(join(dir, "model.safetensors")));
  const f = run(dir, "forecast", "model.safetensors", "plain.csv", "--steps", "2");
  assert.equal(f.status, 0, f.stderr);
  assert.deepEqual(f.stdout.trim().split("\n").map((l) => l.split(",")[0]), ["row", "41", "42"]);
  const g = run(dir, "forecast", "model.safetensors", "plain.csv", "--steps", "3");
  assert.equal(g.status, 2);
  assert.match(g.stderr, /^rnnkit: the model reads the input columns temp, whose future values are unknown: it can forecast at most --horizon 2 steps, got --steps 3\n$/);
});

const badCases: Array<{ name: string; files: Record<string, string>; args: string[]; message: RegExp }> = [
  {
    name: "a non-numeric value names the line and the column",
    files: { "d.csv": monthly(40).replace(/\r\n"2020-04",[\d.]+/, '\r\n"2020-04",abc') },
    args: ["train", "series", "d.csv", "--target", "Sales"],
    message: /^rnnkit: d\.csv: line 5, column "Sales": 'abc' is not a number\n$/,
  },
  {
    name: "a missing value names the line and the column and says --fill",
    files: { "d.csv": monthly(40, [9]) },
    args: ["train", "series", "d.csv", "--target", "Sales"],
    message: /^rnnkit: d\.csv: line 11, column "Sales": missing value \(use --fill previous or --fill interpolate to fill gaps\)\n$/,
  },
  {
    name: "an unknown --target lists the columns",
    files: { "d.csv": monthly(40) },
    args: ["train", "series", "d.csv", "--target", "sales"],
    message: /^rnnkit: d\.csv: no column "sales" \(--target\); the columns are "Month", "Sales"\n$/,
  },
  {
    name: "an unknown --inputs column lists the columns",
    files: { "d.csv": monthly(40) },
    args: ["train", "series", "d.csv", "--target", "Sales", "--inputs", "Price"],
    message: /^rnnkit: d\.csv: no column "Price" \(--inputs\); the columns are "Month", "Sales"\n$/,
  },
  {
    name: "data too short for window, season and splits says so with the numbers",
    files: { "d.csv": monthly(30) },
    args: ["train", "series", "d.csv", "--target", "Sales"],
    message: /^rnnkit: d\.csv: data too short: 30 rows: 6 for test \(--test\), 3 for validation \(--validation\), 21 for training; window 12 \+ 12 rows lost to differencing at lag 12 \+ horizon 1 need at least 28 training rows .*use a smaller --window/,
  },
  {
    name: "test and validation that leave no training rows",
    files: { "d.csv": monthly(30) },
    args: ["train", "series", "d.csv", "--target", "Sales", "--test", "20", "--validation", "10"],
    message: /^rnnkit: d\.csv: data too short: 30 rows, and --test 20 \(20 rows\) with --validation 10 \(10 rows\) leave none for training/,
  },
  {
    name: "rows out of time order",
    files: { "d.csv": "Month,Sales\n2020-01,1\n2020-03,2\n2020-02,3\n" },
    args: ["train", "series", "d.csv", "--target", "Sales"],
    message: /^rnnkit: d\.csv: the time column "Month" does not increase: line 4 \('2020-02'\) comes after line 3 \('2020-03'\); sort the rows by time\n$/,
  },
  { name: "a missing file", files: {}, args: ["train", "series", "none.csv", "--target", "x"], message: /^rnnkit: none\.csv: no such file\n$/ },
  { name: "a directory", files: { "sub/.keep": "" }, args: ["train", "series", "sub", "--target", "x"], message: /^rnnkit: sub: is a directory, not a CSV file\n$/ },
  { name: "forecast: a missing model file", files: { "d.csv": monthly(40) }, args: ["forecast", "m.safetensors", "d.csv", "--steps", "3"], message: /^rnnkit: m\.safetensors: no such file\n$/ },
  { name: "forecast: --steps missing", files: { "d.csv": monthly(40) }, args: ["forecast", "m.safetensors", "d.csv"], message: /^rnnkit: forecast: --steps N is required/ },
  { name: "train: --target missing", files: { "d.csv": monthly(40) }, args: ["train", "series", "d.csv"], message: /^rnnkit: train series: --target COLUMN is required/ },
  { name: "a bad --window", files: { "d.csv": monthly(40) }, args: ["train", "series", "d.csv", "--target", "Sales", "--window", "0"], message: /^rnnkit: train series: --window must be a positive integer, got '0'\n$/ },
];

for (const c of badCases) {
  test(`bad data: ${c.name} (exit 2, nothing written)`, () => {
    const files = Object.fromEntries(Object.entries(c.files).filter(([k]) => !k.includes("/")));
    const dir = workdir(files);
    for (const k of Object.keys(c.files).filter((k) => k.includes("/"))) mkdirSync(join(dir, k.split("/")[0]));
    const before = readdirSync(dir).sort();
    const outputs = c.args[0] === "forecast" ? ["-o", "fc.csv", "--plot", "fc.png"] : ["--out", "out.safetensors", "--report", "rep"];
    const res = run(dir, ...c.args, ...outputs);
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, c.message);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.equal(res.stdout, "");
    assert.deepEqual(readdirSync(dir).sort(), before, "nothing written");
  });
}

test("forecast refuses a file without the model's target column, listing the columns", () => {
  const dir = workdir({ "sales.csv": monthly(40), "other.csv": "Month,Units\n2020-01,3\n" });
  const r = run(dir, "train", "series", "sales.csv", "--target", "Sales", ...TINY, "--test", "0", "--validation", "0");
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /test RMSE/);
  const f = run(dir, "forecast", "model.safetensors", "other.csv", "--steps", "2", "-o", "fc.csv");
  assert.equal(f.status, 2);
  assert.match(f.stderr, /^rnnkit: other\.csv: no column "Sales" \(the model's target\); the columns are "Month", "Units"\n$/);
  assert.ok(!existsSync(join(dir, "fc.csv")));
});
