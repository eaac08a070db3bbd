// Tests of the fused recurrent op and the RNN / LSTM / GRU modules: every PyTorch layer
// fixture in float64 and float32, gradcheck of the hand-written BPTT, the fused layer equal
// to the cell stepped by hand, the packed (variable-length) semantics, batch-first, argument
// validation and the modules' PyTorch parameter names. Float64 runs on the TypeScript kernels
// whatever backend is active, so the float64 checks run once; the fixtures, the hand-stepped
// cells and the layout and length semantics run again in float32 on every backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { gradcheck } from "../src/autograd/gradcheck.js";
import { noGrad } from "../src/autograd/tape.js";
import { Comparison, type FixtureCase } from "../src/fixtures/format.js";
import { readFixtureCases } from "./support/fixtures.js";
import { layerFamily } from "../src/fixtures/layers.js";
import {
  recurrent,
  recurrentParamNames,
  recurrentParamShapes,
  type CellKind,
  type RecurrentSpec,
  type RecurrentState,
} from "../src/ops/recurrent.js";
import { GRU, LSTM, RNN } from "../src/nn/recurrent.js";
import { kernels, type RnnActivation } from "../src/backend/kernels.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError } from "../src/tensor/shape.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { forEachBackend } from "./support/backends.js";
import { flatConcat } from "./support/flat-concat.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /** Finite differences of the whole float64 op (eps 1e-6). */
  gradcheck: { eps: 1e-6, rtol: 1e-5, atol: 1e-8 },
  /** Two float64 computations that differ only in summation order. */
  sameMath64: 1e-12,
  /**
   * Two float32 computations of the same values that may differ in summation order (a batch
   * of one can take the matrix–vector path, a larger batch the blocked GEMM), absolutely, on
   * values of order 1: a few roundings of u = 6e−8. Measured: equal bit for bit today on every backend.
   */
  sameMath32: 1e-6,
  /**
   * float32 fused layer vs the cell stepped by hand in float64 on the same float32 inputs
   * and weights, absolutely, on outputs and cells of order 1: each step rounds sums of
   * ≤ 9 terms and the recurrence carries the errors over 6 steps. Measured worst 1.4e−7 on
   * every backend.
   */
  handStep32: 1e-6,
};

// ---------------------------------------------------------------------------------------------
// PyTorch fixtures

const layerCases = (readFixtureCases("rnn_layers.json") as FixtureCase[]);

function layerFixtureTest(dtype: DType): void {
  test(`rnn_layers.json: every case passes in ${dtype}`, async (t) => {
    assert.ok(layerCases.length > 0);
    for (const c of layerCases) {
      await t.test(c.name, () => {
        assert.ok(layerFamily.matches(c), "layerFamily does not recognize the case");
        const cmp = new Comparison(c.tolerances, dtype);
        layerFamily.run(c, cmp);
        const bad = cmp.results.filter((r) => !r.ok).map((r) => `${r.key} ratio ${r.ratio.toExponential(2)}${r.problem ? ` (${r.problem})` : ""}`);
        assert.deepEqual(bad, [], `${c.name} ${dtype} on ${kernels().name}`);
        assert.ok(cmp.results.length >= 6, "too few keys checked");
      });
    }
  });
}

layerFixtureTest("float64");
forEachBackend(() => layerFixtureTest("float32"));

// ---------------------------------------------------------------------------------------------
// Helpers

function specOf(cell: CellKind, over: Partial<RecurrentSpec> = {}): RecurrentSpec {
  return { cell, inputSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: false, bias: true, batchFirst: false, ...over };
}

function randomTensor(rng: Rng, shape: number[], dtype: DType = "float64", scale = 1): Tensor {
  const t = Tensor.zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

function randomWeights(rng: Rng, spec: RecurrentSpec, dtype: DType = "float64"): Tensor[] {
  const shapes = recurrentParamShapes(spec);
  return recurrentParamNames(spec).map((n) => randomTensor(rng, shapes[n], dtype, 1 / Math.sqrt(spec.hiddenSize) + 0.3));
}

interface Problem {
  spec: RecurrentSpec;
  x: Tensor;
  h0: Tensor;
  c0: Tensor | undefined;
  /** h0, and c0 for the LSTM. */
  state: RecurrentState;
  weights: Tensor[];
}

function problem(seed: number, spec: RecurrentSpec, T: number, B: number, dtype: DType = "float64"): Problem {
  const rng = new Rng(seed);
  const D = spec.bidirectional ? 2 : 1;
  const state = [spec.numLayers * D, B, spec.hiddenSize];
  const x = randomTensor(rng, spec.batchFirst ? [B, T, spec.inputSize] : [T, B, spec.inputSize], dtype, 1.5);
  const h0 = randomTensor(rng, state, dtype);
  const c0 = spec.cell === "lstm" ? randomTensor(rng, state, dtype) : undefined;
  return { spec, x, h0, c0, state: c0 ? { h: h0, c: c0 } : { h: h0 }, weights: randomWeights(rng, spec, dtype) };
}

/** gradcheck over x, state.h, state.c and every weight of the fused op, all outputs included. */
function checkGradients(p: Problem, lengths?: number[]): void {
  const inputs = [p.x, p.h0, ...(p.c0 ? [p.c0] : []), ...p.weights];
  const lstm = p.spec.cell === "lstm";
  const fn = (...ts: Tensor[]): Tensor => {
    const [x, h0, ...rest] = ts;
    const c0 = lstm ? rest[0] : undefined;
    const ws = lstm ? rest.slice(1) : rest;
    const r = recurrent(p.spec, x, ws, { state: c0 ? { h: h0, c: c0 } : { h: h0 }, lengths });
    return flatConcat(r.state.c ? [r.output, r.state.h, r.state.c] : [r.output, r.state.h]);
  };
  const report = gradcheck(fn, inputs, tol.gradcheck);
  assert.ok(report.ok, `gradcheck worst ratio ${report.worstRatio} at ${JSON.stringify(report.worstAt)}`);
  assert.equal(report.checked, inputs.reduce((s, t) => s + t.size, 0));
}

// ---------------------------------------------------------------------------------------------
// Gradients

for (const [cell, act] of [["rnn", "tanh"], ["rnn", "relu"], ["rnn", "sigmoid"], ["lstm", undefined], ["gru", undefined]] as const) {
  test(`gradcheck: ${cell}${act ? ` ${act}` : ""}, one layer`, () => {
    checkGradients(problem(100, specOf(cell, { nonlinearity: act }), 4, 3));
  });
}

for (const cell of ["rnn", "lstm", "gru"] as const) {
  test(`gradcheck: ${cell}, 2 layers, bidirectional, unsorted lengths`, () => {
    checkGradients(problem(101, specOf(cell, { numLayers: 2, bidirectional: true }), 5, 3), [3, 5, 1]);
  });
}

for (const cell of ["rnn", "lstm", "gru"] as const) {
  test(`gradcheck: ${cell} without bias, batch-first, 2 layers`, () => {
    checkGradients(problem(102, specOf(cell, { bias: false, batchFirst: true, numLayers: 2 }), 3, 2));
  });
}

test("backward accumulates: a second backward doubles every gradient", () => {
  const p = problem(103, specOf("gru", { bidirectional: true }), 4, 2);
  for (const t of [p.x, p.h0, ...p.weights]) t.requiresGrad = true;
  const seed = Float64Array.from({ length: 4 * 2 * 6 }, (_, i) => Math.sin(i));
  recurrent(p.spec, p.x, p.weights, { state: p.state }).output.backward(seed);
  const once = [p.x, p.h0, ...p.weights].map((t) => Float64Array.from(t.grad!));
  recurrent(p.spec, p.x, p.weights, { state: p.state }).output.backward(seed);
  [p.x, p.h0, ...p.weights].forEach((t, i) => {
    for (let j = 0; j < t.size; j++) assert.ok(Math.abs(t.grad![j] - 2 * once[i][j]) <= tol.sameMath64 * (1 + Math.abs(once[i][j])));
  });
});

test("no tape node without an input that requires grad, or under noGrad", () => {
  const p = problem(104, specOf("lstm"), 3, 2);
  assert.equal(recurrent(p.spec, p.x, p.weights, { state: p.state }).output.node, null);
  p.weights[0].requiresGrad = true;
  assert.notEqual(recurrent(p.spec, p.x, p.weights, { state: p.state }).output.node, null);
  assert.equal(noGrad(() => recurrent(p.spec, p.x, p.weights, { state: p.state })).output.node, null);
});

// ---------------------------------------------------------------------------------------------
// Fused layer == cell stepped by hand (scalar loops, one layer, one direction)

function naiveLayer(spec: RecurrentSpec, x: Tensor, w: Tensor[], h0: Tensor, c0?: Tensor): { out: number[]; c: number[] } {
  const [T, B, I] = x.shape;
  const H = spec.hiddenSize;
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const act: Record<RnnActivation, (v: number) => number> = { tanh: Math.tanh, relu: (v) => Math.max(v, 0), sigmoid: sig };
  const [wih, whh, bih, bhh] = w;
  // gate row r of (W_ih x + b_ih) and of (W_hh h + b_hh)
  const inRow = (r: number, t: number, b: number): number => {
    let s = spec.bias ? bih.data[r] : 0;
    for (let i = 0; i < I; i++) s += wih.data[r * I + i] * x.data[(t * B + b) * I + i];
    return s;
  };
  const recRow = (r: number, h: number[]): number => {
    let s = spec.bias ? bhh.data[r] : 0;
    for (let j = 0; j < H; j++) s += whh.data[r * H + j] * h[j];
    return s;
  };
  const out: number[] = [];
  const cs: number[] = [];
  for (let b = 0; b < B; b++) {
    let h = Array.from(h0.data.subarray(b * H, b * H + H));
    let c = c0 ? Array.from(c0.data.subarray(b * H, b * H + H)) : [];
    for (let t = 0; t < T; t++) {
      const hNew: number[] = [];
      const cNew: number[] = [];
      for (let j = 0; j < H; j++) {
        if (spec.cell === "rnn") {
          hNew.push(act[spec.nonlinearity ?? "tanh"](inRow(j, t, b) + recRow(j, h)));
        } else if (spec.cell === "lstm") {
          const g = (k: number): number => inRow(k * H + j, t, b) + recRow(k * H + j, h);
          const cj = sig(g(1)) * c[j] + sig(g(0)) * Math.tanh(g(2));
          cNew.push(cj);
          hNew.push(sig(g(3)) * Math.tanh(cj));
        } else {
          const r = sig(inRow(j, t, b) + recRow(j, h));
          const z = sig(inRow(H + j, t, b) + recRow(H + j, h));
          const n = Math.tanh(inRow(2 * H + j, t, b) + r * recRow(2 * H + j, h));
          hNew.push((1 - z) * n + z * h[j]);
        }
      }
      h = hNew;
      c = cNew;
      for (let j = 0; j < H; j++) out[(t * B + b) * H + j] = h[j];
    }
    cs.push(...c);
  }
  return { out, c: cs };
}

/** The fused op against `naiveLayer` (float64 loops over the same values), within `within` absolutely. */
function handSteppedTests(dtype: DType, within: number): void {
  for (const [cell, act] of [["rnn", "tanh"], ["rnn", "sigmoid"], ["rnn", "relu"], ["lstm", undefined], ["gru", undefined]] as const) {
    test(`fused ${cell}${act ? ` ${act}` : ""} equals the cell stepped by hand (${dtype})`, () => {
      const p = problem(105, specOf(cell, { nonlinearity: act, inputSize: 3, hiddenSize: 5 }), 6, 2, dtype);
      const r = recurrent(p.spec, p.x, p.weights, { state: p.state });
      const want = naiveLayer(p.spec, p.x, p.weights, p.h0, p.c0);
      const where = `${kernels().name} ${dtype}`;
      want.out.forEach((v, i) => assert.ok(Math.abs(r.output.data[i] - v) <= within, `${where} output[${i}]: ${r.output.data[i]} vs ${v}`));
      const c = r.state.c;
      if (c) want.c.forEach((v, i) => assert.ok(Math.abs(c.data[i] - v) <= within, `${where} state.c[${i}]: ${c.data[i]} vs ${v}`));
    });
  }
}

handSteppedTests("float64", tol.sameMath64);
forEachBackend(() => handSteppedTests("float32", tol.handStep32));

// ---------------------------------------------------------------------------------------------
// Layout and variable lengths

/** [A, C, F] → [C, A, F]. */
function swap01(t: Tensor): Tensor {
  const [A, C, F] = t.shape;
  const out = Tensor.zeros([C, A, F], { dtype: t.dtype });
  for (let a = 0; a < A; a++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) out.data[(c * A + a) * F + f] = t.data[(a * C + c) * F + f];
  return out;
}

/**
 * Layout and length semantics in `dtype`; equalities that hold only up to summation order are
 * checked within `sameMath`, the others exactly.
 */
function layoutTests(dtype: DType, sameMath: number): void {
  test(`batchFirst equals time-major with x, output and grad_x transposed (${dtype})`, () => {
    const tm = problem(106, specOf("lstm", { numLayers: 2, bidirectional: true }), 4, 3, dtype);
    const bfSpec = { ...tm.spec, batchFirst: true };
    const xbf = swap01(tm.x);
    for (const t of [tm.x, xbf, ...tm.weights]) t.requiresGrad = true;
    const lengths = [2, 4, 3];
    const a = recurrent(tm.spec, tm.x, tm.weights, { state: tm.state, lengths });
    const seed = Float64Array.from({ length: a.output.size }, (_, i) => Math.cos(i));
    a.output.backward(seed);
    const gradsTm = tm.weights.map((w) => Float64Array.from(w.grad!));
    for (const w of tm.weights) w.zeroGrad();
    const b = recurrent(bfSpec, xbf, tm.weights, { state: tm.state, lengths });
    assert.deepEqual(b.output.shape, [3, 4, 6]);
    b.output.backward(swap01(new Tensor(seed, a.output.shape)).data);
    assert.deepEqual(Array.from(swap01(b.output).data), Array.from(a.output.data));
    assert.deepEqual(Array.from(b.state.h.data), Array.from(a.state.h.data));
    assert.deepEqual(Array.from(b.state.c!.data), Array.from(a.state.c!.data));
    assert.deepEqual(Array.from(swap01(new Tensor(xbf.grad!, xbf.shape)).data), Array.from(tm.x.grad!));
    tm.weights.forEach((w, i) => assert.deepEqual(Array.from(w.grad!), Array.from(gradsTm[i])));
  });

  test(`packed: padded inputs and padded output gradients have no effect; padded x gets exactly 0 grad (${dtype})`, () => {
    for (const cell of ["rnn", "lstm", "gru"] as const) {
      const spec = specOf(cell, { numLayers: 2, bidirectional: true });
      const T = 5, B = 3, lengths = [4, 1, 5];
      const run = (p: Problem, seedOut: Float64Array) => {
        for (const t of [p.x, p.h0, ...p.weights]) t.requiresGrad = true;
        const r = recurrent(spec, p.x, p.weights, { state: p.state, lengths });
        const loss = flatConcat([r.output, r.state.h]);
        const seed = new Float64Array(loss.size);
        seed.set(seedOut);
        for (let i = r.output.size; i < seed.length; i++) seed[i] = Math.sin(i);
        loss.backward(seed);
        return r;
      };
      const outSize = T * B * 6;
      const seedA = Float64Array.from({ length: outSize }, (_, i) => Math.cos(i));
      const seedB = Float64Array.from(seedA);
      const pa = problem(107, spec, T, B, dtype);
      const pb = problem(107, spec, T, B, dtype);
      const rng = new Rng(5);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          if (t < lengths[b]) continue;
          for (let i = 0; i < 2; i++) pb.x.data[(t * B + b) * 2 + i] = rng.normal(0, 10);
          for (let i = 0; i < 6; i++) seedB[(t * B + b) * 6 + i] = rng.normal();
        }
      }
      const ra = run(pa, seedA);
      const rb = run(pb, seedB);
      assert.deepEqual(Array.from(rb.output.data), Array.from(ra.output.data), `${cell} output`);
      assert.deepEqual(Array.from(rb.state.h.data), Array.from(ra.state.h.data), `${cell} state.h`);
      pa.weights.forEach((w, i) => assert.deepEqual(Array.from(pb.weights[i].grad!), Array.from(w.grad!), `${cell} weight ${i}`));
      assert.deepEqual(Array.from(pb.h0.grad!), Array.from(pa.h0.grad!), `${cell} h0 grad`);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          for (let i = 0; i < 6; i++) {
            const o = ra.output.data[(t * B + b) * 6 + i];
            if (t >= lengths[b]) assert.ok(Object.is(o, 0), `${cell} output[${t},${b}] must be exactly +0, got ${o}`);
          }
          for (let i = 0; i < 2; i++) {
            const g = pb.x.grad![(t * B + b) * 2 + i];
            if (t >= lengths[b]) assert.equal(g, 0, `${cell} grad_x[${t},${b}]`);
            else assert.equal(g, pa.x.grad![(t * B + b) * 2 + i]);
          }
        }
      }
    }
  });

  test(`packed with unsorted lengths equals running each sequence alone (${dtype})`, () => {
    const spec = specOf("gru", { numLayers: 2, bidirectional: true });
    const T = 5, B = 3, lengths = [3, 5, 2], H = 3, D = 2;
    const p = problem(108, spec, T, B, dtype);
    const all = recurrent(spec, p.x, p.weights, { state: p.state, lengths });
    for (let b = 0; b < B; b++) {
      const len = lengths[b];
      const x1 = Tensor.zeros([len, 1, 2], { dtype });
      for (let t = 0; t < len; t++) x1.data.set(p.x.data.subarray((t * B + b) * 2, (t * B + b) * 2 + 2), t * 2);
      const h1 = Tensor.zeros([4, 1, H], { dtype });
      for (let kd = 0; kd < 4; kd++) h1.data.set(p.h0.data.subarray((kd * B + b) * H, (kd * B + b + 1) * H), kd * H);
      const one = recurrent(spec, x1, p.weights, { state: { h: h1 } });
      for (let t = 0; t < len; t++) {
        for (let i = 0; i < D * H; i++) {
          const a = all.output.data[(t * B + b) * D * H + i], e = one.output.data[t * D * H + i];
          assert.ok(Math.abs(a - e) <= sameMath, `output[${t},${b},${i}]: ${a} vs ${e}`);
        }
      }
      for (let kd = 0; kd < 4; kd++) {
        for (let j = 0; j < H; j++) {
          assert.ok(Math.abs(all.state.h.data[(kd * B + b) * H + j] - one.state.h.data[kd * H + j]) <= sameMath, `state.h[${kd},${b},${j}]`);
        }
      }
    }
  });

  test(`LSTM: two chunks with the state carried equal one run over the whole sequence (${dtype})`, () => {
    const lstm = new LSTM({ inputSize: 2, hiddenSize: 4, numLayers: 2, rng: new Rng(9), dtype });
    const x = randomTensor(new Rng(10), [6, 3, 2], dtype);
    const whole = lstm.forward(x);
    const first = lstm.forward(new Tensor(x.data.slice(0, 4 * 3 * 2), [4, 3, 2]));
    const second = lstm.forward(new Tensor(x.data.slice(4 * 3 * 2), [2, 3, 2]), first.state);
    for (let i = 0; i < second.output.size; i++) {
      assert.ok(Math.abs(second.output.data[i] - whole.output.data[4 * 3 * 4 + i]) <= sameMath);
    }
    for (const key of ["h", "c"] as const) {
      const [w, s] = [whole.state[key]!, second.state[key]!];
      for (let i = 0; i < w.size; i++) assert.ok(Math.abs(s.data[i] - w.data[i]) <= sameMath, `state.${key}[${i}]`);
    }
  });
}

layoutTests("float64", tol.sameMath64);
forEachBackend(() => layoutTests("float32", tol.sameMath32));

// ---------------------------------------------------------------------------------------------
// Validation

test("shape errors name the argument and both shapes", () => {
  const spec = specOf("lstm", { inputSize: 5, hiddenSize: 4 });
  const p = problem(109, spec, 3, 2, "float32");
  const bad = [...p.weights];
  bad[1] = Tensor.zeros([16, 5]);
  assert.throws(() => recurrent(spec, p.x, bad, { state: p.state }), (e: unknown) =>
    e instanceof ShapeError && e.message === "LSTM weight_hh_l0: expected shape [16, 4], got [16, 5]");
  assert.throws(() => recurrent(spec, Tensor.zeros([3, 2, 4]), p.weights), (e: unknown) =>
    e instanceof ShapeError && /LSTM x: expected shape \[\*, \*, 5\], got \[3, 2, 4\]/.test(e.message));
  assert.throws(() => recurrent(spec, Tensor.zeros([3, 5]), p.weights), (e: unknown) =>
    e instanceof ShapeError && /LSTM x: .*\[3, 5\]/.test(e.message));
  assert.throws(() => recurrent(spec, p.x, p.weights, { state: { h: Tensor.zeros([1, 3, 4]), c: p.c0 } }), (e: unknown) =>
    e instanceof ShapeError && e.message === "LSTM state.h: expected shape [1, 2, 4], got [1, 3, 4]");
  assert.throws(() => recurrent(spec, p.x, p.weights, { state: { h: p.h0, c: Tensor.zeros([2, 2, 4]) } }), (e: unknown) =>
    e instanceof ShapeError && e.message === "LSTM state.c: expected shape [1, 2, 4], got [2, 2, 4]");
  assert.throws(() => recurrent(spec, p.x, p.weights.slice(0, 3)), /LSTM: expected 4 parameter tensors \(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0\), got 3/);
  const gruSpec = specOf("gru");
  const g = problem(110, gruSpec, 3, 2);
  assert.throws(() => recurrent(gruSpec, g.x, g.weights, { state: { h: g.h0, c: g.h0 } }), /GRU: state\.c is given, but only an LSTM has a cell state/);
  assert.throws(() => recurrent(spec, p.x, p.weights, { state: { h: p.h0 } }), /LSTM: state\.c is missing: an LSTM's state is \{ h, c \}/);
  const bi = specOf("rnn", { numLayers: 2, bidirectional: true });
  const wbi = randomWeights(new Rng(1), bi);
  wbi[8] = Tensor.zeros([3, 3], { dtype: "float64" });
  assert.throws(() => recurrent(bi, randomTensor(new Rng(2), [3, 2, 2]), wbi), (e: unknown) =>
    e instanceof ShapeError && e.message === "RNN weight_ih_l1: expected shape [3, 6], got [3, 3]");
});

test("mixed dtypes are refused with a clear error", () => {
  const p = problem(111, specOf("rnn"), 3, 2, "float64");
  const w = [...p.weights];
  w[0] = Tensor.zeros(w[0].shape, { dtype: "float32" });
  assert.throws(() => recurrent(p.spec, p.x, w), /RNN weight_ih_l0: dtype float32 does not match x \(float64\)/);
  assert.throws(() => recurrent(p.spec, p.x, p.weights, { state: { h: Tensor.zeros([1, 2, 3]) } }), /RNN state\.h: dtype float32/);
});

test("lengths outside 1..T, of the wrong count or not integers are rejected", () => {
  const p = problem(112, specOf("gru"), 4, 3);
  const run = (lengths: number[]) => () => recurrent(p.spec, p.x, p.weights, { state: p.state, lengths });
  assert.throws(run([0, 2, 3]), /GRU lengths\[0\]: must be an integer in 1\.\.4 \(T\), got 0/);
  assert.throws(run([5, 2, 3]), /GRU lengths\[0\]: must be an integer in 1\.\.4 \(T\), got 5/);
  assert.throws(run([2, 2.5, 3]), /lengths\[1\].*got 2.5/);
  assert.throws(run([2, NaN, 3]), /lengths\[1\]/);
  assert.throws(run([2, 3]), (e: unknown) => e instanceof ShapeError && /GRU lengths: expected 3 lengths.*got 2/.test(e.message));
  assert.doesNotThrow(run([4, 1, 4]));
});

// ---------------------------------------------------------------------------------------------
// Modules

test("modules register PyTorch's parameter names, order and shapes", () => {
  const rng = new Rng(0);
  const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, rng });
  assert.deepEqual(lstm.namedParameters().map(([n, t]) => [n, t.shape]), [
    ["weight_ih_l0", [16, 3]], ["weight_hh_l0", [16, 4]], ["bias_ih_l0", [16]], ["bias_hh_l0", [16]],
    ["weight_ih_l0_reverse", [16, 3]], ["weight_hh_l0_reverse", [16, 4]], ["bias_ih_l0_reverse", [16]], ["bias_hh_l0_reverse", [16]],
    ["weight_ih_l1", [16, 8]], ["weight_hh_l1", [16, 4]], ["bias_ih_l1", [16]], ["bias_hh_l1", [16]],
    ["weight_ih_l1_reverse", [16, 8]], ["weight_hh_l1_reverse", [16, 4]], ["bias_ih_l1_reverse", [16]], ["bias_hh_l1_reverse", [16]],
  ]);
  const gru = new GRU({ inputSize: 2, hiddenSize: 5, bias: false, rng });
  assert.deepEqual(gru.namedParameters().map(([n, t]) => [n, t.shape]), [["weight_ih_l0", [15, 2]], ["weight_hh_l0", [15, 5]]]);
  const rnn = new RNN({ inputSize: 2, hiddenSize: 5, nonlinearity: "relu", rng });
  assert.deepEqual(rnn.namedParameters().map(([n]) => n), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  assert.ok(rnn.parameters().every((t) => t.requiresGrad && t.dtype === "float32"));
  assert.throws(() => new RNN({ inputSize: 2, hiddenSize: 5, nonlinearity: "gelu" as RnnActivation, rng }), /nonlinearity/);
  assert.throws(() => new LSTM({ inputSize: 2, hiddenSize: 0, rng }), /hiddenSize must be a positive integer/);
});

test("modules: PyTorch init range, deterministic per seed, state dict round-trip", () => {
  const make = (seed: number) => new GRU({ inputSize: 3, hiddenSize: 16, bidirectional: true, rng: new Rng(seed), dtype: "float64" });
  const a = make(1), b = make(1), c = make(2);
  const bound = 1 / Math.sqrt(16);
  for (const t of a.parameters()) for (const v of t.data) assert.ok(v >= -bound && v < bound);
  assert.deepEqual(a.parameters().map((t) => Array.from(t.data)), b.parameters().map((t) => Array.from(t.data)));
  assert.notDeepEqual(Array.from(a.parameters()[0].data), Array.from(c.parameters()[0].data));
  c.loadStateDict(a.stateDict());
  const x = randomTensor(new Rng(3), [4, 2, 3]);
  const ya = a.forward(x, undefined, { lengths: [4, 2] });
  const yc = c.forward(x, undefined, { lengths: [4, 2] });
  assert.deepEqual(Array.from(yc.output.data), Array.from(ya.output.data));
  assert.deepEqual(Array.from(yc.state.h.data), Array.from(ya.state.h.data));
  assert.deepEqual(ya.output.shape, [4, 2, 32]);
  assert.deepEqual(ya.state.h.shape, [2, 2, 16]);
});

test("module forward returns { output, state: { h } } or { output, state: { h, c } } and trains through the tape", () => {
  const rng = new Rng(4);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, batchFirst: true, rng });
  const x = randomTensor(rng, [5, 4, 2], "float32");
  const { output, state } = lstm.forward(x);
  assert.deepEqual(output.shape, [5, 4, 3]);
  assert.deepEqual(state.h.shape, [1, 5, 3]);
  assert.deepEqual(state.c?.shape, [1, 5, 3]);
  state.h.backward(new Float32Array(state.h.size).fill(1));
  assert.ok(lstm.parameters().every((t) => t.grad !== null && t.grad.some((v) => v !== 0)));
  const rnn = new RNN({ inputSize: 2, hiddenSize: 3, rng });
  const r = rnn.forward(randomTensor(rng, [5, 4, 2], "float32"));
  assert.deepEqual(Object.keys(r).sort(), ["output", "state"]);
  assert.deepEqual(Object.keys(r.state), ["h"]);
});

test("a layer refuses a state of the wrong kind, naming the layer and the argument", () => {
  const rng = new Rng(5);
  const x = randomTensor(rng, [3, 2, 2], "float32");
  const h = Tensor.zeros([1, 2, 3]);
  const c = Tensor.zeros([1, 2, 3]);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, rng });
  assert.throws(() => lstm.forward(x, { h }), /^Error: LSTM: state\.c is missing/);
  assert.doesNotThrow(() => lstm.forward(x, { h, c }));
  for (const layer of [new RNN({ inputSize: 2, hiddenSize: 3, rng }), new GRU({ inputSize: 2, hiddenSize: 3, rng })]) {
    const name = layer.constructor.name;
    assert.throws(() => layer.forward(x, { h, c }), new RegExp(`^Error: ${name}: state\\.c is given, but only an LSTM has a cell state`));
    assert.doesNotThrow(() => layer.forward(x, { h }));
  }
});
