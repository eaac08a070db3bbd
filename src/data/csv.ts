/**
 * Tables of numbers from users' CSV files, for the command line's series forecaster:
 * parsing (csv-parse; header row required), numeric columns with the file line and the
 * column named in every refusal, gap filling (`previous` or `interpolate`), a time column
 * (recognised by its values or its name) and its regular step, which extends it past the
 * end of the data. Platform-neutral: it reads text, not files (src/node reads them).
 *
 * Missing values are empty cells and NA, N/A, NaN, null, None, "-", "?" (any case); they
 * are refused unless a fill is asked for. Any other text that is not a number is refused
 * even with a fill, since it is more likely a broken file than a gap.
 */
import { parse } from "csv-parse/sync";

/** A refusal of the data itself (the command line prints it as one line and exits 2). */
export class CsvDataError extends Error {
  override name = "CsvDataError";
}

export interface CsvTable {
  /** Where the text came from, for messages (a path). */
  source: string;
  columns: string[];
  /** Data rows (header excluded), one string per column, trimmed. */
  rows: string[][];
  /** The file line (1-based) on which each data row ends. */
  lines: number[];
}

/** Parses CSV text with a header row; refuses an empty file, a header-only file and rows of the wrong width. */
export function parseCsv(text: string, source: string): CsvTable {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, info: true, relax_quotes: true }) as unknown as typeof records;
  } catch (e) {
    throw new CsvDataError(`${source}: not a readable CSV file: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new CsvDataError(`${source}: the file is empty (expected a header row and data rows)`);
  const columns = records[0].record.map((c, i) => (c === "" ? `column ${i + 1}` : c));
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new CsvDataError(`${source}: the header names the column "${c}" twice`);
    seen.add(c);
  }
  if (records.length === 1) throw new CsvDataError(`${source}: the file has a header row but no data rows`);
  return { source, columns, rows: records.slice(1).map((r) => r.record), lines: records.slice(1).map((r) => r.info.lines) };
}

/** The index of `name` in the table, or a refusal that lists the columns. */
export function columnIndex(table: CsvTable, name: string, option: string): number {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new CsvDataError(`${table.source}: no column "${name}" (${option}); the columns are ${table.columns.map((c) => `"${c}"`).join(", ")}`);
  return i;
}

const MISSING = new Set(["", "na", "n/a", "nan", "null", "none", "-", "?"]);

export type FillMethod = "none" | "previous" | "interpolate";

/**
 * The numbers of one column. Gaps are refused with the line and column unless `fill` is
 * `previous` (the last value before; leading gaps take the first value) or `interpolate`
 * (linear between the neighbours; gaps at either end take the nearest value).
 */
export function numericColumn(table: CsvTable, name: string, fill: FillMethod): { values: number[]; filled: number } {
  const col = table.columns.indexOf(name);
  const raw: Array<number | null> = table.rows.map((row, r) => {
    const cell = row[col];
    if (MISSING.has(cell.toLowerCase())) {
      if (fill === "none") {
        throw new CsvDataError(
          `${table.source}: line ${table.lines[r]}, column "${name}": missing value${cell === "" ? "" : ` '${cell}'`} (use --fill previous or --fill interpolate to fill gaps)`,
        );
      }
      return null;
    }
    const v = Number(cell);
    if (!Number.isFinite(v)) throw new CsvDataError(`${table.source}: line ${table.lines[r]}, column "${name}": '${cell}' is not a number`);
    return v;
  });
  if (raw.every((v) => v === null)) throw new CsvDataError(`${table.source}: column "${name}" holds no numbers`);
  const values = raw.slice() as number[];
  let filled = 0;
  // The nearest known rows before and after each row, in two passes.
  const next = new Array<number>(raw.length);
  for (let i = raw.length - 1, k = -1; i >= 0; i--) {
    if (raw[i] !== null) k = i;
    next[i] = k;
  }
  for (let i = 0, prev = -1; i < raw.length; i++) {
    if (raw[i] !== null) {
      prev = i;
      continue;
    }
    filled++;
    const nx = next[i];
    if (fill === "previous" || prev < 0 || nx < 0) values[i] = prev >= 0 ? raw[prev]! : raw[nx]!;
    else values[i] = raw[prev]! + ((raw[nx]! - raw[prev]!) * (i - prev)) / (nx - prev);
  }
  return { values, filled };
}

// ---- time ----

/** A regular step of a time column: whole months, a fixed duration, or a fixed number. */
export type TimeStep =
  | { unit: "month"; count: number; format: "ym" | "ymd"; day: number }
  | { unit: "ms"; count: number; format: "date" | "datetime" }
  | { unit: "number"; count: number; decimals: number };

export interface TimeAxis {
  column: string;
  labels: string[];
  /** Dates as ms since 1970 (UTC), the numbers of a numeric column, or row indices for text labels. */
  values: number[];
  kind: "date" | "number" | "label";
  /** Null when the column is not regular. */
  step: TimeStep | null;
}

const YM = /^(\d{4})-(\d{1,2})$/;
const YMD = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const NAMED = /^(time|date|month|year|day|week|period|timestamp|datetime|ds|quarter)$|time|date/i;

/** A cell as a date (ms, UTC), or null: YYYY-MM, YYYY-MM-DD, ISO date-times and other forms Date.parse reads that are not bare numbers. */
export function parseDate(cell: string): number | null {
  let m = YM.exec(cell);
  if (m) return +m[2] >= 1 && +m[2] <= 12 ? Date.UTC(+m[1], +m[2] - 1) : null;
  m = YMD.exec(cell);
  if (m) {
    const t = Date.UTC(+m[1], +m[2] - 1, +m[3]);
    return new Date(t).getUTCDate() === +m[3] ? t : null;
  }
  if (/^[-+\d.eE\s]*$/.test(cell)) return null; // a number, not a date
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(cell) ? `${cell.replace(" ", "T")}Z` : cell;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

function isDateColumn(table: CsvTable, col: number): boolean {
  return table.rows.every((r) => parseDate(r[col]) !== null);
}

/**
 * The time column: `requested` when given (it must exist), else the first column other
 * than the excluded ones whose every value parses as a date or whose name says time
 * (time, date, month, year, day, …), else none.
 */
export function findTimeColumn(table: CsvTable, requested: string | undefined, exclude: readonly string[]): string | null {
  if (requested !== undefined) {
    columnIndex(table, requested, "--time");
    return requested;
  }
  for (let c = 0; c < table.columns.length; c++) {
    const name = table.columns[c];
    if (exclude.includes(name)) continue;
    if (isDateColumn(table, c) || NAMED.test(name)) return name;
  }
  return null;
}

/**
 * Reads the time column and works out its step. Dates and numbers must increase from row
 * to row (the rows are taken as a time series in file order); any other text is kept as
 * labels for the plots, with no step.
 */
export function readTimeAxis(table: CsvTable, column: string): TimeAxis {
  const col = columnIndex(table, column, "--time");
  const labels = table.rows.map((r) => r[col]);
  let axis: TimeAxis;
  if (isDateColumn(table, col)) {
    const values = labels.map((l) => parseDate(l)!);
    axis = { column, labels, values, kind: "date", step: dateStep(labels, values) };
  } else if (labels.every((l) => l !== "" && Number.isFinite(Number(l)))) {
    const values = labels.map(Number);
    axis = { column, labels, values, kind: "number", step: numberStep(labels, values) };
  } else {
    return { column, labels, values: labels.map((_, i) => i), kind: "label", step: null };
  }
  for (let r = 1; r < labels.length; r++) {
    if (!(axis.values[r] > axis.values[r - 1])) {
      throw new CsvDataError(
        `${table.source}: the time column "${column}" does not increase: line ${table.lines[r]} ('${labels[r]}') comes after line ${table.lines[r - 1]} ('${labels[r - 1]}'); sort the rows by time`,
      );
    }
  }
  return axis;
}

function constantDiff(values: readonly number[], tolerance = 0): number | null {
  if (values.length < 2) return null;
  const d = values[1] - values[0];
  if (!(d > 0)) return null;
  for (let i = 2; i < values.length; i++) if (Math.abs(values[i] - values[i - 1] - d) > tolerance) return null;
  return d;
}

function dateStep(labels: readonly string[], ms: readonly number[]): TimeStep | null {
  const dates = ms.map((t) => new Date(t));
  const midnight = dates.every((d) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0 && d.getUTCMilliseconds() === 0);
  const day = dates[0].getUTCDate();
  if (midnight && day <= 28 && dates.every((d) => d.getUTCDate() === day)) {
    const months = constantDiff(dates.map((d) => d.getUTCFullYear() * 12 + d.getUTCMonth()));
    if (months !== null) return { unit: "month", count: months, format: labels.every((l) => YM.test(l)) ? "ym" : "ymd", day };
  }
  const d = constantDiff(ms);
  return d === null ? null : { unit: "ms", count: d, format: midnight ? "date" : "datetime" };
}

function numberStep(labels: readonly string[], values: readonly number[]): TimeStep | null {
  const span = Math.abs(values[values.length - 1] - values[0]) || 1;
  const d = constantDiff(values, span * 1e-9);
  if (d === null) return null;
  const decimals = Math.max(0, ...labels.map((l) => (/\.(\d+)$/.exec(l)?.[1].length ?? 0)));
  return { unit: "number", count: d, decimals };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The labels of the `n` steps after the end of a regular axis, in the column's own format. */
export function extendTime(axis: TimeAxis, n: number): string[] {
  const step = axis.step;
  if (step === null) throw new Error(`extendTime: the time column "${axis.column}" is not regular`);
  const last = axis.values[axis.values.length - 1];
  const out: string[] = [];
  for (let k = 1; k <= n; k++) {
    if (step.unit === "month") {
      const d = new Date(last);
      const m = d.getUTCFullYear() * 12 + d.getUTCMonth() + k * step.count;
      const y = Math.floor(m / 12), mo = (m % 12) + 1;
      out.push(step.format === "ym" ? `${y}-${pad(mo)}` : `${y}-${pad(mo)}-${pad(step.day)}`);
    } else if (step.unit === "ms") {
      const iso = new Date(last + k * step.count).toISOString();
      out.push(step.format === "date" ? iso.slice(0, 10) : iso.replace(/\.000Z$/, "Z"));
    } else {
      out.push((last + k * step.count).toFixed(step.decimals));
    }
  }
  return out;
}

/**
 * The seasonal period implied by a regular time step, with how it was found: 12 for
 * monthly data (4 for quarterly), 7 for daily, 24 for hourly, 52 for weekly; null otherwise.
 */
export function seasonFromStep(step: TimeStep | null): { season: number; how: string } | null {
  if (step === null) return null;
  if (step.unit === "month" && 12 % step.count === 0 && step.count < 12) {
    return { season: 12 / step.count, how: step.count === 1 ? "monthly time column: 12 months a year" : `a step of ${step.count} months: ${12 / step.count} a year` };
  }
  if (step.unit === "ms") {
    const hour = 3_600_000, day = 24 * hour;
    if (step.count === day) return { season: 7, how: "daily time column: 7 days a week" };
    if (step.count === hour) return { season: 24, how: "hourly time column: 24 hours a day" };
    if (step.count === 7 * day) return { season: 52, how: "weekly time column: 52 weeks a year" };
  }
  return null;
}

/**
 * The lag (2..maxLag) with the largest autocorrelation of the first differences, if that
 * autocorrelation is at least 0.3 (a seasonal pattern); null otherwise.
 */
export function seasonFromAutocorrelation(values: readonly number[], maxLag: number): { season: number; how: string } | null {
  const d = values.slice(1).map((v, i) => v - values[i]);
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const c = d.map((v) => v - mean);
  const var0 = c.reduce((a, b) => a + b * b, 0);
  if (!(var0 > 0)) return null;
  let best: { lag: number; r: number } | null = null;
  for (let lag = 2; lag <= Math.min(maxLag, Math.floor(n / 3)); lag++) {
    let s = 0;
    for (let i = lag; i < n; i++) s += c[i] * c[i - lag];
    const r = s / var0;
    if (r >= 0.3 && (best === null || r > best.r)) best = { lag, r };
  }
  return best && { season: best.lag, how: `autocorrelation of the differences peaks at lag ${best.lag} (r = ${best.r.toFixed(2)})` };
}
