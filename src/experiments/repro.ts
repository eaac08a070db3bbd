/**
 * `rnnkit repro <name|all> [--quick] [--out DIR] [--progress MODE] [--key=value ...]`.
 * Settings are `--key=value` pairs applied over the experiment's config; unknown keys
 * are refused. `all` runs every experiment (settings are not allowed there).
 */
import { experiments, findExperiment, formatSummary, runExperiment, type ReproResult } from "./index.js";
import { resolveConfig } from "./experiment.js";
import type { ProgressMode } from "../node/progress.js";
import { checkWritableDir } from "../node/atomic.js";

export interface ReproArgs {
  name: string;
  quick: boolean;
  outDir: string;
  progress: ProgressMode;
  overrides: Record<string, string>;
}

/** Parses the words after `repro`. */
export function parseReproArgs(words: readonly string[]): ReproArgs {
  const args: ReproArgs = { name: "", quick: false, outDir: "reports", progress: "auto", overrides: {} };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--quick") args.quick = true;
    else if (w === "--out" || w === "--progress") {
      const v = words[++i];
      if (v === undefined) throw new Error(`${w} needs a value`);
      if (w === "--out") args.outDir = v;
      else args.progress = v as ProgressMode;
    } else if (w.startsWith("--")) {
      const eq = w.indexOf("=");
      const key = w.slice(2, eq < 0 ? undefined : eq);
      const value = eq < 0 ? "true" : w.slice(eq + 1);
      if (key === "out") args.outDir = value;
      else if (key === "progress") args.progress = value as ProgressMode;
      else args.overrides[key] = value;
    } else if (args.name === "") args.name = w;
    else throw new Error(`unexpected argument '${w}' (settings are --key=value)`);
  }
  if (args.outDir === "") throw new Error("--out needs a directory, got an empty string");
  if (args.name === "") throw new Error(`which experiment? one of ${experiments.map((e) => e.name).join(", ")}, all`);
  if (!["auto", "bar", "lines", "json", "none"].includes(args.progress)) throw new Error(`--progress must be auto, bar, lines, json or none`);
  return args;
}

export async function repro(words: readonly string[]): Promise<number> {
  const args = parseReproArgs(words);
  const options = { quick: args.quick, overrides: args.overrides, outDir: args.outDir, progress: args.progress };
  if (args.name !== "all") {
    const r = await runExperiment(findExperiment(args.name), options);
    console.log(`\n${formatSummary([r])}`);
    return 0;
  }
  if (Object.keys(args.overrides).length) throw new Error("repro all takes no --key=value settings; run one experiment to change its config");
  checkWritableDir(args.outDir); // before the first experiment, not after it
  for (const e of experiments) resolveConfig(e, {}, args.quick);
  const results: ReproResult[] = [];
  const start = performance.now();
  for (const e of experiments) results.push(await runExperiment(e, options));
  console.log(`\n${formatSummary(results)}`);
  console.log(`\n${results.length} experiments in ${((performance.now() - start) / 1000).toFixed(1)} s; reports in ${args.outDir}/`);
  return 0;
}
