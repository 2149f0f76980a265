/* AVX2 kernels; compiled with -mavx2 -mfma -mf16c (CMake, *_avx2.c), used only
 * after q_dot_best has probed the CPU. Never use FMA here: the reference adds
 * rounded products, and bit-identity is the contract (tests/test_kernels_dot.c). */
#include "quant/quant_dot_avx2.h"

#include <immintrin.h>

#include "base/f16.h"

/* Horizontal sum in the reference order: s4[j] = a[j] + a[j+4], then
 * (s4[0] + s4[2]) + (s4[1] + s4[3]). */
static float hsum_ref_order(__m256 acc) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

static __m256 load8_f32(const float *p) { return _mm256_loadu_ps(p); }
static __m256 load8_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static __m256 load8_bf16(const uint16_t *p) {
    __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}
static inline float load1_f32(const float *p) { return *p; }
/* F16C conversion: exact, so identical to hf_f16_to_f32, and much cheaper. */
static inline float load1_f16(const uint16_t *p) { return _cvtsh_ss(*p); }
static inline float load1_bf16(const uint16_t *p) { return hf_bf16_to_f32(*p); }

/* One 8-lane accumulator = the reference's 8 partial sums; mul then add. */
#define DEFINE_AVX2_DOT(name, elem_t, load8, load1)                                     \
    static float name(const void *wv, const void *xv, int64_t k) {                       \
        const elem_t *w = wv, *x = xv;                                                   \
        __m256 acc = _mm256_setzero_ps();                                                \
        const int64_t kl = k - k % Q_DOT_LANES;                                          \
        for (int64_t i = 0; i < kl; i += Q_DOT_LANES)                                    \
            acc = _mm256_add_ps(acc, _mm256_mul_ps(load8(w + i), load8(x + i)));         \
        float s = hsum_ref_order(acc);                                                   \
        for (int64_t i = kl; i < k; i++) s += load1(w + i) * load1(x + i);               \
        return s;                                                                        \
    }

DEFINE_AVX2_DOT(dot_f32_avx2, float, load8_f32, load1_f32)
DEFINE_AVX2_DOT(dot_f16_avx2, uint16_t, load8_f16, load1_f16)
DEFINE_AVX2_DOT(dot_bf16_avx2, uint16_t, load8_bf16, load1_bf16)

/* Exact int32 sum of 32 int8 products. maddubs needs an unsigned operand, so
 * multiply |w| by x carrying w's sign; |w| <= 128 and |x| <= 127 (our own
 * quantizer), so the pairwise int16 sums (<= 32512) cannot saturate. */
static int32_t block_isum(const int8_t *w, const int8_t *x) {
    __m256i wv = _mm256_loadu_si256((const __m256i *)w);
    __m256i xv = _mm256_loadu_si256((const __m256i *)x);
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
    __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p32), _mm256_extracti128_si256(p32, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

static float dot_q8_0_avx2(const void *wv, const void *xv, int64_t k) {
    const q_block_q8_0 *w = wv, *x = xv;
    float s = 0.0f;
    for (int64_t b = 0; b < k / Q8_0_BLOCK; b++)
        s += (float)block_isum(w[b].qs, x[b].qs) * (_cvtsh_ss(w[b].d) * _cvtsh_ss(x[b].d));
    return s;
}

static const q_dot_traits DOT_AVX2[HF_TYPE_COUNT] = {
    [HF_TYPE_F32] = {HF_TYPE_F32, dot_f32_avx2, "avx2"},
    [HF_TYPE_F16] = {HF_TYPE_F16, dot_f16_avx2, "avx2"},
    [HF_TYPE_BF16] = {HF_TYPE_BF16, dot_bf16_avx2, "avx2"},
    [HF_TYPE_Q8_0] = {HF_TYPE_Q8_0, dot_q8_0_avx2, "avx2"},
};

const q_dot_traits *q_dot_avx2(uint32_t wtype) {
    if (wtype >= HF_TYPE_COUNT || DOT_AVX2[wtype].dot == NULL) return NULL;
    return &DOT_AVX2[wtype];
}
