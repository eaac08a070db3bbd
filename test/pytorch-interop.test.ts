/**
 * A model file loads into torch.nn.LSTM / GRU / RNN with `load_state_dict(strict=True)`
 * and gives the same outputs. Runs only where PyTorch is installed (Debian's
 * python3-torch); skipped otherwise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Rng, Tensor, LSTM, GRU, RNN, noGrad, type Module, type RecurrentResult } from "../src/index.js";
import { saveModel } from "../src/node/index.js";

const python = "/usr/bin/python3";
const hasTorch = spawnSync(python, ["-c", "import torch"]).status === 0;

test("model files load into PyTorch's recurrent modules with the same outputs", { skip: hasTorch ? false : "PyTorch (python3-torch) is not installed" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-torch-"));
  const rng = new Rng(9);
  const models: Array<[string, Module & { forward(x: Tensor): RecurrentResult }]> = [
    ["lstm", new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, rng })],
    ["gru", new GRU({ inputSize: 3, hiddenSize: 4, rng })],
    ["rnn", new RNN({ inputSize: 3, hiddenSize: 4, nonlinearity: "relu", rng })],
  ];
  const x = Tensor.zeros([6, 2, 3]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  writeFileSync(join(dir, "x.json"), JSON.stringify({ shape: x.shape, data: Array.from(x.data) }));
  for (const [name, model] of models) {
    const file = join(dir, `${name}.safetensors`);
    saveModel(file, model);
    const res = spawnSync(python, [resolve("tools/torch_load_check.py"), file, join(dir, "x.json"), join(dir, `${name}.out.json`)], { encoding: "utf8" });
    assert.equal(res.status, 0, res.stderr);
    const torchOut = JSON.parse(readFileSync(join(dir, `${name}.out.json`), "utf8"));
    const ours = noGrad(() => model.forward(x));
    for (const [key, a, e] of [["output", ours.output.data, torchOut.output], ["h_n", ours.state.h.data, torchOut.h_n]] as const) {
      assert.equal(a.length, e.length, `${name} ${key}`);
      for (let i = 0; i < e.length; i++) assert.ok(Math.abs(a[i] - e[i]) <= 1e-5 + 1e-4 * Math.abs(e[i]), `${name} ${key}[${i}]: ${a[i]} vs torch ${e[i]}`);
    }
  }
});
