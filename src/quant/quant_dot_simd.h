/* quant_dot_simd: the 8-lane SIMD kernels of quant_dot.h as one template, instantiated once
 * per instruction set by a file compiled with that set's flags (quant_dot_avx2.c: AVX2 with
 * 16 vector registers; quant_dot_avx512.c: the same code with AVX-512VL's 32 registers, which
 * hold larger register blocks). Every kernel keeps the reference's arithmetic: 8-lane float
 * accumulators, each step one fused multiply-add (the FMA instructions round as fmaf does),
 * exact integer block sums; tests/test_kernels_dot.c and
 * test_kernels_gemm.c compare each instantiation with the references by memcmp.
 *
 * The including file defines, before including this header once:
 *   QD_IMPL      the implementation name ("avx2", "avx512");
 *   QD_ISA       its tier (Q_ISA_AVX2, Q_ISA_AVX512);
 *   QD_TILE_R/C  the register block of the float gemm: rows x tokens;
 *   QD_WSUM_OUT  the outputs per block of the weighted row sums;
 *   QD_TABLE_FN  the name of the function returning the traits of a weight type. */
#include <immintrin.h>
#include <math.h>

#include "base/f16.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "quant/quant_dot_tiles.h"

/* One 8-lane accumulator = the reference's 8 partial sums; one FMA per step. */
#define DEFINE_SIMD_DOT(name, elem_t, load8, load1)                                     \
    static float name(const void *wv, const void *xv, int64_t k) {                       \
        const elem_t *w = wv;                                                            \
        const float *x = xv;                                                             \
        __m256 acc = _mm256_setzero_ps();                                                \
        const int64_t kl = k - k % Q_DOT_LANES;                                          \
        for (int64_t i = 0; i < kl; i += Q_DOT_LANES)                                    \
            acc = _mm256_fmadd_ps(load8(w + i), _mm256_loadu_ps(x + i), acc);           \
        float s = hsum_ref_order(acc);                                                   \
        for (int64_t i = kl; i < k; i++) s = fmaf(load1(w + i), x[i], s);               \
        return s;                                                                        \
    }

DEFINE_SIMD_DOT(dot_f32_simd, float, load8_f32, load1_f32)
DEFINE_SIMD_DOT(dot_f16_simd, uint16_t, load8_f16, load1_f16)
DEFINE_SIMD_DOT(dot_bf16_simd, uint16_t, load8_bf16, load1_bf16)

/* The 8 lane sums of one block (lane l: the exact int32 sum of products 4l..4l+3).
 * maddubs needs an unsigned operand, so multiply |w| by x carrying w's sign; |w| <= 128 and
 * |x| <= 127 (our own quantizer), so the pairwise int16 sums (<= 32512) cannot saturate. */
static inline __m256i block_lanes(const int8_t *w, const int8_t *x) {
    const __m256i wv = _mm256_loadu_si256((const __m256i *)w);
    const __m256i xv = _mm256_loadu_si256((const __m256i *)x);
    const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

/* The exact integer sum of the 8 lanes. */
static inline int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* acc = fma((float)isum, d_w * d_x, acc) per block, as the reference. */
static float dot_q8_0_simd(const void *wv, const void *xv, int64_t k) {
    const q_block_q8_0 *w = wv, *x = xv;
    float acc = 0.0f;
    for (int64_t b = 0; b < k / Q8_0_BLOCK; b++) {
        const float d = _cvtsh_ss(w[b].d) * _cvtsh_ss(x[b].d);
        acc = fmaf((float)hsum_epi32(block_lanes(w[b].qs, x[b].qs)), d, acc);
    }
    return acc;
}

/* ==== Tiles (q_gemm_fn) ====
 * The same arithmetic per output as the dots above, several outputs at a time, walked by
 * quant_dot_tiles.h's grid. */

/* Float types: register blocks of R weight rows x C tokens, one 8-lane accumulator per output
 * (the lanes over k, as the dot), so the weight vectors are loaded once per C tokens and the
 * activation vectors once per R rows; then each output's horizontal sum and tail in the dot's
 * order. */
#define DEFINE_SIMD_TILE(name, elem_t, load8, load1, R, C)                                         \
    static void name(const elem_t *const *w, const float *const *x, int64_t k, float *y, int64_t ldy) { \
        __m256 acc[R][C];                                                                          \
        UNROLL for (int r = 0; r < R; r++)                                                         \
            UNROLL for (int c = 0; c < C; c++) acc[r][c] = _mm256_setzero_ps();                           \
        const int64_t kl = k - k % Q_DOT_LANES;                                                    \
        for (int64_t i = 0; i < kl; i += Q_DOT_LANES) {                                            \
            __m256 xv[C];                                                                          \
            UNROLL for (int c = 0; c < C; c++) xv[c] = _mm256_loadu_ps(x[c] + i);                  \
            UNROLL for (int r = 0; r < R; r++) {                                                   \
                const __m256 wv = load8(w[r] + i);                                                 \
                UNROLL for (int c = 0; c < C; c++) acc[r][c] = _mm256_fmadd_ps(wv, xv[c], acc[r][c]); \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < R; r++)                                                                \
            for (int c = 0; c < C; c++) {                                                          \
                float s = hsum_ref_order(acc[r][c]);                                               \
                for (int64_t i = kl; i < k; i++) s = fmaf(load1(w[r] + i), x[c][i], s);           \
                y[c * ldy + r] = s;                                                                \
            }                                                                                      \
    }

#ifdef QD_ZMM_PAIRS
/* The same blocks with two rows' 8-lane accumulators side by side in one 512-bit register
 * (lanes 0-7 row 2p, lanes 8-15 row 2p+1; each lane's chain of fused multiply-adds is the
 * reference's, so the bits are the 8-lane kernels'), the activations broadcast to both halves:
 * one instruction per two outputs, where the FMA units are 512 bits wide (Zen 5, Intel) the
 * float gemm's bound. Weights are held per step, activations loaded one token at a time. */
static inline __m512 load16_f32(const float *a, const float *b) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(a)), _mm256_loadu_ps(b), 1);
}
static inline __m256i load_halves_u16(const uint16_t *a, const uint16_t *b) {
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)a)),
                                   _mm_loadu_si128((const __m128i *)(const void *)b), 1);
}
static inline __m512 load16_f16(const uint16_t *a, const uint16_t *b) { return _mm512_cvtph_ps(load_halves_u16(a, b)); }
static inline __m512 load16_bf16(const uint16_t *a, const uint16_t *b) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load_halves_u16(a, b)), 16));
}

#define DEFINE_ZMM_TILE(name, elem_t, load16, load1, R, C)                                                 \
    static void name(const elem_t *const *w, const float *const *x, int64_t k, float *y, int64_t ldy) { \
        __m512 acc[(R) / 2][C];                                                                        \
        UNROLL for (int p = 0; p < (R) / 2; p++)                                                       \
            UNROLL for (int c = 0; c < (C); c++) acc[p][c] = _mm512_setzero_ps();                      \
        const int64_t kl = k - k % Q_DOT_LANES;                                                        \
        for (int64_t i = 0; i < kl; i += Q_DOT_LANES) {                                                \
            __m512 wv[(R) / 2];                                                                        \
            UNROLL for (int p = 0; p < (R) / 2; p++) wv[p] = load16(w[2 * p] + i, w[2 * p + 1] + i);   \
            UNROLL for (int c = 0; c < (C); c++) {                                                     \
                const __m512 xv = _mm512_broadcast_f32x8(_mm256_loadu_ps(x[c] + i));                   \
                UNROLL for (int p = 0; p < (R) / 2; p++) acc[p][c] = _mm512_fmadd_ps(wv[p], xv, acc[p][c]); \
            }                                                                                          \
        }                                                                                              \
        for (int p = 0; p < (R) / 2; p++)                                                              \
            for (int c = 0; c < (C); c++)                                                              \
                for (int h = 0; h < 2; h++) {                                                          \
                    const int r = 2 * p + h;                                                           \
                    float s = hsum_ref_order(h ? _mm512_extractf32x8_ps(acc[p][c], 1)                  \
                                               : _mm512_castps512_ps256(acc[p][c]));                   \
                    for (int64_t i = kl; i < k; i++) s = fmaf(load1(w[r] + i), x[c][i], s);            \
                    y[c * ldy + r] = s;                                                                \
                }                                                                                      \
    }
#define DEFINE_FLOAT_TILE(name, elem_t, t, load1, R, C) DEFINE_ZMM_TILE(name, elem_t, load16_##t, load1, R, C)
#else
#define DEFINE_FLOAT_TILE(name, elem_t, t, load1, R, C) DEFINE_SIMD_TILE(name, elem_t, load8_##t, load1, R, C)
#endif

/* Batches: QD_TILE_R rows x QD_TILE_C tokens per register block, and a block of QD_TILE_R rows
 * for every shorter token count, for a batch's last tokens. */
#define DEFINE_FLOAT_TILES(n)                                                 \
    DEFINE_FLOAT_TILE(tile##n##_f32, float, f32, load1_f32, QD_TILE_R, n)     \
    DEFINE_FLOAT_TILE(tile##n##_f16, uint16_t, f16, load1_f16, QD_TILE_R, n)  \
    DEFINE_FLOAT_TILE(tile##n##_bf16, uint16_t, bf16, load1_bf16, QD_TILE_R, n)
DEFINE_FLOAT_TILES(1)
DEFINE_FLOAT_TILES(2)
DEFINE_FLOAT_TILES(3)
#if QD_TILE_C == 3
#define QD_TILES(t) {tile1_##t, tile2_##t, tile3_##t}
#elif QD_TILE_C == 6
DEFINE_FLOAT_TILES(4)
DEFINE_FLOAT_TILES(5)
DEFINE_FLOAT_TILES(6)
#define QD_TILES(t) {tile1_##t, tile2_##t, tile3_##t, tile4_##t, tile5_##t, tile6_##t}
#else
#error "QD_TILE_C: blocks are defined for 3 and 6 tokens"
#endif

DEFINE_TILE_GRID(gemm_f32_tiles, float, float, QD_TILES(f32), dot_f32_simd, QD_TILE_R, QD_TILE_C)
DEFINE_TILE_GRID(gemm_f16_tiles, uint16_t, float, QD_TILES(f16), dot_f16_simd, QD_TILE_R, QD_TILE_C)
DEFINE_TILE_GRID(gemm_bf16_tiles, uint16_t, float, QD_TILES(bf16), dot_bf16_simd, QD_TILE_R, QD_TILE_C)

/* Single tokens (generation): ROWS rows at a time, one accumulator chain each, because one
 * row's chain of fused multiply-adds is latency-bound (4 cycles a step: 9-15 GB/s on a 32 MiB F16
 * matrix). The rows are j, j + q, ... (q = rows / ROWS), so each stream walks its own region of
 * the matrix in order (adjacent rows, interleaved inside a page, read DRAM at half the speed),
 * and there is no software prefetch. Two layouts (quant_dot.h, q_gemv_layout): two rows (few
 * streams) and four (many). Measured 2026-12-03, Qwen2.5-0.5B's shape in f16, tg128 at 1 thread,
 * alternating builds: on the 2-vCPU Zen 4 VM two rows ran 21.4-22.1 t/s (0.84-0.86 of the
 * bracketing read bandwidth) against 15.8-17.6 with four rows each prefetching 1.5 KiB ahead and
 * 19.3-21.7 with three (a harness over the same 942 MiB: 2 and 3 streams 0.85 of the read
 * bandwidth, 4 at 0.77, 1 at 0.68); on the Zen 5 VM four rows without hints ran 35.2-36.6 t/s
 * (0.88-0.93) against 29.7-31.3 (0.75-0.80) with two. */
#define DEFINE_SIMD_GEMV_STREAMS(name, elem_t, load8, load1, dot, ROWS)                            \
    static void name(const void *wv, size_t ws, int64_t nr, const void *xv, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                      \
        (void)xs; (void)nt; (void)ldy;                                                             \
        const uint8_t *w = wv;                                                                     \
        const float *x = xv;                                                                       \
        const int64_t q = nr / (ROWS), kl = k - k % Q_DOT_LANES;                                   \
        for (int64_t j = 0; j < q; j++) {                                                          \
            const elem_t *wr[ROWS];                                                                \
            __m256 acc[ROWS];                                                                      \
            UNROLL for (int r = 0; r < (ROWS); r++) {                                              \
                wr[r] = (const elem_t *)(w + (size_t)(j + r * q) * ws);                            \
                acc[r] = _mm256_setzero_ps();                                                      \
            }                                                                                      \
            /* a cache line per step, unrolled (it once carried a prefetch hint per line) */       \
            const int64_t per_line = 64 / (int64_t)sizeof(elem_t);                                 \
            int64_t i = 0;                                                                         \
            for (; i + per_line <= kl; i += per_line) {                                            \
                UNROLL for (int64_t e = 0; e < per_line; e += Q_DOT_LANES) {                       \
                    const __m256 xv8 = _mm256_loadu_ps(x + i + e);                                 \
                    UNROLL for (int r = 0; r < (ROWS); r++) acc[r] = _mm256_fmadd_ps(load8(wr[r] + i + e), xv8, acc[r]); \
                }                                                                                  \
            }                                                                                      \
            for (; i < kl; i += Q_DOT_LANES) {                                                     \
                const __m256 xv8 = _mm256_loadu_ps(x + i);                                         \
                UNROLL for (int r = 0; r < (ROWS); r++) acc[r] = _mm256_fmadd_ps(load8(wr[r] + i), xv8, acc[r]); \
            }                                                                                      \
            UNROLL for (int r = 0; r < (ROWS); r++) {                                              \
                float s = hsum_ref_order(acc[r]);                                                  \
                for (int64_t i = kl; i < k; i++) s = fmaf(load1(wr[r] + i), x[i], s);              \
                y[j + r * q] = s;                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (int64_t r = q * (ROWS); r < nr; r++) y[r] = dot(w + (size_t)r * ws, x, k);            \
    }
DEFINE_SIMD_GEMV_STREAMS(gemv2_f32, float, load8_f32, load1_f32, dot_f32_simd, 2)
DEFINE_SIMD_GEMV_STREAMS(gemv2_f16, uint16_t, load8_f16, load1_f16, dot_f16_simd, 2)
DEFINE_SIMD_GEMV_STREAMS(gemv2_bf16, uint16_t, load8_bf16, load1_bf16, dot_bf16_simd, 2)
DEFINE_SIMD_GEMV_STREAMS(gemv4_f32, float, load8_f32, load1_f32, dot_f32_simd, 4)
DEFINE_SIMD_GEMV_STREAMS(gemv4_f16, uint16_t, load8_f16, load1_f16, dot_f16_simd, 4)
DEFINE_SIMD_GEMV_STREAMS(gemv4_bf16, uint16_t, load8_bf16, load1_bf16, dot_bf16_simd, 4)

DEFINE_GEMV_OR_TILES(gemm_f32_simd, gemv2_f32, gemm_f32_tiles)
DEFINE_GEMV_OR_TILES(gemm_f16_simd, gemv2_f16, gemm_f16_tiles)
DEFINE_GEMV_OR_TILES(gemm_bf16_simd, gemv2_bf16, gemm_bf16_tiles)

/* The exact int32 sums of eight vectors' lanes, sum i in lane i. */
static inline __m256i hsum8_epi32(const __m256i v[8]) {
    const __m256i u0 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    const __m256i u1 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

/* A Q8_0 register block of 2 weight rows x 4 tokens, the 8 outputs in one vector (row r, token
 * c in lane 4r + c): per block each row's |w| once, each pair's lanes as block_lanes, then the
 * eight integer sums reduced together instead of one horizontal sum per output, and one vector
 * multiply-add where the dots do eight scalar ones (the same fmaf((float)isum, d_w * d_x, acc)
 * per lane, so the same bits). */
static void tile_q8_0_2x4(const q_block_q8_0 *const *w, const q_block_q8_0 *const *x, int64_t k, float *y,
                          int64_t ldy) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / Q8_0_BLOCK; b++) {
        __m256i xq[4], lanes[8];
        UNROLL for (int c = 0; c < 4; c++) xq[c] = _mm256_loadu_si256((const __m256i *)(const void *)x[c][b].qs);
        UNROLL for (int r = 0; r < 2; r++) {
            const __m256i wq = _mm256_loadu_si256((const __m256i *)(const void *)w[r][b].qs);
            const __m256i wabs = _mm256_sign_epi8(wq, wq);
            UNROLL for (int c = 0; c < 4; c++)
                lanes[4 * r + c] = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xq[c], wq)), ones);
        }
        const __m128 dx = _mm_setr_ps(_cvtsh_ss(x[0][b].d), _cvtsh_ss(x[1][b].d), _cvtsh_ss(x[2][b].d), _cvtsh_ss(x[3][b].d));
        const __m256 dw = _mm256_setr_m128(_mm_set1_ps(_cvtsh_ss(w[0][b].d)), _mm_set1_ps(_cvtsh_ss(w[1][b].d)));
        const __m256 d = _mm256_mul_ps(dw, _mm256_setr_m128(dx, dx));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(hsum8_epi32(lanes)), d, acc);
    }
    float out[8];
    _mm256_storeu_ps(out, acc);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 4; c++) y[c * ldy + r] = out[4 * r + c];
}

/* Q8_0 by rows: the runtime multiplies whole 16-row groups with the packed kernels
 * (quant_pack.h); this serves the rows outside them (and every row with --no-repack). Batches
 * of more than 4 tokens go in blocks of 4 through the 2 x 4 tile (rows past the last pair by
 * their dots), the tokens past the last block row by row through the dots, as do batches of
 * up to 4: those the runtime splits into a few long row ranges (rt_kernels.c, matmul_chunk),
 * so every row comes from memory once, and one row's dot after another is one sequential
 * stream, which a tile's rows side by side were slower than. Measured 2026-12-04 on the Zen 5
 * VM, 1 thread, the 168M Llama shape with --no-repack, against one dot per output: pp512 in
 * batches of 512 182-186 -> 383-385 t/s, of 8 168-174 -> 208-211; with tiles at 4 tokens and
 * fewer too, batches of 4 ran 168-172 -> 152-153, of 2 (a 4 x 2 tile) 152-156 -> 103-105, of 3
 * (2 x 4, a slot unused) 161-166 -> 118-119, and tg128 (an 8 x 1 tile) 122-133 -> 69. For each
 * token block the rows are walked in order, so a caller's row chunk stays in cache across the
 * tokens. */
static void gemm_q8_0_simd(const void *wv, size_t ws, int64_t nr, const void *xv, size_t xs, int64_t nt, int64_t k,
                           float *y, int64_t ldy) {
    const uint8_t *w = wv, *x = xv;
    const int64_t nt4 = nt > 4 ? nt - nt % 4 : 0, nr2 = nr - nr % 2;
    for (int64_t t = 0; t < nt4; t += 4) {
        const q_block_q8_0 *xp[4];
        for (int i = 0; i < 4; i++) xp[i] = (const q_block_q8_0 *)(const void *)(x + (size_t)(t + i) * xs);
        for (int64_t r = 0; r < nr2; r += 2) {
            const q_block_q8_0 *wp[2] = {(const q_block_q8_0 *)(const void *)(w + (size_t)r * ws),
                                         (const q_block_q8_0 *)(const void *)(w + (size_t)(r + 1) * ws)};
            tile_q8_0_2x4(wp, xp, k, y + t * ldy + r, ldy);
        }
        for (int64_t r = nr2; r < nr; r++)
            for (int c = 0; c < 4; c++) y[(t + c) * ldy + r] = dot_q8_0_simd(w + (size_t)r * ws, xp[c], k);
    }
    for (int64_t r = 0; r < nr; r++)
        for (int64_t t = nt4; t < nt; t++) y[t * ldy + r] = dot_q8_0_simd(w + (size_t)r * ws, x + (size_t)t * xs, k);
}

DEFINE_SIMD_AXPY(axpy_f32_simd, float, load8_f32, load1_f32)
DEFINE_SIMD_AXPY(axpy_f16_simd, uint16_t, load8_f16, load1_f16)
DEFINE_SIMD_AXPY(axpy_bf16_simd, uint16_t, load8_bf16, load1_bf16)
DEFINE_SIMD_WSUM(wsum_f32_simd, float, load8_f32, load1_f32, QD_WSUM_OUT)
DEFINE_SIMD_WSUM(wsum_f16_simd, uint16_t, load8_f16, load1_f16, QD_WSUM_OUT)
DEFINE_SIMD_WSUM(wsum_bf16_simd, uint16_t, load8_bf16, load1_bf16, QD_WSUM_OUT)

/* Each float type's GEMV in both layouts: two rows' streams, four rows'. */
#define GEMV_2_4(t) {gemv2_##t, gemv4_##t}, {2, 4}

static const q_dot_traits DOT_SIMD[HF_TYPE_COUNT] = {
    [HF_TYPE_F32] = {HF_TYPE_F32, dot_f32_simd, QD_IMPL, gemm_f32_simd, axpy_f32_simd, wsum_f32_simd, Q_ORDER_LANES, QD_ISA,
                     GEMV_2_4(f32)},
    [HF_TYPE_F16] = {HF_TYPE_F16, dot_f16_simd, QD_IMPL, gemm_f16_simd, axpy_f16_simd, wsum_f16_simd, Q_ORDER_LANES, QD_ISA,
                     GEMV_2_4(f16)},
    [HF_TYPE_BF16] = {HF_TYPE_BF16, dot_bf16_simd, QD_IMPL, gemm_bf16_simd, axpy_bf16_simd, wsum_bf16_simd,
                      Q_ORDER_LANES, QD_ISA, GEMV_2_4(bf16)},
    [HF_TYPE_Q8_0] = {HF_TYPE_Q8_0, dot_q8_0_simd, QD_IMPL, gemm_q8_0_simd, NULL, NULL, Q_ORDER_LANES, QD_ISA,
                      {gemm_q8_0_simd, NULL}, {1, 0}},
};

const q_dot_traits *QD_TABLE_FN(uint32_t wtype) {
    if (wtype >= HF_TYPE_COUNT || DOT_SIMD[wtype].dot == NULL) return NULL;
    return &DOT_SIMD[wtype];
}
