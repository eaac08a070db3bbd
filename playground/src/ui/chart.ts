/**
 * Live line charts on uPlot: a few named series over a shared x axis, redrawn in place as
 * snapshots arrive (uPlot redraws thousands of points in well under a frame). Reference
 * lines (the echo task's expected losses) are drawn as flat series.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface SeriesStyle {
  label: string;
  color: string;
  /** Dashed (reference lines). */
  dash?: boolean;
  /** Points only, no line (scatter). */
  points?: boolean;
  width?: number;
}

export interface LineChartOptions {
  series: readonly SeriesStyle[];
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  /** Height in CSS pixels; the width follows the parent. */
  height?: number;
  /** A fixed y range (otherwise fitted to the data). */
  yRange?: [number, number];
  /** A fixed x range. */
  xRange?: [number, number];
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

export class LineChart {
  readonly #plot: uPlot;
  readonly #resize: ResizeObserver;

  constructor(parent: HTMLElement, options: LineChartOptions) {
    const { yRange, xRange } = options;
    const opts: uPlot.Options = {
      width: Math.max(200, parent.clientWidth),
      height: options.height ?? 220,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, ...(xRange === undefined ? {} : { range: () => xRange }) },
        y: options.logY ? { distr: 3, ...(yRange === undefined ? {} : { range: () => yRange }) } : (yRange === undefined ? {} : { range: () => yRange }),
      },
      axes: [
        { label: options.xLabel },
        options.logY
          // Over several decades uPlot would grid and label 1…9 × 10^k: keep the powers of ten
          // (all splits when the range is under two decades) and write small ones as 1e-5.
          ? { label: options.yLabel, size: 60, filter: (_u, splits) => (decades(splits) >= 2 ? splits.map((v) => (isPowerOfTen(v) ? v : null)) : splits), values: (_u, splits) => splits.map(formatLog) }
          : { label: options.yLabel, size: 60 },
      ],
      series: [
        { label: options.xLabel },
        ...options.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash ? [6, 4] : undefined,
          points: s.points ? { show: true, size: 5, fill: s.color } : { show: false },
          paths: s.points ? () => null : undefined,
          spanGaps: true,
        })),
      ],
    };
    const empty: uPlot.AlignedData = [[], ...options.series.map(() => [])];
    this.#plot = new uPlot(opts, empty, parent);
    this.#resize = new ResizeObserver(() => {
      const width = Math.max(200, parent.clientWidth);
      if (width !== this.#plot.width) this.#plot.setSize({ width, height: this.#plot.height });
    });
    this.#resize.observe(parent);
  }

  /** Replaces the data: `x` and one array per series (null or NaN for a gap), all of x's length. */
  setData(x: ArrayLike<number>, ys: ReadonlyArray<ArrayLike<number | null>>): void {
    // uPlot skips nulls; a NaN would poison the axis range, so NaN and ±Infinity become gaps.
    const gap = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
    this.#plot.setData([Array.from(x), ...ys.map((y) => Array.from(y, gap))] as uPlot.AlignedData);
  }
}

function isPowerOfTen(v: number | null): boolean {
  return v !== null && v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
}

function decades(splits: readonly number[]): number {
  const positive = splits.filter((v) => v > 0);
  return positive.length < 2 ? 0 : Math.log10(Math.max(...positive) / Math.min(...positive));
}

/** A log axis label: 0.01 to 1000 as plain numbers, others as 1e-5, 2e+6. */
function formatLog(v: number | null): string {
  if (v === null) return "";
  return v >= 0.01 && v < 1e4 ? String(+v.toPrecision(3)) : v.toExponential(0);
}

/** A flat series of `value` as long as `x` (a reference line). */
export function flat(x: ArrayLike<number>, value: number): number[] {
  return Array.from({ length: x.length }, () => value);
}
