/* quant_dot_tiles: the pieces the ISA-specific kernel files share (quant_dot_simd.h and
 * quant_dot_avx512bf16.c): the grid that walks a matmul in register blocks, the GEMV/gemm
 * dispatch and the reference-order horizontal sum. Included only by files built with AVX2 or
 * wider. */
#pragma once

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

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
 * one at a time in R x 1 blocks (tile1), the rows past the last whole block with the dot. For
 * each token block the rows are walked in order, so a caller's row chunk stays in cache across
 * all tokens. */
#define DEFINE_TILE_GRID(name, elem_t, act_t, tile, tile1, dot, R, C)                                     \
    static void name(const void *wv, size_t ws, int64_t nr, const void *xv, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                      \
        const uint8_t *w = wv, *x = xv;                                                            \
        const int64_t nr_full = nr - nr % R, nt_full = nt - nt % C;                                \
        for (int64_t t = 0; t < nt; t += (t < nt_full ? C : 1))                                    \
            for (int64_t r = 0; r < nr_full; r += R) {                                             \
                const elem_t *wp[R];                                                               \
                const act_t *xp[C];                                                                \
                for (int i = 0; i < R; i++) wp[i] = (const elem_t *)(w + (size_t)(r + i) * ws);    \
                for (int i = 0; i < C; i++) xp[i] = (const act_t *)(x + (size_t)(t + (t < nt_full ? i : 0)) * xs); \
                if (t < nt_full) tile(wp, xp, k, y + t * ldy + r, ldy);                            \
                else tile1(wp, xp, k, y + t * ldy + r, ldy);                                       \
            }                                                                                      \
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
