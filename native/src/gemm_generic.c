/*
 * The blocked GEMM in portable C: 4×8 tiles of scalars, each step one fmaf (a single
 * rounding, as the vector variants' FMA instructions), so it gives their bits too. Runs
 * where neither AVX2+FMA nor AVX-512 is available (and on other architectures, where the
 * compiler turns fmaf into the machine's own fused multiply-add).
 */
#include <math.h>

#define VARIANT generic
#define VARIANT_NAME "generic"
#define ISA
#define MR 4
#define NR 8
#define VLEN 1
#define VEC float
#define VZERO() 0.0f
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VBCAST(p) (*(p))
#define VFMA(a, b, c) fmaf((a), (b), (c))

/* Lanes l += l + 8, then + 4, + 2, + 1. */
static inline float reduce16_generic(const float *v) {
  float lanes[16];
  for (int l = 0; l < 16; l++) lanes[l] = v[l];
  for (int half = 8; half >= 1; half /= 2) {
    for (int l = 0; l < half; l++) lanes[l] = lanes[l] + lanes[l + half];
  }
  return lanes[0];
}
#define REDUCE16(v) reduce16_generic(v)

static int supported_generic(void) {
  return 1;
}

#include "gemm_variant.h"
