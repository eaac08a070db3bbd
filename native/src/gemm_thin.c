/*
 * Thin products: C with at most THIN columns or rows (a bias gradient 1ᵀ·dG, a batch of
 * one), and outer products (k = 1: a bias broadcast to every row, 1·bᵀ). The blocked GEMM
 * would pad the first to whole register tiles (16× the work for one column) and spend more
 * on packing and tile updates than on the one multiply of the second, so these loops run
 * instead, vectorised along the long side of C (along its rows for an outer product). Each element is still the same chain as in the blocked GEMM —
 * acc = fma(a_p, b_p, acc) for p ascending within each block of KC steps, then
 * C = (first block ? beta : 1)·C + alpha·acc — so a thin product gives the bits the blocked
 * one would (fmaf rounds once wherever it runs). Compiled for AVX-512, AVX2+FMA and the
 * baseline on x86-64 Linux and picked at load.
 */
#include <math.h>
#include "rnnkit.h"

#define KC RNNKIT_KC
#define CHUNK 512

/* C[i, j] for `len` consecutive i (or j) of one column (or row) of C: the elements of op(X) along them lie `xs` apart. */
VECTOR_CLONES static void chains(int len, int kc, const float *restrict x, ptrdiff_t xs, ptrdiff_t xp,
                                 const float *restrict y, ptrdiff_t yp, float *restrict acc) {
  for (int r = 0; r < len; r++) acc[r] = 0.0f;
  if (xs == 1) {
    for (int p = 0; p < kc; p++) {
      const float yv = y[p * yp];
      const float *restrict xr = x + p * xp;
      for (int r = 0; r < len; r++) acc[r] = fmaf(xr[r], yv, acc[r]);
    }
  } else {
    for (int p = 0; p < kc; p++) {
      const float yv = y[p * yp];
      const float *restrict xr = x + p * xp;
      for (int r = 0; r < len; r++) acc[r] = fmaf(xr[r * xs], yv, acc[r]);
    }
  }
}

/* out[r·os] = beta·out[r·os] + alpha·acc[r] (beta = 0: out not read), as the blocked GEMM's update. */
static void update(int len, const float *acc, float alpha, float beta, float *out, ptrdiff_t os) {
  if (beta == 0.0f) {
    for (int r = 0; r < len; r++) out[r * os] = acc[r] * alpha;
  } else {
    for (int r = 0; r < len; r++) out[r * os] = out[r * os] * beta + acc[r] * alpha;
  }
}

int rnnkit_gemm_is_thin(const GemmArgs *g) {
  return g->n <= RNNKIT_THIN || g->m <= RNNKIT_THIN || g->k == 1;
}

/*
 * k = 1: C[i, j] = beta·C[i, j] + alpha·fma(a_i, b_j, 0) — the blocked GEMM's chain of one
 * step (fma with a +0 accumulator, as its tiles start), in one pass over C.
 */
VECTOR_CLONES static void outer(const GemmArgs *g) {
  const float alpha = g->alpha, beta = g->beta;
  for (int i = 0; i < g->m; i++) {
    const float ai = g->a[(ptrdiff_t)i * g->rsA];
    const float *restrict b = g->b;
    float *restrict ci = g->c + (ptrdiff_t)i * g->ldc;
    if (g->csB == 1) {
      if (beta == 0.0f) {
        for (int j = 0; j < g->n; j++) ci[j] = fmaf(ai, b[j], 0.0f) * alpha;
      } else {
        for (int j = 0; j < g->n; j++) ci[j] = ci[j] * beta + fmaf(ai, b[j], 0.0f) * alpha;
      }
    } else {
      for (int j = 0; j < g->n; j++) {
        const float acc = fmaf(ai, b[(ptrdiff_t)j * g->csB], 0.0f) * alpha;
        ci[j] = beta == 0.0f ? acc : ci[j] * beta + acc;
      }
    }
  }
}

void rnnkit_gemm_thin(const GemmArgs *g) {
  if (g->k == 1 && g->n > RNNKIT_THIN && g->m > RNNKIT_THIN) {
    outer(g);
    return;
  }
  float acc[CHUNK];
  const int alongM = g->n <= RNNKIT_THIN && g->m >= g->n;
  /* Along m: x = op(A) column p (stride rsA between rows), y = op(B)[:, j]; along n: x = op(B) row p, y = op(A)[i, :]. */
  const int outer = alongM ? g->n : g->m, inner = alongM ? g->m : g->n;
  for (int o = 0; o < outer; o++) {
    for (int r0 = 0; r0 < inner; r0 += CHUNK) {
      const int len = inner - r0 < CHUNK ? inner - r0 : CHUNK;
      for (int pc = 0; pc < g->k; pc += KC) {
        const int kc = g->k - pc < KC ? g->k - pc : KC;
        const float beta = pc == 0 ? g->beta : 1.0f;
        if (alongM) {
          chains(len, kc, g->a + (ptrdiff_t)r0 * g->rsA + (ptrdiff_t)pc * g->csA, g->rsA, g->csA,
                 g->b + (ptrdiff_t)pc * g->rsB + (ptrdiff_t)o * g->csB, g->rsB, acc);
          update(len, acc, g->alpha, beta, g->c + (ptrdiff_t)r0 * g->ldc + o, g->ldc);
        } else {
          chains(len, kc, g->b + (ptrdiff_t)pc * g->rsB + (ptrdiff_t)r0 * g->csB, g->csB, g->rsB,
                 g->a + (ptrdiff_t)o * g->rsA + (ptrdiff_t)pc * g->csA, g->csA, acc);
          update(len, acc, g->alpha, beta, g->c + (ptrdiff_t)o * g->ldc + r0, 1);
        }
      }
    }
  }
}
