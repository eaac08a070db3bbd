/**
 * Example: a character-level LSTM language model on the embedded corpus: train on
 * random windows, save, load and generate text one character at a time. The README
 * quotes this file.
 */
import {
  Rng, SequenceToSequence, Adam, crossEntropy, oneHot, reshape, clipGradNorm, StepRunner, sampleLogits,
} from "../src/node/entry.js"; // "rnnkit" as Node resolves it
import { CharVocab, embeddedCorpus } from "../src/tasks.js";
import { saveModel, loadModel } from "../src/node/index.js";
import { fileURLToPath } from "node:url";

export function trainTextModel(path: string, steps = 300) {
  const rng = new Rng(1);
  const vocab = new CharVocab(embeddedCorpus);
  const ids = vocab.encode(embeddedCorpus);
  const V = vocab.size, T = 32, B = 16;
  const model = new SequenceToSequence({ cell: "lstm", inputSize: V, hiddenSize: 64, outputSize: V, rng });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
    for (let b = 0; b < B; b++) {
      const start = rng.int(ids.length - T - 1);
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = ids[start + t]; // time-major: position t of row b
        targets[t * B + b] = ids[start + t + 1]; // the next character
      }
    }
    optimizer.zeroGrad();
    const logits = model.forward(reshape(oneHot(inputs, V), [T, B, V])); // [T, B, V]
    const loss = crossEntropy(logits, targets); // mean over the T·B positions
    loss.backward();
    clipGradNorm(model.parameters(), 5);
    optimizer.step();
    losses.push(loss.item());
  }
  saveModel(path, model);
  return { losses, vocab };
}

export function generate(path: string, vocab: CharVocab, prime: string, length: number, temperature = 0.8, seed = 0): string {
  const { model } = loadModel<SequenceToSequence>(path);
  const runner = new StepRunner(model);
  const rng = new Rng(seed);
  let state = runner.initialState(1);
  let text = prime;
  let next = -1;
  for (const id of [...vocab.encode(prime)]) {
    const out = runner.step(oneHot([id], vocab.size), state); // read the prime
    state = out.state;
    next = sampleLogits(out.y.data, temperature, rng);
  }
  for (let i = 0; i < length; i++) {
    text += vocab.chars[next];
    const out = runner.step(oneHot([next], vocab.size), state); // feed the sample back
    state = out.state;
    next = sampleLogits(out.y.data, temperature, rng);
  }
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { losses, vocab } = trainTextModel("text-model.safetensors", 300);
  console.log(`loss ${losses[0].toFixed(3)} → ${losses.at(-1)!.toFixed(3)} nats per character over 300 steps`);
  console.log(generate("text-model.safetensors", vocab, "The ", 200));
}
