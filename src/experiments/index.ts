/**
 * The experiment registry and the runner behind `rnnkit repro`.
 */
import { join } from "node:path";
import type { Config, Experiment, Figure } from "./experiment.js";
import { resolveConfig } from "./experiment.js";
import { writeReport } from "./report.js";
import { checkWritableDir } from "../node/atomic.js";
import type { ProgressMode } from "../node/progress.js";
import { xor } from "./xor.js";
import { linear } from "./linear.js";
import { vanishing } from "./vanishing.js";
import { echo } from "./echo.js";
import { lag } from "./lag.js";
import { mnist } from "./mnist.js";
import { charnn } from "./charnn.js";

export const experiments: ReadonlyArray<Experiment<Config>> = [xor, linear, echo, mnist, lag, charnn, vanishing] as unknown as Experiment<Config>[];

export function findExperiment(name: string): Experiment<Config> {
  const e = experiments.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}'; known: ${experiments.map((x) => x.name).join(", ")}, all`);
  return e;
}

export interface ReproOptions {
  quick: boolean;
  overrides: Record<string, string>;
  outDir: string;
  progress: ProgressMode;
  log?: (message: string) => void;
}

export interface ReproResult {
  name: string;
  figures: Figure[];
  seconds: number;
  dir: string;
}

/**
 * Runs one experiment and writes its report under `outDir/<name>/`. The config and the
 * report directory are checked first: a bad setting or an unwritable directory is refused
 * before any training, not found after it.
 */
export async function runExperiment(e: Experiment<Config>, options: ReproOptions): Promise<ReproResult> {
  const log = options.log ?? ((m: string) => console.log(m));
  const config = resolveConfig(e, options.overrides, options.quick);
  const dir = join(options.outDir, e.name);
  checkWritableDir(dir);
  log(`== ${e.name}: ${e.title}${options.quick ? " (quick)" : ""}`);
  log(`config ${JSON.stringify(config)}`);
  const start = performance.now();
  const output = await e.run(config, { log: (m) => log(`  ${m}`), progress: options.progress, quick: options.quick, reportDir: dir });
  const seconds = (performance.now() - start) / 1000;
  await writeReport(dir, { experiment: e, config, output, seconds, quick: options.quick, overrides: options.overrides });
  log(`  report: ${join(dir, "report.md")} (${seconds.toFixed(1)} s)`);
  return { name: e.name, figures: output.figures, seconds, dir };
}

/** The summary table printed after `repro all`. */
export function formatSummary(results: readonly ReproResult[]): string {
  const rows = results.flatMap((r) => r.figures.map((f) => [r.name, f.name, f.ours, f.published, f.verdict]));
  const head = ["experiment", "figure", "ours", "published", "verdict"];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const cut = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  return [head, widths.map((w) => "-".repeat(w)), ...rows].map((r) => r.map((c, i) => cut(c, widths[i])).join("  ")).join("\n");
}
