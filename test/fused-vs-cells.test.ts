/**
 * The fused sequence layers must equal the autodiff cells stepped by hand, in every
 * mode (hard-sigmoid gates and the reset-before GRU included), stacked, bidirectional
 * and with unsorted variable lengths: outputs, final
 * states, and the gradients of x, the initial state and every parameter. In float64 once
 * (it runs on the TypeScript kernels whatever backend is active), and in float32 on every
 * backend, where the fused layer runs the recurrent kernels and the cells the GEMM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Rng, Tensor, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell, slice, reshape, concat, stack, mul, sum, add,
  type DType, type GateActivation, type Module,
} from "../src/index.js";
import { kernels } from "../src/backend/kernels.js";
import { forEachBackend } from "./support/backends.js";

/** Named tolerances (STYLE principle 11), as |fused − cells| ≤ atol + rtol·|cells|. */
const tol = {
  /** Two float64 computations of the same quantities in different orders. */
  sameMath64: { atol: 1e-10, rtol: 1e-9 },
  /**
   * The same in float32: both sides round every sum and product (u = 6e−8) on values up to
   * ~10, through ≤ 5 steps, 2 layers and the backward sweep. Measured worst: 7e−7 on a
   * gradient of 0.06 (wasm-scalar), under a quarter of this bound.
   */
  sameMath32: { atol: 2e-6, rtol: 2e-5 },
};

type Kind =
  | "rnn-tanh" | "rnn-relu" | "rnn-sigmoid" | "lstm" | "gru"
  | "lstm-hardSigmoid" | "lstm-hardSigmoid6" | "gru-hardSigmoid6" | "gru-before" | "gru-before-hardSigmoid";
interface Case { kind: Kind; I: number; H: number; L: number; bidirectional: boolean; T: number; lengths: number[] }

function randn(rng: Rng, shape: number[], dtype: DType): Tensor {
  const t = Tensor.zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

/** The gate options of a kind: "lstm-hardSigmoid" → { gateActivation: "hardSigmoid" }, "gru-before…" → resetAfter false. */
function gateOptions(kind: Kind): { gateActivation?: GateActivation; resetAfter?: boolean } {
  const parts = kind.split("-");
  const before = parts[1] === "before";
  const gate = parts[before ? 2 : 1] as GateActivation | undefined;
  return { ...(gate === undefined ? {} : { gateActivation: gate }), ...(before ? { resetAfter: false } : {}) };
}

function makeLayer(c: Case, rng: Rng, dtype: DType) {
  const opts = { inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bidirectional, rng, dtype };
  if (c.kind.startsWith("lstm")) return new LSTM({ ...opts, ...gateOptions(c.kind) });
  if (c.kind.startsWith("gru")) return new GRU({ ...opts, ...gateOptions(c.kind) });
  return new RNN({ ...opts, nonlinearity: c.kind.slice(4) as "tanh" | "relu" | "sigmoid" });
}

/** A cell holding a copy of the layer's weights for layer k, direction suffix sfx. */
function makeCell(c: Case, layer: Module, k: number, sfx: string, dtype: DType) {
  const I = k === 0 ? c.I : (c.bidirectional ? 2 : 1) * c.H;
  const opts = { inputSize: I, hiddenSize: c.H, rng: new Rng(0), dtype };
  const cell = c.kind.startsWith("lstm")
    ? new LSTMCell({ ...opts, ...gateOptions(c.kind) })
    : c.kind.startsWith("gru") ? new GRUCell({ ...opts, ...gateOptions(c.kind) }) : new RNNCell({ ...opts, nonlinearity: c.kind.slice(4) as "tanh" });
  const src = new Map(layer.namedParameters());
  const map: Record<string, string> = {};
  for (const [name] of cell.namedParameters()) map[name] = `${name}_l${k}${sfx}`;
  cell.loadStateDict(Object.fromEntries(Object.entries(map).map(([cellName, layerName]) => [cellName, src.get(layerName)!])));
  return { cell, map };
}

function fusedVsCells(dtype: DType, within: { atol: number; rtol: number }): void {
  test(`fused layers equal the autodiff cells stepped by hand (outputs, states and all gradients), ${dtype}`, () => {
    const rng = new Rng(2024);
    const kinds: Kind[] = [
      "rnn-tanh", "rnn-relu", "rnn-sigmoid", "lstm", "gru",
      "lstm-hardSigmoid", "lstm-hardSigmoid6", "gru-hardSigmoid6", "gru-before", "gru-before-hardSigmoid",
    ];
    for (const kind of kinds) {
      for (const [L, bidirectional] of [[1, false], [2, true], [2, false], [1, true]] as Array<[number, boolean]>) {
        const B = 3;
        const T = 1 + rng.int(5);
        const c: Case = { kind, I: 1 + rng.int(4), H: 1 + rng.int(4), L, bidirectional, T, lengths: Array.from({ length: B }, () => 1 + rng.int(T)) };
        const D = bidirectional ? 2 : 1;
        const layer = makeLayer(c, rng, dtype);
        const x = randn(rng, [T, B, c.I], dtype);
        const h0 = randn(rng, [L * D, B, c.H], dtype);
        const c0 = randn(rng, [L * D, B, c.H], dtype);
        const wOut = randn(rng, [T, B, D * c.H], dtype);
        const wH = randn(rng, [L * D, B, c.H], dtype);
        const wC = randn(rng, [L * D, B, c.H], dtype);
        for (const t of [x, h0, c0]) t.requiresGrad = true;
        const isLstm = kind.startsWith("lstm");

        // Fused path.
        const fused = layer.forward(x, isLstm ? { h: h0, c: c0 } : { h: h0 }, { lengths: c.lengths });
        let loss = add(sum(mul(fused.output, wOut)), sum(mul(fused.state.h, wH)));
        if (fused.state.c) loss = add(loss, sum(mul(fused.state.c, wC)));
        loss.backward();
        const fusedGrads = new Map(layer.namedParameters().map(([n, p]) => [n, Float64Array.from(p.grad!)]));
        const fusedDx = Float64Array.from(x.grad!), fusedDh0 = Float64Array.from(h0.grad!), fusedDc0 = isLstm ? Float64Array.from(c0.grad!) : null;
        for (const t of [x, h0, c0]) t.grad = null;

        // Cells stepped by hand, one batch row at a time over its own length.
        const cells = new Map<string, ReturnType<typeof makeCell>>();
        for (let k = 0; k < L; k++) for (const sfx of bidirectional ? ["", "_reverse"] : [""]) cells.set(`${k}${sfx}`, makeCell(c, layer, k, sfx, dtype));
        const row = (t: Tensor, i: number, b: number) => reshape(slice(slice(t, 0, i, i + 1), 1, b, b + 1), [1, t.shape[2]]);
        let handLoss: Tensor | null = null;
        const addTo = (v: Tensor) => (handLoss = handLoss === null ? v : add(handLoss, v));
        for (let b = 0; b < B; b++) {
          const len = c.lengths[b];
          let inputs: Tensor[] = Array.from({ length: len }, (_, t) => row(x, t, b));
          for (let k = 0; k < L; k++) {
            const dirOutputs: Tensor[][] = [];
            for (const [d, sfx] of (bidirectional ? ["", "_reverse"] : [""]).entries()) {
              const { cell } = cells.get(`${k}${sfx}`)!;
              const s = k * D + d;
              let h = row(h0, s, b);
              let cs = row(c0, s, b);
              const outs: Tensor[] = new Array(len);
              const order = d === 0 ? [...Array(len).keys()] : [...Array(len).keys()].reverse();
              for (const t of order) {
                if (isLstm) {
                  const st = (cell as LSTMCell).forward(inputs[t], { h, c: cs });
                  h = st.h;
                  cs = st.c;
                } else h = (cell as RNNCell).forward(inputs[t], h);
                outs[t] = h;
              }
              addTo(sum(mul(h, row(wH, s, b))));
              if (isLstm) addTo(sum(mul(cs, row(wC, s, b))));
              dirOutputs.push(outs);
            }
            inputs = Array.from({ length: len }, (_, t) => concat(dirOutputs.map((o) => o[t]), 1));
          }
          const outSeq = stack(inputs, 0); // [len, 1, D*H]
          const w = reshape(stack(Array.from({ length: len }, (_, t) => row(wOut, t, b)), 0), outSeq.shape);
          addTo(sum(mul(outSeq, w)));
        }
        (handLoss as unknown as Tensor).backward();

        const tag = `${kernels().name} ${dtype} ${kind} L=${L} bidirectional=${bidirectional} lengths=${c.lengths}`;
        const close = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => {
          assert.equal(a.length, e.length, `${tag}: ${what} length`);
          for (let i = 0; i < e.length; i++) {
            assert.ok(Math.abs(a[i] - e[i]) <= within.atol + within.rtol * Math.abs(e[i]), `${tag}: ${what}[${i}] fused ${a[i]} vs cells ${e[i]}`);
          }
        };
        close([loss.item()], [(handLoss as unknown as Tensor).item()], "loss");
        close(fusedDx, x.grad!, "grad x");
        close(fusedDh0, h0.grad!, "grad h0");
        if (fusedDc0) close(fusedDc0, c0.grad!, "grad c0");
        for (const [key, { cell, map }] of cells) {
          for (const [cellName, p] of cell.namedParameters()) close(fusedGrads.get(map[cellName])!, p.grad!, `grad ${map[cellName]} (${key})`);
        }
      }
    }
  });
}

fusedVsCells("float64", tol.sameMath64);
forEachBackend(() => fusedVsCells("float32", tol.sameMath32));
