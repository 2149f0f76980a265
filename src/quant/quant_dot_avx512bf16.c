/* The BF16 kernels in the pair order (quant_dot.h): vdpbf16ps takes 32 elements of a weight
 * row and of an activation row (Q_ACT_BF16_BITS) per instruction, two products per lane,
 * twice what a float FMA on widened values does. Built with AVX512_BF16 on top of the
 * AVX-512 subsets (CMake, *_avx512bf16.c); used only after q_cpu_has_avx512bf16, which also
 * checks that this CPU's vdpbf16ps computes the documented order (the C reference in
 * quant_dot.c). The last step of a row whose length is not a multiple of 32 reads through a
 * zeroing mask, which is the reference's zero padding. */
#include <immintrin.h>

#include "quant/quant_dot.h"
#include "quant/quant_dot_isa.h"
#include "quant/quant_dot_tiles.h"

#define PAIR_STEP 32 /* elements per lane step: 16 lanes x 2 */

/* The lanes of step i: all 32 words, or the k - i left, the rest zero. */
static inline __mmask32 step_mask(int64_t i, int64_t k) {
    return k - i >= PAIR_STEP ? (__mmask32)0xffffffffu : (__mmask32)((1u << (k - i)) - 1u);
}

static inline __m512bh load_pairs(__mmask32 m, const uint16_t *p) {
    return (__m512bh)_mm512_maskz_loadu_epi16(m, p);
}

static inline __m256bh load8_pairs(const uint16_t *p) {
    return (__m256bh)_mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* 32 words as two 32-byte loads: a file's tensor data is 32-byte aligned, and a 64-byte load
 * from it splits a cache line whenever the data sits at 32 mod 64 (as in a file whose header
 * ends there: 5-10% of a BF16 matmul here). Our own buffers (activations) are 64-aligned. */
static inline __m512bh load_halves(const uint16_t *p) {
    const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 16));
    return (__m512bh)_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

/* s8[j] = acc[j] + acc[j+8], then the 8-lane reference order. */
static inline float hsum_pairs(__m512 acc) {
    return hsum_ref_order(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
}

static float dot_bf16_pairs(const void *wv, const void *xv, int64_t k) {
    const uint16_t *w = wv, *x = xv;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; i += PAIR_STEP) {
        const __mmask32 m = step_mask(i, k);
        acc = _mm512_dpbf16_ps(acc, load_pairs(m, w + i), load_pairs(m, x + i));
    }
    return hsum_pairs(acc);
}

/* Register blocks of R weight rows x C tokens, one 16-lane accumulator per output; the weight
 * vectors are loaded once per C tokens, the activation vectors once per R rows. */
#define DEFINE_PAIR_TILE(name, R, C)                                                                    \
    static void name(const uint16_t *const *w, const uint16_t *const *x, int64_t k, float *y, int64_t ldy) { \
        __m512 acc[R][C];                                                                               \
        UNROLL for (int r = 0; r < R; r++)                                                              \
            UNROLL for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();                         \
        for (int64_t i = 0; i < k; i += PAIR_STEP) {                                                    \
            const __mmask32 m = step_mask(i, k);                                                        \
            const int full = i + PAIR_STEP <= k;                                                        \
            __m512bh xv[C];                                                                             \
            UNROLL for (int c = 0; c < C; c++) xv[c] = load_pairs(m, x[c] + i);                         \
            UNROLL for (int r = 0; r < R; r++) {                                                        \
                const __m512bh wv = full ? load_halves(w[r] + i) : load_pairs(m, w[r] + i);             \
                UNROLL for (int c = 0; c < C; c++) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], wv, xv[c]);  \
            }                                                                                           \
        }                                                                                               \
        UNROLL for (int r = 0; r < R; r++)                                                              \
            UNROLL for (int c = 0; c < C; c++) y[c * ldy + r] = hsum_pairs(acc[r][c]);                  \
    }

#define TILE_R 4
#define TILE_C 6
DEFINE_PAIR_TILE(tile1_pairs, TILE_R, 1) /* one block per token count up to TILE_C */
DEFINE_PAIR_TILE(tile2_pairs, TILE_R, 2)
DEFINE_PAIR_TILE(tile3_pairs, TILE_R, 3)
DEFINE_PAIR_TILE(tile4_pairs, TILE_R, 4)
DEFINE_PAIR_TILE(tile5_pairs, TILE_R, 5)
DEFINE_PAIR_TILE(tile6_pairs, TILE_R, TILE_C)
#define PAIR_TILES {tile1_pairs, tile2_pairs, tile3_pairs, tile4_pairs, tile5_pairs, tile6_pairs}
DEFINE_TILE_GRID(gemm_pairs_tiles, uint16_t, uint16_t, PAIR_TILES, dot_bf16_pairs, TILE_R, TILE_C)

/* One token: n_rows (2 or 4, constant after inlining) rows j, j + q, ... at a time
 * (q = rows / n_rows), one sequential stream through the matrix each, each row's 16 lanes two
 * 8-lane halves read with 32-byte loads (the same lanes, the same arithmetic; see load_halves):
 * 64-byte loads read this GEMV at 33-35 GB/s where the halves read 42-47 (32000 x 1024 BF16
 * from malloc, 16-byte aligned; 1 thread). No software prefetch: on the 2-vCPU Zen 4 VM of
 * 2026-12-03, Qwen2.5-0.5B's shape in bf16, tg128 alternating builds, two rows ran 25.0-25.4 t/s
 * at 1 thread (0.97-1.00 of the bracketing read bandwidth) against 16.8-18.7 (0.66-0.70) with
 * four rows' streams each prefetching 1.5 KiB ahead, and 29.7-33.3 against 23.2-24.6 at 2
 * threads. Two rows still give four independent accumulator chains (each row's two halves),
 * enough to hide vdpbf16ps's latency; four rows are the layout with more streams
 * (q_gemv_layout), for machines whose memory is read faster so. */
#define GEMV_MAX_ROWS 4

static inline __attribute__((always_inline)) void gemv_pairs_rows(const uint8_t *w, size_t ws, int64_t nr,
                                                                   const uint16_t *x, int64_t k, float *y,
                                                                   const int n_rows) {
    const int64_t q = nr / n_rows, kl = k - k % PAIR_STEP;
    for (int64_t j = 0; j < q; j++) {
        const uint16_t *wr[GEMV_MAX_ROWS];
        __m256 lo[GEMV_MAX_ROWS], hi[GEMV_MAX_ROWS];
        UNROLL for (int r = 0; r < n_rows; r++) {
            wr[r] = (const uint16_t *)(const void *)(w + (size_t)(j + r * q) * ws);
            lo[r] = hi[r] = _mm256_setzero_ps();
        }
        for (int64_t i = 0; i < kl; i += PAIR_STEP) {
            const __m256bh xl = load8_pairs(x + i), xh = load8_pairs(x + i + PAIR_STEP / 2);
            UNROLL for (int r = 0; r < n_rows; r++) {
                lo[r] = _mm256_dpbf16_ps(lo[r], load8_pairs(wr[r] + i), xl);
                hi[r] = _mm256_dpbf16_ps(hi[r], load8_pairs(wr[r] + i + PAIR_STEP / 2), xh);
            }
        }
        UNROLL for (int r = 0; r < n_rows; r++) {
            __m512 acc = _mm512_insertf32x8(_mm512_castps256_ps512(lo[r]), hi[r], 1);
            if (kl < k) {
                const __mmask32 m = step_mask(kl, k);
                acc = _mm512_dpbf16_ps(acc, load_pairs(m, wr[r] + kl), load_pairs(m, x + kl));
            }
            y[j + r * q] = hsum_pairs(acc);
        }
    }
    for (int64_t r = q * n_rows; r < nr; r++) y[r] = dot_bf16_pairs(w + (size_t)r * ws, x, k);
}

#define DEFINE_PAIR_GEMV(name, n_rows)                                                                 \
    static void name(const void *w, size_t ws, int64_t nr, const void *x, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                          \
        (void)xs, (void)nt, (void)ldy;                                                                 \
        gemv_pairs_rows(w, ws, nr, x, k, y, n_rows);                                                   \
    }
DEFINE_PAIR_GEMV(gemv2_pairs, 2)
DEFINE_PAIR_GEMV(gemv4_pairs, 4)

DEFINE_GEMV_OR_TILES(gemm_bf16_pairs, gemv2_pairs, gemm_pairs_tiles)

/* The element-wise kernels: the same bits in every order (quant_dot_tiles.h). */
DEFINE_SIMD_AXPY(axpy_bf16, uint16_t, load8_bf16, load1_bf16)
#define WSUM_OUT 6 /* outputs per block: 24 accumulators of 32 registers */
DEFINE_SIMD_WSUM(wsum_bf16, uint16_t, load8_bf16, load1_bf16, WSUM_OUT)

static const q_dot_traits BF16_PAIRS = {Q_ACT_BF16_BITS, dot_bf16_pairs, "avx512bf16", gemm_bf16_pairs, axpy_bf16,
                                        wsum_bf16, Q_ORDER_BF16_PAIRS, Q_ISA_AVX512, {gemv2_pairs, gemv4_pairs},
                                        {2, 4}};

const q_dot_traits *q_dot_avx512bf16(uint32_t wtype) { return wtype == HF_TYPE_BF16 ? &BF16_PAIRS : NULL; }
