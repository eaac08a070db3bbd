/* The blocked GEMM with AVX-512F: 6×32 register tiles (12 zmm accumulators). */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(RNNKIT_NO_AVX512)
#include <immintrin.h>

#define VARIANT avx512
#define VARIANT_NAME "avx512"
#define ISA __attribute__((target("avx512f,fma")))
#define MR 6
#define NR 32
#define VLEN 16
#define VEC __m512
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))

/* Lanes l += l + 8 (the two 256-bit halves), + 4, + 2, + 1. */
__attribute__((target("avx512f,fma"))) static inline float reduce16_avx512(const __m512 *v) {
  const __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v[0]), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[0]), 1)));
  const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
}
#define REDUCE16(v) reduce16_avx512(v)

static int supported_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

#include "gemm_variant.h"
#endif
