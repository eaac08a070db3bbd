/**
 * The pointwise gate kernels of the `Kernels` contract in plain TypeScript: one
 * forward / backward twin per cell family, each a single loop over B·H units.
 * They are the reference the WebAssembly kernels are tested against, so they favour
 * reading like the equations over speed. Dtype-generic: any `Floats` works, and the
 * arithmetic is done in double precision before each store.
 *
 * Derivative rules, all expressed through the forward's outputs (so the backward
 * needs no pre-activations):
 *   tanh' = 1 − tanh²     σ' = σ(1 − σ)     relu' = [h > 0]  (relu'(0) := 0)
 *   hard sigmoid' = slope·[0 < y < 1]  (0.2 or 1/6; 0 where it clips, kinks included)
 * The gate activation (σ or a hard sigmoid, `GateActivation`) is picked once per call.
 */
import type { Floats } from "../../tensor/tensor.js";
import type { GateActivation, RnnActivation } from "../kernels.js";

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** g·σ'(x) through y = σ(x): g·y·(1 − y), multiplied in that order (as the wasm and native kernels do). */
function sigmoidGrad(g: number, y: number): number {
  return g * y * (1 - y);
}

function hardSigmoid(x: number): number {
  return Math.min(Math.max(0.2 * x + 0.5, 0), 1);
}

function hardSigmoidGrad(g: number, y: number): number {
  return y > 0 && y < 1 ? g * 0.2 : 0;
}

function hardSigmoid6(x: number): number {
  return Math.min(Math.max(x / 6 + 0.5, 0), 1);
}

function hardSigmoid6Grad(g: number, y: number): number {
  return y > 0 && y < 1 ? g * (1 / 6) : 0;
}

/**
 * A gate activation s and its backward through the output: act(x) = s(x) and
 * grad(g, y) = g·s'(x) for y = s(x).
 */
function gateFunctions(gate: GateActivation): { act: (x: number) => number; grad: (g: number, y: number) => number } {
  switch (gate) {
    case "sigmoid":
      return { act: sigmoid, grad: sigmoidGrad };
    case "hardSigmoid":
      return { act: hardSigmoid, grad: hardSigmoidGrad };
    case "hardSigmoid6":
      return { act: hardSigmoid6, grad: hardSigmoid6Grad };
    default:
      throw new Error(`unknown gate activation '${gate as string}' (expected sigmoid, hardSigmoid or hardSigmoid6)`);
  }
}

/** h[i] = act(pre[i]) for i < n. `h` may alias `pre`. */
export function rnnGatesForwardTs(act: RnnActivation, n: number, pre: Floats, h: Floats): void {
  switch (act) {
    case "tanh":
      for (let i = 0; i < n; i++) h[i] = Math.tanh(pre[i]);
      return;
    case "relu":
      for (let i = 0; i < n; i++) h[i] = pre[i] > 0 ? pre[i] : 0;
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) h[i] = sigmoid(pre[i]);
      return;
    default:
      throw new Error(`rnnGatesForward: unknown activation '${act as string}'`);
  }
}

/**
 * dPre[i] = dh[i] · act'(pre[i]), with act' written through h = act(pre). Overwrites
 * dPre. For relu, h > 0 exactly when pre > 0, so relu'(0) = 0 falls out.
 */
export function rnnGatesBackwardTs(act: RnnActivation, n: number, h: Floats, dh: Floats, dPre: Floats): void {
  switch (act) {
    case "tanh":
      for (let i = 0; i < n; i++) dPre[i] = dh[i] * (1 - h[i] * h[i]);
      return;
    case "relu":
      for (let i = 0; i < n; i++) dPre[i] = h[i] > 0 ? dh[i] : 0;
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) dPre[i] = dh[i] * h[i] * (1 - h[i]);
      return;
    default:
      throw new Error(`rnnGatesBackward: unknown activation '${act as string}'`);
  }
}

/**
 * LSTM step over B rows; `gates` [B,4H] holds pre-activations i|f|g|o on entry and
 * s(i) s(f) tanh(g) s(o) on exit (s the gate activation); cPrev, c, tanhC, h are [B,H].
 *   c = f⊙cPrev + i⊙g,   tanhC = tanh(c),   h = o⊙tanhC
 */
export function lstmGatesForwardTs(
  B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats, gate: GateActivation,
): void {
  const sigmoid = gateFunctions(gate).act;
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[row + j]);
      const f = sigmoid(gates[row + H + j]);
      const g = Math.tanh(gates[row + 2 * H + j]);
      const o = sigmoid(gates[row + 3 * H + j]);
      gates[row + j] = i;
      gates[row + H + j] = f;
      gates[row + 2 * H + j] = g;
      gates[row + 3 * H + j] = o;
      const cNew = f * cPrev[s + j] + i * g;
      c[s + j] = cNew;
      // tanh of the *stored* c, so backward sees exactly the value h was built from
      const tc = Math.tanh(c[s + j]);
      tanhC[s + j] = tc;
      h[s + j] = o * tc;
    }
  }
}

/**
 * Backward of `lstmGatesForwardTs`. With δc = dc + dh⊙o⊙(1 − tanhC²) (the total
 * derivative of c_t) and s' the gate activation's derivative through its output
 * (σ: i(1−i)):
 *   dPre_i = δc⊙g⊙s'(i)    dPre_f = δc⊙cPrev⊙s'(f)    dPre_g = δc⊙i⊙(1−g²)
 *   dPre_o = dh⊙tanhC⊙s'(o)                            dc ← δc⊙f  (∂L/∂c_{t−1})
 * Overwrites dGates [B,4H] and dc [B,H]; dh is only read.
 */
export function lstmGatesBackwardTs(
  B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats,
  gate: GateActivation,
): void {
  const grad = gateFunctions(gate).grad;
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const i = gates[row + j];
      const f = gates[row + H + j];
      const g = gates[row + 2 * H + j];
      const o = gates[row + 3 * H + j];
      const tc = tanhC[s + j];
      const dhj = dh[s + j];
      const dcTotal = dc[s + j] + dhj * o * (1 - tc * tc);
      dGates[row + j] = grad(dcTotal * g, i);
      dGates[row + H + j] = grad(dcTotal * cPrev[s + j], f);
      dGates[row + 2 * H + j] = dcTotal * i * (1 - g * g);
      dGates[row + 3 * H + j] = grad(dhj * tc, o);
      dc[s + j] = dcTotal * f;
    }
  }
}

/**
 * GRU step (PyTorch's form) over B rows; gi, gh, gates [B,3H] (r|z|n), hPrev, h [B,H].
 *   r = s(gi_r + gh_r),  z = s(gi_z + gh_z),  n = tanh(gi_n + r⊙gh_n),  h = (1−z)⊙n + z⊙hPrev
 */
export function gruGatesForwardTs(
  B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats, gate: GateActivation,
): void {
  const sigmoid = gateFunctions(gate).act;
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gi[row + j] + gh[row + j]);
      const z = sigmoid(gi[row + H + j] + gh[row + H + j]);
      const n = Math.tanh(gi[row + 2 * H + j] + r * gh[row + 2 * H + j]);
      gates[row + j] = r;
      gates[row + H + j] = z;
      gates[row + 2 * H + j] = n;
      h[s + j] = (1 - z) * n + z * hPrev[s + j];
    }
  }
}

/**
 * Backward of `gruGatesForwardTs`, treating gi and gh as independent inputs (s' the gate
 * activation's derivative through its output, σ: r(1−r)):
 *   δn = dh⊙(1−z)⊙(1−n²)          dGi_n = δn         dGh_n = δn⊙r
 *   δr = δn⊙gh_n⊙s'(r)            dGi_r = dGh_r = δr
 *   δz = dh⊙(hPrev − n)⊙s'(z)     dGi_z = dGh_z = δz
 *   dhPrev = dh⊙z                  (the direct path only; the caller adds dGh·W_hh)
 * Overwrites dGi, dGh and dhPrev.
 */
export function gruGatesBackwardTs(
  B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats,
  dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
): void {
  const grad = gateFunctions(gate).grad;
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const r = gates[row + j];
      const z = gates[row + H + j];
      const n = gates[row + 2 * H + j];
      const dhj = dh[s + j];
      const dn = dhj * (1 - z) * (1 - n * n);
      const dr = grad(dn * gh[row + 2 * H + j], r);
      const dz = grad(dhj * (hPrev[s + j] - n), z);
      dGi[row + j] = dr;
      dGh[row + j] = dr;
      dGi[row + H + j] = dz;
      dGh[row + H + j] = dz;
      dGi[row + 2 * H + j] = dn;
      dGh[row + 2 * H + j] = dn * r;
      dhPrev[s + j] = dhj * z;
    }
  }
}

/**
 * The reset-before GRU's gated state, between its two recurrent GEMMs:
 *   rh = s(gi_r + gh_r) ⊙ hPrev       gi, gh [B,3H] (r block read), hPrev, rh [B,H]
 * The same r as `gruGatesForwardTs` computes from the same operands.
 */
export function gruResetBeforeForwardTs(
  B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, rh: Floats, gate: GateActivation,
): void {
  const sigmoid = gateFunctions(gate).act;
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gi[b * G + j] + gh[b * G + j]);
      rh[b * H + j] = r * hPrev[b * H + j];
    }
  }
}

/**
 * Backward of `gruResetBeforeForwardTs`, completing `gruGatesBackwardTs` (run with gh_n = 0)
 * for the reset-before GRU, where n = tanh(gi_n + W_hn(r⊙hPrev) + b_hn). With dRh = dGi_n·W_hn:
 *   dGi_r = dGh_r = dRh⊙hPrev⊙s'(r)     dGh_n = dGi_n     dhPrev += dRh⊙r
 */
export function gruResetBeforeBackwardTs(
  B: number, H: number, gates: Floats, hPrev: Floats, dRh: Floats,
  dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
): void {
  const grad = gateFunctions(gate).grad;
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const row = b * G;
    const s = b * H;
    for (let j = 0; j < H; j++) {
      const r = gates[row + j];
      const d = dRh[s + j];
      const dr = grad(d * hPrev[s + j], r);
      dGi[row + j] = dr;
      dGh[row + j] = dr;
      dGh[row + 2 * H + j] = dGi[row + 2 * H + j];
      dhPrev[s + j] += d * r;
    }
  }
}
