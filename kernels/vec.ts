// AssemblyScript: lane-generic float32 helpers and the fast exp / tanh / sigmoid.
// Every helper is instantiated with V = v128 (four f32 lanes, SIMD build only) or V = f32
// (one lane: the scalar build, and the SIMD build's ragged tails), so both builds run the
// very same arithmetic in the same order and differ only in how many lanes at once.
// Compile-time `isVector<V>()` removes the other branch; nothing here allocates.

/** Bytes of one f32 element; pointers into linear memory advance by this. */
export const F32: usize = 4;

// @ts-ignore: decorator
@inline export function vload<V>(p: usize): V {
  if (isVector<V>()) return v128.load(p);
  else return load<f32>(p);
}

// @ts-ignore: decorator
@inline export function vstore<V>(p: usize, v: V): void {
  if (isVector<V>()) v128.store(p, v);
  else store<f32>(p, v);
}

// @ts-ignore: decorator
@inline export function vsplat<V>(x: f32): V {
  if (isVector<V>()) return f32x4.splat(x);
  else return x;
}

// @ts-ignore: decorator
@inline export function vadd<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.add(a, b);
  else return a + b;
}

// @ts-ignore: decorator
@inline export function vsub<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.sub(a, b);
  else return a - b;
}

// @ts-ignore: decorator
@inline export function vmul<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.mul(a, b);
  else return a * b;
}

// @ts-ignore: decorator
@inline export function vdiv<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.div(a, b);
  else return a / b;
}

/** b < a ? b : a — the pseudo-minimum (one minps on x64); a NaN in `a` passes through. */
// @ts-ignore: decorator
@inline export function vpmin<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.pmin(a, b);
  else return select<f32>(b, a, b < a);
}

/** a < b ? b : a — the pseudo-maximum; a NaN in `a` passes through. */
// @ts-ignore: decorator
@inline export function vpmax<V>(a: V, b: V): V {
  if (isVector<V>()) return f32x4.pmax(a, b);
  else return select<f32>(b, a, a < b);
}

// @ts-ignore: decorator
@inline export function vabs<V>(a: V): V {
  if (isVector<V>()) return f32x4.abs(a);
  else return abs<f32>(a);
}

/** `when > 0 ? value : 0`, with NaN and ±0 in `when` giving 0 (the reference's `>` test). */
// @ts-ignore: decorator
@inline export function vwherePositive<V>(when: V, value: V): V {
  if (isVector<V>()) return v128.and(value, f32x4.gt(when, f32x4.splat(0)));
  else return when > 0 ? value : 0;
}

// exp by range reduction: x = n·ln2 + r with |r| ≤ ln2/2, e^r = 1 + q(r) with q the Taylor
// series to r⁷ (truncation error r⁸/8! < 6e-9, well under float32's 6e-8 half-ulp), and
// e^x = 2ⁿ(1 + q). ln2 is split in two (Cody–Waite) so r carries no rounding error from n·ln2.
// Inputs are clamped to [−87, 88] so that 2ⁿ stays a normal float and the result finite:
// e^88 ≈ 1.65e38 < FLT_MAX, e^−87 ≈ 1.6e−38 > FLT_MIN.
const EXP_LO: f32 = -87.0;
const EXP_HI: f32 = 88.0;
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375; // few mantissa bits, so n·LN2_HI is exact for |n| ≤ 127
const LN2_LO: f32 = -2.12194440e-4; // ln2 − LN2_HI
const C2: f32 = 1.0 / 2.0;
const C3: f32 = 1.0 / 6.0;
const C4: f32 = 1.0 / 24.0;
const C5: f32 = 1.0 / 120.0;
const C6: f32 = 1.0 / 720.0;
const C7: f32 = 1.0 / 5040.0;
const TANH_CLAMP: f32 = 20.0;
/**
 * 1.5·2²³: for |y| < 2²², y + ROUND_MAGIC rounds y to the nearest integer (ties to even, as
 * nearest() does, since the magic number is even), which then sits in the low mantissa bits.
 */
const ROUND_MAGIC: f32 = 12582912.0;
/** Added to the bits of y + ROUND_MAGIC: leaves n + 127, the biased exponent of 2ⁿ. */
const POW2_BIAS: i32 = 127 - 0x4B400000;

// The vector paths read their constants from this table with one broadcast load each: V8
// rebuilds an inline v128 constant with three instructions at every use (no constant pool),
// which was a good part of the gate kernels' time. Slots are named below.
/** Slopes of the two hard sigmoids: clip(0.2·x + 0.5, 0, 1) and clip(x/6 + 0.5, 0, 1). */
export const HARD_SLOPE: f32 = 0.2;
export const HARD6_SLOPE: f32 = 1.0 / 6.0;
const KF = memory.data<f32>([
  EXP_LO, EXP_HI, LOG2E, LN2_HI, LN2_LO, C2, C3, C4, C5, C6, C7, 1, 2, TANH_CLAMP, ROUND_MAGIC, 0, HARD_SLOPE, HARD6_SLOPE,
]);
const KI = memory.data<i32>([POW2_BIAS, -2147483648]);
const K_EXP_LO = 0, K_EXP_HI = 1, K_LOG2E = 2, K_LN2_HI = 3, K_LN2_LO = 4, K_C2 = 5, K_C3 = 6, K_C4 = 7;
const K_C5 = 8, K_C6 = 9, K_C7 = 10, K_ONE = 11, K_TWO = 12, K_TANH_CLAMP = 13, K_ROUND_MAGIC = 14, K_ZERO = 15;
export const K_HARD_SLOPE = 16, K_HARD6_SLOPE = 17;
const KI_POW2_BIAS = 0, KI_SIGN = 1;

/** The constant `value`, kept in slot `slot` of KF: a broadcast load for vectors, an immediate for scalars. */
// @ts-ignore: decorator
@inline export function vk<V>(value: f32, slot: i32): V {
  if (isVector<V>()) return v128.load32_splat(KF + <usize>slot * F32);
  else return value;
}

/** 1 as a V (from the table for vectors, see `vk`). */
// @ts-ignore: decorator
@inline export function vone<V>(): V {
  return vk<V>(1, K_ONE);
}

/** |mag| carrying the sign of `sign`; `mag` must be ≥ 0 (it is, where this is used). */
// @ts-ignore: decorator
@inline export function vwithSign<V>(mag: V, sign: V): V {
  if (isVector<V>()) return v128.or(mag, v128.and(sign, v128.load32_splat(KI + <usize>KI_SIGN * F32)));
  else return copysign<f32>(mag, sign);
}

/** e^r − 1 = r + r²(1/2 + r(1/6 + …)) for the reduced argument, without the leading 1. */
// @ts-ignore: decorator
@inline function expm1Reduced<V>(r: V): V {
  let p = vadd<V>(vmul<V>(vk<V>(C7, K_C7), r), vk<V>(C6, K_C6));
  p = vadd<V>(vmul<V>(p, r), vk<V>(C5, K_C5));
  p = vadd<V>(vmul<V>(p, r), vk<V>(C4, K_C4));
  p = vadd<V>(vmul<V>(p, r), vk<V>(C3, K_C3));
  p = vadd<V>(vmul<V>(p, r), vk<V>(C2, K_C2));
  return vadd<V>(vmul<V>(vmul<V>(p, r), r), r);
}

/** y + ROUND_MAGIC (see there): n = result − ROUND_MAGIC is nearest(y), exactly. */
// @ts-ignore: decorator
@inline function vroundMagic<V>(y: V): V {
  return vadd<V>(y, vk<V>(ROUND_MAGIC, K_ROUND_MAGIC));
}

/** 2ⁿ for the integral n ∈ [−126, 127] that `vroundMagic` left in t's low bits, built in the exponent field. */
// @ts-ignore: decorator
@inline function vpow2Magic<V>(t: V): V {
  if (isVector<V>()) return i32x4.shl(i32x4.add(t, v128.load32_splat(KI + <usize>KI_POW2_BIAS * F32)), 23);
  else return reinterpret<f32>((reinterpret<i32>(t) + POW2_BIAS) << 23);
}

/** e^x (clamped domain, see above). */
// @ts-ignore: decorator
@inline export function vexp<V>(x: V): V {
  const xc = vpmin<V>(vpmax<V>(x, vk<V>(EXP_LO, K_EXP_LO)), vk<V>(EXP_HI, K_EXP_HI));
  const t = vroundMagic<V>(vmul<V>(xc, vk<V>(LOG2E, K_LOG2E)));
  const n = vsub<V>(t, vk<V>(ROUND_MAGIC, K_ROUND_MAGIC));
  const r = vsub<V>(vsub<V>(xc, vmul<V>(n, vk<V>(LN2_HI, K_LN2_HI))), vmul<V>(n, vk<V>(LN2_LO, K_LN2_LO)));
  const s = vpow2Magic<V>(t);
  return vadd<V>(s, vmul<V>(s, expm1Reduced<V>(r)));
}

/**
 * e^u − 1 for u ≥ 0, as (2ⁿ − 1) + 2ⁿ·q: for u < ln2/2, n = 0 and the result is q itself,
 * so tiny arguments keep full relative precision (no 1 + q − 1 cancellation).
 */
// @ts-ignore: decorator
@inline function vexpm1NonNeg<V>(u: V): V {
  const uc = vpmin<V>(u, vk<V>(EXP_HI, K_EXP_HI));
  const t = vroundMagic<V>(vmul<V>(uc, vk<V>(LOG2E, K_LOG2E)));
  const n = vsub<V>(t, vk<V>(ROUND_MAGIC, K_ROUND_MAGIC));
  const r = vsub<V>(vsub<V>(uc, vmul<V>(n, vk<V>(LN2_HI, K_LN2_HI))), vmul<V>(n, vk<V>(LN2_LO, K_LN2_LO)));
  const s = vpow2Magic<V>(t);
  return vadd<V>(vsub<V>(s, vone<V>()), vmul<V>(s, expm1Reduced<V>(r)));
}

/**
 * tanh x = sign(x)·e/(e + 2) with e = expm1(2|x|). No cancellation anywhere; |x| is
 * clamped at 20 (tanh 20 rounds to 1 in float32, and e + 2 stays finite).
 */
// @ts-ignore: decorator
@inline export function vtanh<V>(x: V): V {
  const ax = vpmin<V>(vabs<V>(x), vk<V>(TANH_CLAMP, K_TANH_CLAMP));
  const e = vexpm1NonNeg<V>(vadd<V>(ax, ax));
  return vwithSign<V>(vdiv<V>(e, vadd<V>(e, vk<V>(2, K_TWO))), x);
}

/** σ(x) = 1 / (1 + e^−x); saturates to exactly 1 and to ~1e−38 at the clamp. */
// @ts-ignore: decorator
@inline export function vsigmoid<V>(x: V): V {
  const one = vone<V>();
  return vdiv<V>(one, vadd<V>(one, vexp<V>(vsub<V>(vk<V>(0, K_ZERO), x))));
}

/** max(x, 0) with the reference's semantics (NaN and −0 give +0). */
// @ts-ignore: decorator
@inline export function vrelu<V>(x: V): V {
  return vwherePositive<V>(x, x);
}

/**
 * The hard sigmoid clip(slope·x + 0.5, 0, 1) (slope 0.2 or 1/6, kept in KF slot `slot`):
 * x·slope rounded, + 0.5 rounded, then clipped, as TF.js computes it; a NaN passes through.
 */
// @ts-ignore: decorator
@inline export function vhardSigmoid<V>(x: V, slope: f32, slot: i32): V {
  const y = vadd<V>(vmul<V>(x, vk<V>(slope, slot)), vk<V>(C2, K_C2));
  return vpmin<V>(vpmax<V>(y, vk<V>(0, K_ZERO)), vone<V>());
}

/** g·slope where 0 < y < 1, else 0: the hard sigmoid's backward through its output y. */
// @ts-ignore: decorator
@inline export function vhardSigmoidGrad<V>(g: V, y: V, slope: f32, slot: i32): V {
  const gs = vmul<V>(g, vk<V>(slope, slot));
  if (isVector<V>()) {
    return v128.and(gs, v128.and(f32x4.gt(y, v128.load32_splat(KF + <usize>K_ZERO * F32)), f32x4.lt(y, vone<V>())));
  } else {
    return y > 0 && y < 1 ? gs : 0;
  }
}
