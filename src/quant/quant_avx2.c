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

/* Lane i = the maximum of m[i]'s 8 lanes, for 8 vectors at once: pairs of lanes, then
 * quads, then the two 128-bit halves (max is exact, so any order gives the same value). */
static __m256 hmax8x8(const __m256 m[8]) {
    __m256 t[4], u[2];
    for (int i = 0; i < 4; i++)
        t[i] = _mm256_max_ps(_mm256_unpacklo_ps(m[2 * i], m[2 * i + 1]), _mm256_unpackhi_ps(m[2 * i], m[2 * i + 1]));
    for (int i = 0; i < 2; i++)
        u[i] = _mm256_max_ps(_mm256_shuffle_ps(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm256_shuffle_ps(t[2 * i], t[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
    return _mm256_max_ps(_mm256_permute2f128_ps(u[0], u[1], 0x20), _mm256_permute2f128_ps(u[0], u[1], 0x31));
}

/* The 32 quants of one block, x * id rounded half away from zero; |q| <= 127, so the
 * saturating packs are exact; they interleave 128-bit lanes, which the final permute undoes. */
static void quantize_block(const float *xb, float id, int8_t *qs) {
    const __m256 idv = _mm256_set1_ps(id);
    __m256i q[4];
    for (int i = 0; i < 4; i++) q[i] = round_away8(_mm256_mul_ps(_mm256_loadu_ps(xb + 8 * i), idv));
    const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
    _mm256_storeu_si256((__m256i *)(void *)qs, _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

/* The 8 lanes of a block's |x| maximum (reduced later); ORs into *bad where a value is a NaN
 * or an infinity (not |x| < inf). */
static __m256 block_abs_max(const float *xb, __m256 *bad) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; i++) {
        const __m256 a = _mm256_andnot_ps(sign_mask, _mm256_loadu_ps(xb + 8 * i));
        amax = _mm256_max_ps(a, amax); /* a > amax ? a : amax, as the reference */
        *bad = _mm256_or_ps(*bad, _mm256_cmp_ps(a, _mm256_set1_ps(INFINITY), _CMP_NLT_UQ));
    }
    return amax;
}

/* One block on its own (the blocks after the last group of 8, and groups holding a special
 * value): NaN, infinity or a denormal scale (1/d overflows) take the reference. */
static void quantize_one(const float *xb, q_block_q8_0 *y) {
    __m256 bad = _mm256_setzero_ps();
    const __m256 amax = block_abs_max(xb, &bad);
    const float d = hmax8(amax) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    if (_mm256_movemask_ps(bad) || !(id < INFINITY)) {
        q_quantize_row_q8_0(xb, y, Q8_0_BLOCK);
        return;
    }
    y->d = hf_f32_to_f16(d);
    quantize_block(xb, id, y->qs);
}

/* 8 blocks at a time: their maxima reduced together, the 8 scales and inverses in one vector
 * division each and one F16C conversion (round to nearest even, as hf_f32_to_f16 for finite
 * values), so no block waits on its own scalar divisions. The same float operations as the
 * reference, so the same bytes. */
void q_quantize_row_q8_0_avx2(const float *x, q_block_q8_0 *y, int64_t n) {
    const int64_t nb = n / Q8_0_BLOCK;
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) {
        const float *xg = x + b * Q8_0_BLOCK;
        __m256 m[8], bad = _mm256_setzero_ps();
        for (int i = 0; i < 8; i++) m[i] = block_abs_max(xg + i * Q8_0_BLOCK, &bad);
        const __m256 d = _mm256_div_ps(hmax8x8(m), _mm256_set1_ps(127.0f));
        const __m256 nonzero = _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_NEQ_OQ);
        const __m256 id = _mm256_and_ps(nonzero, _mm256_div_ps(_mm256_set1_ps(1.0f), d));
        const __m256 id_finite = _mm256_cmp_ps(id, _mm256_set1_ps(INFINITY), _CMP_LT_OQ);
        if (_mm256_movemask_ps(bad) || _mm256_movemask_ps(id_finite) != 0xff) {
            for (int i = 0; i < 8; i++) quantize_one(xg + i * Q8_0_BLOCK, &y[b + i]);
            continue;
        }
        uint16_t dh[8];
        float ids[8];
        _mm_storeu_si128((__m128i *)(void *)dh, _mm256_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm256_storeu_ps(ids, id);
        for (int i = 0; i < 8; i++) {
            y[b + i].d = dh[i];
            quantize_block(xg + i * Q8_0_BLOCK, ids[i], y[b + i].qs);
        }
    }
    for (; b < nb; b++) quantize_one(x + b * Q8_0_BLOCK, &y[b]);
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

void q_f16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    const __m128i exp_mask = _mm_set1_epi16(0x7c00);
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(x + i));
        /* an all-ones exponent (infinity or NaN): F16C would quiet a signaling NaN */
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(h, exp_mask), exp_mask))) {
            for (int j = 0; j < 8; j++) y[i + j] = hf_f16_to_f32(x[i + j]);
            continue;
        }
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) y[i] = hf_f16_to_f32(x[i]);
}

/* hf_f32_to_bf16 on 8 values in integer arithmetic, so NaN payloads and signs pass through
 * as in the reference: (u + 0x7fff + bit 16 of u) >> 16, and a NaN its top half with the
 * quiet bit set. The sums cannot wrap for non-NaN u (at most 0xff800000 + 0x8000). */
static __m128i f32_to_bf16x8(const float *x) {
    const __m256i u = _mm256_loadu_si256((const __m256i *)(const void *)x);
    const __m256i top = _mm256_srli_epi32(u, 16);
    const __m256i rounded =
        _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff),
                                                               _mm256_and_si256(top, _mm256_set1_epi32(1)))), 16);
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)),
                                              _mm256_set1_epi32(0x7f800000));
    const __m256i h = _mm256_blendv_epi8(rounded, _mm256_or_si256(top, _mm256_set1_epi32(64)), is_nan);
    /* every lane is below 2^16, so the unsigned saturating pack is exact */
    return _mm_packus_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

void q_f32_to_bf16_row_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(void *)(y + i), f32_to_bf16x8(x + i));
    for (; i < n; i++) y[i] = hf_f32_to_bf16(x[i]);
}

void q_bf16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(x + i)));
        _mm256_storeu_si256((__m256i *)(void *)(y + i), _mm256_slli_epi32(w, 16));
    }
    for (; i < n; i++) y[i] = hf_bf16_to_f32(x[i]);
}
