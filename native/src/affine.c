/*
 * One step of a recurrent layer's affine map, for streaming inference (one or a few rows):
 *   y[b,:] = b1 + b2 + x1[b,:]·W1ᵀ + x2[b,:]·W2ᵀ,   W1 [n,k1], W2 [n,k2] row-major,
 * the terms added in that order (see `affine` in src/backend/kernels.ts): y = b1 + b2, then
 * y = y + x1·W1ᵀ, then y = y + x2·W2ᵀ, each product a dot product of a row of x with a row of
 * W read in place (`rnnkit_dot`: the active GEMM variant's, the same bits on every one). A
 * GEMM at batch 1 of a transposed weight takes the same dot products (gemm.c), so a
 * streaming step gives the sequence path's bits.
 */
#include "rnnkit.h"

/* y[j] (+)= x·W[j]ᵀ for j < n: `add` = 0 overwrites y. */
static void add_products(int n, int k, const float *x, const float *w, int add, float *y) {
  float d[RNNKIT_DOT_ROWS];
  for (int j = 0; j < n; j += RNNKIT_DOT_ROWS) {
    const int rows = n - j < RNNKIT_DOT_ROWS ? n - j : RNNKIT_DOT_ROWS;
    rnnkit_dot(rows, k, x, w + (ptrdiff_t)j * k, k, d);
    for (int r = 0; r < rows; r++) y[j + r] = add ? y[j + r] + d[r] : d[r];
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
    add_products(n, k1, x1 + (ptrdiff_t)b * k1, w1, add, yb);
    if (x2 != NULL && w2 != NULL && k2 > 0) add_products(n, k2, x2 + (ptrdiff_t)b * k2, w2, 1, yb);
  }
}
