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

static int supported_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#include "gemm_variant.h"
#endif
