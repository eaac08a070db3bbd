/*
 * The blocked GEMM, written once and compiled per micro-architecture (gemm_avx512.c,
 * gemm_avx2.c, gemm_generic.c define the vector type and its operations, then include this
 * file). Blocked the Goto/BLIS way: a KC×NC panel of op(B) and an MC×KC block of op(A) are
 * packed into micro-panels (NR columns, MR rows, zero-filled at the edges), and an MR×NR
 * register-blocked micro-kernel sweeps them:
 *
 *   for jc in steps of NC:  for pc in steps of KC:  pack B̃ = op(B)[pc.., jc..]
 *     for ic in steps of MC:  pack Ã = op(A)[ic.., pc..]
 *       for each NR-wide micro-panel of B̃, each MR-tall one of Ã:
 *         acc[MR×NR] = Σ_p Ã[:,p] ⊗ B̃[p,:]         (fused multiply-adds, p ascending)
 *         C_tile = (pc = 0 ? beta : 1)·C_tile + alpha·acc   (beta = 0: C not read)
 *
 * Each element's arithmetic is one fma chain per KC block, combined by the update above,
 * whatever the variant's MR, NR and vector width and wherever the element falls in a tile,
 * so every variant — and every split of C between threads — gives the same bits.
 *
 * The including file defines: VARIANT (identifier), VARIANT_NAME (string), ISA (a function
 * attribute enabling its instructions, or nothing), MR, NR, VLEN, VEC, VZERO(), VLOAD(p),
 * VSTORE(p, v), VBCAST(p) (one float broadcast), VFMA(a, b, c) = a·b + c rounded once,
 * REDUCE16(v) (the 16 lanes held in 16 / VLEN vectors v[], added pairwise: lane l += lane
 * l + 8, then + 4, + 2, + 1; lane 0 returned), and supported_<variant>() (whether this CPU
 * runs it).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "rnnkit.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(CAT(name, _), VARIANT)

#define KC RNNKIT_KC
#define MC (MR * (120 / MR))
#define NC 2048
#define VECS (NR / VLEN)

/* Packs rows [i0, i0 + rows) × steps [p0, p0 + kc) of op(A) into MR-row micro-panels: dst[panel][p][r]. */
ISA static void FN(pack_a)(const GemmArgs *g, int i0, int rows, int p0, int kc, float *restrict dst) {
  for (int ir = 0; ir < rows; ir += MR) {
    const int mr = rows - ir < MR ? rows - ir : MR;
    const float *src = g->a + (ptrdiff_t)(i0 + ir) * g->rsA + (ptrdiff_t)p0 * g->csA;
    if (g->rsA == 1 && mr == MR) {
      /* op(A) = Aᵀ: the MR rows of a step lie side by side. */
      for (int p = 0; p < kc; p++) memcpy(dst + p * MR, src + p * g->csA, MR * sizeof(float));
    } else {
      for (int p = 0; p < kc; p++) {
        for (int r = 0; r < MR; r++) dst[p * MR + r] = r < mr ? src[r * g->rsA + p * g->csA] : 0.0f;
      }
    }
    dst += (ptrdiff_t)kc * MR;
  }
}

/* Packs steps [p0, p0 + kc) × columns [j0, j0 + cols) of op(B) into NR-column micro-panels: dst[panel][p][c]. */
ISA static void FN(pack_b)(const GemmArgs *g, int p0, int kc, int j0, int cols, float *restrict dst) {
  for (int jr = 0; jr < cols; jr += NR) {
    const int nr = cols - jr < NR ? cols - jr : NR;
    const float *src = g->b + (ptrdiff_t)p0 * g->rsB + (ptrdiff_t)(j0 + jr) * g->csB;
    if (g->csB == 1 && nr == NR) {
      /* op(B) = B row-major: the NR columns of a step lie side by side. */
      for (int p = 0; p < kc; p++) memcpy(dst + p * NR, src + p * g->rsB, NR * sizeof(float));
    } else if (g->rsB == 1 && nr == NR) {
      /*
       * op(B) = Bᵀ: each column runs along p. Step by step, gathering one float from each of
       * the NR columns: NR sequential read streams, contiguous writes.
       */
      const ptrdiff_t cs = g->csB;
      for (int p = 0; p < kc; p++) {
        for (int c = 0; c < NR; c++) dst[p * NR + c] = src[c * cs + p];
      }
    } else {
      for (int p = 0; p < kc; p++) {
        for (int c = 0; c < NR; c++) dst[p * NR + c] = c < nr ? src[p * g->rsB + c * g->csB] : 0.0f;
      }
    }
    dst += (ptrdiff_t)kc * NR;
  }
}

/* acc = Σ_p ã_p ⊗ b̃_p over kc steps of packed micro-panels, stored to tile[MR][NR]. */
ISA static void FN(micro)(int kc, const float *restrict ap, const float *restrict bp, float *restrict tile) {
  VEC acc[MR][VECS];
  for (int i = 0; i < MR; i++) {
    for (int v = 0; v < VECS; v++) acc[i][v] = VZERO();
  }
  for (int p = 0; p < kc; p++) {
    VEC b[VECS];
    for (int v = 0; v < VECS; v++) b[v] = VLOAD(bp + v * VLEN);
    for (int i = 0; i < MR; i++) {
      const VEC a = VBCAST(ap + i);
      for (int v = 0; v < VECS; v++) acc[i][v] = VFMA(a, b[v], acc[i][v]);
    }
    ap += MR;
    bp += NR;
  }
  for (int i = 0; i < MR; i++) {
    for (int v = 0; v < VECS; v++) VSTORE(tile + i * NR + v * VLEN, acc[i][v]);
  }
}

/* C_tile = beta·C_tile + alpha·acc over its rows × cols (beta = 0: C is not read). */
ISA static void FN(update)(const float *restrict tile, int rows, int cols, float alpha, float beta,
                           float *restrict c, ptrdiff_t ldc) {
  for (int i = 0; i < rows; i++) {
    float *restrict ci = c + i * ldc;
    const float *restrict ti = tile + i * NR;
    if (beta == 0.0f) {
      for (int j = 0; j < cols; j++) ci[j] = ti[j] * alpha;
    } else {
      for (int j = 0; j < cols; j++) ci[j] = ci[j] * beta + ti[j] * alpha;
    }
  }
}


/* Scratch per thread (packed A, packed B, one tile), freed when the thread ends (a pool helper that is stopped). */
static pthread_key_t FN(work_key);
static pthread_once_t FN(work_once) = PTHREAD_ONCE_INIT;

static void FN(make_work_key)(void) {
  if (pthread_key_create(&FN(work_key), free) != 0) abort();
}

static float *FN(work)(void) {
  pthread_once(&FN(work_once), FN(make_work_key));
  float *work = pthread_getspecific(FN(work_key));
  if (work == NULL) {
    const size_t floats = (size_t)MC * KC + (size_t)KC * NC + (size_t)MR * NR;
    work = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    if (work == NULL || pthread_setspecific(FN(work_key), work) != 0) abort();
  }
  return work;
}

ISA static void FN(run)(const GemmArgs *g) {
  float *work = FN(work)();
  float *packA = work, *packB = work + (size_t)MC * KC, *tile = packB + (size_t)KC * NC;
  for (int jc = 0; jc < g->n; jc += NC) {
    const int nc = g->n - jc < NC ? g->n - jc : NC;
    for (int pc = 0; pc < g->k; pc += KC) {
      const int kc = g->k - pc < KC ? g->k - pc : KC;
      const float beta = pc == 0 ? g->beta : 1.0f;
      FN(pack_b)(g, pc, kc, jc, nc, packB);
      for (int ic = 0; ic < g->m; ic += MC) {
        const int mc = g->m - ic < MC ? g->m - ic : MC;
        FN(pack_a)(g, ic, mc, pc, kc, packA);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = nc - jr < NR ? nc - jr : NR;
          const float *bp = packB + (ptrdiff_t)(jr / NR) * kc * NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = mc - ir < MR ? mc - ir : MR;
            FN(micro)(kc, packA + (ptrdiff_t)(ir / MR) * kc * MR, bp, tile);
            FN(update)(tile, mr, nr, g->alpha, beta, g->c + (ptrdiff_t)(ic + ir) * g->ldc + jc + jr, g->ldc);
          }
        }
      }
    }
  }
}

/*
 * out[r] = x·w_r for r < rows (≤ RNNKIT_DOT_ROWS), w_r = w + r·ldw: RNNKIT_DOT_LANES partial
 * sums, lane l taking the steps p ≡ l (mod 16) as one fma chain (the last, partial group of
 * steps added lane by lane with fmaf), then added pairwise: lane l += lane l + 8, then + 4,
 * + 2, + 1. The same lanes and order on every variant, so the same bits.
 */
ISA static void FN(dot)(int rows, int k, const float *restrict x, const float *restrict w, ptrdiff_t ldw,
                        float *restrict out) {
  enum { DV = RNNKIT_DOT_LANES / VLEN };
  VEC acc[RNNKIT_DOT_ROWS][DV];
  for (int r = 0; r < RNNKIT_DOT_ROWS; r++) {
    for (int v = 0; v < DV; v++) acc[r][v] = VZERO();
  }
  int p = 0;
  for (; p + RNNKIT_DOT_LANES <= k; p += RNNKIT_DOT_LANES) {
    VEC xv[DV];
    for (int v = 0; v < DV; v++) xv[v] = VLOAD(x + p + v * VLEN);
    for (int r = 0; r < RNNKIT_DOT_ROWS; r++) {
      if (r < rows) {
        for (int v = 0; v < DV; v++) acc[r][v] = VFMA(xv[v], VLOAD(w + r * ldw + p + v * VLEN), acc[r][v]);
      }
    }
  }
  for (int r = 0; r < rows; r++) {
    if (p == k) {
      out[r] = REDUCE16(acc[r]);
      continue;
    }
    float lanes[RNNKIT_DOT_LANES];
    for (int v = 0; v < DV; v++) VSTORE(lanes + v * VLEN, acc[r][v]);
    for (int l = 0; p + l < k; l++) lanes[l] = fmaf(x[p + l], w[r * ldw + p + l], lanes[l]);
    for (int half = RNNKIT_DOT_LANES / 2; half >= 1; half /= 2) {
      for (int l = 0; l < half; l++) lanes[l] = lanes[l] + lanes[l + half];
    }
    out[r] = lanes[0];
  }
}

const GemmVariant CAT(rnnkit_gemm_, VARIANT) = { VARIANT_NAME, FN(run), FN(dot), CAT(supported_, VARIANT) };
