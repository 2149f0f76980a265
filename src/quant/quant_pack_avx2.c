/* Packed Q8_0 kernel for AVX2; compiled with -mavx2 -mfma -mf16c (CMake, *_avx2.c), used only after
 * q_cpu_has_avx2_f16c. Without VNNI the products go through maddubs, which needs an unsigned
 * operand: the weights are turned back into signed bytes and multiplied as |w| times x carrying
 * w's sign (|w| <= 128, |x| <= 127, so the pairwise int16 sums cannot saturate); the integer
 * block sum is then the exact sum(w*x), without the unsigned layout's -128*sum(x) term. */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

typedef struct qpy_word {
    __m256i w, aw; /* the signed weights and their magnitudes */
} qpy_word;

static inline qpy_word qpy_prep(__m256i stored) {
    const __m256i w = _mm256_xor_si256(stored, _mm256_set1_epi8((char)0x80));
    return (qpy_word){w, _mm256_sign_epi8(w, w)};
}

static inline __m256i qpy_mac(__m256i isum, qpy_word w, __m256i xv) {
    const __m256i p16 = _mm256_maddubs_epi16(w.aw, _mm256_sign_epi8(xv, w.w));
    return _mm256_add_epi32(isum, _mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

static inline __m256i qpy_isum0(int32_t nsum) {
    (void)nsum; /* the signed products need no correction */
    return _mm256_setzero_si256();
}

#define QPY_MAX_TOK 3 /* 6 accumulators + 3 integer sums + weights and constants in 16 registers */
#define QPY_IMPL "avx2"
#define QPY_ISA Q_ISA_AVX2
#define QPY_KERNEL_FN qp_kernel_avx2
#include "quant/quant_pack_ymm.h"
