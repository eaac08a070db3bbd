/**
 * The kernel contract: the only place model code hands typed arrays to compute
 * routines. Model and layer code calls `kernels()`; a backend (plain TypeScript now,
 * WebAssembly later) implements this interface. Arrays are row-major; offsets and
 * leading dimensions follow BLAS so that sub-blocks of workspaces need no copies.
 */
import type { Floats } from "../tensor/tensor.js";

export type RnnActivation = "tanh" | "relu" | "sigmoid";

/**
 * The squashing function of the LSTM gates i, f, o and the GRU gates r, z (the candidate
 * g / n and the cell output stay tanh):
 *   "sigmoid"       σ(x) = 1 / (1 + e^−x)                  (PyTorch; Keras' default)
 *   "hardSigmoid"   clip(0.2·x + 0.5, 0, 1)                (TF.js `hardSigmoid`, tf.keras 2 `hard_sigmoid`,
 *                                                           ONNX HardSigmoid with alpha 0.2, beta 0.5)
 *   "hardSigmoid6"  clip(x/6 + 0.5, 0, 1) = relu6(x + 3)/6  (Keras 3 `hard_sigmoid`)
 * Backward kernels take the derivative through the output y: σ' = y(1 − y); a hard sigmoid's
 * is its slope (0.2 or 1/6) where 0 < y < 1 and 0 where it clips.
 */
export type GateActivation = "sigmoid" | "hardSigmoid" | "hardSigmoid6";

/** Every gate activation, in the order of the small-integer codes the wasm and native kernels take. */
export const GATE_ACTIVATIONS: readonly GateActivation[] = ["sigmoid", "hardSigmoid", "hardSigmoid6"];

/** The code of a gate activation in kernels/gates.ts and native/src/gates.c (0 sigmoid, 1 hardSigmoid, 2 hardSigmoid6). */
export function gateCode(gate: GateActivation): number {
  const code = GATE_ACTIVATIONS.indexOf(gate);
  if (code < 0) throw new Error(`unknown gate activation '${gate as string}' (expected ${GATE_ACTIVATIONS.join(", ")})`);
  return code;
}

/**
 * Float32 buffers that live where a backend computes, so its kernels use them in place:
 * the wasm backend copies every other operand into its memory and back on each call.
 * Optional; the TypeScript kernels (and wasm without a shared memory) have none. Model code
 * never sees these buffers: ops keep their workspaces in them (src/backend/pool.ts).
 */
export interface KernelMemory {
  /** n floats, contents unspecified, valid (through any view of them) until `free`; null when full. */
  alloc(n: number): Float32Array | null;
  /** Returns a buffer that `alloc` gave (that very view). */
  free(buf: Float32Array): void;
  /** Whether the kernels take `buf` without a copy. */
  holds(buf: Floats): boolean;
  /**
   * Bytes allocated and not yet freed: resident parameters, pooled workspaces (cached ones
   * included) and the kernels' own scratch. For diagnostics: a loop whose figure keeps
   * rising is leaking (docs/memory.md).
   */
  readonly liveBytes: number;
}

export interface Kernels {
  readonly name: string;
  /** Memory the kernels compute in without copies, where the backend has it. */
  readonly memory?: KernelMemory;

  /**
   * C[m,n] = alpha · op(A)[m,k] · op(B)[k,n] + beta · C, row-major.
   * op(A) = A ([m,k], lda ≥ k) or Aᵀ (A stored [k,m], lda ≥ m); likewise B.
   * beta = 0 overwrites C without reading it (NaN in C does not leak).
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Floats, aOff: number, lda: number,
    b: Floats, bOff: number, ldb: number,
    beta: number, c: Floats, cOff: number, ldc: number,
  ): void;

  /**
   * y[b,:] = b1 + b2 + x1[b,:]·W1ᵀ + x2[b,:]·W2ᵀ for b < B, the terms added in that order:
   * one step of a recurrent layer's affine map (W1 = W_ih, W2 = W_hh) in one call, for the
   * few-row steps of streaming inference where separate GEMM calls cost more than their
   * arithmetic. W1 [n, k1], W2 [n, k2] row-major; x1 [B, k1], x2 [B, k2], y [B, n], all at
   * offset 0. A null bias is absent (b2 is read only with b1); x2 = null (or k2 = 0) drops
   * the second product. Without b1 the result starts from 0, as a GEMM with beta = 0 does.
   */
  affine(
    B: number, n: number, k1: number, k2: number,
    x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null, y: Floats,
  ): void;

  /** h[i] = act(pre[i]) for i < n. */
  rnnGatesForward(act: RnnActivation, n: number, pre: Floats, h: Floats): void;
  /** dPre[i] = dh[i] · act'(·) expressed through the output h[i]; overwrites dPre. */
  rnnGatesBackward(act: RnnActivation, n: number, h: Floats, dh: Floats, dPre: Floats): void;

  /**
   * LSTM pointwise step over B rows. `gates` [B,4H] holds pre-activations (i|f|g|o) on
   * entry and the activations s(i) s(f) tanh(g) s(o) on exit, s the gate activation.
   *   c = f⊙cPrev + i⊙g,  tanhC = tanh(c),  h = o⊙tanhC
   */
  lstmGatesForward(
    B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats, gate: GateActivation,
  ): void;
  /**
   * Backward of `lstmGatesForward`. `dc` [B,H] holds ∂L/∂c_t from the future on entry
   * and ∂L/∂c_{t-1} on exit; `dGates` [B,4H] is overwritten with ∂L/∂(pre-activations).
   */
  lstmGatesBackward(
    B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats,
    gate: GateActivation,
  ): void;

  /**
   * GRU pointwise step (PyTorch's form) over B rows. gi = W_ih x + b_ih and
   * gh = W_hh h + b_hh are [B,3H] (r|z|n). Writes gates [B,3H] = r|z|n activations and h.
   *   r = s(gi_r+gh_r), z = s(gi_z+gh_z), n = tanh(gi_n + r⊙gh_n), h = (1−z)⊙n + z⊙hPrev
   * The reset-before GRU uses it too, with gh_n = 0 and W_hn(r⊙hPrev) + b_hn added into gi_n
   * (see `gruResetBeforeForward`).
   */
  gruGatesForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats, gate: GateActivation,
  ): void;
  /**
   * Backward of `gruGatesForward`: overwrites dGi, dGh [B,3H] and dhPrev [B,H] with the
   * direct part z⊙dh (the W_hh part is added by the caller's GEMM).
   */
  gruGatesBackward(
    B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
  ): void;

  /**
   * The reset-before GRU's first pointwise part (Keras reset_after=False, ONNX
   * linear_before_reset=0), between the r|z GEMM and the W_hn GEMM: over B rows,
   *   rh = s(gi_r + gh_r) ⊙ hPrev          gi, gh [B,3H] (only the r block is read), hPrev, rh [B,H]
   */
  gruResetBeforeForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, rh: Floats, gate: GateActivation,
  ): void;
  /**
   * The reset-before GRU's part of the backward, after `gruGatesBackward` (run with gh_n = 0,
   * so it left dGi_r = dGh_r = 0) and the GEMM dRh = dGi_n·W_hn:
   *   dGi_r = dGh_r = dRh⊙hPrev⊙s'(r)     dGh_n = dGi_n (∂ of W_hn(r⊙h) + b_hn)     dhPrev += dRh⊙r
   * gates [B,3H] (r read), hPrev, dRh [B,H]; dGi, dGh [B,3H] and dhPrev [B,H] updated as shown.
   */
  gruResetBeforeBackward(
    B: number, H: number, gates: Floats, hPrev: Floats, dRh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
  ): void;
}

let active: Kernels | null = null;
let pickDefault: (() => Kernels) | null = null;

/** Registers how to pick the default when nothing was chosen (done by ./select.ts). */
export function setDefaultKernels(pick: () => Kernels): void {
  pickDefault = pick;
}

/** The kernels in use; the first call without a choice picks the default. */
export function kernels(): Kernels {
  if (active === null) {
    if (pickDefault === null) throw new Error("no kernel backend registered (import rnnkit's entry point)");
    active = pickDefault();
  }
  return active;
}

/** The kernels in use, or null when none was chosen or picked yet (picks nothing). */
export function chosenKernels(): Kernels | null {
  return active;
}

/** Switches the kernels in use; `null` goes back to "not chosen" (the next use picks the default). */
export function useKernels(k: Kernels | null): void {
  active = k;
}
