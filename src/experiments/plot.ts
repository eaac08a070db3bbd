/**
 * Plots: Vega-Lite specs compiled by vega-lite, rendered headlessly to SVG by vega,
 * rasterized to PNG by resvg. `lineChart` builds the common case (curves by series,
 * optional log axes and horizontal reference lines).
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { Resvg } from "@resvg/resvg-js";
import type { Plot } from "./experiment.js";

export async function renderPlot(spec: Record<string, unknown>): Promise<{ svg: string; png: Uint8Array }> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  return { svg, png };
}

export interface LineChartOptions {
  /** File name (without extension) of the plot. */
  name: string;
  title: string;
  rows: Array<Record<string, number | string>>;
  x: string;
  y: string;
  /** Field that separates the curves. */
  series?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  /** Horizontal reference lines, e.g. published values. */
  references?: Array<{ value: number; label: string }>;
  points?: boolean;
}

export function lineChart(o: LineChartOptions): Plot {
  const layers: Array<Record<string, unknown>> = [
    {
      mark: { type: "line", point: o.points ?? false },
      encoding: {
        x: { field: o.x, type: "quantitative", title: o.xTitle ?? o.x, scale: o.logX ? { type: "log" } : { zero: false } },
        y: { field: o.y, type: "quantitative", title: o.yTitle ?? o.y, scale: o.logY ? { type: "log" } : { zero: false } },
        ...(o.series ? { color: { field: o.series, type: "nominal", title: o.series, legend: { labelLimit: 400 } } } : {}),
      },
    },
  ];
  if (o.references?.length) {
    layers.push({
      data: { values: o.references },
      layer: [
        { mark: { type: "rule", strokeDash: [4, 4], color: "#888" }, encoding: { y: { field: "value", type: "quantitative" } } },
        { mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#555" }, encoding: { y: { field: "value", type: "quantitative" }, x: { value: 0 }, text: { field: "label" } } },
      ],
    });
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: o.title,
    width: 520,
    height: 300,
    data: { values: o.rows },
    layer: layers,
  };
  return { name: o.name, spec };
}
