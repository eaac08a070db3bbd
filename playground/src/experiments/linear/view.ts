/** The linear-recurrence view: train and test MSE of both models, and their predictions against the truth. */
import { LineChart, PALETTE } from "../../ui/chart.js";
import { figure, type View } from "../../ui/view.js";
import { LINEAR_MODELS as NAMES } from "./card.js";
import type { LinearSnapshot } from "./lab.js";

export function linearView(): View<LinearSnapshot> {
  let mse: LineChart, scatter: LineChart;
  return {
    mount(root) {
      mse = new LineChart(figure(root, "MSE per update", "Solid: test MSE on 200 held-out sequences; dashed: training MSE. Log scale."), {
        xLabel: "update", yLabel: "MSE", logY: true,
        series: [
          { label: `${NAMES[0]}, train`, color: PALETTE[0], dash: true, width: 1 },
          { label: `${NAMES[1]}, train`, color: PALETTE[1], dash: true, width: 1 },
          { label: `${NAMES[0]}, test`, color: PALETTE[0], width: 2 },
          { label: `${NAMES[1]}, test`, color: PALETTE[1], width: 2 },
        ],
      });
      scatter = new LineChart(figure(root, "Predicted against true x₉ (test sequences)", "A perfect model puts every point on the grey diagonal."), {
        xLabel: "true x₉", yLabel: "predicted x₉", height: 300,
        series: [
          { label: "diagonal", color: "#bbb" },
          { label: NAMES[0], color: PALETTE[0], points: true },
          { label: NAMES[1], color: PALETTE[1], points: true },
        ],
      });
    },
    update(s) {
      mse.setData(s.curves.steps, s.curves.values);
      // uPlot wants x sorted: order the test sequences by their true value.
      const order = Array.from(s.truth.keys()).sort((a, b) => s.truth[a] - s.truth[b]);
      const x = order.map((i) => s.truth[i]);
      scatter.setData(x, [x, ...s.predictions.map((p) => order.map((i) => p[i]))]);
    },
  };
}
