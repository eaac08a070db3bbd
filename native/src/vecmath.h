/*
 * exp, tanh and sigmoid in float32, branch-free so that the compiler vectorises the loops
 * that use them. The same algorithm and the same operations in the same order as the
 * WebAssembly kernels (kernels/vec.ts), compiled without contraction into fused
 * multiply-adds (-ffp-contract=off), so both give the same bits:
 *
 *   e^x: x clamped to [−87, 88]; x = n·ln2 + r with |r| ≤ ln2/2 (n rounded with the 1.5·2²³
 *   trick, ln2 split in two so n·ln2_hi is exact); e^r − 1 by its Taylor series to r⁷
 *   (truncation < 6e−9, under float32's half-ulp); e^x = 2ⁿ + 2ⁿ·(e^r − 1).
 *   tanh x = sign(x)·e/(e + 2), e = e^(2|x|) − 1 computed as (2ⁿ − 1) + 2ⁿ·q, |x| ≤ 20.
 *   σ(x) = 1/(1 + e^(0 − x)).
 * Constants are written as doubles rounded to float, as the AssemblyScript source's are.
 * Measured against double-precision references: within 4 ulp (test/native.test.ts).
 */
#ifndef RNNKIT_VECMATH_H
#define RNNKIT_VECMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXP_LO ((float)-87.0)
#define EXP_HI ((float)88.0)
#define LOG2E ((float)1.4426950408889634)
#define LN2_HI ((float)0.693359375)
#define LN2_LO ((float)-2.12194440e-4)
#define TANH_CLAMP 20.0f
#define ROUND_MAGIC 12582912.0f
#define POW2_BIAS ((uint32_t)(127 - 0x4B400000))

static inline float bits_to_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t float_to_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* b < a ? b : a, and a < b ? b : a: a NaN in a passes through (WebAssembly's pmin/pmax). */
static inline float pmin(float a, float b) {
  return b < a ? b : a;
}

static inline float pmax(float a, float b) {
  return a < b ? b : a;
}

static inline float expm1_reduced(float r) {
  float p = (float)(1.0 / 5040.0) * r + (float)(1.0 / 720.0);
  p = p * r + (float)(1.0 / 120.0);
  p = p * r + (float)(1.0 / 24.0);
  p = p * r + (float)(1.0 / 6.0);
  p = p * r + (float)(1.0 / 2.0);
  return p * r * r + r;
}

static inline float pow2_of_magic(float t) {
  return bits_to_float((float_to_bits(t) + POW2_BIAS) << 23);
}

static inline float fast_exp(float x) {
  const float xc = pmin(pmax(x, EXP_LO), EXP_HI);
  const float t = xc * LOG2E + ROUND_MAGIC;
  const float n = t - ROUND_MAGIC;
  const float r = (xc - n * LN2_HI) - n * LN2_LO;
  const float s = pow2_of_magic(t);
  return s + s * expm1_reduced(r);
}

static inline float fast_expm1_nonneg(float u) {
  const float uc = pmin(u, EXP_HI);
  const float t = uc * LOG2E + ROUND_MAGIC;
  const float n = t - ROUND_MAGIC;
  const float r = (uc - n * LN2_HI) - n * LN2_LO;
  const float s = pow2_of_magic(t);
  return (s - 1.0f) + s * expm1_reduced(r);
}

static inline float fast_tanh(float x) {
  const float ax = pmin(fabsf(x), TANH_CLAMP);
  const float e = fast_expm1_nonneg(ax + ax);
  return copysignf(e / (e + 2.0f), x);
}

static inline float fast_sigmoid(float x) {
  return 1.0f / (1.0f + fast_exp(0.0f - x));
}

/* when > 0 ? value : 0 (NaN and ±0 in `when` give 0). */
static inline float where_positive(float when, float value) {
  return when > 0.0f ? value : 0.0f;
}

/* 1 − x² as (1 − x)(1 + x): full relative precision where tanh saturates. */
static inline float one_minus_square(float x) {
  return (1.0f - x) * (1.0f + x);
}

#endif
