/* rt_vmath_simd: the operation sequence of rt_expf (rt_vmath.h) on 8 floats, for the files
 * compiled with AVX2 and FMA; internal to rt_vmath. */
#pragma once

#include <immintrin.h>

#include "runtime/rt_vmath_consts.h"

static inline __m256 exp8(__m256 x) {
    /* clamped so the integer steps stay in range; the special cases are blended in at the end */
    const __m256 xc = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(RT_EXP_HI)), _mm256_set1_ps(RT_EXP_LO));
    const __m256 n = _mm256_sub_ps(_mm256_fmadd_ps(xc, _mm256_set1_ps(RT_LOG2E), _mm256_set1_ps(RT_ROUND_MAGIC)),
                                   _mm256_set1_ps(RT_ROUND_MAGIC));
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-RT_LN2_HI), xc);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-RT_LN2_LO), r);
    __m256 p = _mm256_set1_ps(RT_EXP_C7);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RT_EXP_C6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RT_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RT_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RT_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RT_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i ni = _mm256_cvttps_epi32(n); /* n is an integer: exact */
    const __m256i h = _mm256_srai_epi32(_mm256_add_epi32(ni, _mm256_srli_epi32(ni, 31)), 1); /* ni / 2, C's rule */
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), bias), 23));
    __m256 e = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    e = _mm256_blendv_ps(e, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_set1_ps(RT_EXP_LO), _CMP_LT_OQ));
    e = _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, _mm256_set1_ps(RT_EXP_HI), _CMP_GE_OQ));
    return _mm256_blendv_ps(e, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}
