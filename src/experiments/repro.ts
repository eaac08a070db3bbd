/**
 * `rnnkit repro <name|all> [--quick] [--out DIR] [--progress MODE] [--key value ...]`.
 * Settings are `--key value` or `--key=value` pairs applied over the experiment's config;
 * unknown keys are refused with the nearest known one. `all` runs every experiment
 * (settings are not allowed there). `--help` lists the experiments, or one experiment's keys.
 */
import { experiments, findExperiment, formatSummary, runExperiment, type ReproResult } from "./index.js";
import { resolveConfig, type Config, type ConfigValue, type Experiment } from "./experiment.js";
import { EXIT_CODES_HELP } from "../cli/program.js";
import type { ProgressMode } from "../node/progress.js";
import { checkWritableDir } from "../node/atomic.js";

export interface ReproArgs {
  name: string;
  quick: boolean;
  outDir: string;
  progress: ProgressMode;
  overrides: Record<string, string>;
  /** `--help` or `-h` was given: print help instead of running. */
  help: boolean;
}

const USAGE = "Usage: rnnkit repro <name|all> [--quick] [--out DIR] [--progress MODE] [--key value | --key=value ...]";

/** `repro --help`: the usage, the options and one line per experiment. */
export function reproHelp(): string {
  const width = Math.max(...experiments.map((e) => e.name.length), 3);
  return [
    USAGE,
    "",
    "Rerun a classic experiment and write reports/<name>/ (results.json, report.md, plots).",
    "",
    "Options:",
    "  --quick           a short run on small data (a smoke run, not the published protocol)",
    "  --out DIR         where reports go (default: reports)",
    "  --progress MODE   auto, bar, lines, json or none (default: auto)",
    "  --key value       set a config key (also --key=value); see 'rnnkit repro <name> --help'",
    "  -h, --help        this help; with a name, that experiment's config keys",
    "",
    "Experiments:",
    ...experiments.map((e) => `  ${e.name.padEnd(width)}  ${e.title}`),
    `  ${"all".padEnd(width)}  every experiment in turn (no --key settings)`,
    "",
    "Examples:",
    "  $ rnnkit repro all --quick",
    "  $ rnnkit repro charnn --text input.txt --minutes 2 --part lstm",
    EXIT_CODES_HELP,
  ].join("\n");
}

function showValue(v: ConfigValue): string {
  if (Array.isArray(v)) return v.join(",");
  if (v === "") return '""';
  return String(v);
}

/** A setting for the help's example: the first key --quick sets, at its quick value. */
function exampleSetting(e: Experiment<Config>): string {
  const key = Object.keys(e.quick)[0];
  return key === undefined ? "" : ` --${key} ${showValue(e.quick[key] as ConfigValue)}`;
}

/** `repro <name> --help`: every config key with its default (and quick value) and meaning. */
export function experimentHelp(e: Experiment<Config>): string {
  const keys = Object.keys(e.defaults);
  const defaults = keys.map((k) => showValue(e.defaults[k]) + (k in e.quick ? ` (quick ${showValue(e.quick[k] as ConfigValue)})` : ""));
  const kw = Math.max(...keys.map((k) => k.length)) + 2;
  const dw = Math.min(28, Math.max(...defaults.map((d) => d.length)));
  return [
    `Usage: rnnkit repro ${e.name} [--quick] [--out DIR] [--progress MODE] [--key value ...]`,
    "",
    `${e.title}.`,
    `Published figures: ${e.source}`,
    "",
    "Config keys (default, and the value --quick uses where it differs):",
    ...keys.map((k, i) => `  --${k.padEnd(kw)} ${defaults[i].padEnd(dw)}  ${e.help[k]}`),
    "",
    "Example:",
    `  $ rnnkit repro ${e.name} --quick${exampleSetting(e)}`,
  ].join("\n");
}

/** Parses the words after `repro`. */
export function parseReproArgs(words: readonly string[]): ReproArgs {
  const args: ReproArgs = { name: "", quick: false, outDir: "reports", progress: "auto", overrides: {}, help: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--quick") args.quick = true;
    else if (w === "--help" || w === "-h") args.help = true;
    else if (w.startsWith("--") && w.length > 2) {
      const eq = w.indexOf("=");
      const key = w.slice(2, eq < 0 ? undefined : eq);
      let value: string;
      if (eq >= 0) value = w.slice(eq + 1);
      else if (i + 1 < words.length && !words[i + 1].startsWith("--")) value = words[++i]; // --key value
      else if (key === "out" || key === "progress") throw new Error(`--${key} needs a value`);
      else value = "true"; // a bare --flag
      if (key === "out") args.outDir = value;
      else if (key === "progress") args.progress = value as ProgressMode;
      else args.overrides[key] = value;
    } else if (args.name === "") args.name = w;
    else throw new Error(`unexpected argument '${w}': the experiment is already '${args.name}'; settings are --key value or --key=value`);
  }
  if (args.help) return args;
  if (args.outDir === "") throw new Error("--out needs a directory, got an empty string");
  if (args.name === "") throw new Error(`which experiment? one of ${experiments.map((e) => e.name).join(", ")}, all (see rnnkit repro --help)`);
  if (!["auto", "bar", "lines", "json", "none"].includes(args.progress)) throw new Error(`--progress must be auto, bar, lines, json or none`);
  return args;
}

export async function repro(words: readonly string[]): Promise<number> {
  const args = parseReproArgs(words);
  if (args.help) {
    console.log(args.name === "" || args.name === "all" ? reproHelp() : experimentHelp(findExperiment(args.name)));
    return 0;
  }
  const options = { quick: args.quick, overrides: args.overrides, outDir: args.outDir, progress: args.progress };
  if (args.name !== "all") {
    const r = await runExperiment(findExperiment(args.name), options);
    console.log(`\n${formatSummary([r])}`);
    return 0;
  }
  if (Object.keys(args.overrides).length) throw new Error("repro all takes no --key=value settings; run one experiment to change its config");
  checkWritableDir(args.outDir); // before the first experiment, not after it
  for (const e of experiments) e.check?.(resolveConfig(e, {}, args.quick));
  const results: ReproResult[] = [];
  const start = performance.now();
  for (const e of experiments) results.push(await runExperiment(e, options));
  console.log(`\n${formatSummary(results)}`);
  console.log(`\n${results.length} experiments in ${((performance.now() - start) / 1000).toFixed(1)} s; reports in ${args.outDir}/`);
  return 0;
}
