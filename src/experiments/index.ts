/**
 * The experiment registry and the runner behind `rnnkit repro`.
 */
import { join } from "node:path";
import type { Config, Experiment, Figure } from "./experiment.js";
import { closest, resolveConfig } from "./experiment.js";
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
  if (!e) {
    const near = closest(name, [...experiments.map((x) => x.name), "all"]);
    throw new Error(`unknown experiment '${name}'${near ? ` (did you mean ${near}?)` : ""}; known: ${experiments.map((x) => x.name).join(", ")}, all`);
  }
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
  /**
   * True when this was a --quick run with settings of its own (a smoke run on small data):
   * its figures are judged by what a quick run can show, not against the published ones.
   */
  smoke?: boolean;
}

/**
 * Runs one experiment and writes its report under `outDir/<name>/`. The config and the
 * report directory are checked first: a bad setting or an unwritable directory is refused
 * before any training, not found after it.
 */
export async function runExperiment(e: Experiment<Config>, options: ReproOptions): Promise<ReproResult> {
  const log = options.log ?? ((m: string) => console.log(m));
  const config = resolveConfig(e, options.overrides, options.quick);
  const checkNotes = e.check?.(config) ?? [];
  const dir = join(options.outDir, e.name);
  checkWritableDir(dir);
  log(`== ${e.name}: ${e.title}${options.quick ? " (quick)" : ""}`);
  log(`config ${JSON.stringify(config)}`);
  for (const note of checkNotes) log(`  ${note}`);
  const start = performance.now();
  const output = await e.run(config, { log: (m) => log(`  ${m}`), progress: options.progress, quick: options.quick, reportDir: dir });
  const seconds = (performance.now() - start) / 1000;
  await writeReport(dir, { experiment: e, config, output, seconds, quick: options.quick, overrides: options.overrides });
  log(`  report: ${join(dir, "report.md")} (${seconds.toFixed(1)} s)`);
  return { name: e.name, figures: output.figures, seconds, dir, smoke: options.quick && Object.keys(e.quick).length > 0 };
}

/** Words of `text` in lines of at most `width` characters; a word longer than `width` alone is split. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (let word of text.split(/\s+/).filter((w) => w !== "")) {
    while ([...word].length > width) {
      if (line) lines.push(line);
      line = "";
      lines.push([...word].slice(0, width).join(""));
      word = [...word].slice(width).join("");
    }
    if (!line) line = word;
    else if ([...line].length + 1 + [...word].length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

const len = (s: string) => [...s].length;

/**
 * Column widths that fit `total` characters (with two spaces between columns): each
 * column first gets its longest word (so no word is split), then the space left goes,
 * a character at a time, to the column shortest relative to its natural (one-line) width.
 * Only when the longest words alone do not fit are columns narrower than a word.
 */
function fitWidths(natural: number[], longestWord: number[], total: number): number[] {
  const avail = Math.max(natural.length * 4, total - 2 * (natural.length - 1));
  const need = natural.map((n, i) => Math.min(n, longestWord[i]));
  const needSum = need.reduce((a, b) => a + b, 0);
  if (needSum > avail) return need.map((w) => Math.max(3, Math.floor((w * avail) / needSum)));
  const widths = [...need];
  for (let left = avail - needSum; left > 0; left--) {
    let best = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i] < natural[i] && (best < 0 || widths[i] / natural[i] < widths[best] / natural[best])) best = i;
    if (best < 0) break;
    widths[best]++;
  }
  return widths;
}

/** The terminal's width for the summary: its columns on a TTY, else 100. */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 100;
}

/** The first lines of the summary of a quick run. */
export const SMOKE_NOTE =
  "Quick run: a smoke run of every experiment on small data and short training, to show that each one runs and learns. " +
  "Its figures are not comparable with the published ones; 'ran' means it finished with finite figures. " +
  "Full runs (rnnkit repro <name>, without --quick) are judged against the published figures: see docs/results.";

/**
 * The summary table printed after `repro`, wrapped to `width` columns without cutting
 * words. A smoke (quick) run shows what a quick run can show (the figure's `quick`
 * verdict, else "ran"); a full run shows the published figure and the verdict.
 */
export function formatSummary(results: readonly ReproResult[], width = terminalWidth()): string {
  const smoke = results.some((r) => r.smoke);
  const head = smoke ? ["experiment", "figure", "ours", "quick-run check"] : ["experiment", "figure", "ours", "published", "verdict"];
  const rows = results.flatMap((r) =>
    r.figures.map((f) => {
      if (!smoke) return [r.name, f.name, f.ours, f.published, f.verdict];
      const check = !r.smoke ? f.verdict : /NaN|Infinity/.test(f.ours) ? "ran, but a figure is not finite" : (f.quick ?? "ran");
      return [r.name, f.name, f.ours, check];
    }),
  );
  const natural = head.map((h, i) => Math.max(len(h), ...rows.map((r) => len(r[i]))));
  const longestWord = head.map((h, i) => Math.max(...[h, ...rows.map((r) => r[i])].flatMap((c) => c.split(/\s+/)).map(len)));
  const widths = fitWidths(natural, longestWord, width);
  const lines: string[] = [];
  if (smoke) lines.push(...wrap(SMOKE_NOTE, width), "");
  const emit = (cells: string[]) => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i]));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < height; k++) {
      lines.push(wrapped.map((w, i) => (w[k] ?? "") + " ".repeat(widths[i] - len(w[k] ?? ""))).join("  ").trimEnd());
    }
  };
  emit(head);
  lines.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) emit(r);
  return lines.join("\n");
}
