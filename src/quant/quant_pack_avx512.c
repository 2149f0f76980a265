/* Packed Q8_0 kernel for AVX-512 VNNI; compiled with -mavx512f/bw/vl/dq/vnni (CMake, *_avx512.c),
 * used only after q_cpu_has_avx512vnni. Each __m512 holds the 16 outputs of one group for one
 * token: vpdpbusd adds 4 products per lane exactly, the rest is the reference's fused
 * multiply-add (bit-identity with quant_pack.c is the contract). */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

#define MAX_TOK 8 /* tokens per tile: 8 weight + 8 accumulator + 8 integer-sum registers of 32 */
#define UNROLL _Pragma("GCC unroll 8")

/* One group against n_tok (constant after inlining) tokens starting at t0. */
static inline __attribute__((always_inline)) void group_tile(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                              const int n_tok, float *y, int64_t ldy) {
    const int64_t nb = x->nb;
    qp_token tk[MAX_TOK];
    __m512 acc[MAX_TOK];
    UNROLL for (int c = 0; c < n_tok; c++) {
        tk[c] = qp_token_at(x, t0 + c);
        acc[c] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *q = qp_block_at(wp, b);
        __m512i w[8];
        UNROLL for (int j = 0; j < 8; j++) w[j] = _mm512_loadu_si512((const void *)(q + 64 * j));
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)qp_block_scales(q)));
        UNROLL for (int c = 0; c < n_tok; c++) {
            const int8_t *qs = tk[c].a[b].qs;
            /* two half sums (words 0-3, 4-7): shorter dependency chains, the same exact integer */
            __m512i lo = _mm512_set1_epi32(tk[c].nsum[b]), hi = _mm512_setzero_si512();
            UNROLL for (int j = 0; j < 4; j++) {
                lo = _mm512_dpbusd_epi32(lo, w[j], _mm512_set1_epi32(qp_load_word(qs + 4 * j)));
                hi = _mm512_dpbusd_epi32(hi, w[j + 4], _mm512_set1_epi32(qp_load_word(qs + 4 * j + 16)));
            }
            const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(tk[c].d[b]));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(lo, hi)), d, acc[c]);
        }
    }
    UNROLL for (int c = 0; c < n_tok; c++) _mm512_storeu_ps(y + c * ldy, acc[c]);
}

/* One token over n_groups groups as GEMV_STREAMS streams: groups j, j + q, j + 2q, ...
 * (q = n_groups / GEMV_STREAMS), so each stream reads its own region of the matrix in order,
 * prefetching ahead of itself (qp_prefetch_ahead), and the memory system sees several sequential
 * streams (one stream per thread read a 32000 x 1024 Q8_0 matrix at about 26 GB/s here); the
 * activation words are broadcast once per block for all of them. Each output is still the reference's arithmetic. */
#define GEMV_STREAMS 4
static void gemv_streams(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, float *y) {
    const int64_t nb = x->nb, q = n_groups / GEMV_STREAMS;
    const size_t gb = qp_group_bytes(nb * Q8_0_BLOCK);
    const qp_token tk = qp_token_at(x, t0);
    for (int64_t j = 0; j < q; j++) {
        const uint8_t *g[GEMV_STREAMS];
        __m512 acc[GEMV_STREAMS];
        UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
            g[s] = wp + (size_t)(j + s * q) * gb;
            acc[s] = _mm512_setzero_ps();
        }
        for (int64_t b = 0; b < nb; b++) {
            __m512i xw[8];
            UNROLL for (int i = 0; i < 8; i++) xw[i] = _mm512_set1_epi32(qp_load_word(tk.a[b].qs + 4 * i));
            const __m512i n0 = _mm512_set1_epi32(tk.nsum[b]);
            const __m512 xd = _mm512_set1_ps(tk.d[b]);
            UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
                const uint8_t *qb = qp_block_at(g[s], b);
                qp_prefetch_ahead(qb);
                __m512i lo = n0, hi = _mm512_setzero_si512();
                UNROLL for (int i = 0; i < 4; i++) {
                    lo = _mm512_dpbusd_epi32(lo, _mm512_loadu_si512((const void *)(qb + 64 * i)), xw[i]);
                    hi = _mm512_dpbusd_epi32(hi, _mm512_loadu_si512((const void *)(qb + 64 * (i + 4))), xw[i + 4]);
                }
                const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)qp_block_scales(qb)));
                acc[s] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(lo, hi)), _mm512_mul_ps(dw, xd), acc[s]);
            }
        }
        UNROLL for (int s = 0; s < GEMV_STREAMS; s++) _mm512_storeu_ps(y + (j + s * q) * QP_ROWS, acc[s]);
    }
    for (int64_t gi = q * GEMV_STREAMS; gi < n_groups; gi++) group_tile(wp + (size_t)gi * gb, x, t0, 1, y + gi * QP_ROWS, 0);
}

QP_DEFINE_TILE(1)
QP_DEFINE_TILE(2)
QP_DEFINE_TILE(3)
QP_DEFINE_TILE(4)
QP_DEFINE_TILE(5)
QP_DEFINE_TILE(6)
QP_DEFINE_TILE(7)
QP_DEFINE_TILE(8)
static const qp_tile_fn TILES[MAX_TOK + 1] = {NULL, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6, tile_7, tile_8};

static void gemm_avx512vnni(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                            int64_t ldy) {
    if (n_tok == 1) gemv_streams(wp, n_groups, x, t0, y);
    else qp_gemm_by_tiles(TILES, MAX_TOK, wp, n_groups, x, t0, n_tok, y, ldy);
}

static const qp_kernel KERNEL = {gemm_avx512vnni, "avx512vnni", Q_ISA_AVX512};

const qp_kernel *qp_kernel_avx512vnni(void) { return &KERNEL; }
