// AssemblyScript: the pointwise gate kernels of rnnkit's kernel contract
// (src/backend/kernels.ts) over float32 buffers in linear memory. Same equations, same
// operand order as the TypeScript reference (src/backend/ts/pointwise.ts), but computed in
// float32 with the fast exp/tanh/sigmoid of vec.ts. Each kernel is one `…At<V>` body
// applied four units at a time (SIMD build) and then one at a time for what is left, so a
// unit's result does not depend on where it falls. Pointers are byte addresses; buffers
// must not alias (the JavaScript side copies operands in, so they never do).
//
// The LSTM and GRU kernels take the gate activation as a code (GATE_…). Each exported kernel
// branches on it once and runs a row loop instantiated for that activation: the activation is
// a type argument G (a tag type, below), so the compiler keeps only its branch, and each loop
// is compiled for one function. (A plain constant argument is not enough: the optimizer merges
// the three inlined copies back into one loop that tests the code at every unit.)
import {
  F32, HARD6_SLOPE, HARD_SLOPE, K_HARD6_SLOPE, K_HARD_SLOPE, vadd, vhardSigmoid, vhardSigmoidGrad, vload, vmul, vone,
  vrelu, vsigmoid, vstore, vsub, vtanh, vwherePositive,
} from "./vec";

/** Activation codes shared with src/backend/wasm (RnnActivation). */
export const ACT_TANH: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_SIGMOID: i32 = 2;

/** Gate activation codes shared with src/backend/kernels.ts (`gateCode`) and native/src/gates.c. */
export const GATE_SIGMOID: i32 = 0;
export const GATE_HARD: i32 = 1;
export const GATE_HARD6: i32 = 2;

/**
 * The gate activations as type tags, told apart at compile time by their size (nothing of
 * these types is ever stored): σ, clip(0.2·x + 0.5, 0, 1), clip(x/6 + 0.5, 0, 1).
 */
type Sigmoid = u8;
type Hard = u16;
type Hard6 = u32;

// @ts-ignore: decorator
@inline function off(i: i32): usize {
  return <usize>i * F32;
}

/**
 * 1 − x² as (1 − x)(1 + x): for a saturated tanh (|x| near 1), x² rounds away the very bits
 * that 1 − x² keeps, while 1 − x is exact there, so this keeps full relative precision.
 */
// @ts-ignore: decorator
@inline function oneMinusSquare<V>(x: V): V {
  const one = vone<V>();
  return vmul<V>(vsub<V>(one, x), vadd<V>(one, x));
}

/** The gate activation s(x) of tag G: σ, clip(0.2·x + 0.5, 0, 1) or clip(x/6 + 0.5, 0, 1). */
// @ts-ignore: decorator
@inline function vgate<V, G>(x: V): V {
  if (sizeof<G>() == sizeof<Hard>()) return vhardSigmoid<V>(x, HARD_SLOPE, K_HARD_SLOPE);
  else if (sizeof<G>() == sizeof<Hard6>()) return vhardSigmoid<V>(x, HARD6_SLOPE, K_HARD6_SLOPE);
  else return vsigmoid<V>(x);
}

/** g·s'(x) through the output y = s(x): σ gives (g·y)·(1 − y), a hard sigmoid its slope inside (0, 1). */
// @ts-ignore: decorator
@inline function vgateGrad<V, G>(g: V, y: V): V {
  if (sizeof<G>() == sizeof<Hard>()) return vhardSigmoidGrad<V>(g, y, HARD_SLOPE, K_HARD_SLOPE);
  else if (sizeof<G>() == sizeof<Hard6>()) return vhardSigmoidGrad<V>(g, y, HARD6_SLOPE, K_HARD6_SLOPE);
  else return vmul<V>(vmul<V>(g, y), vsub<V>(vone<V>(), y));
}

// ---------------------------------------------------------------------------------------------
// Plain recurrent cell: h = act(pre), dPre = dh · act'(·) written through h.

// @ts-ignore: decorator
@inline function rnnForwardAt<V>(act: i32, pre: usize, h: usize): void {
  const x = vload<V>(pre);
  if (act == ACT_TANH) vstore<V>(h, vtanh<V>(x));
  else if (act == ACT_RELU) vstore<V>(h, vrelu<V>(x));
  else vstore<V>(h, vsigmoid<V>(x));
}

// @ts-ignore: decorator
@inline function rnnBackwardAt<V>(act: i32, h: usize, dh: usize, dPre: usize): void {
  const y = vload<V>(h);
  const g = vload<V>(dh);
  const one = vone<V>();
  if (act == ACT_TANH) vstore<V>(dPre, vmul<V>(g, oneMinusSquare<V>(y)));
  else if (act == ACT_RELU) vstore<V>(dPre, vwherePositive<V>(y, g));
  else vstore<V>(dPre, vmul<V>(vmul<V>(g, y), vsub<V>(one, y)));
}

export function rnnGatesForward(act: i32, n: i32, pre: usize, h: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) rnnForwardAt<v128>(act, pre + off(i), h + off(i));
  for (; i < n; i++) rnnForwardAt<f32>(act, pre + off(i), h + off(i));
}

export function rnnGatesBackward(act: i32, n: i32, h: usize, dh: usize, dPre: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) for (; i + 4 <= n; i += 4) rnnBackwardAt<v128>(act, h + off(i), dh + off(i), dPre + off(i));
  for (; i < n; i++) rnnBackwardAt<f32>(act, h + off(i), dh + off(i), dPre + off(i));
}

// ---------------------------------------------------------------------------------------------
// LSTM: gates [B,4H] (i|f|g|o), state rows [B,H]. `g` points at unit j's i-gate, `hb` is the
// byte stride between gate blocks (H·4); `s` is the byte offset of unit j in the [B,H] rows.

// @ts-ignore: decorator
@inline function lstmForwardAt<V, G>(
  g: usize, hb: usize, cPrev: usize, c: usize, tanhC: usize, h: usize,
): void {
  const i = vgate<V, G>(vload<V>(g));
  const f = vgate<V, G>(vload<V>(g + hb));
  const gg = vtanh<V>(vload<V>(g + 2 * hb));
  const o = vgate<V, G>(vload<V>(g + 3 * hb));
  vstore<V>(g, i);
  vstore<V>(g + hb, f);
  vstore<V>(g + 2 * hb, gg);
  vstore<V>(g + 3 * hb, o);
  const cNew = vadd<V>(vmul<V>(f, vload<V>(cPrev)), vmul<V>(i, gg));
  vstore<V>(c, cNew);
  const tc = vtanh<V>(cNew);
  vstore<V>(tanhC, tc);
  vstore<V>(h, vmul<V>(o, tc));
}

// @ts-ignore: decorator
@inline function lstmBackwardAt<V, G>(
  g: usize, hb: usize, cPrev: usize, tanhC: usize, dh: usize, dc: usize, dG: usize,
): void {
  const i = vload<V>(g);
  const f = vload<V>(g + hb);
  const gg = vload<V>(g + 2 * hb);
  const o = vload<V>(g + 3 * hb);
  const tc = vload<V>(tanhC);
  const dhj = vload<V>(dh);
  // δc = dc + dh⊙o⊙(1 − tanhC²): the total derivative of c_t
  const dcT = vadd<V>(vload<V>(dc), vmul<V>(vmul<V>(dhj, o), oneMinusSquare<V>(tc)));
  vstore<V>(dG, vgateGrad<V, G>(vmul<V>(dcT, gg), i));
  vstore<V>(dG + hb, vgateGrad<V, G>(vmul<V>(dcT, vload<V>(cPrev)), f));
  vstore<V>(dG + 2 * hb, vmul<V>(vmul<V>(dcT, i), oneMinusSquare<V>(gg)));
  vstore<V>(dG + 3 * hb, vgateGrad<V, G>(vmul<V>(dhj, tc), o));
  vstore<V>(dc, vmul<V>(dcT, f));
}

// @ts-ignore: decorator
@inline function lstmForwardRows<G>(
  B: i32, H: i32, gates: usize, cPrev: usize, c: usize, tanhC: usize, h: usize,
): void {
  const hb = off(H);
  for (let b = 0; b < B; b++) {
    const row = gates + off(b * 4 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const u = s + off(j);
        lstmForwardAt<v128, G>(row + off(j), hb, cPrev + u, c + u, tanhC + u, h + u);
      }
    }
    for (; j < H; j++) {
      const u = s + off(j);
      lstmForwardAt<f32, G>(row + off(j), hb, cPrev + u, c + u, tanhC + u, h + u);
    }
  }
}

export function lstmGatesForward(
  B: i32, H: i32, gates: usize, cPrev: usize, c: usize, tanhC: usize, h: usize, gate: i32,
): void {
  if (gate == GATE_HARD) lstmForwardRows<Hard>(B, H, gates, cPrev, c, tanhC, h);
  else if (gate == GATE_HARD6) lstmForwardRows<Hard6>(B, H, gates, cPrev, c, tanhC, h);
  else lstmForwardRows<Sigmoid>(B, H, gates, cPrev, c, tanhC, h);
}

// @ts-ignore: decorator
@inline function lstmBackwardRows<G>(
  B: i32, H: i32, gates: usize, cPrev: usize, tanhC: usize, dh: usize, dc: usize, dGates: usize,
): void {
  const hb = off(H);
  for (let b = 0; b < B; b++) {
    const row = off(b * 4 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const u = s + off(j);
        lstmBackwardAt<v128, G>(gates + row + off(j), hb, cPrev + u, tanhC + u, dh + u, dc + u, dGates + row + off(j));
      }
    }
    for (; j < H; j++) {
      const u = s + off(j);
      lstmBackwardAt<f32, G>(gates + row + off(j), hb, cPrev + u, tanhC + u, dh + u, dc + u, dGates + row + off(j));
    }
  }
}

export function lstmGatesBackward(
  B: i32, H: i32, gates: usize, cPrev: usize, tanhC: usize, dh: usize, dc: usize, dGates: usize, gate: i32,
): void {
  if (gate == GATE_HARD) lstmBackwardRows<Hard>(B, H, gates, cPrev, tanhC, dh, dc, dGates);
  else if (gate == GATE_HARD6) lstmBackwardRows<Hard6>(B, H, gates, cPrev, tanhC, dh, dc, dGates);
  else lstmBackwardRows<Sigmoid>(B, H, gates, cPrev, tanhC, dh, dc, dGates);
}

// ---------------------------------------------------------------------------------------------
// GRU (PyTorch's form): gi, gh, gates [B,3H] (r|z|n), state rows [B,H].

// @ts-ignore: decorator
@inline function gruForwardAt<V, G>(
  gi: usize, gh: usize, gates: usize, hb: usize, hPrev: usize, h: usize,
): void {
  const one = vone<V>();
  const r = vgate<V, G>(vadd<V>(vload<V>(gi), vload<V>(gh)));
  const z = vgate<V, G>(vadd<V>(vload<V>(gi + hb), vload<V>(gh + hb)));
  const n = vtanh<V>(vadd<V>(vload<V>(gi + 2 * hb), vmul<V>(r, vload<V>(gh + 2 * hb))));
  vstore<V>(gates, r);
  vstore<V>(gates + hb, z);
  vstore<V>(gates + 2 * hb, n);
  vstore<V>(h, vadd<V>(vmul<V>(vsub<V>(one, z), n), vmul<V>(z, vload<V>(hPrev))));
}

// @ts-ignore: decorator
@inline function gruBackwardAt<V, G>(
  gates: usize, gh: usize, hb: usize, hPrev: usize, dh: usize, dGi: usize, dGh: usize, dhPrev: usize,
): void {
  const one = vone<V>();
  const r = vload<V>(gates);
  const z = vload<V>(gates + hb);
  const n = vload<V>(gates + 2 * hb);
  const dhj = vload<V>(dh);
  const dn = vmul<V>(vmul<V>(dhj, vsub<V>(one, z)), oneMinusSquare<V>(n));
  const dr = vgateGrad<V, G>(vmul<V>(dn, vload<V>(gh + 2 * hb)), r);
  const dz = vgateGrad<V, G>(vmul<V>(dhj, vsub<V>(vload<V>(hPrev), n)), z);
  vstore<V>(dGi, dr);
  vstore<V>(dGh, dr);
  vstore<V>(dGi + hb, dz);
  vstore<V>(dGh + hb, dz);
  vstore<V>(dGi + 2 * hb, dn);
  vstore<V>(dGh + 2 * hb, vmul<V>(dn, r));
  vstore<V>(dhPrev, vmul<V>(dhj, z));
}

// @ts-ignore: decorator
@inline function gruForwardRows<G>(
  B: i32, H: i32, gi: usize, gh: usize, hPrev: usize, gates: usize, h: usize,
): void {
  const hb = off(H);
  for (let b = 0; b < B; b++) {
    const row = off(b * 3 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const g = row + off(j), u = s + off(j);
        gruForwardAt<v128, G>(gi + g, gh + g, gates + g, hb, hPrev + u, h + u);
      }
    }
    for (; j < H; j++) {
      const g = row + off(j), u = s + off(j);
      gruForwardAt<f32, G>(gi + g, gh + g, gates + g, hb, hPrev + u, h + u);
    }
  }
}

export function gruGatesForward(
  B: i32, H: i32, gi: usize, gh: usize, hPrev: usize, gates: usize, h: usize, gate: i32,
): void {
  if (gate == GATE_HARD) gruForwardRows<Hard>(B, H, gi, gh, hPrev, gates, h);
  else if (gate == GATE_HARD6) gruForwardRows<Hard6>(B, H, gi, gh, hPrev, gates, h);
  else gruForwardRows<Sigmoid>(B, H, gi, gh, hPrev, gates, h);
}

// @ts-ignore: decorator
@inline function gruBackwardRows<G>(
  B: i32, H: i32, gates: usize, gh: usize, hPrev: usize, dh: usize, dGi: usize, dGh: usize, dhPrev: usize,
): void {
  const hb = off(H);
  for (let b = 0; b < B; b++) {
    const row = off(b * 3 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const g = row + off(j), u = s + off(j);
        gruBackwardAt<v128, G>(gates + g, gh + g, hb, hPrev + u, dh + u, dGi + g, dGh + g, dhPrev + u);
      }
    }
    for (; j < H; j++) {
      const g = row + off(j), u = s + off(j);
      gruBackwardAt<f32, G>(gates + g, gh + g, hb, hPrev + u, dh + u, dGi + g, dGh + g, dhPrev + u);
    }
  }
}

export function gruGatesBackward(
  B: i32, H: i32, gates: usize, gh: usize, hPrev: usize, dh: usize, dGi: usize, dGh: usize, dhPrev: usize, gate: i32,
): void {
  if (gate == GATE_HARD) gruBackwardRows<Hard>(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
  else if (gate == GATE_HARD6) gruBackwardRows<Hard6>(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
  else gruBackwardRows<Sigmoid>(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
}

// ---------------------------------------------------------------------------------------------
// The reset-before GRU's extra pointwise parts (src/backend/kernels.ts gruResetBefore…): the
// gated state r⊙hPrev before the W_hn GEMM, and its backward after it.

// @ts-ignore: decorator
@inline function resetForwardAt<V, G>(gi: usize, gh: usize, hPrev: usize, rh: usize): void {
  const r = vgate<V, G>(vadd<V>(vload<V>(gi), vload<V>(gh)));
  vstore<V>(rh, vmul<V>(r, vload<V>(hPrev)));
}

// @ts-ignore: decorator
@inline function resetBackwardAt<V, G>(
  gates: usize, hb: usize, hPrev: usize, dRh: usize, dGi: usize, dGh: usize, dhPrev: usize,
): void {
  const r = vload<V>(gates);
  const d = vload<V>(dRh);
  const dr = vgateGrad<V, G>(vmul<V>(d, vload<V>(hPrev)), r);
  vstore<V>(dGi, dr);
  vstore<V>(dGh, dr);
  vstore<V>(dGh + 2 * hb, vload<V>(dGi + 2 * hb));
  vstore<V>(dhPrev, vadd<V>(vload<V>(dhPrev), vmul<V>(d, r)));
}

// @ts-ignore: decorator
@inline function resetForwardRows<G>(B: i32, H: i32, gi: usize, gh: usize, hPrev: usize, rh: usize): void {
  for (let b = 0; b < B; b++) {
    const row = off(b * 3 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) resetForwardAt<v128, G>(gi + row + off(j), gh + row + off(j), hPrev + s + off(j), rh + s + off(j));
    }
    for (; j < H; j++) resetForwardAt<f32, G>(gi + row + off(j), gh + row + off(j), hPrev + s + off(j), rh + s + off(j));
  }
}

export function gruResetBeforeForward(B: i32, H: i32, gi: usize, gh: usize, hPrev: usize, rh: usize, gate: i32): void {
  if (gate == GATE_HARD) resetForwardRows<Hard>(B, H, gi, gh, hPrev, rh);
  else if (gate == GATE_HARD6) resetForwardRows<Hard6>(B, H, gi, gh, hPrev, rh);
  else resetForwardRows<Sigmoid>(B, H, gi, gh, hPrev, rh);
}

// @ts-ignore: decorator
@inline function resetBackwardRows<G>(
  B: i32, H: i32, gates: usize, hPrev: usize, dRh: usize, dGi: usize, dGh: usize, dhPrev: usize,
): void {
  const hb = off(H);
  for (let b = 0; b < B; b++) {
    const row = off(b * 3 * H);
    const s = off(b * H);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const g = row + off(j), u = s + off(j);
        resetBackwardAt<v128, G>(gates + g, hb, hPrev + u, dRh + u, dGi + g, dGh + g, dhPrev + u);
      }
    }
    for (; j < H; j++) {
      const g = row + off(j), u = s + off(j);
      resetBackwardAt<f32, G>(gates + g, hb, hPrev + u, dRh + u, dGi + g, dGh + g, dhPrev + u);
    }
  }
}

export function gruResetBeforeBackward(
  B: i32, H: i32, gates: usize, hPrev: usize, dRh: usize, dGi: usize, dGh: usize, dhPrev: usize, gate: i32,
): void {
  if (gate == GATE_HARD) resetBackwardRows<Hard>(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev);
  else if (gate == GATE_HARD6) resetBackwardRows<Hard6>(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev);
  else resetBackwardRows<Sigmoid>(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev);
}
