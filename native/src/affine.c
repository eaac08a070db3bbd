/*
 * One step of a recurrent layer's affine map, for streaming inference (one or a few rows):
 *   y[b,:] = b1 + b2 + x1[b,:]·W1ᵀ + x2[b,:]·W2ᵀ,   W1 [n,k1], W2 [n,k2] row-major,
 * the terms added in that order (see `affine` in src/backend/kernels.ts). Each output is a
 * dot product of a row of x with a row of W, read in place: 16 partial sums per output,
 * each a chain of fmaf over p ≡ lane (mod 16), then added pairwise in a fixed order. fmaf
 * rounds once wherever it runs, so every compilation of this loop gives the same bits; on
 * x86-64 Linux it is compiled for AVX-512, AVX2+FMA and the baseline and picked at load.
 */
#include <math.h>
#include "rnnkit.h"

#define LANES 16
#define ROWS 4

static inline float reduce(float *s) {
  for (int w = LANES / 2; w >= 1; w /= 2) {
    for (int l = 0; l < w; l++) s[l] = s[l] + s[l + w];
  }
  return s[0];
}

/* out[r] = x·W[r]ᵀ for ROWS consecutive rows of W (row stride k). */
VECTOR_CLONES static void dot_rows(int k, const float *restrict x, const float *restrict w, float *restrict out) {
  float s[ROWS][LANES] = {{0}};
  int p = 0;
  for (; p + LANES <= k; p += LANES) {
    for (int r = 0; r < ROWS; r++) {
      for (int l = 0; l < LANES; l++) s[r][l] = fmaf(x[p + l], w[(ptrdiff_t)r * k + p + l], s[r][l]);
    }
  }
  for (int r = 0; r < ROWS; r++) {
    for (int l = 0; p + l < k; l++) s[r][l] = fmaf(x[p + l], w[(ptrdiff_t)r * k + p + l], s[r][l]);
    out[r] = reduce(s[r]);
  }
}

/* x·wᵀ for one row of W: the same partial sums as `dot_rows`, for the rows left over. */
VECTOR_CLONES static float dot_row(int k, const float *restrict x, const float *restrict w) {
  float s[LANES] = {0};
  int p = 0;
  for (; p + LANES <= k; p += LANES) {
    for (int l = 0; l < LANES; l++) s[l] = fmaf(x[p + l], w[p + l], s[l]);
  }
  for (int l = 0; p + l < k; l++) s[l] = fmaf(x[p + l], w[p + l], s[l]);
  return reduce(s);
}

/* y[j] (+)= x·W[j]ᵀ for j < n: `add` = 0 overwrites y. */
static void gemv_rows(int n, int k, const float *x, const float *w, int add, float *y) {
  int j = 0;
  float d[ROWS];
  for (; j + ROWS <= n; j += ROWS) {
    dot_rows(k, x, w + (ptrdiff_t)j * k, d);
    for (int r = 0; r < ROWS; r++) y[j + r] = add ? y[j + r] + d[r] : d[r];
  }
  for (; j < n; j++) {
    const float v = dot_row(k, x, w + (ptrdiff_t)j * k);
    y[j] = add ? y[j] + v : v;
  }
}

void rnnkit_affine(int B, int n, int k1, int k2, const float *x1, const float *w1, const float *x2,
                   const float *w2, const float *b1, const float *b2, float *y) {
  for (int b = 0; b < B; b++) {
    float *yb = y + (ptrdiff_t)b * n;
    int add = 0;
    if (b1 != NULL) {
      for (int j = 0; j < n; j++) yb[j] = b2 != NULL ? b1[j] + b2[j] : b1[j];
      add = 1;
    }
    gemv_rows(n, k1, x1 + (ptrdiff_t)b * k1, w1, add, yb);
    if (x2 != NULL && w2 != NULL && k2 > 0) gemv_rows(n, k2, x2 + (ptrdiff_t)b * k2, w2, 1, yb);
  }
}
