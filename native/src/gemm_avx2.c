/* The blocked GEMM with AVX2 and FMA: 6×16 register tiles (12 ymm accumulators). */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define VARIANT avx2
#define VARIANT_NAME "avx2"
#define ISA __attribute__((target("avx2,fma")))
#define MR 6
#define NR 16
#define VLEN 8
#define VEC __m256
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))

/* Lanes l += l + 8 (the two vectors), + 4 (the two halves), + 2, + 1. */
__attribute__((target("avx2,fma"))) static inline float reduce16_avx2(const __m256 *v) {
  const __m256 a = _mm256_add_ps(v[0], v[1]);
  const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
}
#define REDUCE16(v) reduce16_avx2(v)

static int supported_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#include "gemm_variant.h"
#endif
