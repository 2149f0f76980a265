/* quant_pack_ymm: the packed Q8_0 kernels on 256-bit vectors as one template, instantiated by a
 * file compiled with its ISA's flags: quant_pack_avx2.c (maddubs with the sign trick) and
 * quant_pack_avxvnni.c (VEX vpdpbusd). Each __m256 holds 8 rows of a group (one half) for one
 * token; per 4-byte word the instantiation supplies the integer step:
 *   qpy_word            the weight word as the step wants it (qpy_prep of the stored bytes);
 *   qpy_mac(isum, w, x) isum + the 4 products of each lane, exactly;
 *   qpy_isum0(nsum)     where a block's integer sum starts: 0 when the step undoes the unsigned
 *                       layout itself, -128 * sum(x) (qp_acts.nsum) when it multiplies the stored
 *                       unsigned bytes;
 * and QPY_MAX_TOK (tokens per tile, <= 4), QPY_IMPL, QPY_ISA (its tier), QPY_KERNEL_FN. Then a fused multiply-add, as
 * the reference (quant_pack.c). */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

#define MAX_TOK QPY_MAX_TOK
#define UNROLL _Pragma("GCC unroll 8")

/* One group (both halves, so a block's 544 bytes are read once, in order) against n_tok
 * (constant after inlining) tokens starting at t0. */
static inline __attribute__((always_inline)) void group_tile(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                              const int n_tok, float *y, int64_t ldy) {
    const int64_t nb = x->nb;
    qp_token tk[MAX_TOK];
    __m256 acc[2][MAX_TOK];
    UNROLL for (int c = 0; c < n_tok; c++) {
        tk[c] = qp_token_at(x, t0 + c);
        acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = qp_block_at(wp, b);
        UNROLL for (int h = 0; h < 2; h++) {
            const uint8_t *q = blk + (size_t)h * 32;
            __m256i isum[MAX_TOK];
            UNROLL for (int c = 0; c < n_tok; c++) isum[c] = qpy_isum0(tk[c].nsum[b]);
            UNROLL for (int j = 0; j < 8; j++) {
                const qpy_word w = qpy_prep(_mm256_loadu_si256((const __m256i *)(const void *)(q + 64 * j)));
                UNROLL for (int c = 0; c < n_tok; c++)
                    isum[c] = qpy_mac(isum[c], w, _mm256_set1_epi32(qp_load_word(tk[c].a[b].qs + 4 * j)));
            }
            const __m256 dw =
                _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(qp_block_scales(blk) + h * 8)));
            UNROLL for (int c = 0; c < n_tok; c++) {
                const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(tk[c].d[b]));
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
 * (q = n_groups / GEMV_STREAMS), each stream reading its own region of the matrix in order and
 * prefetching ahead of itself, as the AVX-512 kernel does (several sequential streams read DRAM
 * faster than one here); the activation words are re-broadcast from L1 for each, to stay
 * within 16 registers. */
#define GEMV_STREAMS 4

static void gemv_streams(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, float *y) {
    const int64_t nb = x->nb, q = n_groups / GEMV_STREAMS;
    const size_t gb = qp_group_bytes(nb * Q8_0_BLOCK);
    const qp_token tk = qp_token_at(x, t0);
    for (int64_t j = 0; j < q; j++) {
        const uint8_t *g[GEMV_STREAMS];
        __m256 acc[GEMV_STREAMS][2];
        UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
            g[s] = wp + (size_t)(j + s * q) * gb;
            acc[s][0] = acc[s][1] = _mm256_setzero_ps();
        }
        for (int64_t b = 0; b < nb; b++) {
            const __m256 xd = _mm256_set1_ps(tk.d[b]);
            UNROLL for (int s = 0; s < GEMV_STREAMS; s++) {
                const uint8_t *blk = qp_block_at(g[s], b);
                qp_prefetch_ahead(blk);
                UNROLL for (int h = 0; h < 2; h++) {
                    const uint8_t *qb = blk + (size_t)h * 32;
                    __m256i isum = qpy_isum0(tk.nsum[b]);
                    UNROLL for (int i = 0; i < 8; i++)
                        isum = qpy_mac(isum, qpy_prep(_mm256_loadu_si256((const __m256i *)(const void *)(qb + 64 * i))),
                                       _mm256_set1_epi32(qp_load_word(tk.a[b].qs + 4 * i)));
                    const __m256 dw =
                        _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(qp_block_scales(blk) + h * 8)));
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
#if QPY_MAX_TOK >= 4
QP_DEFINE_TILE(4)
static const qp_tile_fn TILES[MAX_TOK + 1] = {NULL, tile_1, tile_2, tile_3, tile_4};
#else
static const qp_tile_fn TILES[MAX_TOK + 1] = {NULL, tile_1, tile_2, tile_3};
#endif

static void gemm_ymm(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                     int64_t ldy) {
    if (n_tok == 1) gemv_streams(wp, n_groups, x, t0, y);
    else qp_gemm_by_tiles(TILES, MAX_TOK, wp, n_groups, x, t0, n_tok, y, ldy);
}

static const qp_kernel KERNEL = {gemm_ymm, QPY_IMPL, QPY_ISA};

const qp_kernel *QPY_KERNEL_FN(void) { return &KERNEL; }
