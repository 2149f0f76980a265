/* quant_pack_simd: the SIMD kernels over packed Q8_0 groups (quant_pack.h), each in a file
 * compiled with its own ISA flags. Callers must have probed the CPU (quant_dot.h). Internal
 * to the quant module. */
#pragma once

#include <string.h>

#include "quant/quant_pack.h"

/* The 4 activation bytes a 32-bit lane multiplies (blocks are 2-aligned at best). */
static inline int32_t qp_load_word(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Where token t's operands start: its Q8_0 blocks, their scales as floats and -128 * sums. */
typedef struct qp_token {
    const q_block_q8_0 *a;
    const float *d;
    const int32_t *nsum;
} qp_token;

static inline qp_token qp_token_at(const qp_acts *x, int64_t t) {
    return (qp_token){(const q_block_q8_0 *)(const void *)(x->rows + (size_t)t * x->row_stride), x->d + t * x->nb,
                      x->nsum + t * x->nb};
}

const qp_kernel *qp_kernel_avx2(void);       /* AVX2 */
const qp_kernel *qp_kernel_avxvnni(void);    /* AVX2 + AVX-VNNI */
const qp_kernel *qp_kernel_avx512vnni(void); /* AVX-512 F/BW/VL + VNNI */

/* A kernel's tile: one group against n tokens (n fixed per function) from t0. */
typedef void (*qp_tile_fn)(const uint8_t *wp, const qp_acts *x, int64_t t0, float *y, int64_t ldy);

/* The loop every SIMD kernel shares: each group against full tiles of max_tok tokens, then one
 * tile of the rest; tiles[n] handles n tokens (n = 1..max_tok). */
void qp_gemm_by_tiles(const qp_tile_fn *tiles, int max_tok, const uint8_t *wp, int64_t n_groups, const qp_acts *x,
                      int64_t t0, int64_t n_tok, float *y, int64_t ldy);

/* Defines tile_N, a qp_tile_fn over the kernel's inlined group_tile with N tokens. */
#define QP_DEFINE_TILE(n)                                                                        \
    static void tile_##n(const uint8_t *wp, const qp_acts *x, int64_t t0, float *y, int64_t ldy) { \
        group_tile(wp, x, t0, n, y, ldy);                                                        \
    }

/* Streams of the GEMV layout with many (Q_GEMV_MANY): groups j, j + q, j + 2q, j + 3q in step
 * (q = n_groups / 4), each stream walking its own region of the matrix in order; the groups
 * past 4q then one after another. */
#define QP_GEMV_STREAMS 4

/* A kernel's step of that layout: one token against the groups g[s], outputs to y[s]. */
typedef void (*qp_streams_fn)(const uint8_t *const *g, const qp_acts *x, int64_t t0, float *const *y);

/* The layout's walk, shared by the kernels: step over the regions, then tile_1 (a kernel's
 * one-token tile, ldy unused) over the groups past them. */
void qp_gemv_by_streams(qp_streams_fn step, qp_tile_fn tile_1, const uint8_t *wp, int64_t n_groups, const qp_acts *x,
                        int64_t t0, float *y);
