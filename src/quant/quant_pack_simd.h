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

/* What the 256-bit kernels' GEMV does per block (quant_pack_ymm.h): prefetch the block
 * QP_PREFETCH_BLOCKS ahead of it (1.6 KiB), one hint per cache line that block's 544 bytes touch
 * (QP_BLOCK_LINES: 9, whether it starts at 0 or 32 mod 64, the two places blocks start). Why:
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
