/**
 * The vanishing gradient: ‖∂L/∂h_t‖ against t for a loss on the last state of a
 * 50-step sequence, for a tanh RNN with PyTorch's default init, the same with larger
 * weights, an LSTM, and an LSTM whose forget-gate bias is shifted by +3. The picture
 * behind why the LSTM wins the long-lag task.
 */
import { defineExperiment } from "./experiment.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { RNN, LSTM } from "../nn/recurrent.js";
import { fillUniform } from "../nn/init.js";
import { hiddenGradientNorms } from "../ops/recurrent.js";
import { lineChart } from "./plot.js";

export const vanishing = defineExperiment({
  name: "vanishing",
  title: "Vanishing gradients: ‖∂L/∂h_t‖ over 50 steps, tanh RNN vs LSTM",
  source: "Hochreiter (1991), Bengio, Simard & Frasconi (1994): in a tanh RNN the error signal decays exponentially with the lag; the LSTM's cell carries it (Hochreiter & Schmidhuber 1997)",
  defaults: {
    seed: 1,
    steps: 50, // sequence length T
    input: 4,
    hidden: 16,
    largeScale: 3, // the "large weights" RNN draws from U(±largeScale/√H)
    forgetBias: 3, // added to the LSTM's forget-gate bias in the last variant
  },
  help: {
    seed: "random seed of the weights and the input",
    steps: "sequence length T",
    input: "input features per step",
    hidden: "hidden units",
    largeScale: "the \"large weights\" RNN draws from U(±largeScale/√H)",
    forgetBias: "added to the LSTM's forget-gate bias in the last variant",
  },
  integers: { steps: 1, input: 1, hidden: 1 },
  quick: {},
  run(config) {
    const { steps: T, input: I, hidden: H } = config;
    const rng = new Rng(config.seed);
    const x = Tensor.zeros([T, 1, I]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    const wOut = Tensor.zeros([1, 1, H]);
    for (let i = 0; i < H; i++) wOut.data[i] = rng.normal();
    const dOutput = Tensor.zeros([T, 1, H]);
    dOutput.data.set(wOut.data, (T - 1) * H); // L = w_out · h_{T−1}
    const variants: Array<[string, RNN | LSTM]> = [];
    variants.push(["tanh RNN", new RNN({ inputSize: I, hiddenSize: H, rng })]);
    const large = new RNN({ inputSize: I, hiddenSize: H, rng });
    for (const w of large.weights) fillUniform(w, rng, config.largeScale / Math.sqrt(H));
    variants.push([`tanh RNN, U(±${config.largeScale}/√H)`, large]);
    variants.push(["LSTM", new LSTM({ inputSize: I, hiddenSize: H, rng })]);
    const biased = new LSTM({ inputSize: I, hiddenSize: H, rng });
    for (let j = H; j < 2 * H; j++) biased.weights[2].data[j] += config.forgetBias;
    variants.push([`LSTM, forget bias +${config.forgetBias}`, biased]);

    const rows: Array<{ t: number; norm: number; model: string }> = [];
    const ratios: Record<string, number> = {};
    for (const [name, layer] of variants) {
      const [norms] = hiddenGradientNorms(layer.spec, x, layer.weights, { dOutput });
      norms.dhNorm.forEach((v, t) => rows.push({ t, norm: Math.max(v, 1e-30), model: name }));
      ratios[name] = norms.dhNorm[0] / norms.dhNorm[T - 1];
    }
    const fmt = (v: number) => v.toExponential(1);
    const perStep = (r: number) => Math.pow(r, 1 / (T - 1)).toFixed(3);
    return {
      figures: [
        { name: "‖∂L/∂h_0‖ / ‖∂L/∂h_49‖, tanh RNN (PyTorch init)", ours: `${fmt(ratios["tanh RNN"])} (×${perStep(ratios["tanh RNN"])} per step)`, published: "exponential decay (≈1e-9 on PyTorch's own reference weights)", verdict: ratios["tanh RNN"] < 1e-4 ? "vanishes, as published" : "does not vanish" },
        { name: "same, LSTM", ours: fmt(ratios.LSTM), published: "decays far more slowly than the RNN", verdict: ratios.LSTM > ratios["tanh RNN"] ? "agrees" : "disagrees" },
        { name: `same, LSTM with forget bias +${config.forgetBias}`, ours: fmt(ratios[`LSTM, forget bias +${config.forgetBias}`]), published: "stays near 1e-1 (PyTorch reference weights)", verdict: ratios[`LSTM, forget bias +${config.forgetBias}`] > 1e-3 ? "agrees" : "disagrees" },
      ],
      plots: [lineChart({ name: "gradient-norms", title: "‖∂L/∂h_t‖ for a loss on the last state", rows, x: "t", y: "norm", series: "model", logY: true, yTitle: "‖∂L/∂h_t‖ (log)", xTitle: "time step t" })],
      data: { ratios, rows },
    };
  },
});
