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
      axes: [{ label: options.xLabel }, { label: options.yLabel, size: 60 }],
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

/** A flat series of `value` as long as `x` (a reference line). */
export function flat(x: ArrayLike<number>, value: number): number[] {
  return Array.from({ length: x.length }, () => value);
}
