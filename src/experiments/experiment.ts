/**
 * What an experiment is: a name, a flat commented config with defaults, the overrides
 * that make its `--quick` version, and a `run` that returns figures (ours beside the
 * published ones, with a verdict), plots and raw data. The CLI is thin: it applies
 * overrides, rejects unknown keys, prints the effective config and writes the report.
 */
import type { ProgressMode } from "../node/progress.js";

export type ConfigValue = number | string | boolean | number[] | string[];
export type Config = Record<string, ConfigValue>;

/** One reported number: ours beside the published one, and a one-line verdict. */
export interface Figure {
  name: string;
  ours: string;
  published: string;
  verdict: string;
  /**
   * What a --quick run can show about this figure ("loss fell"), where it can show more
   * than that it ran; a quick run is never judged against the published figure.
   */
  quick?: string;
}

/** A plot: a Vega-Lite spec (data inline), rendered to SVG and PNG by the report writer. */
export interface Plot {
  name: string;
  spec: Record<string, unknown>;
}

export interface ExperimentOutput {
  figures: Figure[];
  plots: Plot[];
  /** Everything else worth keeping (per-seed values, curves), written to results.json. */
  data: Record<string, unknown>;
  /** Free text for report.md: setup notes, how the published figure was obtained. */
  notes?: string[];
}

export interface RunContext {
  log(message: string): void;
  /** The directory the report is written to (for files an experiment saves, such as models). */
  reportDir: string;
  progress: ProgressMode;
  quick: boolean;
}

export interface Experiment<C extends Config = Config> {
  name: string;
  title: string;
  /** Where the published figures come from. */
  source: string;
  defaults: C;
  /** One line per config key: what it means (shown by `repro <name> --help`; a test checks every key has one). */
  help: { readonly [K in keyof C]: string };
  /** Overrides applied by `--quick` (a run of a few seconds to a minute on embedded data). */
  quick: Partial<C>;
  /**
   * Number keys that must be integers, each with its least allowed value (for a list of
   * numbers, every entry): `{ seeds: 1 }` refuses `--seeds=0` and `--seeds=2.5` before anything runs.
   */
  integers?: { readonly [K in keyof C]?: number };
  /**
   * Checks the data a config names (files, lengths) before any work; throws one line that
   * names the setting to change. Returns notes to log (e.g. a setting adapted to the data).
   */
  check?(config: C): string[];
  run(config: C, ctx: RunContext): ExperimentOutput | Promise<ExperimentOutput>;
}

/** Identity helper that keeps the config type. */
export function defineExperiment<C extends Config>(e: Experiment<C>): Experiment<C> {
  return e;
}

function parseValue(key: string, raw: string, like: ConfigValue): ConfigValue {
  if (typeof like === "number") {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`config ${key}: expected a number, got '${raw}'`);
    return v;
  }
  if (typeof like === "boolean") {
    if (raw === "true" || raw === "") return true;
    if (raw === "false") return false;
    throw new Error(`config ${key}: expected true or false, got '${raw}'`);
  }
  if (Array.isArray(like)) {
    const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (like.length > 0 && typeof like[0] === "number") {
      return parts.map((p) => parseValue(key, p, 0) as number);
    }
    return parts;
  }
  return raw;
}

/** Defaults, then the quick overrides (if asked), then the user's `key=value` overrides; unknown keys are refused. */
export function resolveConfig<C extends Config>(e: Experiment<C>, overrides: Record<string, string>, quick: boolean): C {
  const config: Config = { ...e.defaults, ...(quick ? e.quick : {}) };
  const unknown = Object.keys(overrides).filter((k) => !(k in e.defaults));
  if (unknown.length) {
    const known = Object.keys(e.defaults);
    const hints = unknown.map((k) => closest(k, known)).filter((k): k is string => k !== undefined);
    const hint = hints.length ? ` (did you mean ${hints.join(", ")}?)` : "";
    throw new Error(`${e.name}: unknown config key(s) ${unknown.join(", ")}${hint}; known: ${known.join(", ")}`);
  }
  for (const [k, raw] of Object.entries(overrides)) config[k] = parseValue(k, raw, e.defaults[k]);
  for (const [k, min] of Object.entries(e.integers ?? {}) as Array<[string, number]>) {
    const v = config[k];
    for (const x of Array.isArray(v) ? v : [v]) {
      if (typeof x !== "number" || !Number.isInteger(x) || x < min) {
        const want = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`;
        throw new Error(`${e.name}: ${k} must be ${Array.isArray(v) ? `a list of ${want.replace(/^an? /, "")}s` : want}, got ${Array.isArray(v) ? `${x} in ${v.join(",")}` : x}`);
      }
    }
  }
  return config as C;
}

/** Mean, sample standard deviation, min and max of a list. */
export function spread(values: readonly number[]): { mean: number; std: number; min: number; max: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours; case-insensitive). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known word nearest to `word`, if it is near enough to be a likely typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(word, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}
