/**
 * The RNN, LSTM and GRU cells: every case of the PyTorch fixture cells.json in float64
 * and float32 (through `cellFamily`, with each case's own tolerances), finite-difference
 * gradients of each cell in float64, and the cells' construction contract. Float64 runs on
 * the TypeScript kernels whatever backend is active, so it runs once; float32 runs on every
 * backend (the cells reach the kernels through `linear`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError } from "../src/tensor/shape.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { Comparison, UnsupportedCase } from "../src/fixtures/format.js";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import { cellFamily } from "../src/fixtures/cells.js";
import { GRUCell, LSTMCell, RNNCell } from "../src/nn/cells/index.js";
import { kernels, type RnnActivation } from "../src/backend/kernels.js";
import { concat } from "../src/ops/index.js";
import { forEachBackend } from "./support/backends.js";

const cases = readFixtureCases("cells.json");

test("cells.json has cases of every cell type", () => {
  const kinds = new Set(cases.map((c) => c.config.cell));
  assert.deepEqual([...kinds].sort(), ["GRUCell", "LSTMCell", "RNNCell"]);
});

function cellFixtureTest(dtype: DType): void {
  test(`every cells.json case passes in ${dtype}`, (t) => {
    const worstPerCell = new Map<string, number>();
    for (const c of cases) {
      const cmp = runPassingCase(cellFamily, c, dtype);
      const worst = cmp.worst()!;
      // Every expected gradient was checked, parameters included.
      const keys = cmp.results.map((r) => r.key);
      for (const name of Object.keys(c.expected.grad_params as object)) assert.ok(keys.includes(`grad_params.${name}`));
      for (const k of ["h_next", "grad_x", "grad_h"]) assert.ok(keys.includes(k), `${c.name}: ${k} not checked`);
      if (c.config.cell === "LSTMCell") for (const k of ["c_next", "grad_c"]) assert.ok(keys.includes(k));
      const cell = String(c.config.cell);
      worstPerCell.set(cell, Math.max(worstPerCell.get(cell) ?? 0, worst.ratio));
    }
    for (const [cell, ratio] of worstPerCell) t.diagnostic(`${kernels().name} ${dtype} ${cell}: worst error ratio ${ratio.toExponential(2)}`);
  });
}

cellFixtureTest("float64");
forEachBackend(() => cellFixtureTest("float32"));

test("a wrong implementation fails the fixtures (the check has teeth)", () => {
  const c = structuredClone(cases.find((k) => k.config.cell === "GRUCell")!);
  // Swapping the r and z blocks of W_hh is the kind of mistake a converter makes.
  const w = c.inputs.params as Record<string, { shape: number[]; data: number[] }>;
  const H = c.config.hidden_size as number;
  const cols = w.weight_hh.shape[1];
  const d = w.weight_hh.data;
  const r = d.slice(0, H * cols);
  d.splice(0, H * cols, ...d.slice(H * cols, 2 * H * cols));
  d.splice(H * cols, H * cols, ...r);
  const cmp = new Comparison(c.tolerances, "float64");
  cellFamily.run(c, cmp);
  assert.equal(cmp.ok, false);
});

test("cellFamily refuses unknown cells and nonlinearities as UnsupportedCase", () => {
  const base = cases.find((k) => k.config.cell === "RNNCell")!;
  const unknown = { ...base, config: { ...base.config, cell: "IndRNNCell" } };
  assert.ok(cellFamily.matches(unknown));
  assert.throws(() => cellFamily.run(unknown, new Comparison(base.tolerances, "float64")), UnsupportedCase);
  const gelu = { ...base, config: { ...base.config, mode: undefined, nonlinearity: "gelu" } };
  assert.throws(() => cellFamily.run(gelu, new Comparison(base.tolerances, "float64")), UnsupportedCase);
  assert.equal(cellFamily.matches({ ...base, config: { module: "LSTM" } }), false);
});

// --- finite differences ------------------------------------------------------------------

function rand64(rng: Rng, shape: number[], bound = 1): Tensor {
  const t = Tensor.zeros(shape, { dtype: "float64" });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-bound, bound);
  return t;
}

for (const nonlinearity of ["tanh", "relu", "sigmoid"] as RnnActivation[]) {
  test(`RNNCell (${nonlinearity}) gradchecks in float64, every parameter included`, () => {
    const rng = new Rng(11);
    const cell = new RNNCell({ inputSize: 3, hiddenSize: 4, nonlinearity, rng, dtype: "float64" });
    const x = rand64(rng, [2, 3]);
    const h = rand64(rng, [2, 4]);
    const r = assertGradcheck((xi, hi) => cell.forward(xi, hi), [x, h, ...cell.parameters()]);
    assert.equal(r.checked, 2 * 3 + 2 * 4 + cell.parameters().reduce((s, p) => s + p.size, 0));
  });
}

for (const bias of [true, false]) {
  test(`LSTMCell gradchecks in float64 (bias ${bias})`, () => {
    const rng = new Rng(12);
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, bias, rng, dtype: "float64" });
    const inputs = [rand64(rng, [2, 3]), rand64(rng, [2, 4]), rand64(rng, [2, 4]), ...cell.parameters()];
    assertGradcheck((x, h, c) => {
      const s = cell.forward(x, { h, c });
      return concat([s.h, s.c], -1);
    }, inputs);
  });

  test(`GRUCell gradchecks in float64 (bias ${bias})`, () => {
    const rng = new Rng(13);
    const cell = new GRUCell({ inputSize: 3, hiddenSize: 4, bias, rng, dtype: "float64" });
    assertGradcheck((x, h) => cell.forward(x, h), [rand64(rng, [3, 3]), rand64(rng, [3, 4]), ...cell.parameters()]);
  });
}

test("three unrolled LSTM steps gradcheck (the graph carries c through time)", () => {
  const rng = new Rng(14);
  const cell = new LSTMCell({ inputSize: 2, hiddenSize: 3, rng, dtype: "float64" });
  assertGradcheck((x0, x1, x2) => {
    let s = cell.initialState(2);
    for (const x of [x0, x1, x2]) s = cell.forward(x, s);
    return s.h;
  }, [rand64(rng, [2, 2]), rand64(rng, [2, 2]), rand64(rng, [2, 2]), ...cell.parameters()]);
});

// --- construction contract ---------------------------------------------------------------

test("parameters: PyTorch names, order and shapes; biases optional; init within ±1/√H", () => {
  const I = 3;
  const H = 5;
  for (const [Cell, G] of [[RNNCell, 1], [LSTMCell, 4], [GRUCell, 3]] as const) {
    const cell = new Cell({ inputSize: I, hiddenSize: H, rng: new Rng(0) });
    const named = cell.namedParameters();
    assert.deepEqual(named.map(([n]) => n), ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
    assert.deepEqual(named.map(([, t]) => t.shape), [[G * H, I], [G * H, H], [G * H], [G * H]]);
    for (const [, t] of named) {
      assert.equal(t.dtype, "float32");
      assert.ok(t.toArray().every((v) => Math.abs(v) <= 1 / Math.sqrt(H)));
    }
    const noBias = new Cell({ inputSize: I, hiddenSize: H, bias: false, rng: new Rng(0) });
    assert.deepEqual(noBias.namedParameters().map(([n]) => n), ["weight_ih", "weight_hh"]);
    // Same seed, same draws, and weight_ih is drawn first.
    assert.deepEqual(noBias.weight_ih.toArray(), cell.weight_ih.toArray());
  }
});

test("initial state is zeros [B, H] in the cell's dtype, and is the default state", () => {
  const rng = new Rng(1);
  const lstm = new LSTMCell({ inputSize: 2, hiddenSize: 3, rng, dtype: "float64" });
  const s = lstm.initialState(4);
  assert.deepEqual(s.h.shape, [4, 3]);
  assert.equal(s.c.dtype, "float64");
  assert.ok(s.c.toArray().every((v) => v === 0));
  const x = rand64(rng, [4, 2]);
  assert.deepEqual(lstm.forward(x).h.toArray(), lstm.forward(x, s).h.toArray());
  const gru = new GRUCell({ inputSize: 2, hiddenSize: 3, rng, dtype: "float64" });
  assert.deepEqual(gru.forward(x).toArray(), gru.forward(x, gru.initialState(4)).toArray());
});

test("GRU with z → 1 keeps the old state; LSTM with f → 1, i → 0 keeps the old cell", () => {
  const rng = new Rng(2);
  const H = 3;
  const gru = new GRUCell({ inputSize: 2, hiddenSize: H, rng, dtype: "float64" });
  for (let j = H; j < 2 * H; j++) gru.bias_ih!.data[j] = 50; // z block saturates at 1
  const h = rand64(rng, [2, H]);
  const hNext = gru.forward(rand64(rng, [2, 2]), h);
  hNext.toArray().forEach((v, k) => assert.ok(Math.abs(v - h.data[k]) < 1e-12));

  const lstm = new LSTMCell({ inputSize: 2, hiddenSize: H, rng, dtype: "float64" });
  for (let j = 0; j < H; j++) lstm.bias_ih!.data[j] = -50; // i → 0
  for (let j = H; j < 2 * H; j++) lstm.bias_ih!.data[j] = 50; // f → 1
  const c = rand64(rng, [2, H]);
  const s = lstm.forward(rand64(rng, [2, 2]), { h: rand64(rng, [2, H]), c });
  s.c.toArray().forEach((v, k) => assert.ok(Math.abs(v - c.data[k]) < 1e-12));
});

test("cells refuse wrong shapes, sizes and dtypes with clear errors", () => {
  const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, rng: new Rng(0) });
  assert.throws(() => cell.forward(Tensor.zeros([2, 5])), (e: Error) => e instanceof ShapeError && /LSTMCell.*x.*\[2, 5\]/.test(e.message));
  assert.throws(
    () => cell.forward(Tensor.zeros([2, 3]), { h: Tensor.zeros([3, 4]), c: Tensor.zeros([2, 4]) }),
    (e: Error) => e instanceof ShapeError && /h \[3, 4\]/.test(e.message),
  );
  assert.throws(() => cell.forward(Tensor.zeros([2, 3], { dtype: "float64" })), TypeError);
  assert.throws(() => new GRUCell({ inputSize: 0, hiddenSize: 4, rng: new Rng(0) }), RangeError);
  assert.throws(
    () => new RNNCell({ inputSize: 1, hiddenSize: 1, rng: new Rng(0), nonlinearity: "gelu" as RnnActivation }),
    RangeError,
  );
});
