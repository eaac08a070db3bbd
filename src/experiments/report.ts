/**
 * Writes an experiment's report directory: results.json (config, seeds, figures, data,
 * time), report.md (our figures beside the published ones with verdicts, notes, plots)
 * and each plot as SVG and PNG. Every file is written atomically.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../node/atomic.js";
import type { Config, Experiment, ExperimentOutput } from "./experiment.js";
import { renderPlot } from "./plot.js";

export interface ReportInfo {
  experiment: Experiment<Config>;
  config: Config;
  output: ExperimentOutput;
  seconds: number;
  quick: boolean;
  /** The `--key=value` settings the run was given, shown in the command line. */
  overrides?: Record<string, string>;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export async function writeReport(dir: string, info: ReportInfo): Promise<string[]> {
  const { experiment: e, config, output, seconds, quick } = info;
  const settings = Object.entries(info.overrides ?? {}).map(([k, v]) => ` --${k}=${v}`).join("");
  const written: string[] = [];
  for (const plot of output.plots) {
    const { svg, png } = await renderPlot(plot.spec);
    writeFileAtomic(join(dir, `${plot.name}.svg`), svg);
    writeFileAtomic(join(dir, `${plot.name}.png`), png);
    written.push(`${plot.name}.svg`, `${plot.name}.png`);
  }
  const results = {
    experiment: e.name,
    title: e.title,
    quick,
    config,
    seconds,
    node: process.version,
    date: new Date().toISOString(),
    figures: output.figures,
    data: output.data,
  };
  writeFileAtomic(join(dir, "results.json"), JSON.stringify(results, null, 1) + "\n");
  const lines = [
    `# ${e.title}${quick ? " (quick run)" : ""}`,
    "",
    `Source of the published figures: ${e.source}`,
    "",
    `Command: \`rnnkit repro ${e.name}${quick ? " --quick" : ""}${settings}\` — took ${seconds.toFixed(1)} s on ${process.platform}/${process.arch}, Node ${process.version}.`,
    "",
    "| figure | ours | published | verdict |",
    "|---|---|---|---|",
    ...output.figures.map((f) => `| ${mdCell(f.name)} | ${mdCell(f.ours)} | ${mdCell(f.published)} | ${mdCell(f.verdict)} |`),
    "",
  ];
  if (output.notes?.length) lines.push("## Notes", "", ...output.notes.map((n) => `- ${n}`), "");
  if (output.plots.length) lines.push("## Plots", "", ...output.plots.map((p) => `![${p.name}](${p.name}.png)`), "");
  lines.push("## Config", "", "```json", JSON.stringify(config, null, 1), "```", "");
  writeFileAtomic(join(dir, "report.md"), lines.join("\n"));
  written.push("results.json", "report.md");
  return written;
}
