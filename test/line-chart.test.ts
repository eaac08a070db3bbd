/**
 * The dependency-free SVG line chart of the command line's reports, and its PNG through the
 * optional @resvg/resvg-js (a development dependency here, so the PNG path is exercised).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lineChart, niceTicks } from "../src/plot/line-chart.js";
import { svgToPng } from "../src/node/png.js";

test("niceTicks gives round steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(103, 617), [200, 400, 600]);
  assert.deepEqual(niceTicks(3, 3), [3]);
});

test("a chart draws one line per finite run of each series, a legend entry per series, escaped text", () => {
  const svg = lineChart(
    [{ name: "train <a&b>", x: [0, 1, 2, 3, 4], y: [4, 3, NaN, 2, 1] }, { name: "validation", x: [0, 4], y: [4.5, 1.5], dashed: true }],
    { title: "loss", xLabel: "step", yLabel: "nats" },
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="360"/);
  assert.equal(svg.match(/<polyline /g)?.length, 3, "the NaN splits the first series in two");
  assert.equal(svg.match(/stroke-dasharray/g)?.length, 2, "the dashed series and its legend entry");
  assert.ok(svg.includes("train &lt;a&amp;b&gt;"));
  assert.ok(!svg.includes("NaN"));
});

test("a log-scale chart labels its ticks in the data's units and skips values ≤ 0", () => {
  const svg = lineChart([{ name: "norm", x: [0, 1, 2], y: [1, 1e-3, 0] }], { title: "t", xLabel: "x", yLabel: "y", logY: true });
  assert.match(svg, />0\.01</);
  assert.equal(svg.match(/<polyline [^>]*points="([^"]*)"/)?.[1].split(" ").length, 2);
});

test("svgToPng rasterizes the chart when @resvg/resvg-js is installed", async () => {
  const png = await svgToPng(lineChart([{ name: "a", x: [0, 1], y: [0, 1] }], { title: "t", xLabel: "x", yLabel: "y" }));
  assert.ok(png !== null, "@resvg/resvg-js is a development dependency of this repository");
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});
