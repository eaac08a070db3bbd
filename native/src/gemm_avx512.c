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

static int supported_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

#include "gemm_variant.h"
#endif
