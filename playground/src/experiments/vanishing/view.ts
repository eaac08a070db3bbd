/**
 * The vanishing-gradient view: ‖∂L/∂h_t‖ against t for the three nets (now, and before
 * training), their held-out loss, how much gradient reaches the first step over training,
 * and a table of the numbers.
 */
import { LineChart, PALETTE, flat } from "../../ui/chart.js";
import { el, figure, type View } from "../../ui/view.js";
import { VANISHING_EVERY, VANISHING_FLOOR, VANISHING_HELD_OUT, VANISHING_MODELS as NAMES, VANISHING_PROBE } from "./card.js";
import type { VanishingSnapshot } from "./lab.js";
import "./vanishing.css";

const COLOURS = [PALETTE[0], PALETTE[1], PALETTE[2]] as const;

/** Pale versions of the colours, for the curves before training. */
const PALE = ["#9cc3e4", "#eba1a2", "#a4d7a4"] as const;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** log₁₀ of a norm or ratio, an underflowed 0 drawn at the floor. */
const log10 = (v: number) => Math.log10(Math.max(v, VANISHING_FLOOR));

export function vanishingView(): View<VanishingSnapshot> {
  let norms: LineChart, loss: LineChart, ratios: LineChart;
  let normsTitle: HTMLElement, table: HTMLTableSectionElement;
  let T = 0;
  let times: number[] = [];
  return {
    mount(root, context) {
      T = Number(context.settings.steps);
      const fb = Number(context.settings.forgetBias), ub = Number(context.settings.updateBias);
      times = Array.from({ length: T }, (_, t) => t);
      const normsBox = figure(root, "‖∂L/∂h_t‖ through time",
        `L is the read-out's logit at the last step, averaged over ${VANISHING_PROBE} fixed probe sequences, so ∂L/∂h_(T−1) is the ` +
        "read-out's weight and every step further back multiplies it by one Jacobian ∂h_(t+1)/∂h_t. Solid: now; pale dashed: before " +
        `training. Recomputed every ${VANISHING_EVERY} updates; −10 on the axis is 10⁻¹⁰.`);
      normsBox.parentElement!.classList.add("wide");
      normsTitle = normsBox.parentElement!.querySelector("h3")!;
      norms = new LineChart(normsBox, {
        xLabel: "time step t", yLabel: "log₁₀ ‖∂L/∂h_t‖", height: 280, xRange: [0, T - 1],
        series: [
          ...NAMES.map((name, i) => ({ label: name, color: COLOURS[i], width: 2 })),
          ...NAMES.map((name, i) => ({ label: `${name}, before training`, color: PALE[i], dash: true, width: 1.5 })),
        ],
      });

      loss = new LineChart(figure(root, "Held-out loss",
        `Binary cross-entropy on ${VANISHING_HELD_OUT} held-out sequences. Dashed: ln 2, the loss of a coin toss — a net that ` +
        "cannot carry the first value to the end stays there."), {
        xLabel: "update", yLabel: "loss (nats)",
        series: [...NAMES.map((name, i) => ({ label: name, color: COLOURS[i], width: 2 })), { label: "chance (ln 2)", color: "#888", dash: true }],
      });

      ratios = new LineChart(figure(root, "Gradient reaching the first step",
        "log₁₀ of ‖∂L/∂h_0‖ / ‖∂L/∂h_(T−1)‖ over training: how much of the signal crosses the whole sequence (0 is all of it, −10 a ten-billionth)."), {
        xLabel: "update", yLabel: "log₁₀ ratio",
        series: NAMES.map((name, i) => ({ label: name, color: COLOURS[i], width: 2 })),
      });

      const numbers = figure(root, "The numbers");
      table = el("tbody");
      numbers.append(el("table", { class: "vanishing-table" },
        el("thead", {}, el("tr", {},
          el("th", {}, "net"), el("th", {}, "loss"), el("th", {}, "signs right"),
          el("th", { title: "‖∂L/∂h_0‖ / ‖∂L/∂h_(T−1)‖" }, "h₀ / h_(T−1)"), el("th", { title: "the ratio's (T−1)-th root" }, "per step"))),
        table));

      const reading = figure(root, "Reading the curves");
      reading.append(...[
        "A straight falling line on the log scale is a geometric decay: the same factor per step, shown in the table's last " +
        "column. At 0.6 per step, 50 steps leave about 10⁻¹¹ of the signal — the first value gets no say in the weights' update, " +
        "so the tanh RNN's loss stays at ln 2.",
        `Here the LSTM's forget gate starts near σ(${fb}) = ${sigmoid(fb).toFixed(2)} and the GRU's update gate near ` +
        `σ(${ub}) = ${sigmoid(ub).toFixed(2)}. Open (bias 3: 0.95) their curves fall slowly, the signal reaches the first ` +
        "step, and they learn; set the biases to 0 and they fail like the RNN. A weight scale of 3 or more makes the tanh " +
        "RNN's curve flat or rising instead: the gradient no longer vanishes, it can explode.",
      ].map((text) => el("p", { class: "vanishing-text" }, text)));
    },
    update(s) {
      norms.setData(times, [...s.norms, ...s.initialNorms].map((n) => Array.from(n, log10)));
      normsTitle.textContent = `‖∂L/∂h_t‖ through time (update ${s.measuredAt})`;
      const x = s.losses.steps;
      loss.setData(x, [...s.losses.values, flat(x, Math.LN2)]);
      ratios.setData(s.ratios.steps, s.ratios.values.map((r) => r.map(log10)));
      table.replaceChildren(...NAMES.map((name, i) => {
        const n = s.norms[i];
        const ratio = n.length > 0 ? n[0] / n[n.length - 1] : NaN;
        const lossNow = s.losses.values[i][s.losses.values[i].length - 1];
        return el("tr", {},
          el("td", {}, el("span", { class: "swatch", style: `background: ${COLOURS[i]}` }), name),
          el("td", { class: "num" }, lossNow.toFixed(3)),
          el("td", { class: "num" }, `${Math.round(100 * s.accuracy[i])}%`),
          el("td", { class: "num" }, ratio > 0 ? ratio.toExponential(1) : "0 (underflow)"),
          el("td", { class: "num" }, ratio > 0 ? `×${Math.pow(ratio, 1 / (T - 1)).toFixed(3)}` : "—"));
      }));
    },
  };
}
