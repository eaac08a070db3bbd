/**
 * The echo view: the smoothed training loss against the three reference losses, what the
 * net has found so far, why the window decides it, and a strip of row 0's last steps
 * (inputs, targets, the net's P(Y=1) against the true one).
 */
import { LineChart, PALETTE, flat } from "../../ui/chart.js";
import { el, figure, type View } from "../../ui/view.js";
import { ECHO_LEVEL_TEXT, echoLevel, type EchoLevel, type EchoReferences } from "./card.js";
import type { EchoSnapshot } from "./lab.js";
import "./echo.css";

/** Colours of the reference lines: none, t−3, both. */
const REFERENCE_COLOURS = ["#888", PALETTE[3], PALETTE[2]] as const;

/** The loss range drawn: from below "both learned" to a little above "no dependency". */
const Y_RANGE: [number, number] = [0.43, 0.7];

export function echoView(): View<EchoSnapshot> {
  let loss: LineChart;
  let verdict: HTMLElement, table: HTMLTableSectionElement, progress: HTMLElement;
  let strip: HTMLCanvasElement;
  let numSteps = 1;
  return {
    mount(root, context) {
      numSteps = Number(context.settings.numSteps);
      const lossBox = figure(root, "Training loss per window (smoothed)",
        "Each point is the mean loss of a block of windows (250 steps of every row). Dashed: the expected loss of the best " +
        "predictor that knows no lag, X_(t−3), or both X_(t−3) and X_(t−8) — the levels the tutorial's curves settle on.");
      lossBox.parentElement!.classList.add("wide");
      loss = new LineChart(lossBox, {
        xLabel: "update (window)", yLabel: "cross-entropy (nats)", height: 260, yRange: Y_RANGE,
        series: [
          { label: "training loss", color: PALETTE[0], width: 2 },
          { label: "no dependency", color: REFERENCE_COLOURS[0], dash: true, width: 1.5 },
          { label: "t−3 learned", color: REFERENCE_COLOURS[1], dash: true, width: 1.5 },
          { label: "both learned", color: REFERENCE_COLOURS[2], dash: true, width: 1.5 },
        ],
      });

      const found = figure(root, "What the net has found");
      verdict = el("p", { class: "echo-verdict", id: "echo-verdict" }, "—");
      table = el("tbody");
      progress = el("p", { class: "caption" });
      found.append(verdict, el("table", { class: "echo-references" },
        el("thead", {}, el("tr", {}, el("th", {}, "the best predictor that knows"), el("th", {}, "loss"))), table), progress);

      const why = figure(root, `Why the window matters (num_steps = ${numSteps})`);
      why.append(...windowLesson(numSteps).map((p) => el("p", { class: "echo-text" }, p)));

      const stripBox = figure(root, "Row 0, the last steps read",
        "Filled cells are 1s. Bars: the net's P(Y_t = 1); black ticks: the true probability given X_(t−3) and X_(t−8) " +
        "(0.25, 0.5, 0.75 or 1). Y echoes X three steps later; a net that has learned both echoes puts its bars on the ticks.");
      stripBox.parentElement!.classList.add("wide");
      strip = el("canvas", { class: "echo-strip", role: "img", "aria-label": "inputs, targets and predicted probabilities of the last steps" });
      stripBox.append(strip);
    },
    update(s) {
      const x = s.curves.steps;
      const refs = s.references;
      loss.setData(x, [s.curves.values[0], flat(x, refs.none), flat(x, refs.first), flat(x, refs.both)]);
      const level = echoLevel(s.metric, refs);
      verdict.textContent = ECHO_LEVEL_TEXT[level];
      fillTable(table, refs, s.metric, level);
      progress.textContent = `Recent loss ${Number.isFinite(s.metric) ? s.metric.toFixed(4) : "—"} nats (mean of the last ${s.windowsPerPoint} windows). ` +
        `Epoch ${s.epoch}, window ${s.window} of ${s.windowsPerEpoch}; each epoch is a fresh series and starts from a zero state.`;
      drawStrip(strip, s);
    },
  };
}

/** The reference rows, the one of what the net has surely learned marked. */
function fillTable(body: HTMLTableSectionElement, refs: EchoReferences, recent: number, level: EchoLevel): void {
  const rows: Array<[string, number, string]> = [
    ["no lag", refs.none, REFERENCE_COLOURS[0]],
    ["X_(t−3)", refs.first, REFERENCE_COLOURS[1]],
    ["X_(t−3) and X_(t−8)", refs.both, REFERENCE_COLOURS[2]],
  ];
  // Level 2 (the t−8 echo in part) marks the t−3 row: that much is surely learned.
  const nearest = [0, 1, 1, 2][level];
  body.replaceChildren(...rows.map(([name, v, colour], i) =>
    el("tr", i === nearest ? { class: "nearest" } : {},
      el("td", {}, el("span", { class: "swatch", style: `border-color: ${colour}` }), name),
      el("td", { class: "num" }, v.toFixed(4)))));
  body.append(el("tr", { class: "recent" }, el("td", {}, el("span", { class: "swatch", style: `border-color: ${PALETTE[0]}; border-style: solid` }), "this net, now"),
    el("td", { class: "num" }, Number.isFinite(recent) ? recent.toFixed(4) : "—")));
}

/** The lesson of the window, in general and for this run's num_steps. */
function windowLesson(n: number): string[] {
  const general =
    "Truncated BPTT runs the backward pass only inside the window: the loss at step t sends gradient back through " +
    "the states of t, t−1, … as far as the window's first step, and no further. To learn to keep X_(t−3) in its state, " +
    "the net needs a gradient that flows from Y_t's loss back to the step that read X_(t−3) — three steps back, and " +
    "both ends inside one window.";
  const one =
    "So num_steps = 1 cannot learn the echoes: no gradient reaches back even one step, the weights are only taught to " +
    "map this step's input and carried state to this step's output, and nothing teaches the net to store X_(t−3). With " +
    "the tutorial's 4 units the loss stays between 0.66 and about 0.58. The carried state is not empty, though: the " +
    "recurrent weights mix past inputs into it, and a one-step gradient can learn to read that trace — with 16 units " +
    "well enough to get below 0.5 for a while, until training, which never protects the trace, erodes it and the " +
    "loss drifts back up (try it).";
  let here: string;
  if (n < 3) {
    here = `Here num_steps = ${n}, shorter than both lags: no gradient reaches X_(t−3) or X_(t−8).`;
  } else if (n < 8) {
    here = `Here num_steps = ${n}: the last ${n - 3} step(s) of each window see X_(t−3) inside it, none sees X_(t−8) — ` +
      "expect the t−3 echo (0.52) and not the other, as the tutorial found for num_steps = 5.";
  } else {
    here = `Here num_steps = ${n}: the window spans both lags (${n - 3} step(s) per window reach X_(t−3), ${n - 8} reach ` +
      "X_(t−8)), so both can be learned — given state enough to hold them (the tutorial needed more than 4 units).";
  }
  return [general, one, here];
}

/** Draws row 0's last steps: X cells, Y cells, and P(Y=1) bars against the true probability. */
function drawStrip(canvas: HTMLCanvasElement, s: EchoSnapshot): void {
  const cssWidth = Math.max(200, canvas.clientWidth);
  const cssHeight = 170;
  const dpr = globalThis.devicePixelRatio || 1;
  if (canvas.width !== Math.round(cssWidth * dpr) || canvas.height !== Math.round(cssHeight * dpr)) {
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(cssHeight * dpr);
  }
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  const n = s.stripX.length;
  const left = 78, cell = 16, gap = 4;
  const slots = Math.max(n, 48);
  const w = (cssWidth - left - 4) / slots;
  const rowX = 4, rowY = rowX + cell + gap, barTop = rowY + cell + 10, barHeight = 90, axis = barTop + barHeight;
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "#333";
  ctx.fillText("Xₜ", 4, rowX + cell / 2);
  ctx.fillText("Yₜ", 4, rowY + cell / 2);
  ctx.fillText("P(Yₜ = 1)", 4, barTop + barHeight / 2);
  // Guides at P = 0.25, 0.5, 0.75, 1.
  ctx.strokeStyle = "#eee";
  ctx.lineWidth = 1;
  for (const p of [0.25, 0.5, 0.75, 1]) {
    const y = axis - p * barHeight + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + slots * w, y);
    ctx.stroke();
  }
  for (let i = 0; i < n; i++) {
    const x0 = left + i * w;
    ctx.fillStyle = s.stripX[i] === 1 ? "#234" : "#e8ebef";
    ctx.fillRect(x0 + 1, rowX, w - 2, cell);
    ctx.fillStyle = s.stripY[i] === 1 ? PALETTE[1] : "#f3e6e6";
    ctx.fillRect(x0 + 1, rowY, w - 2, cell);
    const p = s.stripPredicted[i];
    ctx.fillStyle = PALETTE[0];
    ctx.globalAlpha = 0.75;
    ctx.fillRect(x0 + 2, axis - p * barHeight, w - 4, p * barHeight);
    ctx.globalAlpha = 1;
    const t = axis - s.stripTrue[i] * barHeight;
    ctx.fillStyle = "#111";
    ctx.fillRect(x0 + 1, t - 1, w - 2, 2.5);
  }
  ctx.strokeStyle = "#999";
  ctx.beginPath();
  ctx.moveTo(left, axis + 0.5);
  ctx.lineTo(left + slots * w, axis + 0.5);
  ctx.stroke();
  // Time steps (within the row) under the bars, every 8.
  ctx.fillStyle = "#666";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let i = 0; i < n; i++) {
    const t = s.stripStart + i;
    if (t % 8 === 0) ctx.fillText(`t=${t}`, left + (i + 0.5) * w, axis + 4);
  }
  ctx.textAlign = "start";
}
