/*
 * One step of a recurrent layer's affine map, for streaming inference (one or a few rows):
 *   y[b,:] = b1 + b2 + x1[b,:]·W1ᵀ + x2[b,:]·W2ᵀ,   W1 [n,k1], W2 [n,k2] row-major,
 * the terms added in that order (see `affine` in src/backend/kernels.ts): y = b1 + b2, then
 * y = 1·y + 1·(x1·W1ᵀ), then the same with x2 and W2 — each product the dot products of
 * `rnnkit_gemm_dots` (gemm.c), the very function a GEMM of one row times a transposed weight
 * runs, so a streaming step gives the sequence path's bits.
 */
#include "rnnkit.h"

/* y[b,:] (+)= x·Wᵀ for one row x: `add` = 0 overwrites y. */
static void add_product(int n, int k, const float *x, const float *w, int add, float *y) {
  const GemmArgs g = {1, n, k, 1.0f, add ? 1.0f : 0.0f, x, k, 1, w, 1, k, y, n};
  rnnkit_gemm_dots(&g);
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
    add_product(n, k1, x1 + (ptrdiff_t)b * k1, w1, add, yb);
    if (x2 != NULL && w2 != NULL && k2 > 0) add_product(n, k2, x2 + (ptrdiff_t)b * k2, w2, 1, yb);
  }
}
