/* AVX2/F16C row conversions (contract: quant_avx2.h). Compiled with -mavx2 -mfma -mf16c; no FMA
 * is used: every value is computed with the same float operations as the reference. */
#include "quant/quant_avx2.h"

#include <immintrin.h>
#include <math.h>

#include "base/f16.h"

static float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* roundf (half away from zero) of 8 values with |v| < 2^23, as 8 int32: the truncation and
 * v - trunc(v) are exact, then +-1 where |fraction| >= 0.5 — round_to_i8 of quant.c. */
static __m256i round_away8(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t);
    const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
    const __m256i down = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ));
    /* compare masks are -1 where true: i - up + down = i + (frac >= .5) - (frac <= -.5) */
    return _mm256_add_epi32(_mm256_sub_epi32(_mm256_cvttps_epi32(t), up), down);
}

void q_quantize_row_q8_0_avx2(const float *x, q_block_q8_0 *y, int64_t n) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / Q8_0_BLOCK; b++) {
        const float *xb = x + b * Q8_0_BLOCK;
        __m256 v[4], amax = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(xb + 8 * i);
            const __m256 a = _mm256_andnot_ps(sign_mask, v[i]);
            amax = _mm256_max_ps(a, amax); /* a > amax ? a : amax, as the reference */
            /* NaN or infinity: not (|x| < inf) */
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, _mm256_set1_ps(INFINITY), _CMP_NLT_UQ));
        }
        if (_mm256_movemask_ps(bad)) {
            q_quantize_row_q8_0(xb, &y[b], Q8_0_BLOCK);
            continue;
        }
        const float d = hmax8(amax) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (!(id < INFINITY)) { /* a denormal d: 1/d overflows and x * id is not a small integer */
            q_quantize_row_q8_0(xb, &y[b], Q8_0_BLOCK);
            continue;
        }
        y[b].d = hf_f32_to_f16(d);
        const __m256 idv = _mm256_set1_ps(id);
        __m256i q[4];
        for (int i = 0; i < 4; i++) q[i] = round_away8(_mm256_mul_ps(v[i], idv));
        /* |q| <= 127, so the saturating packs are exact; they interleave 128-bit lanes,
         * which the final permute undoes. */
        const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
        const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        const __m256i ordered = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].qs, ordered);
    }
}

void q_f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            for (int j = 0; j < 8; j++) y[i + j] = hf_f32_to_f16(x[i + j]);
            continue;
        }
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; i < n; i++) y[i] = hf_f32_to_f16(x[i]);
}
