/**
 * Line charts as SVG text, with no dependency: axes with round-number ticks, one polyline
 * per series, a legend, optional log y axis and dashed series. Enough for loss curves and
 * forecasts in the command line's reports; platform-neutral (a page can show the string).
 * Rasterizing to PNG is the Node layer's (src/node/png.ts). Not here: interactivity, dates
 * on the x axis (pass numbers and `xTickLabel`).
 *
 * @example
 * const svg = lineChart([{ name: "train", x: [1, 2, 3], y: [2.1, 1.4, 1.2] }], { title: "loss", xLabel: "step", yLabel: "nats/char" });
 */

export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** CSS colour; default from a fixed palette by position. */
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Pixels; default 640 × 360. */
  width?: number;
  height?: number;
  /** Log scale on y (every y must be > 0). */
  logY?: boolean;
  /** How an x tick is written (default: the number). */
  xTickLabel?: (x: number) => string;
}

const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function tickText(v: number): string {
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(6));
}

/** The chart as an SVG document. Non-finite points are left out (a gap in the line). */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const width = options.width ?? 640, height = options.height ?? 360;
  const plotW = width - MARGIN.left - MARGIN.right, plotH = height - MARGIN.top - MARGIN.bottom;
  const fy = options.logY ? Math.log10 : (v: number) => v;
  const xs = series.flatMap((s) => s.x.filter(Number.isFinite));
  const ys = series.flatMap((s) => s.y.filter((v) => Number.isFinite(v) && (!options.logY || v > 0)).map(fy));
  const [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => MARGIN.left + (x1 === x0 ? plotW / 2 : ((x - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => MARGIN.top + plotH - ((fy(y) - y0) / (y1 - y0)) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  ];
  for (const t of niceTicks(x0, x1)) {
    const x = px(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + 4}" stroke="#888"/>`);
    out.push(`<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escapeXml(options.xTickLabel?.(t) ?? tickText(t))}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const y = (MARGIN.top + plotH - ((t - y0) / (y1 - y0)) * plotH).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickText(options.logY ? 10 ** t : t)}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const runs: string[][] = [[]];
    for (let k = 0; k < Math.min(s.x.length, s.y.length); k++) {
      const ok = Number.isFinite(s.x[k]) && Number.isFinite(s.y[k]) && (!options.logY || s.y[k] > 0);
      if (ok) runs[runs.length - 1].push(`${px(s.x[k]).toFixed(1)},${py(s.y[k]).toFixed(1)}`);
      else if (runs[runs.length - 1].length > 0) runs.push([]);
    }
    for (const run of runs.filter((r) => r.length > 0)) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ""} points="${run.join(" ")}"/>`);
    }
    const ly = MARGIN.top + 14 + 16 * i;
    out.push(`<line x1="${MARGIN.left + 10}" y1="${ly}" x2="${MARGIN.left + 30}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`);
    out.push(`<text x="${MARGIN.left + 36}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
