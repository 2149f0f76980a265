/* quant_pack: Q8_0 weight matrices repacked into groups of QP_ROWS rows, and the matmul
 * kernels over that layout (the runtime repacks at load, rt_repack.h).
 *
 * Why: a row-by-row Q8_0 dot needs a horizontal reduction per output and reloads every
 * activation block per row. In a group the same 4 bytes of 16 rows sit next to each other, so
 * one 16-lane integer dot-product instruction (AVX-512 VNNI vpdpbusd) advances 16 outputs by
 * 4 elements, with one broadcast activation word; a block of 16 outputs takes 8 of them, no
 * horizontal sum, and the group's weights stay in registers across a tile of tokens. A
 * group is one contiguous stream, so generation (one token) still reads weights sequentially.
 *
 * ==== Layout of one group (16 rows of k elements, nb = k / 32 blocks) ====
 * nb blocks of QP_BLOCK_BYTES = 544 bytes, block b at b*544 (qp_block_at), each
 *   quants: 512 bytes; word j (elements 4j..4j+3) of row r at j*64 + r*4, each byte stored as
 *           (uint8_t)(q + 128) (VNNI multiplies unsigned by signed bytes);
 *   scales: the 16 rows' fp16 scales after them, row r at 512 + r*2 (qp_block_scales).
 * qp_group_bytes(k) = nb * 544 = 16 rows of Q8_0: repacking does not change the size.
 * Why each block carries its scales (rather than all scales after all quants): one token's
 * GEMV then reads a group strictly in address order, one stream instead of a quant stream and
 * a scale stream nb * 512 bytes apart, and the memory system delivers more of it. Measured on
 * the 2-vCPU Zen 4 VM, in one process alternating 14 times: the AVX-512 GEMV read 0.78-0.82 of
 * the four-stream read bandwidth this way against 0.74-0.78 with the scales after all quants
 * (k = 896, 1024, 4864); whole decodes, old and new binaries alternating, gained with it.
 * Half of the blocks then start at 32 mod 64; the 32-byte loads of the AVX2 kernels stay
 * aligned.
 *
 * ==== Arithmetic (the Q8_0 dot of quant_dot.h, bit for bit) ====
 * Per output and block: the exact integer sum of the 32 products (|sum| < 2^24, exact in
 * float), times (d_w * d_x) rounded to float, added to one float accumulator, blocks in order
 * (one fused multiply-add, fmaf). The unsigned weights give sum((q+128) * x) = sum(q*x) + 128*sum(x),
 * so each activation block carries -128 * sum(x) to start its integer sum from (qp_acts).
 * Every kernel here and q_dot_ref(HF_TYPE_Q8_0) give the same bits (tests/test_kernels_pack.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quant/quant.h"
#include "quant/quant_dot.h"

#define QP_ROWS 16
#define QP_BLOCK_BYTES 544 /* one block of a group: 16 x 32 quant bytes, then 16 fp16 scales */
#define QP_SCALES_AT 512   /* where a block's scales start */

/* Block b of a group, and the 16 scales of a block. */
static inline const uint8_t *qp_block_at(const uint8_t *group, int64_t b) {
    return group + (size_t)b * QP_BLOCK_BYTES;
}
static inline const uint16_t *qp_block_scales(const uint8_t *block) {
    return (const uint16_t *)(const void *)(block + QP_SCALES_AT);
}

/* Activations for the packed kernels: n_tok Q8_0 rows (from q_quantize_row_q8_0) plus, per
 * row and block, the scale as float and -128 * the sum of its 32 quants. */
typedef struct qp_acts {
    const uint8_t *rows;  /* row t at rows + t * row_stride: nb q_block_q8_0 */
    size_t row_stride;
    const float *d;       /* [t * nb + b] */
    const int32_t *nsum;  /* [t * nb + b] */
    int64_t nb;           /* blocks per row (k / 32) */
} qp_acts;

/* y[t * ldy + g * 16 + r] = dot(row r of group g, activation row t0 + t), for g < n_groups,
 * t < n_tok; group g at wp + g * qp_group_bytes(k). */
typedef void (*qp_gemm_fn)(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok,
                           float *y, int64_t ldy);

typedef struct qp_kernel {
    qp_gemm_fn gemm;
    const char *impl; /* "ref", "avx2", "avxvnni" or "avx512vnni" */
    q_isa isa;        /* the tier it is built for (quant_dot.h) */
    /* One token (n_tok 1) in each GEMV layout (quant_dot.h, q_gemv_layout): [Q_GEMV_FEW] the
     * groups one after another (one stream), [Q_GEMV_MANY] four regions of the matrix in step,
     * NULL where the kernel has one; gemv_streams: the streams each walks per row range. */
    qp_gemm_fn gemv[Q_GEMV_COUNT];
    uint8_t gemv_streams[Q_GEMV_COUNT];
} qp_kernel;

/* Bytes of one group of 16 rows of k elements (k a multiple of 32). */
size_t qp_group_bytes(int64_t k);

/* Packs 16 consecutive Q8_0 rows (row r at rows + r * row_stride) into dst. */
void qp_pack_group(const uint8_t *rows, size_t row_stride, int64_t k, uint8_t *dst);

/* The inverse of packing for one block: block b of row r of a group, as the Q8_0 block it was
 * packed from (byte for byte); a block's place does not depend on the row length. */
void qp_unpack_block(const uint8_t *group, int r, int64_t b, q_block_q8_0 *out);

/* Fills d and nsum (nb entries each) for one activation row of nb blocks. */
void qp_act_row_sums(const q_block_q8_0 *row, int64_t nb, float *d, int32_t *nsum);

/* The plain C kernel the fast paths are tested against. */
const qp_kernel *qp_kernel_ref(void);
/* The fastest kernel this CPU runs (AVX-512 VNNI, AVX-VNNI, AVX2, else the reference). */
const qp_kernel *qp_kernel_best(void);
/* The best of qp_kernels_available whose tier is at most max_isa (the reference at worst). */
const qp_kernel *qp_kernel_pick(q_isa max_isa);
/* Every kernel this CPU runs, best first, then the reference; returns the count (<= 4). */
int qp_kernels_available(const qp_kernel **out, int cap);
