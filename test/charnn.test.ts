/**
 * The charnn experiment on a shortened quick run (both losses fall, both models are saved
 * with their vocabulary) and `rnnkit sample` end to end on the saved model: the prime
 * starts the text, every character is in the vocabulary, the same seed gives the same
 * text; a model file without a vocabulary is refused with a clear message.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runExperiment } from "../src/experiments/index.js";
import { charnn } from "../src/experiments/charnn.js";
import type { Config, Experiment } from "../src/experiments/experiment.js";
import { saveModel } from "../src/node/files.js";
import { SequenceToSequence } from "../src/nn/topologies.js";
import { Rng } from "../src/tensor/random.js";
import { CharVocab, embeddedCorpus } from "../src/data/corpus.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-charnn-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = resolve("build/src/cli/main.js");
const sample = (...args: string[]) => spawnSync(process.execPath, [cli, "sample", ...args], { encoding: "utf8" });

interface Curves {
  minchar: { initialSmooth: number; finalSmooth: number; tailLoss: number; saved: string };
  lstm: { curve: Array<{ loss: number }>; saved: string; steps: number };
}

let data: Curves;

test("a quick run: the smoothed min-char-rnn loss and the LSTM's validation loss fall", async () => {
  const overrides = { minIters: "400", maxSteps: "40", evalSeconds: "1000", saveDir: dir };
  const r = await runExperiment(charnn as unknown as Experiment<Config>, { quick: true, overrides, outDir: join(dir, "reports"), progress: "none", log: () => {} });
  data = (JSON.parse(readFileSync(join(r.dir, "results.json"), "utf8")) as { data: Curves }).data;
  const V = new CharVocab(embeddedCorpus).size;
  const { minchar, lstm } = data;
  assert.ok(Math.abs(minchar.initialSmooth - Math.log(V) * 25) < 1e-9);
  assert.ok(minchar.finalSmooth < minchar.initialSmooth - 2, `smoothed ${minchar.initialSmooth} → ${minchar.finalSmooth}`);
  assert.ok(minchar.tailLoss / 25 < Math.log(V) - 0.5, `raw loss per char ${minchar.tailLoss / 25}`);
  assert.equal(lstm.steps, 40);
  const [first, last] = [lstm.curve[0].loss, lstm.curve[lstm.curve.length - 1].loss];
  assert.ok(last < first - 0.5, `validation ${first} → ${last}`);
  assert.match(r.figures.map((f) => f.verdict).join("\n"), /falls, as published/);
});

test("rnnkit sample generates from the saved model: prime first, vocabulary only, same seed → same text", () => {
  const vocab = new CharVocab(embeddedCorpus);
  for (const file of [data.lstm.saved, data.minchar.saved]) {
    const a = sample(file, "--prime", "The ", "--length", "60", "--seed", "5", "--temperature", "0.8");
    assert.equal(a.status, 0, a.stderr);
    const text = a.stdout.replace(/\n$/, "");
    assert.equal(text.length, 64);
    assert.ok(text.startsWith("The "));
    assert.ok([...text].every((ch) => vocab.chars.includes(ch)), text);
    assert.equal(sample(file, "--prime", "The ", "--length", "60", "--seed", "5", "--temperature", "0.8").stdout, a.stdout, "same seed, same text");
  }
  const greedy = sample(data.lstm.saved, "--length", "30", "--temperature", "0");
  assert.equal(greedy.status, 0, greedy.stderr);
  assert.equal(greedy.stdout.length, 31, "no prime given: only the generated characters");
});

test("rnnkit sample refuses a model without a vocabulary, and a prime outside it", () => {
  const bare = join(dir, "bare.safetensors");
  saveModel(bare, new SequenceToSequence({ cell: "gru", inputSize: 5, hiddenSize: 4, outputSize: 5, rng: new Rng(0) }));
  const r = sample(bare, "--length", "10");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /holds no vocabulary \(metadata key rnnkit\.vocab\)/);
  assert.ok(r.stderr.includes(bare));
  const q = sample(data.lstm.saved, "--prime", "Ω");
  assert.equal(q.status, 2);
  assert.match(q.stderr, /"Ω" is not in the model's vocabulary/);
});
