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

/** |mag| carrying the sign of `sign`; `mag` must be ≥ 0 (it is, where this is used). */
// @ts-ignore: decorator
@inline export function vwithSign<V>(mag: V, sign: V): V {
  if (isVector<V>()) return v128.or(mag, v128.and(sign, i32x4.splat(0x80000000)));
  else return copysign<f32>(mag, sign);
}

/** `when > 0 ? value : 0`, with NaN and ±0 in `when` giving 0 (the reference's `>` test). */
// @ts-ignore: decorator
@inline export function vwherePositive<V>(when: V, value: V): V {
  if (isVector<V>()) return v128.and(value, f32x4.gt(when, f32x4.splat(0)));
  else return when > 0 ? value : 0;
}

/** Round to nearest, ties to even. */
// @ts-ignore: decorator
@inline export function vnearest<V>(a: V): V {
  if (isVector<V>()) return f32x4.nearest(a);
  else return nearest<f32>(a);
}

/** 2^n for integral n in [−126, 127], built directly in the exponent field. */
// @ts-ignore: decorator
@inline export function vpow2<V>(n: V): V {
  if (isVector<V>()) return i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  else return reinterpret<f32>((<i32>n + 127) << 23);
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

/** e^r − 1 = r + r²(1/2 + r(1/6 + …)) for the reduced argument, without the leading 1. */
// @ts-ignore: decorator
@inline function expm1Reduced<V>(r: V): V {
  let p = vadd<V>(vmul<V>(vsplat<V>(C7), r), vsplat<V>(C6));
  p = vadd<V>(vmul<V>(p, r), vsplat<V>(C5));
  p = vadd<V>(vmul<V>(p, r), vsplat<V>(C4));
  p = vadd<V>(vmul<V>(p, r), vsplat<V>(C3));
  p = vadd<V>(vmul<V>(p, r), vsplat<V>(C2));
  return vadd<V>(vmul<V>(vmul<V>(p, r), r), r);
}

/** e^x (clamped domain, see above). */
// @ts-ignore: decorator
@inline export function vexp<V>(x: V): V {
  const xc = vpmin<V>(vpmax<V>(x, vsplat<V>(EXP_LO)), vsplat<V>(EXP_HI));
  const n = vnearest<V>(vmul<V>(xc, vsplat<V>(LOG2E)));
  const r = vsub<V>(vsub<V>(xc, vmul<V>(n, vsplat<V>(LN2_HI))), vmul<V>(n, vsplat<V>(LN2_LO)));
  const s = vpow2<V>(n);
  return vadd<V>(s, vmul<V>(s, expm1Reduced<V>(r)));
}

/**
 * e^u − 1 for u ≥ 0, as (2ⁿ − 1) + 2ⁿ·q: for u < ln2/2, n = 0 and the result is q itself,
 * so tiny arguments keep full relative precision (no 1 + q − 1 cancellation).
 */
// @ts-ignore: decorator
@inline function vexpm1NonNeg<V>(u: V): V {
  const uc = vpmin<V>(u, vsplat<V>(EXP_HI));
  const n = vnearest<V>(vmul<V>(uc, vsplat<V>(LOG2E)));
  const r = vsub<V>(vsub<V>(uc, vmul<V>(n, vsplat<V>(LN2_HI))), vmul<V>(n, vsplat<V>(LN2_LO)));
  const s = vpow2<V>(n);
  return vadd<V>(vsub<V>(s, vsplat<V>(1)), vmul<V>(s, expm1Reduced<V>(r)));
}

/**
 * tanh x = sign(x)·e/(e + 2) with e = expm1(2|x|). No cancellation anywhere; |x| is
 * clamped at 20 (tanh 20 rounds to 1 in float32, and e + 2 stays finite).
 */
// @ts-ignore: decorator
@inline export function vtanh<V>(x: V): V {
  const ax = vpmin<V>(vabs<V>(x), vsplat<V>(20));
  const e = vexpm1NonNeg<V>(vadd<V>(ax, ax));
  return vwithSign<V>(vdiv<V>(e, vadd<V>(e, vsplat<V>(2))), x);
}

/** σ(x) = 1 / (1 + e^−x); saturates to exactly 1 and to ~1e−38 at the clamp. */
// @ts-ignore: decorator
@inline export function vsigmoid<V>(x: V): V {
  const one = vsplat<V>(1);
  return vdiv<V>(one, vadd<V>(one, vexp<V>(vsub<V>(vsplat<V>(0), x))));
}

/** max(x, 0) with the reference's semantics (NaN and −0 give +0). */
// @ts-ignore: decorator
@inline export function vrelu<V>(x: V): V {
  return vwherePositive<V>(x, x);
}
