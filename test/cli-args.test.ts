/**
 * Command-line and experiment settings: bad values are refused before any training with
 * a message naming the setting (`repro linear --seeds=0` used to exit 0 with a NaN report,
 * `--seeds=2.5` ran 2 seeds, an unwritable `--out` was found only after the run), and
 * charnn and `rnnkit sample` treat an emoji as one character.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolveConfig } from "../src/experiments/experiment.js";
import { findExperiment, runExperiment } from "../src/experiments/index.js";
import { repro } from "../src/experiments/repro.js";
import { CharVocab } from "../src/data/corpus.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-cli-args-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const repoCli = resolve("build/src/experiments/cli.js");
const publishedCli = resolve("build/src/cli/main.js");
const run = (cli: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: dir });
const hasProc = existsSync("/proc/self");

test("integer settings are checked when the config is resolved", () => {
  const linear = findExperiment("linear");
  assert.throws(() => resolveConfig(linear, { seeds: "0" }, false), /^Error: linear: seeds must be a positive integer, got 0$/);
  assert.throws(() => resolveConfig(linear, { seeds: "2.5" }, false), /^Error: linear: seeds must be a positive integer, got 2\.5$/);
  assert.throws(() => resolveConfig(linear, { length: "1" }, false), /^Error: linear: length must be an integer ≥ 2, got 1$/);
  assert.throws(() => resolveConfig(findExperiment("lag"), { ps: "4,0" }, true), /^Error: lag: ps must be a list of positive integers, got 0 in 4,0$/);
  assert.throws(() => resolveConfig(findExperiment("charnn"), { maxSteps: "-1" }, true), /^Error: charnn: maxSteps must be a non-negative integer, got -1$/);
  assert.throws(() => resolveConfig(findExperiment("xor"), { epochs: "1e400" }, true), /expected a number, got '1e400'/);
  assert.equal(resolveConfig(linear, { seeds: "2" }, false).seeds, 2);
  // Every experiment's defaults and quick settings pass their own checks.
  for (const name of ["xor", "linear", "echo", "mnist", "lag", "charnn", "vanishing"]) {
    resolveConfig(findExperiment(name), {}, false);
    resolveConfig(findExperiment(name), {}, true);
  }
});

test("runExperiment refuses a bad setting and an unusable report directory before it logs or trains", async () => {
  const lines: string[] = [];
  const base = { quick: true, progress: "none" as const, log: (m: string) => lines.push(m) };
  const linear = findExperiment("linear");
  await assert.rejects(runExperiment(linear, { ...base, overrides: { seeds: "0" }, outDir: dir }), /linear: seeds must be a positive integer, got 0/);
  const file = join(dir, "a-file");
  writeFileSync(file, "x");
  await assert.rejects(runExperiment(linear, { ...base, overrides: {}, outDir: file }), /output directory .*a-file\/linear is not usable: .*a-file is not a directory/);
  if (hasProc) {
    const start = performance.now();
    await assert.rejects(runExperiment(findExperiment("charnn"), { ...base, overrides: {}, outDir: "/proc/x" }), /^Error: output directory \/proc\/x\/charnn is not usable: cannot create directory \/proc\/x/);
    assert.ok(performance.now() - start < 2000, "refused at once");
  }
  assert.deepEqual(lines, [], "nothing ran");
  // charnn's own save directory too.
  await assert.rejects(runExperiment(findExperiment("charnn"), { ...base, overrides: { saveDir: join(file, "models") }, outDir: dir }), /output directory .*a-file\/models is not usable/);
  assert.deepEqual(lines.filter((l) => /\(a\)|\(b\)/.test(l)), [], "no training logged");
});

test("repro all checks --out and every config before the first experiment", async () => {
  const file = join(dir, "another-file");
  writeFileSync(file, "x");
  await assert.rejects(repro(["all", "--quick", "--out", join(file, "reports")]), /output directory .*another-file\/reports is not usable/);
  await assert.rejects(repro(["linear", "--out="]), /^Error: --out needs a directory, got an empty string$/);
});

const badCliCalls: Array<[string[], RegExp]> = [
  [[repoCli, "repro", "linear", "--seeds=0"], /^rnnkit: linear: seeds must be a positive integer, got 0\n$/],
  [[repoCli, "repro", "linear", "--seeds=2.5"], /^rnnkit: linear: seeds must be a positive integer, got 2\.5\n$/],
  [[repoCli, "repro", "xor", "--quick", "--epochs=-5"], /^rnnkit: xor: epochs must be a positive integer, got -5\n$/],
  [[repoCli, "repro", "linear", "--out", "a-file-out/x"], /^rnnkit: output directory a-file-out\/x\/linear is not usable: .*a-file-out is not a directory\n$/],
  [[repoCli, "repro", "linear", "--out="], /^rnnkit: --out needs a directory, got an empty string\n$/],
  [[publishedCli, "demo", "--steps", "abc"], /^rnnkit: demo: --steps must be a positive integer, got 'abc'\n$/],
  [[publishedCli, "demo", "--steps", "0"], /^rnnkit: demo: --steps must be a positive integer, got '0'\n$/],
  [[publishedCli, "demo", "--seed", "1.5"], /^rnnkit: demo: --seed must be an integer, got '1\.5'\n$/],
  [[publishedCli, "sample", "nofile.safetensors", "--length", "2.5"], /^rnnkit: sample: --length must be a non-negative integer, got '2\.5'\n$/],
  [[publishedCli, "sample", "nofile.safetensors", "--temperature", "-1"], /^rnnkit: sample: --temperature must be a number ≥ 0, got '-1'\n$/],
];
if (hasProc) badCliCalls.push([[repoCli, "repro", "charnn", "--quick", "--out", "/proc/x"], /^rnnkit: output directory \/proc\/x\/charnn is not usable: cannot create directory \/proc\/x/]);

test(`${badCliCalls.length} bad command lines exit 2 with one clear line, before any work`, () => {
  writeFileSync(join(dir, "a-file-out"), "x");
  for (const [args, pattern] of badCliCalls) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: "utf8", cwd: dir, timeout: 30000 });
    assert.equal(r.status, 2, `${args.slice(1).join(" ")}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, pattern, args.slice(1).join(" "));
    assert.equal(r.stdout, "", `${args.slice(1).join(" ")} printed nothing before refusing`);
    assert.ok(performance.now() - start < 15000);
  }
});

test("charnn on a text with emoji and no newline: quick run, saved vocabulary of code points, sample --prime with an emoji", () => {
  const text = "rain 🌧 then sun ☀️ and a smile 🙂; the cat 🐈 naps. ".repeat(24);
  const textFile = join(dir, "emoji.txt");
  writeFileSync(textFile, text);
  const models = join(dir, "models");
  const r = run(repoCli, "repro", "charnn", "--quick", "--out", join(dir, "reports"), "--progress", "none", `--text=${textFile}`, `--saveDir=${models}`,
    "--minIters=30", "--minSeq=10", "--minLogEvery=1000", "--hidden=8", "--batch=2", "--window=8", "--maxSteps=3", "--evalSeconds=1000", "--sampleLength=20");
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(readFileSync(join(dir, "reports", "charnn", "results.json"), "utf8")) as { data: { lstm: { vocabSize: number; sample: string } } };
  const vocab = new CharVocab(text);
  assert.equal(results.data.lstm.vocabSize, vocab.size);
  assert.equal([...results.data.lstm.sample].length, 20);
  assert.ok([...results.data.lstm.sample].every((c) => vocab.chars.includes(c)), results.data.lstm.sample);
  assert.ok(r.stdout.includes(`(${[...text].length} characters)`), "the text's length is counted in characters");
  assert.deepEqual(readdirSync(models).sort(), ["charnn-lstm.safetensors", "charnn-minchar.safetensors"]);
  const s = run(publishedCli, "sample", join(models, "charnn-lstm.safetensors"), "--prime", "🙂🐈", "--length", "15", "--seed", "3");
  assert.equal(s.status, 0, s.stderr);
  const out = s.stdout.replace(/\n$/, "");
  assert.ok(out.startsWith("🙂🐈"), out);
  assert.equal([...out].length, 17);
  assert.ok([...out].every((c) => vocab.chars.includes(c)), out);
  const bad = run(publishedCli, "sample", join(models, "charnn-lstm.safetensors"), "--prime", "🙃");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /the prime's character "🙃" is not in the model's vocabulary/);
});
