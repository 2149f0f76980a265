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

/* What this template's GEMV does per block: prefetch the block QP_PREFETCH_BLOCKS ahead of it
 * (1.6 KiB), one hint per cache line that block's 544 bytes touch (QP_BLOCK_LINES: 9, whether it starts at 0 or 32 mod 64, the two places blocks start). Why:
 * the out-of-order window spans too few cache lines for the hardware prefetchers alone to keep
 * DRAM busy where a 32-byte weight word costs 6 integer instructions (AVX2). Measured on the
 * 2-vCPU Zen 4 VM, whole q8_0 decodes of `hf2gguf bench` alternating, then with four streams
 * per GEMV: AVX2 tier 0.48-0.52 of the streaming-read roofline without the hints, 0.66-0.71
 * with 2-4 blocks ahead (8 blocks: 0.57), when the scales were still stored after all the
 * quants; 0.72-0.77 -> 0.85-0.90 with each block's scales beside its quants. With one stream
 * (2026-12-03) the hints still gain (0.60 -> 0.76); the AVX-512 kernel does better without
 * them (quant_pack_avx512.c). Hints past the matrix's end are harmless (a prefetch never
 * faults); the address is computed as an integer, as it may lie outside the allocation. */
#define QP_PREFETCH_BLOCKS 3
#define QP_BLOCK_LINES ((QP_BLOCK_BYTES + 32 + 63) / 64) /* lines a block at 32 mod 64 touches */

static inline void qp_prefetch_ahead(const uint8_t *block) {
    const uintptr_t ahead = (uintptr_t)block + QP_PREFETCH_BLOCKS * QP_BLOCK_BYTES;
    for (int l = 0; l < QP_BLOCK_LINES; l++) __builtin_prefetch((const void *)(ahead + 64 * (uintptr_t)l), 0, 3);
}

/* One group (both halves, so a block's 544 bytes are read once, in order) against n_tok
 * tokens starting at t0; prefetch (as n_tok, constant after inlining) hints each block
 * QP_PREFETCH_BLOCKS ahead, for generation (gemv_in_order). */
static inline __attribute__((always_inline)) void group_tile_hinted(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                                     const int n_tok, float *y, int64_t ldy,
                                                                     const int prefetch) {
    const int64_t nb = x->nb;
    qp_token tk[MAX_TOK];
    __m256 acc[2][MAX_TOK];
    UNROLL for (int c = 0; c < n_tok; c++) {
        tk[c] = qp_token_at(x, t0 + c);
        acc[0][c] = acc[1][c] = _mm256_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = qp_block_at(wp, b);
        if (prefetch) qp_prefetch_ahead(blk);
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

static inline __attribute__((always_inline)) void group_tile(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                              const int n_tok, float *y, int64_t ldy) {
    group_tile_hinted(wp, x, t0, n_tok, y, ldy, 0);
}

/* One token (generation), layout FEW: the groups one after another, so the matrix is one
 * sequential stream, each block hinting the one QP_PREFETCH_BLOCKS ahead. Why: on the 2-vCPU Zen
 * 4 VM of 2026-12-03 (--isa avx2), Qwen2.5-0.5B's shape in q8_0, tg128 alternating builds:
 * 36-37 t/s at 1 thread (0.76 of the bracketing read bandwidth) against 29-31 (0.61-0.62) with
 * four streams hinting as now (layout MANY, kept for machines whose memory prefers it), and 28-29
 * (0.60) with one stream and no hints: a 32-byte word costs 6 integer instructions here, too
 * slow for the hardware prefetchers alone. */
static void gemv_in_order(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                          int64_t ldy) {
    (void)n_tok, (void)ldy;
    const size_t gb = qp_group_bytes(x->nb * Q8_0_BLOCK);
    for (int64_t g = 0; g < n_groups; g++) group_tile_hinted(wp + (size_t)g * gb, x, t0, 1, y + g * QP_ROWS, 0, 1);
}

/* One token through group_tile with its hints: the tile of the groups past the MANY layout's
 * regions. */
static void tile_1_hinted(const uint8_t *wp, const qp_acts *x, int64_t t0, float *y, int64_t ldy) {
    group_tile_hinted(wp, x, t0, 1, y, ldy, 1);
}

/* Layout MANY: four streams (QP_GEMV_STREAMS) in step, each hinting ahead of itself; the
 * activation words are re-broadcast from L1 for each, to stay within 16 registers. */
static void streams_step(const uint8_t *const *g, const qp_acts *x, int64_t t0, float *const *y) {
    const qp_token tk = qp_token_at(x, t0);
    __m256 acc[QP_GEMV_STREAMS][2];
    UNROLL for (int s = 0; s < QP_GEMV_STREAMS; s++) acc[s][0] = acc[s][1] = _mm256_setzero_ps();
    for (int64_t b = 0; b < x->nb; b++) {
        const __m256 xd = _mm256_set1_ps(tk.d[b]);
        UNROLL for (int s = 0; s < QP_GEMV_STREAMS; s++) {
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
    UNROLL for (int s = 0; s < QP_GEMV_STREAMS; s++) {
        _mm256_storeu_ps(y[s], acc[s][0]);
        _mm256_storeu_ps(y[s] + 8, acc[s][1]);
    }
}

static void gemv_streams(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                         int64_t ldy) {
    (void)n_tok, (void)ldy;
    qp_gemv_by_streams(streams_step, tile_1_hinted, wp, n_groups, x, t0, y);
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
    if (n_tok == 1) gemv_in_order(wp, n_groups, x, t0, n_tok, y, ldy);
    else qp_gemm_by_tiles(TILES, MAX_TOK, wp, n_groups, x, t0, n_tok, y, ldy);
}

static const qp_kernel KERNEL = {gemm_ymm, QPY_IMPL, QPY_ISA, {gemv_in_order, gemv_streams}, {1, 4}};

const qp_kernel *QPY_KERNEL_FN(void) { return &KERNEL; }
