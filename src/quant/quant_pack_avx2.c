/* Packed Q8_0 kernel for AVX2; compiled with -mavx2 -mfma -mf16c (CMake, *_avx2.c), used only after
 * q_cpu_has_avx2_f16c. Each __m256 holds 8 rows of a group (one half) for one token. Without
 * VNNI the products go through maddubs, which needs an unsigned operand: the weights are
 * turned back into signed bytes and multiplied as |w| times x carrying w's sign (|w| <= 128,
 * |x| <= 127, so the pairwise int16 sums cannot saturate); the integer block sum is then the
 * exact sum(w*x), without the unsigned layout's -128*sum(x) term. Then a fused multiply-add,
 * as the reference (quant_pack.c). */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

#define MAX_TOK 3 /* 6 accumulators + 3 integer sums + weights and constants in 16 registers */
#define UNROLL _Pragma("GCC unroll 8")

/* One group (both halves, so a block's 544 bytes are read once, in order) against n_tok
 * (constant after inlining) tokens starting at t0. */
static inline __attribute__((always_inline)) void group_tile(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                              const int n_tok, float *y, int64_t ldy) {
    const int64_t nb = x->nb;
    const uint16_t *scales = (const uint16_t *)(const void *)(wp + (size_t)nb * 512);
    const __m256i bias = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    const q_block_q8_0 *a[MAX_TOK];
    const float *ad[MAX_TOK];
    __m256 acc[2][MAX_TOK];
    UNROLL for (int c = 0; c < n_tok; c++) {
        a[c] = (const q_block_q8_0 *)(const void *)(x->rows + (size_t)(t0 + c) * x->row_stride);
        ad[c] = x->d + (t0 + c) * nb;
        acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        UNROLL for (int h = 0; h < 2; h++) {
            const uint8_t *q = wp + (size_t)b * 512 + (size_t)h * 32;
            __m256i isum[MAX_TOK];
            UNROLL for (int c = 0; c < n_tok; c++) isum[c] = _mm256_setzero_si256();
            UNROLL for (int j = 0; j < 8; j++) {
                const __m256i w = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(q + 64 * j)), bias);
                const __m256i aw = _mm256_sign_epi8(w, w);
                UNROLL for (int c = 0; c < n_tok; c++) {
                    const __m256i xv = _mm256_set1_epi32(qp_load_word(a[c][b].qs + 4 * j));
                    const __m256i p16 = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(xv, w));
                    isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(p16, ones));
                }
            }
            const __m256 dw =
                _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(scales + b * 16 + h * 8)));
            UNROLL for (int c = 0; c < n_tok; c++) {
                const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(ad[c][b]));
                acc[h][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), d, acc[h][c]);
            }
        }
    }
    UNROLL for (int c = 0; c < n_tok; c++) {
        _mm256_storeu_ps(y + c * ldy, acc[0][c]);
        _mm256_storeu_ps(y + c * ldy + 8, acc[1][c]);
    }
}

/* One token over n_groups groups as GEMV_STREAMS streams: groups j, j + q, j + 2q, ...
 * (q = n_groups / GEMV_STREAMS), each stream reading its own region of the matrix in order, as
 * the AVX-512 kernel does (several sequential streams read DRAM faster than one here); the
 * activation words are re-broadcast from L1 for each, to stay within 16 registers. */
#define GEMV_STREAMS 4
static void gemv_streams(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, float *y) {
    const int64_t nb = x->nb, q = n_groups / GEMV_STREAMS;
    const size_t gb = qp_group_bytes(nb * Q8_0_BLOCK);
    const __m256i bias = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    const q_block_q8_0 *a = (const q_block_q8_0 *)(const void *)(x->rows + (size_t)t0 * x->row_stride);
    const float *ad = x->d + t0 * nb;
    for (int64_t j = 0; j < q; j++) {
        const uint8_t *g[GEMV_STREAMS];
        __m256 acc[GEMV_STREAMS][2];
        UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
            g[s] = wp + (size_t)(j + s * q) * gb;
            acc[s][0] = acc[s][1] = _mm256_setzero_ps();
        }
        for (int64_t b = 0; b < nb; b++) {
            const __m256 xd = _mm256_set1_ps(ad[b]);
            UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
                const uint16_t *scales = (const uint16_t *)(const void *)(g[s] + (size_t)nb * 512);
                UNROLL for (int h = 0; h < 2; h++) {
                    const uint8_t *qb = g[s] + (size_t)b * 512 + (size_t)h * 32;
                    __m256i isum = _mm256_setzero_si256();
                    UNROLL for (int i = 0; i < 8; i++) {
                        const __m256i w =
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(qb + 64 * i)), bias);
                        const __m256i xv = _mm256_set1_epi32(qp_load_word(a[b].qs + 4 * i));
                        const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w));
                        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, ones));
                    }
                    const __m256 dw =
                        _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(scales + b * 16 + h * 8)));
                    acc[s][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, xd), acc[s][h]);
                }
            }
        }
        UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
            _mm256_storeu_ps(y + (j + s * q) * QP_ROWS, acc[s][0]);
            _mm256_storeu_ps(y + (j + s * q) * QP_ROWS + 8, acc[s][1]);
        }
    }
    for (int64_t gi = q * GEMV_STREAMS; gi < n_groups; gi++) group_tile(wp + (size_t)gi * gb, x, t0, 1, y + gi * QP_ROWS, 0);
}

QP_DEFINE_TILE(1)
QP_DEFINE_TILE(2)
QP_DEFINE_TILE(3)
static const qp_tile_fn TILES[MAX_TOK + 1] = {NULL, tile_1, tile_2, tile_3};

static void gemm_avx2(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                      int64_t ldy) {
    if (n_tok == 1) gemv_streams(wp, n_groups, x, t0, y);
    else qp_gemm_by_tiles(TILES, MAX_TOK, wp, n_groups, x, t0, n_tok, y, ldy);
}

static const qp_kernel KERNEL = {gemm_avx2, "avx2"};

const qp_kernel *qp_kernel_avx2(void) { return &KERNEL; }
