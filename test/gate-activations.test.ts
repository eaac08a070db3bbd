/**
 * The hard-sigmoid gate activations and the reset-before GRU (src/ops/recurrent.ts
 * `gateActivation`, `resetAfter`), against their oracles: finite differences of the fused op
 * for every variant (stacked, bidirectional, unsorted lengths); TensorFlow.js itself
 * (`tf.layers.lstm` with recurrentActivation 'hardSigmoid', `tf.layers.gru`, which applies the
 * reset before the product, hardSigmoid by default) running the same weights; a float64
 * re-statement of Keras 3's hard_sigmoid, relu6(x + 3)/6, for "hardSigmoid6"; model files
 * round-tripping each variant bit for bit; the refusals; and docs/gate-activations.md's example. The kernels are checked on every
 * backend in kernels.test.ts and the fused layers against the cells in fused-vs-cells.test.ts.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  Rng, Tensor, LSTM, GRU, RNN, GRUCell, LSTMCell, SequenceToVector, SequenceToSequence, StepRunner, EncoderDecoder, encodeModel, decodeModel, hardSigmoid, hardSigmoid6,
  toTfjsGateOrder, type GateActivation, type Module,
} from "../src/index.js";
import { gradcheck } from "../src/autograd/gradcheck.js";
import { recurrent, recurrentParamNames, recurrentParamShapes, type RecurrentSpec } from "../src/ops/recurrent.js";
import { FLOAT32_FORWARD, assertClose } from "./support/close.js";
import { flatConcat } from "./support/flat-concat.js";
import { withSpec } from "./support/mutate.js";
import { runDocExample } from "./support/doc-example.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /** Finite differences of the whole float64 op (eps 1e-6), as in recurrent.test.ts. */
  gradcheck: { eps: 1e-6, rtol: 1e-5, atol: 1e-8 },
  /** Two float32 runs of the same arithmetic whose GEMMs may sum in another order: a few roundings of u = 6e−8. */
  sameMath32: { atol: 1e-6, rtol: 0 },
  /** The float64 layer vs the float64 re-statement: the same sums in other orders. */
  sameMath64: { atol: 1e-12, rtol: 1e-10 },
};

const GATES: readonly GateActivation[] = ["sigmoid", "hardSigmoid", "hardSigmoid6"];

before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

function uniform(rng: Rng, shape: number[], scale: number, dtype: "float32" | "float64" = "float64"): Tensor {
  const t = Tensor.zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Finite differences

/**
 * gradcheck of the fused op over x, h0 (c0) and every weight. The weights are drawn wide
 * (±1.2 with inputs ±1.5) so that the hard sigmoids clip on some units (their zero-slope
 * parts are checked too); a central difference of step 1e−6 meets a kink only if a
 * pre-activation lies within 1e−6 of ±2.5 or ±3, which these seeded draws do not.
 */
function checkGradients(spec: RecurrentSpec, T: number, B: number, seed: number, lengths?: number[]): void {
  const rng = new Rng(seed);
  const D = spec.bidirectional ? 2 : 1;
  const stateShape = [spec.numLayers * D, B, spec.hiddenSize];
  const x = uniform(rng, spec.batchFirst ? [B, T, spec.inputSize] : [T, B, spec.inputSize], 1.5);
  const h0 = uniform(rng, stateShape, 1);
  const lstm = spec.cell === "lstm";
  const c0 = lstm ? uniform(rng, stateShape, 1) : null;
  const shapes = recurrentParamShapes(spec);
  const weights = recurrentParamNames(spec).map((n) => uniform(rng, shapes[n], 1.2));
  const inputs = [x, h0, ...(c0 ? [c0] : []), ...weights];
  const fn = (...ts: Tensor[]): Tensor => {
    const [xx, hh, ...rest] = ts;
    const cc = lstm ? rest[0] : undefined;
    const ws = lstm ? rest.slice(1) : rest;
    const r = recurrent(spec, xx, ws, { state: cc ? { h: hh, c: cc } : { h: hh }, lengths });
    return flatConcat(r.state.c ? [r.output, r.state.h, r.state.c] : [r.output, r.state.h]);
  };
  const report = gradcheck(fn, inputs, tol.gradcheck);
  assert.ok(report.ok, `gradcheck worst ratio ${report.worstRatio} at ${JSON.stringify(report.worstAt)}`);
  assert.equal(report.checked, inputs.reduce((s, t) => s + t.size, 0));
}

const VARIANTS: Array<{ name: string; cell: "lstm" | "gru"; gate: GateActivation; resetAfter?: boolean }> = [
  ...GATES.filter((g) => g !== "sigmoid").map((gate) => ({ name: `LSTM ${gate}`, cell: "lstm" as const, gate })),
  ...GATES.filter((g) => g !== "sigmoid").map((gate) => ({ name: `GRU ${gate}`, cell: "gru" as const, gate })),
  ...GATES.map((gate) => ({ name: `GRU reset-before ${gate}`, cell: "gru" as const, gate, resetAfter: false })),
];

function specFor(v: (typeof VARIANTS)[number], over: Partial<RecurrentSpec> = {}): RecurrentSpec {
  return {
    cell: v.cell, inputSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: false, bias: true, batchFirst: false,
    gateActivation: v.gate, ...(v.resetAfter === undefined ? {} : { resetAfter: v.resetAfter }), ...over,
  };
}

for (const v of VARIANTS) {
  test(`gradcheck: ${v.name}, 2 layers, bidirectional, unsorted lengths`, () => {
    checkGradients(specFor(v, { numLayers: 2, bidirectional: true }), 5, 3, 300, [3, 5, 1]);
  });
}

for (const v of VARIANTS.filter((w) => w.resetAfter === false)) {
  test(`gradcheck: ${v.name}, no bias, batch-first, one step and one row (the streaming shapes)`, () => {
    checkGradients(specFor(v, { bias: false, batchFirst: true, numLayers: 2 }), 4, 2, 301);
    checkGradients(specFor(v, { numLayers: 2 }), 1, 1, 302);
  });
}

test("gradcheck: the hardSigmoid and hardSigmoid6 elementwise ops (away from their kinks)", () => {
  const x = Tensor.from([-4, -2.4, -1, 0.3, 2.2, 2.9, 3.5, 5], [8], { dtype: "float64" });
  for (const op of [hardSigmoid, hardSigmoid6]) {
    const report = gradcheck((t) => op(t), [x.clone()], tol.gradcheck);
    assert.ok(report.ok, `${op.name}: worst ratio ${report.worstRatio}`);
  }
});

// ---------------------------------------------------------------------------------------------
// A float64 re-statement from the formulas (Keras 3's hard_sigmoid written as relu6(x + 3)/6)

const keras3HardSigmoid = (v: number): number => Math.min(Math.max(v + 3, 0), 6) / 6;

/**
 * One unidirectional layer from h0 = c0 = 0, unit by unit, from PyTorch-layout weights:
 * LSTM i,f,g,o; GRU r,z,n with the reset after (`resetAfter`) or before the W_hn product.
 * Returns the output [T, B, H] flattened.
 */
function referenceLayer(
  cell: "lstm" | "gru", resetAfter: boolean, s: (v: number) => number, x: Tensor, w: Tensor[], H: number,
): Float64Array {
  const [T, B, I] = x.shape;
  const [wih, whh, bih, bhh] = w.map((t) => t.data);
  const out = new Float64Array(T * B * H);
  const row = (m: ArrayLike<number>, r: number, v: ArrayLike<number>, n: number): number => {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += m[r * n + k] * v[k];
    return acc;
  };
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    let c = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const xt = Array.from({ length: I }, (_, k) => x.data[(t * B + b) * I + k]);
      const hNew = new Float64Array(H), cNew = new Float64Array(H);
      if (cell === "lstm") {
        const pre = (q: number, j: number): number => row(wih, q * H + j, xt, I) + bih[q * H + j] + row(whh, q * H + j, h, H) + bhh[q * H + j];
        for (let j = 0; j < H; j++) {
          const i = s(pre(0, j)), f = s(pre(1, j)), g = Math.tanh(pre(2, j)), o = s(pre(3, j));
          cNew[j] = f * c[j] + i * g;
          hNew[j] = o * Math.tanh(cNew[j]);
        }
      } else {
        const gi = (q: number, j: number): number => row(wih, q * H + j, xt, I) + bih[q * H + j];
        const gh = (q: number, j: number, v: ArrayLike<number>): number => row(whh, q * H + j, v, H) + bhh[q * H + j];
        const r = Float64Array.from({ length: H }, (_, j) => s(gi(0, j) + gh(0, j, h)));
        const rh = Float64Array.from(h, (v, j) => r[j] * v);
        for (let j = 0; j < H; j++) {
          const z = s(gi(1, j) + gh(1, j, h));
          const n = Math.tanh(resetAfter ? gi(2, j) + r[j] * gh(2, j, h) : gi(2, j) + gh(2, j, rh));
          hNew[j] = (1 - z) * n + z * h[j];
        }
      }
      h = hNew;
      c = cNew;
      out.set(h, (t * B + b) * H);
    }
  }
  return out;
}

for (const [cell, resetAfter] of [["lstm", true], ["gru", true], ["gru", false]] as const) {
  test(`hardSigmoid6 is Keras 3's hard_sigmoid relu6(x + 3)/6: ${cell}${cell === "gru" ? ` resetAfter=${resetAfter}` : ""} vs a float64 re-statement`, (t) => {
    const H = 4, I = 3, T = 6, B = 3;
    for (const dtype of ["float64", "float32"] as const) {
      const rng = new Rng(310);
      const opts = { inputSize: I, hiddenSize: H, gateActivation: "hardSigmoid6" as const, rng, dtype };
      const layer = cell === "lstm" ? new LSTM(opts) : new GRU({ ...opts, resetAfter });
      // Wide weights and inputs so that gates clip at 0 and 1 as well as run linearly.
      for (const p of layer.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1.5, 1.5);
      const x = uniform(rng, [T, B, I], 2, dtype);
      const got = layer.forward(x).output.data;
      const want = referenceLayer(cell, resetAfter, keras3HardSigmoid, x, layer.weights as Tensor[], H);
      const worst = assertClose(got, want, `${cell} ${dtype}`, dtype === "float64" ? tol.sameMath64 : FLOAT32_FORWARD);
      t.diagnostic(`${dtype}: worst |rnnkit − reference| ${worst.toExponential(2)}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js, the real producer of hardSigmoid LSTMs and reset-before GRUs

/** A layer's parameters as TF.js's kernel [I, G·H], recurrent kernel [H, G·H] and bias [G·H] per layer. */
function toTfjsWeights(layer: LSTM | GRU): tf.Tensor[] {
  const { cell, hiddenSize: H, numLayers: L } = layer.spec;
  const G = cell === "lstm" ? 4 : 3;
  const p = new Map(layer.namedParameters());
  const transposed = (w: Float32Array, rows: number, cols: number): Float32Array => {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
    return out;
  };
  const out: tf.Tensor[] = [];
  for (let k = 0; k < L; k++) {
    const wih = p.get(`weight_ih_l${k}`)!, whh = p.get(`weight_hh_l${k}`)!;
    const I = wih.shape[1];
    const bias = Float32Array.from(p.get(`bias_ih_l${k}`)!.data, (v, i) => v + p.get(`bias_hh_l${k}`)!.data[i]);
    // TF.js's single bias: b_ih + b_hh is exact for the reset-before GRU, where no gate multiplies b_hn.
    out.push(
      tf.tensor2d(transposed(toTfjsGateOrder(cell, wih.data, H), G * H, I), [I, G * H]),
      tf.tensor2d(transposed(toTfjsGateOrder(cell, whh.data, H), G * H, H), [H, G * H]),
      tf.tensor1d(toTfjsGateOrder(cell, bias, H)),
    );
  }
  return out;
}

const TFJS_CASES: Array<{ name: string; cell: "lstm" | "gru"; gate: "sigmoid" | "hardSigmoid"; layers: number }> = [
  { name: "LSTM recurrentActivation 'hardSigmoid'", cell: "lstm", gate: "hardSigmoid", layers: 1 },
  { name: "2 stacked LSTMs with 'hardSigmoid'", cell: "lstm", gate: "hardSigmoid", layers: 2 },
  { name: "GRU (reset before, its default 'hardSigmoid')", cell: "gru", gate: "hardSigmoid", layers: 1 },
  { name: "2 stacked GRUs (reset before, 'hardSigmoid')", cell: "gru", gate: "hardSigmoid", layers: 2 },
  { name: "GRU (reset before) with recurrentActivation 'sigmoid'", cell: "gru", gate: "sigmoid", layers: 1 },
];

for (const c of TFJS_CASES) {
  test(`TF.js ${c.name}: model.predict equals the rnnkit layer with the same weights`, (t) => {
    const I = 3, H = 5, T = 7, B = 4;
    const rng = new Rng(320 + c.layers);
    const opts = { inputSize: I, hiddenSize: H, numLayers: c.layers, batchFirst: true, gateActivation: c.gate, rng };
    const layer = c.cell === "lstm" ? new LSTM(opts) : new GRU({ ...opts, resetAfter: false });
    // Wider than the default init so that the hard sigmoid clips on some units and steps.
    for (const p of layer.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1.2, 1.2);
    const x = uniform(rng, [B, T, I], 2, "float32");

    const model = tf.sequential();
    for (let k = 0; k < c.layers; k++) {
      const args = { units: H, recurrentActivation: c.gate, returnSequences: true, ...(k === 0 ? { inputShape: [T, I] } : {}) };
      model.add(c.cell === "lstm" ? tf.layers.lstm(args) : tf.layers.gru(args));
    }
    model.setWeights(toTfjsWeights(layer));
    const y = model.predict(tf.tensor3d(x.data as Float32Array, [B, T, I])) as tf.Tensor;
    const want = y.dataSync();
    const got = layer.forward(x).output.data;
    const worst = assertClose(got, want, c.name);
    t.diagnostic(`worst |rnnkit − TF.js| ${worst.toExponential(2)} over ${want.length} outputs`);
    // The case must exercise the clipped parts of the hard sigmoid, not only its linear middle.
    if (c.gate === "hardSigmoid") {
      assert.ok(clips(layer, x), `${c.name}: no gate pre-activation of the first step outside [−2.5, 2.5]`);
    }
    tf.dispose(y);
    model.dispose();
  });
}

/** Whether some gate pre-activation of the first layer's first step (from h0 = 0) lies outside [−2.5, 2.5]. */
function clips(layer: LSTM | GRU, x: Tensor): boolean {
  const p = new Map(layer.namedParameters());
  const wih = p.get("weight_ih_l0")!, bih = p.get("bias_ih_l0")!, bhh = p.get("bias_hh_l0")!;
  const [GH, I] = wih.shape;
  const [B] = x.shape;
  const T = x.shape[1];
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < GH; r++) {
      let v = bih.data[r] + bhh.data[r];
      for (let k = 0; k < I; k++) v += wih.data[r * I + k] * x.data[b * T * I + k];
      if (Math.abs(v) > 2.5) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Streaming, model files and refusals

test("a reset-before GRU streamed one step at a time equals the whole sequence (B = 1 and 2)", () => {
  const rng = new Rng(330);
  const gru = new GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, gateActivation: "hardSigmoid", resetAfter: false, rng });
  for (const B of [1, 2]) {
    const x = uniform(rng, [4, B, 2], 2, "float32");
    const whole = gru.forward(x);
    let state = undefined;
    const steps: number[] = [];
    for (let t = 0; t < 4; t++) {
      const r = gru.forward(new Tensor(x.data.slice(t * B * 2, (t + 1) * B * 2), [1, B, 2]), state);
      steps.push(...r.output.data);
      state = r.state;
    }
    // The same arithmetic; GEMMs over 1·B rows and over T·B rows may block their sums differently.
    assertClose(steps, whole.output.data, `B=${B} output`, tol.sameMath32);
    assertClose(state!.h.data, whole.state.h.data, `B=${B} state`, tol.sameMath32);
  }
});

test("StepRunner streams hard-sigmoid and reset-before models as their whole-sequence forward", () => {
  const rng = new Rng(335);
  const T = 5, B = 2, I = 3;
  for (const options of [
    { cell: "gru" as const, resetAfter: false, gateActivation: "hardSigmoid" as const },
    { cell: "lstm" as const, gateActivation: "hardSigmoid6" as const },
  ]) {
    const model = new SequenceToSequence({ ...options, inputSize: I, hiddenSize: 4, numLayers: 2, outputSize: 2, batchFirst: true, rng });
    const x = uniform(rng, [B, T, I], 2, "float32");
    const whole = model.forward(x).data;
    const runner = new StepRunner(model);
    let state = runner.initialState(B);
    for (let t = 0; t < T; t++) {
      const xt = new Tensor(Float32Array.from({ length: B * I }, (_, k) => x.data[(Math.floor(k / I) * T + t) * I + (k % I)]), [B, I]);
      const r = runner.step(xt, state);
      state = r.state;
      const want = Float32Array.from({ length: B * 2 }, (_, k) => whole[(Math.floor(k / 2) * T + t) * 2 + (k % 2)]);
      assertClose(r.y.data, want, `${options.cell} step ${t}`, tol.sameMath32);
    }
  }
});

function roundTrip(model: Module, run: (m: Module) => Tensor): void {
  const bytes = encodeModel(model);
  const loaded = decodeModel(bytes, "variant.safetensors").model;
  assert.deepEqual(Array.from(run(loaded).data), Array.from(run(model).data));
}

test("model files: every variant saves its options and loads with bit-identical outputs", () => {
  const rng = new Rng(340);
  const x = uniform(rng, [5, 2, 3], 2, "float32");
  const seq = (m: Module): Tensor => (m as LSTM).forward(x).output;
  for (const gateActivation of GATES) {
    roundTrip(new LSTM({ inputSize: 3, hiddenSize: 4, gateActivation, rng }), seq);
    for (const resetAfter of [true, false]) roundTrip(new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, gateActivation, resetAfter, rng }), seq);
  }
  const s2v = new SequenceToVector({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, gateActivation: "hardSigmoid", resetAfter: false, rng });
  roundTrip(s2v, (m) => (m as SequenceToVector).forward(x));
  const ed = new EncoderDecoder({
    cell: "lstm", sourceInputSize: 3, targetVocabSize: 5, embeddingSize: 3, hiddenSize: 4, gateActivation: "hardSigmoid6", rng,
  });
  const tgt = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
  roundTrip(ed, (m) => (m as EncoderDecoder).forward(x, tgt));

  // The options are in the file, and defaults are left out (so such files read as before).
  const spec = (m: Module): Record<string, unknown> =>
    JSON.parse(new TextDecoder().decode(encodeModel(m)).match(/"rnnkit\.model":"((?:[^"\\]|\\.)*)"/)![1].replace(/\\"/g, '"')).options;
  assert.equal(spec(new GRU({ inputSize: 1, hiddenSize: 1, gateActivation: "hardSigmoid", resetAfter: false, rng })).gateActivation, "hardSigmoid");
  assert.equal(spec(new GRU({ inputSize: 1, hiddenSize: 1, resetAfter: false, rng })).resetAfter, false);
  const plain = spec(new GRU({ inputSize: 1, hiddenSize: 1, rng }));
  assert.ok(!("gateActivation" in plain) && !("resetAfter" in plain));
});

test("model files: unknown or misplaced gateActivation / resetAfter values are refused, naming the file and option", () => {
  const rng = new Rng(350);
  const gru = encodeModel(new GRU({ inputSize: 2, hiddenSize: 3, rng }));
  const lstm = encodeModel(new LSTM({ inputSize: 2, hiddenSize: 3, rng }));
  const rnn = encodeModel(new RNN({ inputSize: 2, hiddenSize: 3, rng }));
  const s2v = encodeModel(new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 1, rng }));
  const cases: Array<[Uint8Array, Record<string, unknown>, RegExp]> = [
    [gru, { gateActivation: "relu" }, /option gateActivation is "relu", expected "sigmoid", "hardSigmoid", "hardSigmoid6"/],
    [gru, { resetAfter: "no" }, /option resetAfter is "no", expected true or false/],
    [lstm, { resetAfter: false }, /option "resetAfter" is not an option of this type/],
    [rnn, { gateActivation: "hardSigmoid" }, /option "gateActivation" is not an option of this type/],
    [s2v, { resetAfter: false }, /option resetAfter applies to cell "gru" only/],
    [s2v, { cell: "rnn", gateActivation: "hardSigmoid" }, /option gateActivation applies to cells "lstm" and "gru" only/],
  ];
  for (const [bytes, options, message] of cases) {
    assert.throws(() => decodeModel(withSpec(bytes, (s) => Object.assign(s.options, options)), "bad.safetensors"), (e: Error) => {
      assert.match(e.message, /^bad\.safetensors: /);
      assert.match(e.message, message);
      return true;
    });
  }
});

test("layers, cells, topologies and the op refuse unknown or misplaced values with a clear error", () => {
  const rng = new Rng(360);
  const base = { inputSize: 2, hiddenSize: 3, rng };
  assert.throws(() => new LSTM({ ...base, gateActivation: "hard" as GateActivation }), /LSTM: gateActivation must be one of "sigmoid", "hardSigmoid", "hardSigmoid6", got "hard"/);
  assert.throws(() => new GRU({ ...base, resetAfter: 0 as unknown as boolean }), /GRU: resetAfter must be a boolean/);
  assert.throws(() => new RNN({ ...base, gateActivation: "hardSigmoid" } as never), /RNN.*gateActivation.*applies to LSTM and GRU gates only/);
  assert.throws(() => new LSTM({ ...base, resetAfter: false } as never), /LSTM.*resetAfter.*applies to GRU only/);
  assert.throws(() => new GRUCell({ ...base, gateActivation: "tanh" as GateActivation }), /GRUCell: gateActivation must be one of/);
  assert.throws(() => new LSTMCell({ ...base, resetAfter: false } as never), /LSTMCell.*resetAfter/);
  assert.throws(
    () => new SequenceToVector({ cell: "rnn", inputSize: 2, hiddenSize: 3, outputSize: 1, gateActivation: "hardSigmoid", rng }),
    /RNN: 'gateActivation' applies to cells "lstm" and "gru" only/,
  );
  assert.throws(
    () => new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 1, resetAfter: false, rng }),
    /LSTM: 'resetAfter' applies to cell "gru" only/,
  );
  const x = Tensor.zeros([2, 1, 2]);
  const spec: RecurrentSpec = { cell: "rnn", inputSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: false, bias: false, batchFirst: false };
  const w = [Tensor.zeros([3, 2]), Tensor.zeros([3, 3])];
  assert.throws(() => recurrent({ ...spec, gateActivation: "hardSigmoid" }, x, w), /RNN: gateActivation 'hardSigmoid' applies to LSTM and GRU gates only/);
  assert.throws(() => recurrent({ ...spec, resetAfter: false }, x, w), /RNN: resetAfter applies to GRU only/);
  assert.throws(() => recurrent({ ...spec, cell: "lstm", gateActivation: "soft" as GateActivation }, x, w), /LSTM: unknown gateActivation "soft"/);
});

test("docs/gate-activations.md's example runs as written: a TF.js GRU's weights in an rnnkit GRU give its outputs", () => {
  const { block, stdout } = runDocExample("docs/gate-activations.md", "In code", ".");
  assert.match(block, /gateActivation: "hardSigmoid", resetAfter: false/);
  const m = /worst \|rnnkit − TF\.js\| (\S+)/.exec(stdout);
  assert.ok(m !== null, stdout);
  assert.ok(Number(m[1]) <= FLOAT32_FORWARD.atol, stdout);
});
