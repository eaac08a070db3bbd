/**
 * XOR with a 2-2-1 sigmoid network trained by backpropagation (Rumelhart, Hinton &
 * Williams 1986): the smallest check that the autodiff core learns. Full batch of the
 * four patterns, MSE, SGD with momentum; several seeds, since a few starts end in the
 * known local minimum.
 */
import { defineExperiment, spread } from "./experiment.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { Linear } from "../nn/linear.js";
import { sigmoid } from "../ops/elementwise.js";
import { mseLoss } from "../ops/loss.js";
import { SGD } from "../optim/sgd.js";
import { noGrad } from "../autograd/tape.js";
import { lineChart } from "./plot.js";

export const xor = defineExperiment({
  name: "xor",
  title: "XOR with a 2-2-1 sigmoid network",
  source: "Rumelhart, Hinton & Williams (1986), Learning representations by back-propagating errors; the 2-2-1 XOR net of the backprop tutorials",
  defaults: {
    seeds: 10, // independent starts
    epochs: 3000, // full-batch updates
    lr: 0.5, // SGD learning rate
    momentum: 0.9, // SGD momentum
    initScale: 1, // weights ~ U(−initScale, initScale)
  },
  help: {
    seeds: "independent starts",
    epochs: "full-batch updates",
    lr: "SGD learning rate",
    momentum: "SGD momentum",
    initScale: "weights ~ U(−initScale, initScale)",
  },
  integers: { seeds: 1, epochs: 1 },
  quick: { seeds: 4, epochs: 1500 },
  run(config, ctx) {
    const x = Tensor.from([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = Tensor.from([[0], [1], [1], [0]]);
    const curves: Array<{ epoch: number; loss: number; seed: string }> = [];
    const perSeed: Array<{ seed: number; finalLoss: number; outputs: number[]; solved: boolean }> = [];
    for (let seed = 1; seed <= config.seeds; seed++) {
      const rng = new Rng(seed);
      const hidden = new Linear({ inFeatures: 2, outFeatures: 2, rng });
      const out = new Linear({ inFeatures: 2, outFeatures: 1, rng });
      for (const p of [...hidden.parameters(), ...out.parameters()]) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-config.initScale, config.initScale);
      const params = [...hidden.parameters(), ...out.parameters()];
      const opt = new SGD(params, { lr: config.lr, momentum: config.momentum });
      const net = () => sigmoid(out.forward(sigmoid(hidden.forward(x))));
      let loss = NaN;
      for (let epoch = 1; epoch <= config.epochs; epoch++) {
        opt.zeroGrad();
        const l = mseLoss(net(), y);
        l.backward();
        opt.step();
        loss = l.item();
        if (epoch % Math.max(1, Math.floor(config.epochs / 100)) === 0) curves.push({ epoch, loss, seed: `seed ${seed}` });
      }
      const outputs = noGrad(() => net()).toArray();
      const solved = outputs.every((o, i) => Math.round(o) === y.data[i]);
      perSeed.push({ seed, finalLoss: loss, outputs, solved });
      ctx.log(`seed ${seed}: MSE ${loss.toExponential(2)} outputs ${outputs.map((o) => o.toFixed(3)).join(" ")}${solved ? "" : " (local minimum)"}`);
    }
    const solved = perSeed.filter((s) => s.solved);
    const best = solved.length ? spread(solved.map((s) => s.finalLoss)) : null;
    const typical = solved[0]?.outputs.map((o) => o.toFixed(2)).join(", ") ?? "none solved";
    return {
      figures: [
        { name: "seeds that solve XOR", ours: `${solved.length}/${perSeed.length}`, published: "most starts; some stop in a local minimum", verdict: solved.length >= perSeed.length / 2 ? "agrees" : "fewer than expected", quick: solved.length ? "learned XOR from some starts" : "no start solved XOR in this short run" },
        { name: "outputs for (0,0) (0,1) (1,0) (1,1)", ours: typical, published: "≈ 0.1, 0.9, 0.9, 0.1 or closer", verdict: solved.length ? "agrees" : "misses" },
        { name: "final MSE of solved runs (mean)", ours: best ? best.mean.toExponential(2) : "—", published: "→ 0 as training goes on", verdict: best && best.mean < 0.01 ? "agrees" : "misses" },
      ],
      plots: [lineChart({ name: "loss", title: "XOR: training MSE per seed", rows: curves, x: "epoch", y: "loss", series: "seed", logY: true, yTitle: "MSE" })],
      data: { perSeed },
    };
  },
});
