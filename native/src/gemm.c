/*
 * The GEMM entry: picks the best micro-architecture variant this CPU runs (AVX-512, else
 * AVX2+FMA, else portable C), checks once that it reproduces the portable variant's bits on
 * a product that crosses every edge and block boundary (a variant that does not is passed
 * over: the rest of the library relies on all of them agreeing). Thin products (at most
 * RNNKIT_THIN columns or rows) go to the loops of gemm_thin.c, which give the blocked
 * GEMM's bits — except a few rows of A times a transposed B, which are dot products with
 * `affine`'s bits (`gemm_dots`), so that a streaming step equals the sequence path's.
 * Large products are split between the pool's threads along n (or m), never k, so each
 * element of C is computed exactly as in one call: the same bits at any thread count.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "rnnkit.h"

static const GemmVariant *const variants[] = {
#if defined(__x86_64__) || defined(__i386__)
#ifndef RNNKIT_NO_AVX512
    &rnnkit_gemm_avx512,
#endif
    &rnnkit_gemm_avx2,
#endif
    &rnnkit_gemm_generic,
};
#define VARIANT_COUNT ((int)(sizeof variants / sizeof variants[0]))

static const GemmVariant *active = NULL;
static double min_thread_work = 1 << 20;
static char available[128];
/* Whether each variant runs here and passed the check against the portable one. */
static int usable[VARIANT_COUNT];

/* A deterministic product with ragged edges and two KC blocks, in all four transpose cases. */
static int agrees_with_generic(const GemmVariant *v) {
  enum { M = 13, N = 37, K = RNNKIT_KC + 44 };
  static float a[M * K], b[K * N], c1[M * N], c2[M * N];
  unsigned s = 12345u;
  for (int i = 0; i < M * K; i++) a[i] = (float)((s = s * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
  for (int i = 0; i < K * N; i++) b[i] = (float)((s = s * 1103515245u + 12345u) >> 9) / 8388608.0f - 1.0f;
  for (int t = 0; t < 4; t++) {
    const int ta = t & 1, tb = t >> 1;
    GemmArgs g = {M, N, K, 0.75f, 0.5f, a, ta ? 1 : K, ta ? M : 1, b, tb ? 1 : N, tb ? K : 1, c1, N};
    for (int i = 0; i < M * N; i++) c1[i] = c2[i] = (float)i / 7.0f;
    v->run(&g);
    g.c = c2;
    rnnkit_gemm_generic.run(&g);
    if (memcmp(c1, c2, sizeof c1) != 0) return 0;
  }
  return 1;
}

static void pick_once(void) {
  available[0] = 0;
  for (int i = 0; i < VARIANT_COUNT; i++) {
    const GemmVariant *v = variants[i];
    usable[i] = v->supported() && (v == &rnnkit_gemm_generic || agrees_with_generic(v));
    if (!usable[i]) continue;
    if (active == NULL) active = v;
    if (available[0]) strcat(available, ",");
    strcat(available, v->name);
  }
}

static pthread_once_t picked = PTHREAD_ONCE_INIT;

/* The first call checks the variants, once, whichever thread makes it. */
static void pick(void) {
  pthread_once(&picked, pick_once);
}

const char *rnnkit_gemm_available(void) {
  pick();
  return available;
}

int rnnkit_gemm_use(const char *name) {
  pick();
  for (int i = 0; i < VARIANT_COUNT; i++) {
    const GemmVariant *v = variants[i];
    if (strcmp(v->name, name) == 0 && usable[i]) {
      active = v;
      return 1;
    }
  }
  return 0;
}

void rnnkit_gemm_set_min_thread_work(double work) {
  min_thread_work = work;
}

typedef struct {
  const GemmArgs *g;
  int parts;
  int alongN;
  int step; /* columns (or rows) per part, a multiple of every variant's tile */
} Split;

static void run_part(int i, void *ctx) {
  const Split *s = ctx;
  GemmArgs part = *s->g;
  const int total = s->alongN ? part.n : part.m;
  const int start = i * s->step;
  if (start >= total) return;
  const int len = total - start < s->step ? total - start : s->step;
  if (s->alongN) {
    part.n = len;
    part.b += (ptrdiff_t)start * part.csB;
    part.c += start;
  } else {
    part.m = len;
    part.a += (ptrdiff_t)start * part.rsA;
    part.c += (ptrdiff_t)start * part.ldc;
  }
  active->run(&part);
}

/*
 * A few rows of A times Bᵀ with both read along k (rows of A and of the stored B contiguous):
 * C[i, j] = beta·C[i, j] + alpha·(a_i·b_j), each a dot product as in `affine` (whole k, no
 * KC blocks). `affine` is made of these too, so a recurrent step computed by GEMM at batch 1
 * gives its bits.
 */
void rnnkit_gemm_dots(const GemmArgs *g) {
  pick();
  float d[RNNKIT_DOT_ROWS];
  for (int i = 0; i < g->m; i++) {
    const float *ai = g->a + (ptrdiff_t)i * g->rsA;
    float *ci = g->c + (ptrdiff_t)i * g->ldc;
    for (int j = 0; j < g->n; j += RNNKIT_DOT_ROWS) {
      const int rows = g->n - j < RNNKIT_DOT_ROWS ? g->n - j : RNNKIT_DOT_ROWS;
      active->dot(rows, g->k, ai, g->b + (ptrdiff_t)j * g->csB, g->csB, d);
      for (int r = 0; r < rows; r++) ci[j + r] = g->beta == 0.0f ? d[r] * g->alpha : ci[j + r] * g->beta + d[r] * g->alpha;
    }
  }
}

void rnnkit_gemm(const GemmArgs *g) {
  pick();
  if (g->m <= 0 || g->n <= 0) return;
  if (g->k <= 0 || g->alpha == 0.0f) {
    /* C = beta·C (A and B not read, as in BLAS), and 0 without reading C when beta = 0. */
    for (int i = 0; i < g->m; i++) {
      float *ci = g->c + (ptrdiff_t)i * g->ldc;
      for (int j = 0; j < g->n; j++) ci[j] = g->beta == 0.0f ? 0.0f : ci[j] * g->beta;
    }
    return;
  }
  if (g->m <= RNNKIT_THIN && g->csA == 1 && g->rsB == 1 && g->n > RNNKIT_THIN) {
    rnnkit_gemm_dots(g);
    return;
  }
  if (rnnkit_gemm_is_thin(g)) {
    rnnkit_gemm_thin(g);
    return;
  }
  const int threads = rnnkit_pool_threads();
  const double work = (double)g->m * g->n * g->k;
  if (threads > 1 && work >= min_thread_work) {
    /* Parts are whole multiples of 96 columns or 12 rows (every variant's NR and MR divide them). */
    const int alongN = g->n >= 2 * 96;
    const int unit = alongN ? 96 : 12;
    const int total = alongN ? g->n : g->m;
    if (total >= 2 * unit) {
      const int units = (total + unit - 1) / unit;
      const int parts = units < threads ? units : threads;
      Split s = {g, parts, alongN, (units + parts - 1) / parts * unit};
      rnnkit_pool_run(parts, run_part, &s);
      return;
    }
  }
  active->run(g);
}
