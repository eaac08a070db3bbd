/**
 * The fused recurrent sequence op: a whole (possibly stacked, bidirectional,
 * variable-length) RNN / LSTM / GRU over a sequence as ONE autodiff node, with
 * hand-written backpropagation through time. PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU`
 * semantics, parameter names and layouts. All arithmetic goes through `kernels()`;
 * this file only owns time (order, reversal, lengths) and memory (the workspace).
 * It is not a cell: one step with its own autodiff lives in `src/nn/cells`.
 *
 * Cell equations (⊙ elementwise, `W x` meaning x·Wᵀ; s the gate activation `spec.gateActivation`:
 * σ(x) = 1/(1 + e^−x) by default, or a hard sigmoid clip(0.2·x + 0.5, 0, 1) / clip(x/6 + 0.5, 0, 1)):
 *   RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)                act ∈ tanh, relu, sigmoid
 *   LSTM  [i|f|g|o] = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh
 *         c_t = s(f)⊙c_{t−1} + s(i)⊙tanh(g),   h_t = s(o)⊙tanh(c_t)
 *   GRU   gi = W_ih x_t + b_ih,  gh = W_hh h_{t−1} + b_hh                    blocks r|z|n
 *         r = s(gi_r + gh_r),  z = s(gi_z + gh_z),  n = tanh(gi_n + r⊙gh_n)
 *         h_t = (1−z)⊙n + z⊙h_{t−1}
 *   GRU with resetAfter = false (Keras reset_after=False, TF.js, ONNX linear_before_reset=0):
 *         the reset applies BEFORE the recurrent product, same parameters:
 *         n = tanh(gi_n + W_hn (r⊙h_{t−1}) + b_hn)
 *
 * Algorithm per layer k and direction d (STYLE principle 7):
 *   forward   P = X·W_ihᵀ + b_ih (+ b_hh)  for all T·B rows as one GEMM; then per step
 *             one GEMM with W_hh and one pointwise gate kernel.
 *   backward  per step the gate backward kernel and one GEMM for ∂L/∂h_{t−1}; after the
 *             sweep dW_ih = dGᵀ·X, dW_hh = dGᵀ·H_prev, db = column sums of dG (GEMMs
 *             against a ones vector) and ∂L/∂X = dG·W_ih, each one GEMM over T·B rows.
 *   reset-before GRU: b_hn joins the hoisted projection (P_n = X·W_inᵀ + b_in + b_hn), gh_n
 *             is held at 0, and per step: the GEMM for gh_r|gh_z with h_{t−1}, the kernel
 *             rh = r⊙h_{t−1} (saved), the GEMM P_n += rh·W_hnᵀ, then the GRU gate kernel,
 *             which with gh_n = 0 computes exactly n = tanh(P_n). Backward: the gate kernel
 *             (its r gradient is 0 as gh_n = 0), dRh = dP_n·W_hn, then the reset kernel adds
 *             the paths through r⊙h: ∂r = dRh⊙h_{t−1}, ∂h_{t−1} += dRh⊙r, and sets
 *             dgh_n = dP_n; after the sweep dW_hn = dgh_nᵀ·RH (the saved rh), the rest as above.
 *
 * Variable lengths follow PyTorch's packed sequences: a row b with t ≥ lengths[b] is
 * inactive at step t; there the state is carried unchanged (h_t = h_{t−1}, c_t = c_{t−1})
 * and the output is exactly 0. So the forward direction ends at step len−1, the reverse
 * direction starts from h0 at step len−1, padded inputs have no effect and receive
 * exactly zero gradient, and in backward the state gradient passes straight through
 * inactive rows, whose gate gradients are zero.
 */
import { GATE_ACTIVATIONS, kernels, type GateActivation, type Kernels, type RnnActivation } from "../backend/kernels.js";
// The default kernels (WebAssembly, else TypeScript) register on import, whatever the entry point.
import "../backend/select.js";
import { poolFor, WorkspaceLease, type Relocate } from "../backend/pool.js";
import { gradOf, needsGrad, record } from "../autograd/tape.js";
import { expectShape, sameShape, ShapeError, shapeToString } from "../tensor/shape.js";
import { allocFloats, Tensor, type DType, type Floats } from "../tensor/tensor.js";

export type CellKind = "rnn" | "lstm" | "gru";

/** Everything that fixes the structure of a recurrent layer stack (no data). */
export interface RecurrentSpec {
  cell: CellKind;
  /** RNN only: the activation; defaults to tanh. Ignored for LSTM and GRU. */
  nonlinearity?: RnnActivation;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  /** Whether the two bias vectors per layer and direction exist. */
  bias: boolean;
  /** x and output are [B, T, ·] instead of [T, B, ·]; states stay [L·D, B, H] as in PyTorch. */
  batchFirst: boolean;
  /**
   * LSTM and GRU: the activation of the gates i, f, o (LSTM) or r, z (GRU); default "sigmoid".
   * An RNN refuses any other value.
   */
  gateActivation?: GateActivation;
  /**
   * GRU only: true (default, PyTorch) applies the reset after the recurrent product,
   * n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); false before it (Keras reset_after=False,
   * TF.js, ONNX linear_before_reset=0), n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn).
   */
  resetAfter?: boolean;
}

/** Whether a spec is the reset-before GRU. */
function resetsBefore(spec: RecurrentSpec): boolean {
  return spec.cell === "gru" && spec.resetAfter === false;
}

/**
 * The state of a recurrent layer stack between calls, the one state type of the op, the
 * layers, the topologies and streaming: h, and c for the LSTM only, each [L·D, B, H] with
 * layer k, direction d at index k·D + d. (A type alias rather than an interface so that it
 * is a `CarriedState` for `truncatedBptt`, which needs an index signature.)
 */
export type RecurrentState = {
  h: Tensor;
  /** LSTM only: the cell state. */
  c?: Tensor;
};

/** Options of `recurrent` (and of the layers' forward, which add the state as an argument). */
export interface RecurrentOptions {
  /** The state before the first step; zeros when omitted. An LSTM's needs `c`; an RNN's or GRU's must not have one. */
  state?: RecurrentState;
  /** Valid steps per batch row, each in 1..T, any order (PyTorch's packed sequences). */
  lengths?: readonly number[];
}

/** Result of `recurrent` and of the layers' forward. */
export interface RecurrentResult {
  /** Last layer's states, [T, B, D·H] (or [B, T, D·H] with batchFirst); 0 at padded steps. */
  output: Tensor;
  /** The state after the last step (each row's last valid step with lengths): h, and c for the LSTM. */
  state: RecurrentState;
}

/** Number of gate blocks G stacked in the weights: 1 (RNN), 4 (LSTM i|f|g|o), 3 (GRU r|z|n). */
export function gateCount(cell: CellKind): number {
  switch (cell) {
    case "rnn":
      return 1;
    case "lstm":
      return 4;
    case "gru":
      return 3;
    default:
      throw new Error(`recurrent: unknown cell '${cell as string}'`);
  }
}

/** PyTorch's class name for a cell kind, used in error messages. */
export function cellClassName(cell: CellKind): "RNN" | "LSTM" | "GRU" {
  switch (cell) {
    case "rnn":
      return "RNN";
    case "lstm":
      return "LSTM";
    case "gru":
      return "GRU";
    default:
      throw new Error(`recurrent: unknown cell '${cell as string}'`);
  }
}

function directions(spec: RecurrentSpec): number {
  return spec.bidirectional ? 2 : 1;
}

function paramsPerDirection(spec: RecurrentSpec): number {
  return spec.bias ? 4 : 2;
}

/**
 * Every parameter with its shape, in PyTorch's `named_parameters()` order: per layer,
 * the forward direction (weight_ih [G·H, I_k], weight_hh [G·H, H], bias_ih [G·H],
 * bias_hh [G·H]), then `_reverse`, then the next layer; I_0 = I and I_k = D·H for k ≥ 1.
 */
function parameterLayout(spec: RecurrentSpec): Array<{ name: string; shape: number[] }> {
  const GH = gateCount(spec.cell) * spec.hiddenSize;
  const layout: Array<{ name: string; shape: number[] }> = [];
  for (let k = 0; k < spec.numLayers; k++) {
    const inputSize = k === 0 ? spec.inputSize : directions(spec) * spec.hiddenSize;
    for (let d = 0; d < directions(spec); d++) {
      const sfx = `_l${k}${d === 1 ? "_reverse" : ""}`;
      layout.push({ name: `weight_ih${sfx}`, shape: [GH, inputSize] }, { name: `weight_hh${sfx}`, shape: [GH, spec.hiddenSize] });
      if (spec.bias) layout.push({ name: `bias_ih${sfx}`, shape: [GH] }, { name: `bias_hh${sfx}`, shape: [GH] });
    }
  }
  return layout;
}

/** The layout of a spec, computed once per spec object and recomputed if its fields change. */
interface CachedLayout {
  cell: CellKind;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  layout: Array<{ name: string; shape: number[] }>;
}
const layouts = new WeakMap<RecurrentSpec, CachedLayout>();

/** `parameterLayout` without rebuilding names on every call (a streaming step is a few µs). */
function layoutOf(spec: RecurrentSpec): Array<{ name: string; shape: number[] }> {
  const c = layouts.get(spec);
  if (
    c !== undefined && c.cell === spec.cell && c.inputSize === spec.inputSize && c.hiddenSize === spec.hiddenSize &&
    c.numLayers === spec.numLayers && c.bidirectional === spec.bidirectional && c.bias === spec.bias
  ) {
    return c.layout;
  }
  const layout = parameterLayout(spec);
  const { cell, inputSize, hiddenSize, numLayers, bidirectional, bias } = spec;
  layouts.set(spec, { cell, inputSize, hiddenSize, numLayers, bidirectional, bias, layout });
  return layout;
}

/** Parameter names in PyTorch's `named_parameters()` order (the order `recurrent` takes its weights in). */
export function recurrentParamNames(spec: RecurrentSpec): string[] {
  return layoutOf(spec).map((p) => p.name);
}

/** Shape of every parameter by name, PyTorch's layout. */
export function recurrentParamShapes(spec: RecurrentSpec): Record<string, number[]> {
  return Object.fromEntries(layoutOf(spec).map((p) => [p.name, [...p.shape]]));
}

/** The raw parameter buffers of one layer and direction. */
interface DirectionWeights {
  wIh: Floats; // [G·H, I_k]
  wHh: Floats; // [G·H, H]
  bIh: Floats | null; // [G·H]
  bHh: Floats | null; // [G·H]
}

/**
 * Saved activations of one direction of one layer, sized up front. The state buffers
 * hold the T+1 step boundaries: the forward direction reads slot t and writes slot
 * t+1, the reverse direction reads slot t+1 and writes slot t. Either way the T
 * "previous" states form one contiguous [T·B, H] block in time order, which makes
 * dW_hh a single GEMM.
 */
interface DirectionWorkspace {
  /** RNN: pre-activations; LSTM: activations i|f|g|o; GRU: activations r|z|n    [T, B, G·H] */
  gates: Floats;
  /** GRU only: W_ih x_t + b_ih (read by the forward step only)                  [T, B, 3H] */
  gi: Floats | null;
  /** GRU only: W_hh h_{t−1} + b_hh (reset-before: the n block is 0)             [T, B, 3H] */
  gh: Floats | null;
  /** Reset-before GRU only: r_t⊙h_{t−1}, what W_hn multiplies                      [T, B, H] */
  rh: Floats | null;
  /** hidden states at the step boundaries                                        [T+1, B, H] */
  h: Floats;
  /** LSTM only: cell states at the step boundaries                               [T+1, B, H] */
  c: Floats | null;
  /** LSTM only: tanh(c_t)                                                         [T, B, H] */
  tanhC: Floats | null;
}

/**
 * Everything the forward saves for the backward, for the whole stack. Its buffers come
 * from the backend's pool (src/backend/pool.ts) through `lease` — in wasm memory where the
 * backend has one, so the per-step kernels copy nothing — and go back at once without a
 * graph, else when the tape releases the node (right after its backward). A graph dropped
 * without backward has its lease moved to the JS heap once newer ones push it out of the
 * pool's kept leases (`relocateWorkspace`). The results handed to the caller (`output`,
 * `hN`, `cN`) are ordinary arrays of their own.
 */
interface RecurrentWorkspace {
  T: number;
  B: number;
  dtype: DType;
  /** Layer inputs, time-major: x for k = 0 [T, B, I]; the output of layer k−1 for k ≥ 1 [T, B, D·H] */
  inputs: Floats[];
  /** Output of the last layer, time-major (the caller's)                             [T, B, D·H] */
  output: Floats;
  /** Final hidden states (the caller's)                                               [L·D, B, H] */
  hN: Floats;
  /** LSTM only: final cell states (the caller's)                                      [L·D, B, H] */
  cN: Floats | null;
  /** Per layer and direction, index k·D + d                                          [L·D] */
  dirs: DirectionWorkspace[];
  /** The weights as the kernels read them: copied into backend memory once per call where it has one. */
  weights: DirectionWeights[];
  /** Valid steps per batch row, or null when every row runs all T steps            [B] */
  lengths: Int32Array | null;
  /** Shortest length (T without lengths): steps t < minLength have every row active. */
  minLength: number;
  /** All ones (shared, read-only): bias broadcasts and bias-gradient column sums as GEMMs  [≥ T·B] */
  ones: Floats;
  /** Owner of every pooled buffer above. */
  lease: WorkspaceLease;
}

/** Points every view of a leased buffer at its copy after the pool moved the lease (`WorkspaceLease.keep`). */
function relocateWorkspace(ws: RecurrentWorkspace, move: Relocate): void {
  ws.inputs = ws.inputs.map((x) => move(x));
  ws.weights = ws.weights.map((w) => ({
    wIh: move(w.wIh), wHh: move(w.wHh), bIh: w.bIh && move(w.bIh), bHh: w.bHh && move(w.bHh),
  }));
  for (const dw of ws.dirs) {
    dw.gates = move(dw.gates);
    dw.gi = dw.gi && move(dw.gi);
    dw.gh = dw.gh && move(dw.gh);
    dw.rh = dw.rh && move(dw.rh);
    dw.h = move(dw.h);
    dw.c = dw.c && move(dw.c);
    dw.tanhC = dw.tanhC && move(dw.tanhC);
  }
}

/** Time in processing order: step s of direction d reads time t. */
function timeAt(d: number, s: number, T: number): number {
  return d === 0 ? s : T - 1 - s;
}

function isActive(ws: RecurrentWorkspace, t: number, b: number): boolean {
  return ws.lengths === null || t < ws.lengths[b];
}

function splitWeights(spec: RecurrentSpec, weights: readonly Floats[]): DirectionWeights[] {
  const P = paramsPerDirection(spec);
  const out: DirectionWeights[] = [];
  for (let kd = 0; kd < spec.numLayers * directions(spec); kd++) {
    const w = weights.slice(kd * P, kd * P + P);
    out.push({ wIh: w[0], wHh: w[1], bIh: spec.bias ? w[2] : null, bHh: spec.bias ? w[3] : null });
  }
  return out;
}

/**
 * The weights where the kernels read them best: a backend with its own memory gets one
 * copy per call (taken from `lease`) instead of one per step and GEMM; weights already
 * there, and every weight on other backends, are used as they are.
 */
function stageWeights(K: Kernels, lease: WorkspaceLease, weights: DirectionWeights[], dtype: DType): DirectionWeights[] {
  const mem = K.memory;
  if (mem === undefined || dtype !== "float32") return weights;
  const stage = (w: Floats): Floats => {
    if (mem.holds(w)) return w;
    const copy = lease.take(dtype, w.length);
    copy.set(w);
    return copy;
  };
  return weights.map((w) => ({
    wIh: stage(w.wIh), wHh: stage(w.wHh),
    bIh: w.bIh === null ? null : stage(w.bIh), bHh: w.bHh === null ? null : stage(w.bHh),
  }));
}

/**
 * Forward of the whole stack on raw time-major buffers; returns the workspace (which
 * holds the output and the final states). Twin of `recurrentBackward`.
 */
function recurrentForward(
  spec: RecurrentSpec, x: Floats, T: number, B: number, callWeights: DirectionWeights[],
  h0: Floats, c0: Floats | null, lengths: Int32Array | null,
): RecurrentWorkspace {
  const K: Kernels = kernels();
  const dtype: DType = x instanceof Float64Array ? "float64" : "float32";
  const { cell, hiddenSize: H, numLayers: L } = spec;
  const act = spec.nonlinearity ?? "tanh";
  const gate = spec.gateActivation ?? "sigmoid";
  const resetBefore = resetsBefore(spec);
  const D = directions(spec);
  const G = gateCount(cell);
  const GH = G * H;
  const BH = B * H;
  const TB = T * B;
  const DH = D * H;
  const lstm = cell === "lstm";
  const gru = cell === "gru";
  const minLength = lengths === null ? T : Math.min(...lengths);
  // Without padding, a one-direction layer's output is its state buffer minus the first slot.
  const contiguousOutput = D === 1 && minLength === T;

  const pool = poolFor(K);
  const lease = new WorkspaceLease(pool);
  const ws: RecurrentWorkspace = {
    T, B, dtype,
    inputs: [x],
    output: allocFloats(dtype, TB * DH),
    hN: allocFloats(dtype, L * D * BH),
    cN: lstm ? allocFloats(dtype, L * D * BH) : null,
    dirs: [],
    weights: stageWeights(K, lease, callWeights, dtype),
    lengths,
    minLength,
    ones: pool.ones(dtype, TB),
    lease,
  };
  for (let kd = 0; kd < L * D; kd++) {
    ws.dirs.push({
      gates: lease.take(dtype, TB * GH),
      gi: gru ? lease.take(dtype, TB * GH) : null,
      gh: gru ? lease.take(dtype, TB * GH) : null,
      rh: resetBefore ? lease.take(dtype, TB * H) : null,
      h: lease.take(dtype, (T + 1) * BH),
      c: lstm ? lease.take(dtype, (T + 1) * BH) : null,
      tanhC: lstm ? lease.take(dtype, TB * H) : null,
    });
  }

  for (let k = 0; k < L; k++) {
    const X = ws.inputs[k];
    const Ik = k === 0 ? spec.inputSize : DH;
    const top = k === L - 1;
    let out: Floats | null = null; // this layer's output when it must be assembled row by row
    if (top) out = ws.output;
    else if (!contiguousOutput) out = lease.take(dtype, TB * DH);
    for (let d = 0; d < D; d++) {
      const kd = k * D + d;
      const { wIh, wHh, bIh, bHh } = ws.weights[kd];
      const dw = ws.dirs[kd];

      // The hoisted input projection: P = 1·(b_ih + b_hh)ᵀ + X·W_ihᵀ over all T·B rows. The
      // GRU keeps b_hh on the recurrent side (r multiplies it), prefilled into gh; the
      // reset-before GRU moves b_hn into P (nothing multiplies it) and holds gh_n at 0.
      const proj = gru ? dw.gi! : dw.gates;
      let projBias = gru || bIh === null ? bIh : addVectors(lease.take(dtype, GH), bIh, bHh!);
      let ghBias = gru ? bHh : null;
      if (resetBefore && bIh !== null) {
        projBias = lease.take(dtype, GH);
        ghBias = lease.take(dtype, GH);
        for (let i = 0; i < GH; i++) {
          const n = i >= 2 * H;
          projBias[i] = n ? bIh[i] + bHh![i] : bIh[i];
          ghBias[i] = n ? 0 : bHh![i];
        }
      }
      if (projBias !== null) K.gemm(false, false, TB, GH, 1, 1, ws.ones, 0, 1, projBias, 0, GH, 0, proj, 0, GH);
      K.gemm(false, true, TB, GH, Ik, 1, X, 0, Ik, wIh, 0, Ik, projBias === null ? 0 : 1, proj, 0, GH);
      if (ghBias !== null) K.gemm(false, false, TB, GH, 1, 1, ws.ones, 0, 1, ghBias, 0, GH, 0, dw.gh!, 0, GH);
      else if (resetBefore) dw.gh!.fill(0);
      const ghBeta = ghBias !== null || resetBefore ? 1 : 0;

      const first = d === 0 ? 0 : T;
      dw.h.set(h0.subarray(kd * BH, kd * BH + BH), first * BH);
      if (lstm) dw.c!.set(c0!.subarray(kd * BH, kd * BH + BH), first * BH);

      for (let s = 0; s < T; s++) {
        const t = timeAt(d, s, T);
        const prev = (d === 0 ? t : t + 1) * BH;
        const next = (d === 0 ? t + 1 : t) * BH;
        const gOff = t * B * GH;
        const gatesT = dw.gates.subarray(gOff, gOff + B * GH);
        const hNext = dw.h.subarray(next, next + BH);
        switch (cell) {
          case "rnn":
            K.gemm(false, true, B, GH, H, 1, dw.h, prev, H, wHh, 0, H, 1, dw.gates, gOff, GH);
            K.rnnGatesForward(act, BH, gatesT, hNext);
            break;
          case "lstm":
            K.gemm(false, true, B, GH, H, 1, dw.h, prev, H, wHh, 0, H, 1, dw.gates, gOff, GH);
            K.lstmGatesForward(
              B, H, gatesT, dw.c!.subarray(prev, prev + BH), dw.c!.subarray(next, next + BH),
              dw.tanhC!.subarray(t * BH, t * BH + BH), hNext, gate,
            );
            break;
          case "gru": {
            const giT = dw.gi!.subarray(gOff, gOff + B * GH);
            const ghT = dw.gh!.subarray(gOff, gOff + B * GH);
            const hPrevT = dw.h.subarray(prev, prev + BH);
            if (resetBefore) {
              // gh_r|gh_z from h_{t−1}; rh = r⊙h_{t−1}; P_n += rh·W_hnᵀ (gh_n stays 0).
              K.gemm(false, true, B, 2 * H, H, 1, dw.h, prev, H, wHh, 0, H, 1, dw.gh!, gOff, GH);
              const rhT = dw.rh!.subarray(t * BH, t * BH + BH);
              K.gruResetBeforeForward(B, H, giT, ghT, hPrevT, rhT, gate);
              K.gemm(false, true, B, H, H, 1, rhT, 0, H, wHh, 2 * H * H, H, 1, dw.gi!, gOff + 2 * H, GH);
            } else {
              K.gemm(false, true, B, GH, H, 1, dw.h, prev, H, wHh, 0, H, ghBeta, dw.gh!, gOff, GH);
            }
            K.gruGatesForward(B, H, giT, ghT, hPrevT, gatesT, hNext, gate);
            break;
          }
          default:
            throw new Error(`recurrent: unknown cell '${cell as string}'`);
        }
        if (t >= ws.minLength) {
          // Inactive rows carry their state through this step unchanged.
          for (let b = 0; b < B; b++) {
            if (isActive(ws, t, b)) continue;
            dw.h.copyWithin(next + b * H, prev + b * H, prev + b * H + H);
            if (lstm) dw.c!.copyWithin(next + b * H, prev + b * H, prev + b * H + H);
          }
        }
      }

      // This direction's half of the layer output: the state after step t, 0 where padded.
      if (out === null) {
        ws.inputs.push(dw.h.subarray(BH, (T + 1) * BH));
      } else if (contiguousOutput) {
        out.set(dw.h.subarray(BH, (T + 1) * BH));
      } else {
        for (let t = 0; t < T; t++) {
          const slot = (d === 0 ? t + 1 : t) * BH;
          for (let b = 0; b < B; b++) {
            const o = (t * B + b) * DH + d * H;
            if (isActive(ws, t, b)) out.set(dw.h.subarray(slot + b * H, slot + b * H + H), o);
            else out.fill(0, o, o + H);
          }
        }
      }
      const last = (d === 0 ? T : 0) * BH;
      ws.hN.set(dw.h.subarray(last, last + BH), kd * BH);
      if (lstm) ws.cN!.set(dw.c!.subarray(last, last + BH), kd * BH);
    }
    if (!top && out !== null) ws.inputs.push(out);
  }
  return ws;
}

/** Streaming steps with more rows than this take the sequence path (its GEMMs reuse each weight across rows). */
const STEP_MAX_BATCH = 4;

/**
 * One time step of a unidirectional stack without a graph (streaming inference): per layer
 * one `affine` kernel call (both products and both biases) and the gate kernel, writing
 * straight into the caller's results, with none of the sequence path's workspace. The same
 * equations and the same order of additions as `recurrentForward` over T = 1; at B = 1
 * both run the same matrix–vector loop, so the results agree bit for bit (tested).
 * Returns output [B, H], hN and cN [L, B, H].
 */
function recurrentStep(
  spec: RecurrentSpec, x: Floats, B: number, weights: DirectionWeights[], h0: Floats, c0: Floats | null,
): { output: Floats; hN: Floats; cN: Floats | null } {
  const K: Kernels = kernels();
  const dtype: DType = x instanceof Float64Array ? "float64" : "float32";
  const { cell, hiddenSize: H, numLayers: L } = spec;
  const act = spec.nonlinearity ?? "tanh";
  const gate = spec.gateActivation ?? "sigmoid";
  const GH = gateCount(cell) * H;
  const BH = B * H;
  const lstm = cell === "lstm";
  const gru = cell === "gru";
  // One allocation (they cost more than a small step's arithmetic), three disjoint views.
  const all = allocFloats(dtype, BH + (lstm ? 2 : 1) * L * BH);
  const output = all.subarray(0, BH);
  const hN = all.subarray(BH, BH + L * BH);
  const cN = lstm ? all.subarray(BH + L * BH) : null;

  const pool = poolFor(K);
  const gates = pool.take(dtype, B * GH); // [B, G·H] pre-activations (LSTM, RNN) or activations (GRU)
  const aux = lstm ? pool.take(dtype, BH) : gru ? pool.take(dtype, 2 * B * GH) : null; // tanh(c) [B, H] or gi | gh
  try {
    let input = x;
    let Ik = spec.inputSize;
    for (let k = 0; k < L; k++) {
      const { wIh, wHh, bIh, bHh } = weights[k];
      const hPrev = h0.subarray(k * BH, (k + 1) * BH);
      const hOut = hN.subarray(k * BH, (k + 1) * BH);
      switch (cell) {
        case "rnn":
          K.affine(B, GH, Ik, H, input, wIh, hPrev, wHh, bIh, bHh, gates);
          K.rnnGatesForward(act, BH, gates, hOut);
          break;
        case "lstm":
          K.affine(B, GH, Ik, H, input, wIh, hPrev, wHh, bIh, bHh, gates);
          K.lstmGatesForward(B, H, gates, c0!.subarray(k * BH, (k + 1) * BH), cN!.subarray(k * BH, (k + 1) * BH), aux!, hOut, gate);
          break;
        case "gru": {
          const gi = aux!.subarray(0, B * GH), gh = aux!.subarray(B * GH);
          K.affine(B, GH, Ik, 0, input, wIh, null, null, bIh, null, gi);
          K.affine(B, GH, H, 0, hPrev, wHh, null, null, bHh, null, gh);
          K.gruGatesForward(B, H, gi, gh, hPrev, gates, hOut, gate);
          break;
        }
        default:
          throw new Error(`recurrent: unknown cell '${cell as string}'`);
      }
      input = hOut;
      Ik = H;
    }
    output.set(hN.subarray((L - 1) * BH));
  } finally {
    pool.give(gates);
    if (aux !== null) pool.give(aux);
  }
  return { output, hN, cN };
}

/** Upstream gradients that seed the backward (time-major; null means zero). */
interface RecurrentSeeds {
  dOutput: Floats | null; // [T, B, D·H]
  dhN: Floats | null; // [L·D, B, H]
  dcN: Floats | null; // [L·D, B, H]
}

/** Where the backward accumulates (`+=`); a null target is not computed. */
interface RecurrentGradTargets {
  dx: Floats | null; // [T, B, I] time-major
  dh0: Floats | null; // [L·D, B, H]
  dc0: Floats | null; // [L·D, B, H]
  /** In `recurrentParamNames` order. */
  dWeights: Array<Floats | null>;
}

/**
 * Observes ∂L/∂h_t (and for the LSTM ∂L/∂c_t) of layer k, direction d, time t, as the
 * BPTT sweep reaches step t. Both are total derivatives (through all later steps);
 * ∂L/∂c_t counts h_t = o_t⊙tanh(c_t) as depending on c_t. The buffers are [B, H] views
 * that are reused: copy what you keep.
 */
type StepProbe = (k: number, d: number, t: number, dh: Floats, dc: Floats | null) => void;

/**
 * Backpropagation through time for the whole stack, from the top layer down.
 * Twin of `recurrentForward`; accumulates into `targets`.
 */
function recurrentBackward(
  spec: RecurrentSpec, ws: RecurrentWorkspace, seeds: RecurrentSeeds, targets: RecurrentGradTargets, probe?: StepProbe,
): void {
  const K: Kernels = kernels();
  const { T, B, dtype } = ws;
  const { cell, hiddenSize: H, numLayers: L } = spec;
  const act = spec.nonlinearity ?? "tanh";
  const gate = spec.gateActivation ?? "sigmoid";
  const resetBefore = resetsBefore(spec);
  const D = directions(spec);
  const GH = gateCount(cell) * H;
  const BH = B * H;
  const TB = T * B;
  const DH = D * H;
  const P = paramsPerDirection(spec);
  const lstm = cell === "lstm";
  const gru = cell === "gru";
  const padded = ws.minLength < T;

  // Backward scratch, sized up front, reused by every layer and direction, pooled like the workspace.
  const scratch = new WorkspaceLease(poolFor(K));
  try {
    const dGates = scratch.take(dtype, TB * GH); // [T, B, G·H] ∂L/∂pre-activations (GRU: ∂L/∂gi)
    const dGh = gru ? scratch.take(dtype, TB * GH) : null; // [T, B, 3H] GRU: ∂L/∂gh (reset-before: n block ∂L/∂(W_hn rh + b_hn))
    const dRh = resetBefore ? scratch.take(dtype, BH) : null; // [B, H] reset-before GRU: ∂L/∂(r⊙h_{t−1})
    let dh = scratch.take(dtype, BH); // [B, H] ∂L/∂h_t
    let dhPrev = scratch.take(dtype, BH); // [B, H] ∂L/∂h_{t−1}
    const dc = lstm ? scratch.take(dtype, BH) : null; // [B, H] ∂L/∂c_t from later steps
    const dcCarry = lstm && padded ? scratch.take(dtype, BH) : null; // [B, H] dc of inactive rows
    const dcTotal = lstm && probe ? scratch.take(dtype, BH) : null; // [B, H] for the probe only
    const colSum = spec.bias && !gru ? scratch.take(dtype, GH) : null; // [G·H] Σ_rows dG, both bias gradients

    let dUpper = seeds.dOutput; // ∂L/∂(output of layer k), [T, B, D·H]
    for (let k = L - 1; k >= 0; k--) {
      const X = ws.inputs[k];
      const Ik = k === 0 ? spec.inputSize : DH;
      // ∂L/∂X, [T, B, I_k]: the caller's dx (accumulated into) or scratch that the first direction overwrites.
      const dLower = k > 0 ? scratch.take(dtype, TB * DH) : targets.dx;
      // One direction, no padding, not a GRU: the output gradient of step t−1 is copied into
      // ∂L/∂h_{t−1} before the recurrent GEMM adds onto it (beta = 1), instead of being
      // added by a loop over B·H afterwards: the same sum, with one pass fewer.
      const foldUpper = dUpper !== null && D === 1 && !padded && !gru;
      for (let d = 0; d < D; d++) {
        const kd = k * D + d;
        const dw = ws.dirs[kd];
        const { wIh, wHh } = ws.weights[kd];
        if (seeds.dhN) dh.set(seeds.dhN.subarray(kd * BH, kd * BH + BH));
        else dh.fill(0);
        if (dc) {
          if (seeds.dcN) dc.set(seeds.dcN.subarray(kd * BH, kd * BH + BH));
          else dc.fill(0);
        }

        for (let s = T - 1; s >= 0; s--) {
          const t = timeAt(d, s, T);
          const prev = (d === 0 ? t : t + 1) * BH;
          const next = (d === 0 ? t + 1 : t) * BH;
          const gOff = t * B * GH;
          const inactiveHere = t >= ws.minLength;

          // ∂L/∂h_t = (from later steps, already in dh) + this step's output gradient.
          // Padded outputs are constants, so their upstream gradient is dropped.
          if (dUpper && !(foldUpper && s < T - 1)) {
            for (let b = 0; b < B; b++) {
              if (!isActive(ws, t, b)) continue;
              const src = (t * B + b) * DH + d * H;
              for (let j = 0; j < H; j++) dh[b * H + j] += dUpper[src + j];
            }
          }
          if (probe) {
            if (dcTotal) {
              // δc_t = dc + dh⊙o⊙(1 − tanh²c_t) on active rows; inactive rows just carry dc.
              const tc = dw.tanhC!;
              for (let b = 0; b < B; b++) {
                for (let j = 0; j < H; j++) {
                  const u = b * H + j;
                  const o = dw.gates[gOff + b * GH + 3 * H + j];
                  const tcu = tc[t * BH + u];
                  dcTotal[u] = isActive(ws, t, b) ? dc![u] + dh[u] * o * (1 - tcu * tcu) : dc![u];
                }
              }
            }
            probe(k, d, t, dh, dcTotal);
          }
          if (dcCarry && inactiveHere) dcCarry.set(dc!);

          const dGatesT = dGates.subarray(gOff, gOff + B * GH);
          switch (cell) {
            case "rnn":
              K.rnnGatesBackward(act, BH, dw.h.subarray(next, next + BH), dh, dGatesT);
              break;
            case "lstm":
              K.lstmGatesBackward(
                B, H, dw.gates.subarray(gOff, gOff + B * GH), dw.c!.subarray(prev, prev + BH),
                dw.tanhC!.subarray(t * BH, t * BH + BH), dh, dc!, dGatesT, gate,
              );
              break;
            case "gru":
              K.gruGatesBackward(
                B, H, dw.gates.subarray(gOff, gOff + B * GH), dw.gh!.subarray(gOff, gOff + B * GH),
                dw.h.subarray(prev, prev + BH), dh, dGatesT, dGh!.subarray(gOff, gOff + B * GH), dhPrev, gate,
              );
              break;
            default:
              throw new Error(`recurrent: unknown cell '${cell as string}'`);
          }
          if (inactiveHere) {
            // An inactive row did not use its gates: zero their gradient explicitly (not by
            // multiplying garbage by 0) so padded inputs get exactly 0.
            for (let b = 0; b < B; b++) {
              if (isActive(ws, t, b)) continue;
              dGates.fill(0, gOff + b * GH, gOff + (b + 1) * GH);
              if (dGh) dGh.fill(0, gOff + b * GH, gOff + (b + 1) * GH);
            }
          }
          // ∂L/∂h_{t−1} through the recurrent product (GRU: added to the kernel's z⊙dh; folded:
          // added to the output gradient of step t−1, which is then not added again). The
          // reset-before GRU first adds the paths through r⊙h_{t−1} (after the padding zeroing,
          // so inactive rows add nothing), then the r|z product.
          if (resetBefore) {
            K.gemm(false, false, B, H, H, 1, dGates, gOff + 2 * H, GH, wHh, 2 * H * H, H, 0, dRh!, 0, H);
            K.gruResetBeforeBackward(
              B, H, dw.gates.subarray(gOff, gOff + B * GH), dw.h.subarray(prev, prev + BH), dRh!,
              dGatesT, dGh!.subarray(gOff, gOff + B * GH), dhPrev, gate,
            );
            K.gemm(false, false, B, H, 2 * H, 1, dGh!, gOff, GH, wHh, 0, H, 1, dhPrev, 0, H);
          } else if (gru) K.gemm(false, false, B, H, GH, 1, dGh!, gOff, GH, wHh, 0, H, 1, dhPrev, 0, H);
          else if (foldUpper && s > 0) {
            dhPrev.set(dUpper!.subarray((t - 1) * BH, t * BH));
            K.gemm(false, false, B, H, GH, 1, dGates, gOff, GH, wHh, 0, H, 1, dhPrev, 0, H);
          } else K.gemm(false, false, B, H, GH, 1, dGates, gOff, GH, wHh, 0, H, 0, dhPrev, 0, H);
          if (inactiveHere) {
            // The carried state passes its gradient straight through.
            for (let b = 0; b < B; b++) {
              if (isActive(ws, t, b)) continue;
              dhPrev.set(dh.subarray(b * H, b * H + H), b * H);
              if (dc) dc.set(dcCarry!.subarray(b * H, b * H + H), b * H);
            }
          }
          const swap = dh;
          dh = dhPrev;
          dhPrev = swap;
        }

        // dh and dc now hold ∂L/∂h0 and ∂L/∂c0 of this layer and direction.
        if (targets.dh0) addInto(targets.dh0, kd * BH, dh);
        if (targets.dc0) addInto(targets.dc0, kd * BH, dc!);

        // Weight gradients as single GEMMs over all T·B rows (accumulating: beta = 1).
        const dAll = dGates; // ∂L/∂(X·W_ihᵀ + b_ih)
        const dRec = gru ? dGh! : dGates; // ∂L/∂(H_prev·W_hhᵀ + b_hh)
        const hPrevOff = d === 0 ? 0 : BH; // the T previous states, in time order
        const [dWih, dWhh, dbIh, dbHh] = targets.dWeights.slice(kd * P, kd * P + P);
        if (dWih) K.gemm(true, false, GH, Ik, TB, 1, dAll, 0, GH, X, 0, Ik, 1, dWih, 0, Ik);
        if (dWhh && resetBefore) {
          // W_hr|W_hz multiply h_{t−1}; W_hn multiplies the saved r⊙h_{t−1}.
          K.gemm(true, false, 2 * H, H, TB, 1, dRec, 0, GH, dw.h, hPrevOff, H, 1, dWhh, 0, H);
          K.gemm(true, false, H, H, TB, 1, dRec, 2 * H, GH, dw.rh!, 0, H, 1, dWhh, 2 * H * H, H);
        } else if (dWhh) K.gemm(true, false, GH, H, TB, 1, dRec, 0, GH, dw.h, hPrevOff, H, 1, dWhh, 0, H);
        if (dbIh && dbHh && dAll === dRec) {
          // Both biases enter the same pre-activations: one column sum serves both.
          K.gemm(true, false, GH, 1, TB, 1, dAll, 0, GH, ws.ones, 0, 1, 0, colSum!, 0, 1);
          addInto(dbIh, 0, colSum!);
          addInto(dbHh, 0, colSum!);
        } else {
          if (dbIh) K.gemm(true, false, GH, 1, TB, 1, dAll, 0, GH, ws.ones, 0, 1, 1, dbIh, 0, 1);
          if (dbHh) K.gemm(true, false, GH, 1, TB, 1, dRec, 0, GH, ws.ones, 0, 1, 1, dbHh, 0, 1);
        }
        if (dLower) K.gemm(false, false, TB, Ik, GH, 1, dAll, 0, GH, wIh, 0, Ik, k > 0 && d === 0 ? 0 : 1, dLower, 0, Ik);
      }
      dUpper = dLower;
    }
  } finally {
    scratch.release();
  }
}

/**
 * out = a + b elementwise: the two biases summed once (one rounding, as when the second is
 * added onto a broadcast of the first) instead of broadcast separately over T·B rows.
 */
function addVectors(out: Floats, a: Floats, b: Floats): Floats {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  return out;
}

function addInto(target: Floats, offset: number, src: Floats): void {
  for (let i = 0; i < src.length; i++) target[offset + i] += src[i];
}

/** Swaps the first two axes of a row-major [A, C, F] buffer into `dst` ([C, A, F]). */
function swapLeadingAxes(src: Floats, A: number, C: number, F: number, dst: Floats): Floats {
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) dst.set(src.subarray((a * C + c) * F, (a * C + c) * F + F), (c * A + a) * F);
  }
  return dst;
}

/**
 * Refuses a gate activation or reset placement the spec's cell does not have: an unknown
 * gateActivation, one other than sigmoid on an RNN (which has no gates), and resetAfter that
 * is not a boolean or is false on anything but a GRU.
 */
function checkGateOptions(spec: RecurrentSpec): void {
  const who = cellClassName(spec.cell);
  const gate = spec.gateActivation;
  if (gate !== undefined && !GATE_ACTIVATIONS.includes(gate)) {
    throw new Error(`${who}: unknown gateActivation ${JSON.stringify(gate)} (expected one of ${GATE_ACTIVATIONS.join(", ")})`);
  }
  if (spec.cell === "rnn" && gate !== undefined && gate !== "sigmoid") {
    throw new Error(`${who}: gateActivation '${gate}' applies to LSTM and GRU gates only; an RNN has none (use nonlinearity)`);
  }
  const ra = spec.resetAfter;
  if (ra !== undefined && typeof ra !== "boolean") {
    throw new TypeError(`${who}: resetAfter must be true or false, got ${JSON.stringify(ra)}`);
  }
  if (ra === false && spec.cell !== "gru") {
    throw new Error(`${who}: resetAfter applies to GRU only (where the reset gate meets the recurrent product)`);
  }
}

/** Validated, time-major view of the arguments of `recurrent`. */
interface PreparedCall {
  T: number;
  B: number;
  x: Floats; // [T, B, I]
  weights: DirectionWeights[];
  h0: Tensor; // [L·D, B, H]
  c0: Tensor | null; // [L·D, B, H]
  lengths: Int32Array | null; // [B]
}

/** Checks every argument, naming it and both shapes in any ShapeError. */
function prepare(
  spec: RecurrentSpec, x: Tensor, weights: readonly Tensor[], state?: RecurrentState, lengths?: readonly number[],
): PreparedCall {
  const who = cellClassName(spec.cell);
  if (state !== undefined && spec.cell === "lstm" && state.c === undefined) {
    throw new Error(`${who}: state.c is missing: an LSTM's state is { h, c }, each [L·D, B, H]`);
  }
  if (state?.c !== undefined && spec.cell !== "lstm") {
    throw new Error(`${who}: state.c is given, but only an LSTM has a cell state (the ${who}'s state is { h })`);
  }
  const h0 = state?.h;
  const c0 = state?.c;
  for (const key of ["inputSize", "hiddenSize", "numLayers"] as const) {
    if (!Number.isInteger(spec[key]) || spec[key] < 1) {
      throw new Error(`${who}: ${key} must be a positive integer, got ${spec[key]}`);
    }
  }
  if (spec.cell !== "rnn" && spec.nonlinearity !== undefined && spec.nonlinearity !== "tanh") {
    throw new Error(`${who}: nonlinearity applies to RNN only, got '${spec.nonlinearity}'`);
  }
  checkGateOptions(spec);
  const { inputSize: I, hiddenSize: H } = spec;
  const LD = spec.numLayers * directions(spec);
  if (x.rank !== 3) {
    throw new ShapeError(`${who} x: expected a 3-D tensor ${spec.batchFirst ? "[B, T, I]" : "[T, B, I]"}, got ${shapeToString(x.shape)}`);
  }
  if (x.shape[2] !== I) expectShape(`${who} x`, x.shape, [-1, -1, I]);
  const [T, B] = spec.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const dtype = x.dtype;
  const sameDtype = (what: string, t: Tensor): void => {
    if (t.dtype !== dtype) throw new TypeError(`${who} ${what}: dtype ${t.dtype} does not match x (${dtype})`);
  };

  const layout = layoutOf(spec);
  if (weights.length !== layout.length) {
    const names = layout.map((p) => p.name);
    throw new Error(`${who}: expected ${names.length} parameter tensors (${names.join(", ")}), got ${weights.length}`);
  }
  for (let i = 0; i < weights.length; i++) {
    // The messages are built only on failure: this runs on every streaming step.
    if (!sameShape(weights[i].shape, layout[i].shape)) expectShape(`${who} ${layout[i].name}`, weights[i].shape, layout[i].shape);
    sameDtype(layout[i].name, weights[i]);
  }

  const stateShape = [LD, B, H];
  const h0t = h0 ?? Tensor.zeros(stateShape, { dtype });
  if (!sameShape(h0t.shape, stateShape)) expectShape(`${who} state.h`, h0t.shape, stateShape);
  sameDtype("state.h", h0t);
  let c0t: Tensor | null = null;
  if (spec.cell === "lstm") {
    c0t = c0 ?? Tensor.zeros(stateShape, { dtype });
    if (!sameShape(c0t.shape, stateShape)) expectShape(`${who} state.c`, c0t.shape, stateShape);
    sameDtype("state.c", c0t);
  }

  let lens: Int32Array | null = null;
  if (lengths !== undefined) {
    if (lengths.length !== B) {
      throw new ShapeError(`${who} lengths: expected ${B} lengths (one per batch row), got ${lengths.length}`);
    }
    lens = new Int32Array(B);
    lengths.forEach((n, b) => {
      if (!Number.isInteger(n) || n < 1 || n > T) {
        throw new RangeError(`${who} lengths[${b}]: must be an integer in 1..${T} (T), got ${n}`);
      }
      lens![b] = n;
    });
  }

  // With one step or one row, batch-first and time-major are the same memory.
  const xTM = spec.batchFirst && T > 1 && B > 1 ? swapLeadingAxes(x.data, B, T, I, allocFloats(dtype, x.size)) : x.data;
  return {
    T, B, x: xTM,
    weights: splitWeights(spec, weights.map((w) => w.data)),
    h0: h0t, c0: c0t, lengths: lens,
  };
}

/**
 * Runs a recurrent layer stack over a sequence, as one node on the autodiff tape
 * (inputs x, state.h, state.c?, ...weights; outputs output, final h, final c?).
 * Gradients accumulate into every input that requires grad.
 *
 * @param x [T, B, I] ([B, T, I] with `spec.batchFirst`); its dtype is the op's dtype.
 * @param weights in `recurrentParamNames(spec)` order, PyTorch shapes.
 * @param options.state the initial state, h (and c for the LSTM) [L·D, B, H]; zeros when omitted.
 * @param options.lengths valid steps per batch row (1..T, any order): PyTorch's packed semantics.
 * @example
 * const spec = { cell: "lstm", inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: false, bias: true, batchFirst: false } as const;
 * const { output, state } = recurrent(spec, x, weights);     // output [T, B, 4], state.h and state.c [1, B, 4]
 * const next = recurrent(spec, x2, weights, { state });        // carry the state on
 */
export function recurrent(
  spec: RecurrentSpec, x: Tensor, weights: readonly Tensor[], options: RecurrentOptions = {},
): RecurrentResult {
  const call = prepare(spec, x, weights, options.state, options.lengths);
  const { T, B } = call;
  const D = directions(spec);
  const H = spec.hiddenSize;
  const stateShape = [spec.numLayers * D, B, H];
  const inputs = [x, call.h0, ...(call.c0 ? [call.c0] : []), ...weights];
  // The reset-before GRU takes the sequence path even for one step: its second product reads
  // r⊙h, which the one-call affine step cannot interleave.
  if (T === 1 && D === 1 && call.lengths === null && B <= STEP_MAX_BATCH && !resetsBefore(spec) && !needsGrad(inputs)) {
    // A streaming step: T = 1 has the same memory layout time-major and batch-first.
    const r = recurrentStep(spec, call.x, B, call.weights, call.h0.data, call.c0?.data ?? null);
    return {
      output: new Tensor(r.output, spec.batchFirst ? [B, 1, H] : [1, B, H]),
      state: r.cN ? { h: new Tensor(r.hN, stateShape), c: new Tensor(r.cN, stateShape) } : { h: new Tensor(r.hN, stateShape) },
    };
  }
  const ws = recurrentForward(spec, call.x, T, B, call.weights, call.h0.data, call.c0?.data ?? null, call.lengths);

  const outShape = spec.batchFirst ? [B, T, D * H] : [T, B, D * H];
  const outData = spec.batchFirst ? swapLeadingAxes(ws.output, T, B, D * H, allocFloats(ws.dtype, ws.output.length)) : ws.output;
  const output = new Tensor(outData, outShape);
  const hN = new Tensor(ws.hN, stateShape);
  const cN = ws.cN ? new Tensor(ws.cN, stateShape) : null;
  const state: RecurrentState = cN ? { h: hN, c: cN } : { h: hN };

  if (!needsGrad(inputs)) {
    // No graph, so no backward: the workspace goes straight back to the pool.
    ws.lease.release();
    return { output, state };
  }
  const outputs = cN ? [output, hN, cN] : [output, hN];
  const backward = (grads: Floats[]): void => {
    const dOut = spec.batchFirst ? swapLeadingAxes(grads[0], B, T, D * H, allocFloats(ws.dtype, grads[0].length)) : grads[0];
    const xGrad = gradOf(x);
    const dxTM = xGrad && spec.batchFirst ? allocFloats(ws.dtype, x.size) : xGrad;
    recurrentBackward(
      spec, ws,
      { dOutput: dOut, dhN: grads[1], dcN: cN ? grads[2] : null },
      {
        dx: dxTM,
        dh0: gradOf(call.h0),
        dc0: call.c0 ? gradOf(call.c0) : null,
        dWeights: weights.map((w) => gradOf(w)),
      },
    );
    if (xGrad && dxTM !== xGrad) {
      const back = swapLeadingAxes(dxTM!, T, B, spec.inputSize, allocFloats(ws.dtype, x.size));
      addInto(xGrad, 0, back);
    }
  };
  // The tape gives the workspace back after the backward; a graph dropped without one has
  // it moved to the heap once newer graphs push it out of the pool's kept leases.
  ws.lease.keep((move) => relocateWorkspace(ws, move));
  record(cellClassName(spec.cell), inputs, outputs, backward, () => ws.lease.release());
  return { output, state };
}

/** ∂L/∂h_t (and ∂L/∂c_t) of one layer and direction, for every step, with their norms. */
export interface HiddenGradientNorms {
  layer: number;
  direction: number;
  /** ∂L/∂h_t, total derivative through all later steps (c_t held fixed)         [T, B, H] */
  dh: Tensor;
  /** ‖∂L/∂h_t‖₂ over the whole [B, H] block, by time t                           [T] */
  dhNorm: Float64Array;
  /** ‖∂L/∂h0‖₂ of this layer and direction. */
  dh0Norm: number;
  /** LSTM: ∂L/∂c_t, counting h_t = o_t⊙tanh(c_t) as depending on c_t                [T, B, H] */
  dc: Tensor | null;
  /** LSTM: ‖∂L/∂c_t‖₂ by time t                                                     [T] */
  dcNorm: Float64Array | null;
  /** LSTM: ‖∂L/∂c0‖₂. */
  dc0Norm: number | null;
}

/** The initial state and lengths as for `recurrent`, and the seeds of the backward sweep. */
export interface HiddenGradientOptions extends RecurrentOptions {
  /** ∂L/∂output, shaped like `output`. */
  dOutput?: Tensor;
  /** ∂L/∂hN, [L·D, B, H]. */
  dhN?: Tensor;
  /** LSTM: ∂L/∂cN, [L·D, B, H]. */
  dcN?: Tensor;
}

function l2(v: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * The vanishing-gradient diagnostic: runs the stack forward and back (outside the
 * tape) for a loss whose gradient w.r.t. the outputs / final states is given, and
 * returns ∂L/∂h_t for every step t — exactly the dh the BPTT sweep carries into step
 * t's gate backward — with its norm, plus the norm for the initial state. One record
 * per layer and direction, index k·D + d; time is in sequence order for both
 * directions. With `lengths`, a row's padded steps hold the gradient of the state
 * it carries through them.
 * @example
 * // L = Σ w_out ⊙ h_{T−1}: seed only the last output step
 * const [g] = hiddenGradientNorms(spec, x, weights, { dOutput });
 * g.dhNorm; // [T] falls geometrically towards t = 0 for a small tanh RNN
 */
export function hiddenGradientNorms(
  spec: RecurrentSpec, x: Tensor, weights: readonly Tensor[], options: HiddenGradientOptions,
): HiddenGradientNorms[] {
  const call = prepare(spec, x, weights, options.state, options.lengths);
  const { T, B } = call;
  const D = directions(spec);
  const H = spec.hiddenSize;
  const BH = B * H;
  const LD = spec.numLayers * D;
  const who = cellClassName(spec.cell);
  const dtype = x.dtype;
  if (!options.dOutput && !options.dhN && !options.dcN) {
    throw new Error(`${who} hiddenGradientNorms: give at least one of dOutput, dhN, dcN`);
  }
  const seedOf = (what: string, t: Tensor | undefined, shape: number[]): Floats | null => {
    if (t === undefined) return null;
    expectShape(`${who} ${what}`, t.shape, shape);
    if (t.dtype !== dtype) throw new TypeError(`${who} ${what}: dtype ${t.dtype} does not match x (${dtype})`);
    return t.data;
  };
  const outShape = spec.batchFirst ? [B, T, D * H] : [T, B, D * H];
  let dOutput = seedOf("dOutput", options.dOutput, outShape);
  if (dOutput && spec.batchFirst) dOutput = swapLeadingAxes(dOutput, B, T, D * H, allocFloats(dtype, dOutput.length));
  const dhN = seedOf("dhN", options.dhN, [LD, B, H]);
  const dcN = spec.cell === "lstm" ? seedOf("dcN", options.dcN, [LD, B, H]) : null;
  if (spec.cell !== "lstm" && options.dcN) throw new Error(`${who}: dcN is given but only an LSTM has a cell state`);

  const ws = recurrentForward(spec, call.x, T, B, call.weights, call.h0.data, call.c0?.data ?? null, call.lengths);
  const lstm = spec.cell === "lstm";
  const records: HiddenGradientNorms[] = [];
  for (let kd = 0; kd < LD; kd++) {
    records.push({
      layer: Math.floor(kd / D), direction: kd % D,
      dh: Tensor.zeros([T, B, H], { dtype: "float64" }), dhNorm: new Float64Array(T), dh0Norm: 0,
      dc: lstm ? Tensor.zeros([T, B, H], { dtype: "float64" }) : null,
      dcNorm: lstm ? new Float64Array(T) : null, dc0Norm: lstm ? 0 : null,
    });
  }
  const dh0 = allocFloats(dtype, LD * BH);
  const dc0 = lstm ? allocFloats(dtype, LD * BH) : null;
  try {
    recurrentBackward(
      spec, ws, { dOutput, dhN, dcN },
      { dx: null, dh0, dc0, dWeights: weights.map(() => null) },
      (k, d, t, dh, dc) => {
        const r = records[k * D + d];
        r.dh.data.set(dh, t * BH);
        r.dhNorm[t] = l2(dh, 0, BH);
        if (dc && r.dc && r.dcNorm) {
          r.dc.data.set(dc, t * BH);
          r.dcNorm[t] = l2(dc, 0, BH);
        }
      },
    );
  } finally {
    ws.lease.release();
  }
  for (const [kd, r] of records.entries()) {
    r.dh0Norm = l2(dh0, kd * BH, kd * BH + BH);
    if (dc0) r.dc0Norm = l2(dc0, kd * BH, kd * BH + BH);
  }
  return records;
}
