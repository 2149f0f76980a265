/* rt_vmath's kernels on 8 floats at a time (AVX2 + FMA; CMake, *_avx2.c), bit-identical to
 * the references in rt_vmath.c: the same exponential (rt_vmath_simd.h), the same 8 double
 * partial sums (two vectors of 4 doubles), the same element-wise SiLU. */
#include <immintrin.h>

#include "runtime/rt_vmath.h"
#include "runtime/rt_vmath_isa.h"
#include "runtime/rt_vmath_simd.h"

static double exp_sum_avx2(float *x, int64_t n, float sub) {
    const __m256 subv = _mm256_set1_ps(sub);
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd(); /* lanes 0-3 and 4-7 */
    const int64_t nl = n - n % 8;
    for (int64_t i = 0; i < nl; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), subv));
        _mm256_storeu_ps(x + i, e);
        lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double acc[8];
    _mm256_storeu_pd(acc, lo);
    _mm256_storeu_pd(acc + 4, hi);
    return rt_vmath_finish_sum(acc, x, nl, n, sub);
}

static void swiglu_avx2(float *g, const float *u, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(g + i);
        const __m256 e = exp8(_mm256_xor_ps(x, _mm256_set1_ps(-0.0f))); /* -x, as the reference */
        const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) g[i] = (g[i] / (1.0f + rt_expf(-g[i]))) * u[i];
}

static const rt_vmath VMATH_AVX2 = {"avx2", exp_sum_avx2, swiglu_avx2, Q_ISA_AVX2};

const rt_vmath *rt_vmath_avx2(void) { return &VMATH_AVX2; }
