/* quant_dot_tiles: the pieces the ISA-specific kernel files share (quant_dot_simd.h and
 * quant_dot_avx512bf16.c): the grid that walks a matmul in register blocks, the GEMV/gemm
 * dispatch, the reference-order horizontal sum, 8-element loads of every float type and the
 * element-wise kernels (axpy, weighted row sums), which give the same bits in every order.
 * Included only by files built with AVX2, FMA and F16C or wider. */
#pragma once

#include <immintrin.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>

#include "base/f16.h"

/* The tile loops have constant trip counts and must be unrolled for the accumulators to live
 * in registers (at -O2 the compilers otherwise keep them on the stack). */
#define UNROLL _Pragma("GCC unroll 16")

/* Horizontal sum in the reference order: s4[j] = a[j] + a[j+4], then
 * (s4[0] + s4[2]) + (s4[1] + s4[3]). */
static float hsum_ref_order(__m256 acc) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

/* The gemm over a tile grid: blocks of R rows x C tokens; the tokens past the last whole block
 * (nt % C of them) in one block of R rows x that many tokens (tiles[n - 1] is the block of n
 * tokens), so they take one pass over the rows rather than one pass each; the rows past the
 * last whole block with the dot. For each token block the rows are walked in order, so a
 * caller's row chunk stays in cache across all tokens. Against one R x 1 pass per leftover
 * token (2026-12-04, Zen 5 VM, 1 thread, 168M-parameter Llama shape, pp256 in micro-batches of
 * 2 / 4 / 8): BF16 pairs 114-115 / 167-168 / 327 -> 165-183 / 314-342 / 383-413 t/s, F16
 * 123 / 163-166 / 335-338 -> 177-198 / 285-382 / 357-385; the AVX2 tier (blocks of 3) 85 / 159
 * / 213 -> 131 / 176 / 262 (BF16). */
#define DEFINE_TILE_GRID(name, elem_t, act_t, tiles_init, dot, R, C)                                   \
    static void name(const void *wv, size_t ws, int64_t nr, const void *xv, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                      \
        typedef void (*tile_fn)(const elem_t *const *, const act_t *const *, int64_t, float *, int64_t); \
        static const tile_fn tiles[C] = tiles_init;                                                \
        const uint8_t *w = wv, *x = xv;                                                            \
        const int64_t nr_full = nr - nr % R;                                                       \
        for (int64_t t = 0; t < nt; t += C) {                                                      \
            const int64_t n = nt - t < C ? nt - t : C;                                             \
            const act_t *xp[C];                                                                    \
            for (int i = 0; i < C; i++) xp[i] = (const act_t *)(x + (size_t)(t + (i < n ? i : 0)) * xs); \
            for (int64_t r = 0; r < nr_full; r += R) {                                             \
                const elem_t *wp[R];                                                               \
                for (int i = 0; i < R; i++) wp[i] = (const elem_t *)(w + (size_t)(r + i) * ws);    \
                tiles[n - 1](wp, xp, k, y + t * ldy + r, ldy);                                     \
            }                                                                                      \
        }                                                                                          \
        for (int64_t t = 0; t < nt; t++)                                                           \
            for (int64_t r = nr_full; r < nr; r++) y[t * ldy + r] = dot(w + (size_t)r * ws, x + (size_t)t * xs, k); \
    }

/* One token: the streaming GEMV; batches: register blocks. */
#define DEFINE_GEMV_OR_TILES(name, gemv, gemm)                                               \
    static void name(const void *w, size_t ws, int64_t nr, const void *x, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                      \
        if (nt == 1) gemv(w, ws, nr, x, xs, nt, k, y, ldy);                                        \
        else gemm(w, ws, nr, x, xs, nt, k, y, ldy);                                                \
    }

/* ==== 8-element loads as floats (exact widenings) ==== */
static inline __m256 load8_f32(const float *p) { return _mm256_loadu_ps(p); }
static inline __m256 load8_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline __m256 load8_bf16(const uint16_t *p) {
    __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}
static inline float load1_f32(const float *p) { return *p; }
/* F16C conversion: exact, so identical to hf_f16_to_f32, and much cheaper. */
static inline float load1_f16(const uint16_t *p) { return _cvtsh_ss(*p); }
static inline float load1_bf16(const uint16_t *p) { return hf_bf16_to_f32(*p); }


/* ==== Element-wise kernels ==== */
/* y += a * x, 8 elements at a time (element-wise, so the same bits as the reference). */
#define DEFINE_SIMD_AXPY(name, elem_t, load8, load1)                                  \
    static void name(float *y, float a, const void *xv, int64_t n) {                  \
        const elem_t *x = xv;                                                         \
        const __m256 av = _mm256_set1_ps(a);                                          \
        int64_t i = 0;                                                                \
        for (; i + 8 <= n; i += 8)                                                    \
            _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load8(x + i), _mm256_loadu_ps(y + i))); \
        for (; i < n; i++) y[i] = fmaf(a, load1(x + i), y[i]);                        \
    }
/* For each output o: y_o[i] = fma(a_o[r], row r[i], y_o[i]) for r = 0 .. nr-1 in order (row r
 * at rows + r * rs), so the bits of nr axpy calls per output (q_wsum_fn). Blocks of QB outputs
 * x 32 elements stay in registers while the rows stream past, each row vector loaded once for
 * the QB outputs: attention's weighted sums of V rows for several queries at a time, where one
 * query's sum alone is a chain of dependent multiply-adds per register. */
#define DEFINE_SIMD_WSUM(name, elem_t, load8, load1, QB)                                                   \
    static inline __attribute__((always_inline)) void name##_block(float *y, int64_t ldy, const float *a,   \
                                                                    int64_t lda, const int nq,              \
                                                                    const uint8_t *base, size_t rs,         \
                                                                    int64_t nr, int64_t n) {                \
        int64_t i = 0;                                                                                      \
        for (; i + 32 <= n; i += 32) {                                                                      \
            __m256 acc[QB][4];                                                                              \
            UNROLL for (int q = 0; q < nq; q++)                                                             \
                UNROLL for (int c = 0; c < 4; c++) acc[q][c] = _mm256_loadu_ps(y + q * ldy + i + 8 * c);    \
            for (int64_t r = 0; r < nr; r++) {                                                              \
                const elem_t *x = (const elem_t *)(const void *)(base + (size_t)r * rs) + i;                \
                UNROLL for (int c = 0; c < 4; c++) {                                                        \
                    const __m256 v = load8(x + 8 * c);                                                      \
                    UNROLL for (int q = 0; q < nq; q++)                                                     \
                        acc[q][c] = _mm256_fmadd_ps(_mm256_set1_ps(a[q * lda + r]), v, acc[q][c]);          \
                }                                                                                           \
            }                                                                                               \
            UNROLL for (int q = 0; q < nq; q++)                                                             \
                UNROLL for (int c = 0; c < 4; c++) _mm256_storeu_ps(y + q * ldy + i + 8 * c, acc[q][c]);    \
        }                                                                                                   \
        for (; i + 8 <= n; i += 8) {                                                                        \
            __m256 acc[QB];                                                                                 \
            UNROLL for (int q = 0; q < nq; q++) acc[q] = _mm256_loadu_ps(y + q * ldy + i);                  \
            for (int64_t r = 0; r < nr; r++) {                                                              \
                const __m256 v = load8((const elem_t *)(const void *)(base + (size_t)r * rs) + i);          \
                UNROLL for (int q = 0; q < nq; q++)                                                         \
                    acc[q] = _mm256_fmadd_ps(_mm256_set1_ps(a[q * lda + r]), v, acc[q]);                    \
            }                                                                                               \
            UNROLL for (int q = 0; q < nq; q++) _mm256_storeu_ps(y + q * ldy + i, acc[q]);                  \
        }                                                                                                   \
        for (; i < n; i++)                                                                                  \
            for (int q = 0; q < nq; q++) {                                                                  \
                float s = y[q * ldy + i];                                                                   \
                for (int64_t r = 0; r < nr; r++)                                                            \
                    s = fmaf(a[q * lda + r], load1((const elem_t *)(const void *)(base + (size_t)r * rs) + i), s); \
                y[q * ldy + i] = s;                                                                         \
            }                                                                                               \
    }                                                                                                       \
    static void name(float *y, int64_t ldy, const float *a, int64_t lda, int64_t n_out, const void *rows,  \
                     size_t rs, int64_t nr, int64_t n) {                                                    \
        int64_t o = 0;                                                                                      \
        for (; o + (QB) <= n_out; o += (QB)) name##_block(y + o * ldy, ldy, a + o * lda, lda, QB, rows, rs, nr, n); \
        for (; o < n_out; o++) name##_block(y + o * ldy, ldy, a + o * lda, lda, 1, rows, rs, nr, n);       \
    }

