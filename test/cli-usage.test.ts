/**
 * The command line as a tool for one's own data: --version, --help for every command
 * (options with defaults, an example, the exit codes), `repro --help` and each
 * experiment's config keys with their meanings, `--key value` as well as `--key=value`,
 * one-line messages naming a missing file (exit 2), charnn's data checks before any
 * training, and a summary table that fits the terminal and judges quick runs as smoke runs.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { resolveConfig, closest, type Config, type Experiment } from "../src/experiments/experiment.js";
import { experiments, findExperiment, formatSummary, runExperiment, wrap, type ReproResult } from "../src/experiments/index.js";
import { experimentHelp, parseReproArgs, reproHelp } from "../src/experiments/repro.js";
import { charnn, charnnPlan } from "../src/experiments/charnn.js";
import { describeError } from "../src/cli/paths.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-cli-usage-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const repoCli = resolve("build/src/experiments/cli.js");
const publishedCli = resolve("build/src/cli/main.js");
const run = (cli: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", cwd: dir });
const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

const EXIT_LINES = [
  "Exit codes:",
  "  0  ok",
  "  1  a check failed (check-fixtures: a case failed, errored or is not supported)",
  "  2  a usage or data error (an unknown option, a bad value, a missing or unreadable file)",
].join("\n");

test("--version prints the package's version and exits 0, in both entries", () => {
  for (const cli of [publishedCli, repoCli]) {
    for (const flag of ["--version", "-V"]) {
      const r = run(cli, flag);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    }
  }
});

test("the top-level help lists the commands and the exit codes; a usage error exits 2", () => {
  const r = run(publishedCli, "--help");
  assert.equal(r.status, 0);
  for (const c of ["check-fixtures", "demo", "sample"]) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  assert.ok(r.stdout.includes(EXIT_LINES), r.stdout);
  assert.match(run(repoCli, "--help").stdout, /\n {2}repro \[words\.\.\.\] /);
  const unknownCommand = run(publishedCli, "bogus");
  assert.equal(unknownCommand.status, 2);
  assert.equal(unknownCommand.stderr, "error: unknown command 'bogus'\n(add --help for usage)\n");
  const unknownOption = run(publishedCli, "demo", "--bogus");
  assert.equal(unknownOption.status, 2);
  assert.equal(unknownOption.stderr, "error: unknown option '--bogus'\n(add --help for usage)\n");
  const badValue = run(publishedCli, "demo", "--steps=abc");
  assert.equal(badValue.status, 2);
  assert.equal(badValue.stderr, "rnnkit: demo: --steps must be a positive integer, got 'abc'\n");
});

test("every command's --help has its description, every option with its default, and an example", () => {
  const cases: Array<[string, string[]]> = [
    ["demo", ['--seed <n>   random seed (default: "1")', '--steps <n>  training steps (default: "200")', "$ rnnkit demo --steps 100 --seed 2"]],
    ["sample", ['(default: "0.8")', '(default: "500")', '(default: "0")', "(default: none, start from a newline)", "$ rnnkit sample reports/charnn/charnn-lstm.safetensors"]],
    ["check-fixtures", ['(choices: "float32", "float64", "both", default: "float32")', "--json", "$ rnnkit check-fixtures test/fixtures"]],
  ];
  for (const [command, wanted] of cases) {
    const r = run(publishedCli, command, "--help");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: rnnkit ${command} `));
    assert.match(r.stdout, /\nExample:\n {2}\$ rnnkit /);
    const flat = r.stdout.replace(/\s+/g, " "); // commander wraps long lines
    for (const w of wanted) assert.ok(flat.includes(w.replace(/\s+/g, " ")), `${command} --help lacks ${w}:\n${r.stdout}`);
  }
});

test("repro --help lists every experiment with its title; repro <name> --help every key, default and meaning", () => {
  for (const args of [["repro", "--help"], ["repro", "-h"], ["repro", "all", "--help"]]) {
    const r = run(repoCli, ...args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${reproHelp()}\n`);
  }
  const help = reproHelp();
  for (const e of experiments) assert.match(help, new RegExp(`\\n  ${e.name} +${e.title.replace(/[()[\]·|.*+?^$\\]/g, "\\$&")}\\n`));
  assert.ok(help.includes(EXIT_LINES));

  const r = run(repoCli, "repro", "charnn", "--help");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${experimentHelp(charnn as unknown as Experiment<Config>)}\n`);
  assert.match(r.stdout, /\n {2}--hidden +256 \(quick 64\) +\(b\) LSTM units\n/);
  assert.match(r.stdout, /\n {2}--text +"" +"" = the embedded corpus; or a text file/);
  assert.match(r.stdout, /\n {2}--minLr +0\.1 +\(a\) Adagrad learning rate\n/);
  for (const e of experiments) {
    const text = experimentHelp(e);
    for (const k of Object.keys(e.defaults)) assert.match(text, new RegExp(`\\n  --${k} +\\S.*  ${e.help[k].slice(0, 20).replace(/[()[\]·|.*+?^$\\]/g, "\\$&")}`), `${e.name}.${k}`);
  }
});

test("every config key of every experiment has a one-line description, and no description names an unknown key", () => {
  for (const e of experiments) {
    assert.deepEqual(Object.keys(e.help).sort(), Object.keys(e.defaults).sort(), e.name);
    for (const [k, text] of Object.entries(e.help)) {
      assert.equal(typeof text, "string");
      assert.ok(text.trim().length >= 5, `${e.name}.${k}: a description`);
      assert.ok(!text.includes("\n"), `${e.name}.${k}: one line`);
    }
  }
});

test("repro settings: --key value and --key=value alike, flags, and unknown keys with a suggestion", () => {
  const spaced = parseReproArgs(["charnn", "--text", "in.txt", "--minutes", "2", "--quick", "--out", "o", "--progress", "none"]);
  const joined = parseReproArgs(["charnn", "--text=in.txt", "--minutes=2", "--quick", "--out=o", "--progress=none"]);
  assert.deepEqual(spaced, joined);
  assert.deepEqual(spaced, { name: "charnn", quick: true, outDir: "o", progress: "none", overrides: { text: "in.txt", minutes: "2" }, help: false });
  // A bare flag is true, also before another setting; a negative number is a value.
  assert.deepEqual(parseReproArgs(["linear", "--bugCompatible", "--seeds", "2"]).overrides, { bugCompatible: "true", seeds: "2" });
  assert.deepEqual(parseReproArgs(["linear", "--lr", "-0.5"]).overrides, { lr: "-0.5" });
  assert.equal(parseReproArgs(["--quick", "linear"]).name, "linear");
  assert.throws(() => parseReproArgs(["linear", "--out"]), /^Error: --out needs a value$/);
  assert.throws(() => parseReproArgs(["linear", "extra"]), /^Error: unexpected argument 'extra': the experiment is already 'linear'; settings are --key value or --key=value$/);
  assert.equal(parseReproArgs(["charnn", "--help"]).help, true);

  const r = run(repoCli, "repro", "charnn", "--hiden", "3");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^rnnkit: charnn: unknown config key\(s\) hiden \(did you mean hidden\?\); known: part, text, seed, /);
  const typo = run(repoCli, "repro", "charn");
  assert.equal(typo.status, 2);
  assert.equal(typo.stderr, "rnnkit: unknown experiment 'charn' (did you mean charnn?); known: xor, linear, echo, mnist, lag, charnn, vanishing, all\n");
  const none = run(repoCli, "repro");
  assert.equal(none.status, 2);
  assert.equal(none.stderr, "rnnkit: which experiment? one of xor, linear, echo, mnist, lag, charnn, vanishing, all (see rnnkit repro --help)\n");
  assert.equal(closest("sedes", ["seeds", "steps"]), "seeds");
  assert.equal(closest("zzz", ["seeds", "steps"]), undefined);
});

test("missing files and directories: one line naming the path and what was expected, exit 2", () => {
  mkdirSync(join(dir, "a-dir"), { recursive: true });
  const cases: Array<[string, string[], string]> = [
    [repoCli, ["repro", "charnn", "--text", "nope.txt"], "rnnkit: charnn: --text: nope.txt: no such file; expected a UTF-8 text file to train on\n"],
    [repoCli, ["repro", "charnn", "--text=a-dir"], "rnnkit: charnn: --text: a-dir: is a directory; expected a UTF-8 text file to train on\n"],
    [publishedCli, ["sample", "nope.safetensors"], "rnnkit: nope.safetensors: no such file; expected a model file (.safetensors) saved by rnnkit, e.g. by repro charnn\n"],
    [publishedCli, ["sample", "a-dir"], "rnnkit: a-dir: is a directory; expected a model file (.safetensors) saved by rnnkit, e.g. by repro charnn\n"],
    [publishedCli, ["check-fixtures", "nope/"], "rnnkit: nope/: no such file or directory; expected a fixture file (.json) or a directory of them\n"],
  ];
  for (const [cli, args, stderr] of cases) {
    const r = run(cli, ...args);
    assert.equal(r.stderr, stderr, args.join(" "));
    assert.equal(r.status, 2, args.join(" "));
    assert.equal(r.stdout, "", "nothing ran");
  }
  // An empty directory holds no fixture case: a data error too.
  const empty = run(publishedCli, "check-fixtures", "a-dir");
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /^check-fixtures: no fixture case found under the given paths \(expected \.json fixture files\)\n$/);
  // Node's own file errors, wherever they come from, are put in words with their path.
  assert.equal(describeError(Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: "ENOENT", path: "x" })), "x: no such file or directory");
  assert.equal(describeError(Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: "EISDIR", path: "d" })), "d: is a directory, expected a file");
  assert.equal(describeError(new Error("plain")), "plain");
});

test("charnn checks its data when the config is read: the defaults fit the embedded corpus, short texts are refused with the numbers", async () => {
  const defaults = resolveConfig(charnn, {}, false);
  const plan = charnnPlan(defaults);
  assert.equal(plan.batch, 21); // ⌊1382 / 65⌋: 21 streams of a 64-step window fit in the embedded corpus's training split
  assert.deepEqual(plan.notes, ["(b) the embedded corpus has 1382 training characters and 32 streams of a 64-step window need 32 × 65 = 2080: part (b) runs 21 streams (--batch 21); a --text of at least 2312 characters runs 32"]);
  assert.deepEqual(charnnPlan(resolveConfig(charnn, {}, true)).notes, [], "the quick settings fit as they are");

  const short = join(dir, "short.txt");
  writeFileSync(short, "hello world, a short text.\n".repeat(20)); // 540 characters, 486 for training
  assert.throws(() => charnnPlan(resolveConfig(charnn, { text: short }, false)),
    (e: Error) => e.message === `charnn: ${short} has 486 training characters (540 less the validation split); 32 streams of a 64-step window need 32 × 65 = 2080: lower --batch to 7 or fewer, or --window to 14 or fewer, or use a longer --text`);
  assert.throws(() => charnnPlan(resolveConfig(charnn, { text: short, window: "1000" }, false)),
    (e: Error) => e.message === `charnn: ${short} has 486 training characters, fewer than one 1000-step window needs (1001): lower --window to 485 or fewer, or use a longer --text`);
  assert.throws(() => charnnPlan(resolveConfig(charnn, { text: short, part: "minchar", minSeq: "600" }, false)),
    (e: Error) => e.message === `charnn: ${short} has 540 characters; part (a) needs at least minSeq + 2 = 602: lower --minSeq or use a longer --text`);
  assert.equal(charnnPlan(resolveConfig(charnn, { text: short, batch: "7", window: "64" }, false)).batch, 7);
  assert.throws(() => charnnPlan(resolveConfig(charnn, { valFraction: "0" }, false)), /^Error: charnn: valFraction must be between 0 and 1 \(exclusive\), got 0$/);
  assert.throws(() => resolveConfig(charnn, { hidden: "0" }, false), /^Error: charnn: hidden must be a positive integer, got 0$/);

  // Through the runner: refused before anything is logged.
  const lines: string[] = [];
  await assert.rejects(runExperiment(findExperiment("charnn"), { quick: false, overrides: { text: short }, outDir: dir, progress: "none", log: (m) => lines.push(m) }), /lower --batch to 7 or fewer/);
  assert.deepEqual(lines, []);
  const cli = run(repoCli, "repro", "charnn", "--hidden=0");
  assert.equal(cli.status, 2);
  assert.equal(cli.stderr, "rnnkit: charnn: hidden must be a positive integer, got 0\n");
});

test("charnn's own defaults run on the embedded corpus (shortened by maxSteps and minIters)", async () => {
  const lines: string[] = [];
  const r = await runExperiment(findExperiment("charnn"), {
    quick: false, outDir: dir, progress: "none", log: (m) => lines.push(m),
    overrides: { minIters: "30", minLogEvery: "30", maxSteps: "2", evalSeconds: "600", sampleLength: "5", hidden: "16", saveDir: "" },
  });
  assert.ok(lines.some((l) => l.includes("part (b) runs 21 streams")), lines.join("\n"));
  assert.match(r.figures.find((f) => f.name.startsWith("(b)"))!.ours, /\(2 updates, /);
});

const sample: ReproResult[] = [
  {
    name: "lag", seconds: 1, dir: "x", smoke: true,
    figures: [
      { name: "modern recipe (LSTM with forget gate, 20 units, Adam lr 0.01, clip 1), p = 100", ours: "0/2 trials within 3000 sequences", published: "PyTorch check: 5/5 trials", verdict: "fails" },
      { name: "tanh RNN, p ≥ 10", ours: "p=10: 1/2, p=20: 0/2", published: "RTRL and BPTT, p ≥ 10: 0% within 5,000,000 sequences (ours: rerun with --bugCompatible=true to see)", verdict: "disagrees: our RNN solves some long lags" },
      { name: "a broken figure", ours: "NaN", published: "1", verdict: "disagrees" },
    ],
  },
  {
    name: "charnn", seconds: 1, dir: "x", smoke: true,
    figures: [{ name: "(a) smoothed loss", ours: "82.19 per 25-char window = 3.288 nats/char", published: "falls", verdict: "falls, as published", quick: "loss fell" }],
  },
  {
    name: "vanishing", seconds: 1, dir: "x", smoke: false,
    figures: [{ name: "same, LSTM", ours: "2.8e-11", published: "decays far more slowly than the RNN", verdict: "agrees" }],
  },
];

test("the summary fits the terminal's width without cutting words", () => {
  for (const width of [80, 100, 120]) {
    for (const smoke of [true, false]) {
      const results = smoke ? sample : sample.map((r) => ({ ...r, smoke: false }));
      const text = formatSummary(results, width);
      for (const line of text.split("\n")) assert.ok([...line].length <= width, `${width}: ${line}`);
      assert.doesNotMatch(text, /…/);
      // Every word of every shown cell appears whole.
      const words = new Set(text.split(/\s+/));
      for (const r of results) {
        for (const f of r.figures) {
          const cells = smoke ? [f.name, f.ours] : [f.name, f.ours, f.published, f.verdict];
          for (const w of cells.join(" ").split(/\s+/)) assert.ok(words.has(w), `${width}: '${w}' cut`);
        }
      }
    }
  }
  assert.deepEqual(wrap("rerun with --bugCompatible=true to see", 20), ["rerun with", "--bugCompatible=true", "to see"]);
  assert.deepEqual(wrap("x abcdefgh", 3), ["x", "abc", "def", "gh"], "only a word longer than the column is split");
  assert.deepEqual(wrap("a bb ccc", 4), ["a bb", "ccc"]);
  assert.deepEqual(wrap("", 4), [""]);
});

test("a quick run is judged by what a quick run can show; a full run by the published figure", () => {
  const smoke = formatSummary(sample, 100);
  const lines = smoke.split("\n");
  assert.equal(lines[0], "Quick run: a smoke run of every experiment on small data and short training, to show that each one");
  assert.doesNotMatch(smoke, /fails|disagrees/);
  assert.doesNotMatch(smoke, /published figure: see|PyTorch check/, "no published column");
  assert.match(smoke, /\nexperiment +figure +ours +quick-run check\n/);
  assert.match(smoke, /\nlag +modern recipe .* +0\/2 trials .* +ran\n/);
  assert.match(smoke, /\nlag +a broken figure +NaN +ran,\s+but\s+a\s+figure\s+is\s+not\s+finite\n/);
  assert.match(smoke, /\ncharnn +\(a\) smoothed loss +82\.19 per 25-char .* +loss fell\n/);
  assert.match(smoke, /\nvanishing +same, LSTM +2\.8e-11 +agrees$/, "a quick run that is the full protocol keeps its verdict");
  const full = formatSummary(sample.map((r) => ({ ...r, smoke: false })), 100);
  assert.match(full, /^experiment +figure +ours +published +verdict\n/);
  assert.match(full, /\nlag +modern recipe .* +fails\n/);
});

test("the published command line has train text, train series, forecast and info, each with its help", () => {
  const cli = resolve("build/src/cli/main.js");
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  const top = run("--help");
  assert.equal(top.status, 0);
  for (const name of ["train", "forecast", "info"]) assert.match(top.stdout, new RegExp(`^  ${name} `, "m"));
  for (const args of [["train", "text", "--help"], ["train", "series", "--help"], ["forecast", "--help"], ["info", "--help"]]) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, /Example:\n {2}\$ rnnkit /, `${args.join(" ")} shows an example`);
  }
  const bad = run("train", "series", "--bogus", "x.csv");
  assert.equal(bad.status, 2, "commander's errors in an added command exit 2 too");
  assert.match(bad.stderr, /unknown option '--bogus'/);
});
