/*
 * rnnkit's native kernels: the kernel contract of src/backend/kernels.ts in C, over float32
 * arrays that Node hands over in place (no copies). This header is what the parts share:
 * the GEMM micro-architecture variants (gemm_*.c), the threaded GEMM driver (gemm.c), the
 * pointwise gate kernels and the streaming affine step (gates.c, affine.c), and the thread
 * pool (pool.c). addon.c binds them to JavaScript with Node-API.
 */
#ifndef RNNKIT_H
#define RNNKIT_H

#include <stddef.h>

/*
 * One single-precision GEMM, C = alpha·op(A)·op(B) + beta·C, with op(X) addressed through
 * a row stride and a column stride: element (i, p) of op(A) is a[i·rsA + p·csA], element
 * (p, j) of op(B) is b[p·rsB + j·csB], element (i, j) of C is c[i·ldc + j]. beta = 0 never
 * reads C.
 */
typedef struct {
  int m, n, k;
  float alpha, beta;
  const float *a;
  ptrdiff_t rsA, csA;
  const float *b;
  ptrdiff_t rsB, csB;
  float *c;
  ptrdiff_t ldc;
} GemmArgs;

/*
 * A micro-architecture variant of the blocked GEMM. Every variant computes each element of
 * C as the same chain of fused multiply-adds in the same order (p ascending within blocks of
 * KC = 256, blocks combined as C = 1·C + alpha·acc), so all give the same bits: they differ
 * only in how many elements they compute at once. `run` computes the whole of `g` on the
 * calling thread.
 */
/* Dot products: partial sums per lane, and rows per call (see `dot` in gemm_variant.h). */
#define RNNKIT_DOT_LANES 16
#define RNNKIT_DOT_ROWS 4

typedef struct {
  const char *name;
  void (*run)(const GemmArgs *g);
  /* out[r] = x·(w + r·ldw) for r < rows ≤ RNNKIT_DOT_ROWS, k terms each; same bits on every variant. */
  void (*dot)(int rows, int k, const float *x, const float *w, ptrdiff_t ldw, float *out);
  /* Whether this CPU can run it. */
  int (*supported)(void);
} GemmVariant;

/*
 * Loops the compiler vectorises, compiled three times on x86-64 Linux — for the x86-64-v4
 * (AVX-512) and v3 (AVX2, FMA) levels and the baseline — and picked by the CPU's features
 * when the library loads. (Clones by `arch=haswell` and the like would be picked by CPU
 * model, which AMD processors never match.)
 */
#if defined(__x86_64__) && defined(__linux__) && !defined(RNNKIT_NO_CLONES)
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define VECTOR_CLONES
#endif

/* Shared by every variant: the k blocking that fixes the order of the sums. */
#define RNNKIT_KC 256

extern const GemmVariant rnnkit_gemm_generic;
#if defined(__x86_64__) || defined(__i386__)
extern const GemmVariant rnnkit_gemm_avx2;
#ifndef RNNKIT_NO_AVX512
extern const GemmVariant rnnkit_gemm_avx512;
#endif
#endif

/* Products with at most this many columns or rows take the thin loops (gemm_thin.c). */
#define RNNKIT_THIN 4
int rnnkit_gemm_is_thin(const GemmArgs *g);
void rnnkit_gemm_thin(const GemmArgs *g);

/* The threaded driver (gemm.c). */
/* Picks a variant by name ("avx512", "avx2", "generic"); returns 0 if unknown or unsupported here. */
int rnnkit_gemm_use(const char *name);
/* Names of the variants this CPU runs and this build has, best first, comma-separated. */
const char *rnnkit_gemm_available(void);
void rnnkit_gemm(const GemmArgs *g);
/*
 * A few rows of A times a transposed B, both read along k (csA = rsB = 1), as dot products:
 * C[i, j] = beta·C[i, j] + alpha·(a_i·b_j), beta = 0 not reading C. `affine` is built on it.
 */
void rnnkit_gemm_dots(const GemmArgs *g);
/* Products of at least this many multiply-adds are split between the pool's threads. */
void rnnkit_gemm_set_min_thread_work(double work);

/* Thread pool (pool.c): `task(i, ctx)` for i < count, spread over the pool's threads. */
typedef void (*PoolTask)(int i, void *ctx);
int rnnkit_pool_threads(void);
/* Sets the number of threads (the caller included); returns the number in effect. */
int rnnkit_pool_set_threads(int n);
void rnnkit_pool_run(int count, PoolTask task, void *ctx);

/*
 * Pointwise gate kernels (gates.c), as in src/backend/kernels.ts. act: 0 tanh, 1 relu, 2 sigmoid;
 * gate (the LSTM / GRU gate activation): 0 sigmoid, 1 hardSigmoid (0.2·x + 0.5), 2 hardSigmoid6 (x/6 + 0.5).
 */
void rnnkit_rnn_forward(int act, int n, const float *pre, float *h);
void rnnkit_rnn_backward(int act, int n, const float *h, const float *dh, float *dPre);
void rnnkit_lstm_forward(int gate, int B, int H, float *gates, const float *cPrev, float *c, float *tanhC, float *h);
void rnnkit_lstm_backward(int gate, int B, int H, const float *gates, const float *cPrev, const float *tanhC,
                          const float *dh, float *dc, float *dGates);
void rnnkit_gru_forward(int gate, int B, int H, const float *gi, const float *gh, const float *hPrev, float *gates,
                        float *h);
void rnnkit_gru_backward(int gate, int B, int H, const float *gates, const float *gh, const float *hPrev,
                         const float *dh, float *dGi, float *dGh, float *dhPrev);
void rnnkit_gru_reset_before_forward(int gate, int B, int H, const float *gi, const float *gh, const float *hPrev,
                                     float *rh);
void rnnkit_gru_reset_before_backward(int gate, int B, int H, const float *gates, const float *hPrev,
                                      const float *dRh, float *dGi, float *dGh, float *dhPrev);

/* One recurrent step's affine map (affine.c), as `affine` in src/backend/kernels.ts. */
void rnnkit_affine(int B, int n, int k1, int k2, const float *x1, const float *w1, const float *x2,
                   const float *w2, const float *b1, const float *b2, float *y);

#endif
