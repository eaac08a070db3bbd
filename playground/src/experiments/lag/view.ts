/**
 * The long-time-lag view: the success test of each net, its losses, its last prediction
 * for the x- and the y-sequence, and the states over both sequences — the difference
 * that carries the first symbol to the end, and each LSTM's cell states.
 */
import { LineChart, PALETTE, flat } from "../../ui/chart.js";
import { el, figure, type View } from "../../ui/view.js";
import { EVAL_EVERY, LAG_NETS as NAMES, LAG_SHORT as SHORT, STATES_EVERY } from "./card.js";
import type { LagSnapshot } from "./lab.js";
import { StateMap, colourKey, largest, sub } from "./maps.js";
import "./lag.css";

const GREY = "#999";
const RNN = 0;
/** The two LSTMs' indices in every per-net array. */
const LSTMS = [1, 2] as const;

/** a, with thousands grouped (2,600). */
const count = (n: number) => n.toLocaleString("en-US");

/** One net's line in the success list: swatch, name (as in the chart's legend), verdict. */
function statusRow(i: number): { row: HTMLElement; verdict: HTMLElement } {
  const verdict = el("span", { class: "lag-verdict" });
  const row = el("li", {}, el("span", { class: "lag-swatch", style: `background:${PALETTE[i]}` }), el("span", { class: "lag-net" }, SHORT[i]), verdict);
  return { row, verdict };
}

/** A bar: P(right symbol) from the left in green, P(wrong one) from the right in red, a tick at 1 − threshold. */
function predictionCell(): { cell: HTMLElement; update: (right: number, wrong: number, rightName: string, wrongName: string, threshold: number) => void } {
  const good = el("span", { class: "lag-good" });
  const bad = el("span", { class: "lag-bad" });
  const tick = el("span", { class: "lag-tick" });
  const text = el("div", { class: "lag-probs" });
  const cell = el("td", {}, el("div", { class: "lag-bar" }, good, bad, tick), text);
  return {
    cell,
    update(right, wrong, rightName, wrongName, threshold) {
      good.style.width = `${(100 * right).toFixed(1)}%`;
      bad.style.width = `${(100 * wrong).toFixed(1)}%`;
      tick.style.left = `${(100 * (1 - threshold)).toFixed(1)}%`;
      text.textContent = `P(${rightName}) = ${right.toFixed(3)} · P(${wrongName}) = ${wrong.toFixed(3)}`;
      cell.classList.toggle("lag-pass", 1 - right < threshold && wrong < threshold);
    },
  };
}

export function lagView(): View<LagSnapshot> {
  let losses: LineChart, checks: LineChart;
  const verdicts: HTMLElement[] = [];
  const cells: ReturnType<typeof predictionCell>[][] = [];
  let headX: HTMLElement, headY: HTMLElement, checkCaption: HTMLElement;
  let statesNote: HTMLElement;
  const diffMaps: StateMap[] = [];
  const cellMaps: { x: StateMap; y: StateMap }[] = [];
  let drawnStates = -1;

  return {
    mount(root) {
      const success = figure(root, "Success test");
      success.parentElement!.classList.add("lag-success");
      const list = el("ul", { class: "lag-status" });
      NAMES.forEach((_, i) => {
        const r = statusRow(i);
        verdicts.push(r.verdict);
        list.append(r.row);
      });
      const chartBox = el("div");
      checkCaption = el("p", { class: "caption" });
      success.append(list, chartBox, checkCaption);
      checks = new LineChart(chartBox, {
        xLabel: "update", yLabel: "largest |error|", yRange: [0, 1], height: 180,
        series: [...SHORT.map((label, i) => ({ label, color: PALETTE[i], width: 2 })), { label: "threshold", color: GREY, dash: true }],
      });

      const lossBox = figure(root, "Loss of the last prediction",
        "Solid: cross-entropy of the prediction of the last symbol, the one that needs the first; thin dashed: mean over all p " +
        `predictions (the expected training loss). Both exact, over the task's two sequences, every ${EVAL_EVERY} updates. ` +
        "Without memory the last prediction can do no better than a coin flip, ln 2 (grey). Log scale.");
      lossBox.parentElement!.classList.add("lag-loss");
      losses = new LineChart(lossBox, {
        xLabel: "update", yLabel: "nats", logY: true, height: 250,
        series: [
          ...SHORT.map((label, i) => ({ label, color: PALETTE[i], width: 2 })),
          { label: "ln 2", color: GREY, dash: true },
          // Their legend entries are hidden (lag.css): the caption says what the dashed lines are.
          ...SHORT.map((label, i) => ({ label: `${label}, all`, color: PALETTE[i], dash: true, width: 1 })),
        ],
      });

      const predictions = figure(root, "The last prediction",
        "What each net predicts for the last symbol after reading each sequence: green, the probability of the right " +
        "symbol; red, of the other one (the rest goes to the p − 1 symbols a_i). The success test wants green past the tick " +
        "and red short of it for both sequences.");
      predictions.parentElement!.classList.add("wide");
      headX = el("th");
      headY = el("th");
      const body = el("tbody");
      NAMES.forEach((name, i) => {
        const row = [predictionCell(), predictionCell()];
        cells.push(row);
        body.append(el("tr", {}, el("th", { scope: "row" }, el("span", { class: "lag-swatch", style: `background:${PALETTE[i]}` }), name), ...row.map((c) => c.cell)));
      });
      predictions.append(el("table", { class: "lag-pred" }, el("thead", {}, el("tr", {}, el("th"), headX, headY)), body));

      const memory = figure(root, "Memory: the state after x minus the state after y",
        "Each unit (row) at each step (column) of the two sequences: the RNN's h_t, the LSTMs' cell c_t, read with the " +
        "weights of the moment. The inputs after the first step are the same for both, so whatever stays coloured to the " +
        "right end is the memory of the first symbol. Each map has its own colour range.");
      memory.parentElement!.classList.add("wide");
      statesNote = el("p", { class: "caption" });
      memory.append(colourKey());
      diffMaps.push(new StateMap(memory, `${NAMES[RNN]}: h(x) − h(y)`));
      for (const i of LSTMS) diffMaps.push(new StateMap(memory, `${NAMES[i]}: c(x) − c(y)`));
      memory.append(statesNote);

      for (const i of LSTMS) {
        const body = figure(root, `Cell states: ${NAMES[i]}`,
          "The cell c_t of each unit over the x-sequence (top) and the y-sequence (bottom), on one colour range. Units " +
          "whose colour differs between the two maps all the way to the last step hold the first symbol.");
        cellMaps.push({ x: new StateMap(body, "reading x, a₁, a₂, …"), y: new StateMap(body, "reading y, a₁, a₂, …") });
      }
    },

    update(s) {
      const { steps, values } = s.losses;
      const nets = NAMES.length;
      losses.setData(steps, [...values.slice(nets), flat(steps, Math.LN2), ...values.slice(0, nets)]);
      checks.setData(s.checks.steps, [...s.checks.values, flat(s.checks.steps, s.threshold)]);
      checkCaption.textContent =
        `Every ${s.checkEvery} updates, with frozen weights: the largest absolute error of any output (all p steps, all p + 1 ` +
        `symbols) over ${count(s.checkCount)} fresh random sequences. Below the dashed line (${s.threshold}) for every one of them: solved. ` +
        "The two LSTMs start from the same weights and differ only in the forget gate, so their curves may coincide.";
      verdicts.forEach((v, i) => {
        const at = s.solvedAt[i];
        v.classList.toggle("lag-solved", at !== null);
        v.textContent = at !== null ? `solved at update ${count(at)}`
          : Number.isNaN(s.worst[i]) ? `not yet (first check at update ${s.checkEvery})`
            : `not yet: largest error ${s.worst[i].toFixed(2)}`;
      });

      const tail = `a₁ … a${sub(s.p - 1)}`;
      headX.textContent = `after x, ${tail}: the next is x`;
      headY.textContent = `after y, ${tail}: the next is y`;
      s.last.forEach(([xx, yx, xy, yy], i) => {
        cells[i][0].update(xx, yx, "x", "y", s.threshold);
        cells[i][1].update(yy, xy, "y", "x", s.threshold);
      });

      if (s.statesStep !== drawnStates) {
        drawnStates = s.statesStep;
        const H = s.hidden, p = s.p;
        s.states.forEach((st, i) => {
          const d = new Float32Array(st.x.length);
          for (let k = 0; k < d.length; k++) d[k] = st.x[k] - st.y[k];
          diffMaps[i].draw(d, H, p, largest(d));
        });
        LSTMS.forEach((i, k) => {
          const { x, y } = s.states[i];
          const range = largest(x, y);
          cellMaps[k].x.draw(x, H, p, range);
          cellMaps[k].y.draw(y, H, p, range);
        });
        statesNote.textContent = `States at update ${count(s.statesStep)} (recomputed every ${STATES_EVERY} updates).`;
      }
    },
  };
}
