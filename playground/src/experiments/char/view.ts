/**
 * The character model's view: training and validation loss, a sample shaded by the model's
 * confidence in each character (with a temperature slider and a button for a new one), and
 * the activation of a chosen hidden unit over held-out text.
 */
import { LineChart, PALETTE, flat } from "../../ui/chart.js";
import { colour } from "../../ui/heatmap.js";
import { el, figure, type View } from "../../ui/view.js";
import type { CharSample, CharSnapshot } from "./lab.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "\n": "↵\n" };

/**
 * Draws characters into `box` as spans, each with a background colour and a tooltip; line
 * breaks shown as ↵ and kept. One HTML string set at once: a few hundred spans made one by
 * one cost the page a long task.
 */
function drawShaded(box: HTMLElement, chars: readonly string[], shade: (i: number) => string, title: (i: number) => string): void {
  let html = "";
  chars.forEach((c, i) => {
    html += `<span style="background:${shade(i)}" title="${title(i)}">${ESCAPES[c] ?? c}</span>`;
  });
  box.innerHTML = html;
}

const rgb = ([r, g, b]: [number, number, number]) => `rgb(${r},${g},${b})`;

export function charView(): View<CharSnapshot> {
  let losses: LineChart;
  let sampleBox: HTMLElement, sampleInfo: HTMLElement, unitBox: HTMLElement, unitInfo: HTMLElement, facts: HTMLElement;
  let temperature: HTMLInputElement, unitSlider: HTMLInputElement;
  let latest: CharSnapshot | undefined;
  let asked: CharSample | undefined;
  let drawnSample: CharSample | undefined;
  let drawnProbe: CharSnapshot["probe"] | undefined;
  let drawnUnit = -1;
  let vocabulary = 2;

  const drawSample = (s: CharSample) => {
    drawnSample = s;
    drawShaded(sampleBox, s.chars,
      // Shaded by surprise, −ln p, from white (p = 1) to full red at a uniform guess's ln V:
      // the eye finds where the model hesitates.
      (i) => rgb(colour(-Math.log(s.confidence[i]) / Math.log(vocabulary), "diverging")),
      (i) => `p = ${s.confidence[i].toFixed(3)}`);
    const mean = s.confidence.reduce((a, b) => a + b, 0) / s.confidence.length;
    sampleInfo.textContent = `temperature ${s.temperature} · after update ${s.step} · mean confidence ${mean.toFixed(3)}`;
  };
  const drawUnit = (probe: CharSnapshot["probe"]) => {
    const unit = Math.min(Number(unitSlider.value), probe.units - 1);
    unitSlider.max = String(probe.units - 1);
    drawnProbe = probe;
    drawnUnit = unit;
    const value = (i: number) => probe.hidden[i * probe.units + unit];
    drawShaded(unitBox, probe.chars, (i) => rgb(colour(value(i), "diverging")), (i) => `h = ${value(i).toFixed(3)}`);
    unitInfo.textContent = `unit ${unit} of ${probe.units} · after update ${probe.step} · blue −1, white 0, red +1`;
  };

  return {
    mount(root, context) {
      const lossBody = figure(root, "Loss, nats per character", "Training loss (mean since the last point) and validation loss on held-out text; dashed: ln V, a uniform guess.");
      losses = new LineChart(lossBody, {
        xLabel: "update", yLabel: "nats/char",
        series: [
          { label: "training", color: PALETTE[0] },
          { label: "validation", color: PALETTE[1], width: 2 },
          { label: "ln V (guessing)", color: "#999", dash: true, width: 1 },
        ],
      });
      facts = el("p", { class: "caption" });
      lossBody.parentElement!.append(facts);

      const sampleFigure = figure(root, "A sample", "Each character drawn from the model's prediction, shaded by how surprised the model was by it (−ln p): white when sure, red as unsure as a uniform guess. Hover for p.");
      sampleFigure.parentElement!.classList.add("wide");
      temperature = el("input", { type: "range", min: "0.1", max: "2", step: "0.05", value: "0.8", id: "temperature" });
      const tValue = el("output", { for: "temperature" }, "0.8");
      const again = el("button", { type: "button", id: "sample" }, "New sample");
      sampleInfo = el("p", { class: "caption", id: "sample-info" });
      sampleBox = el("div", { class: "mono sample", id: "sample-text" });
      const ask = async () => {
        try {
          asked = await context.query<CharSample>({ kind: "sample", temperature: Number(temperature.value), seed: Math.floor(Number(temperature.value) * 1000) + (latest?.step ?? 0) });
          drawSample(asked);
        } catch (e) {
          sampleInfo.textContent = (e as Error).message;
        }
      };
      temperature.addEventListener("input", () => (tValue.textContent = temperature.value));
      temperature.addEventListener("change", () => void ask());
      again.addEventListener("click", () => void ask());
      sampleFigure.append(el("div", { class: "inline-controls" }, el("label", { for: "temperature" }, "temperature"), temperature, tValue, again), sampleBox, sampleInfo);

      const unitFigure = figure(root, "One hidden unit over held-out text", "The activation of the chosen unit of the top layer at each character.");
      unitFigure.parentElement!.classList.add("wide");
      unitSlider = el("input", { type: "range", min: "0", max: "63", step: "1", value: "0", id: "unit" });
      const uValue = el("output", { for: "unit" }, "0");
      unitSlider.addEventListener("input", () => {
        uValue.textContent = unitSlider.value;
        if (drawnProbe !== undefined) drawUnit(drawnProbe);
      });
      unitInfo = el("p", { class: "caption" });
      unitBox = el("div", { class: "mono", id: "unit-text" });
      unitFigure.append(el("div", { class: "inline-controls" }, el("label", { for: "unit" }, "unit"), unitSlider, uValue), unitBox, unitInfo);
    },
    update(s) {
      latest = s;
      vocabulary = s.vocabulary;
      losses.setData(s.curves.steps, [...s.curves.values, flat(s.curves.steps, Math.log(s.vocabulary))]);
      facts.textContent = `${s.origin} · ${s.vocabulary} characters in the vocabulary · ${s.trainCharacters} training and ${s.validationCharacters} held-out characters · ${s.parameters} parameters`;
      // A sample asked for by hand stays until a newer automatic one arrives.
      const newest = asked !== undefined && asked.step >= s.sample.step ? asked : s.sample;
      if (newest !== drawnSample) drawSample(newest);
      if (s.probe !== drawnProbe || drawnUnit !== Number(unitSlider.value)) drawUnit(s.probe);
    },
  };
}
