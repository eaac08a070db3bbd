/**
 * The kernel contract: the only place model code hands typed arrays to compute
 * routines. Model and layer code calls `kernels()`; a backend (plain TypeScript now,
 * WebAssembly later) implements this interface. Arrays are row-major; offsets and
 * leading dimensions follow BLAS so that sub-blocks of workspaces need no copies.
 */
import type { Floats } from "../tensor/tensor.js";

export type RnnActivation = "tanh" | "relu" | "sigmoid";

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
   * entry and the activations σ(i) σ(f) tanh(g) σ(o) on exit.
   *   c = f⊙cPrev + i⊙g,  tanhC = tanh(c),  h = o⊙tanhC
   */
  lstmGatesForward(B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats): void;
  /**
   * Backward of `lstmGatesForward`. `dc` [B,H] holds ∂L/∂c_t from the future on entry
   * and ∂L/∂c_{t-1} on exit; `dGates` [B,4H] is overwritten with ∂L/∂(pre-activations).
   */
  lstmGatesBackward(
    B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats,
  ): void;

  /**
   * GRU pointwise step (PyTorch's form) over B rows. gi = W_ih x + b_ih and
   * gh = W_hh h + b_hh are [B,3H] (r|z|n). Writes gates [B,3H] = r|z|n activations and h.
   *   r = σ(gi_r+gh_r), z = σ(gi_z+gh_z), n = tanh(gi_n + r⊙gh_n), h = (1−z)⊙n + z⊙hPrev
   */
  gruGatesForward(B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats): void;
  /**
   * Backward of `gruGatesForward`: overwrites dGi, dGh [B,3H] and dhPrev [B,H] with the
   * direct part z⊙dh (the W_hh part is added by the caller's GEMM).
   */
  gruGatesBackward(
    B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats,
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
