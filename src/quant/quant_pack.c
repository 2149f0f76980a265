/* Packed Q8_0 groups: the layout, the plain C kernel and the CPU dispatch (quant_pack.h). */
#include "quant/quant_pack.h"

#include <math.h>
#include <string.h>

#include "base/f16.h"
#include "quant/quant_dot.h"
#include "quant/quant_pack_simd.h"

size_t qp_group_bytes(int64_t k) { return (size_t)(k / Q8_0_BLOCK) * QP_BLOCK_BYTES; }

/* Offsets in a group (the layout of quant_pack.h): row r's scale of block b, and its word j
 * (elements 4j..4j+3) of block b. */
static size_t scale_at(int r, int64_t b) { return (size_t)b * QP_BLOCK_BYTES + QP_SCALES_AT + (size_t)r * 2; }
static size_t word_at(int r, int64_t b, int j) { return (size_t)b * QP_BLOCK_BYTES + (size_t)j * 64 + (size_t)r * 4; }

/* 4 signed bytes <-> the same bytes + 128 each: flipping each byte's top bit, both ways. */
static void copy_word_flipped(uint8_t *dst, const uint8_t *src) {
    uint32_t word;
    memcpy(&word, src, 4);
    word ^= 0x80808080u;
    memcpy(dst, &word, 4);
}

void qp_pack_group(const uint8_t *rows, size_t row_stride, int64_t k, uint8_t *dst) {
    const int64_t nb = k / Q8_0_BLOCK;
    for (int r = 0; r < QP_ROWS; r++) {
        const uint8_t *row = rows + (size_t)r * row_stride; /* a mapping's rows need not be aligned */
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = row + (size_t)b * sizeof(q_block_q8_0);
            memcpy(dst + scale_at(r, b), blk, 2);
            for (int j = 0; j < 8; j++) copy_word_flipped(dst + word_at(r, b, j), blk + 2 + 4 * j);
        }
    }
}

void qp_unpack_block(const uint8_t *group, int r, int64_t b, q_block_q8_0 *out) {
    memcpy(&out->d, group + scale_at(r, b), 2);
    for (int j = 0; j < 8; j++) copy_word_flipped((uint8_t *)out->qs + 4 * j, group + word_at(r, b, j));
}

void qp_act_row_sums(const q_block_q8_0 *row, int64_t nb, float *d, int32_t *nsum) {
    for (int64_t b = 0; b < nb; b++) {
        int32_t s = 0;
        for (int j = 0; j < Q8_0_BLOCK; j++) s += row[b].qs[j];
        d[b] = hf_f16_to_f32(row[b].d);
        nsum[b] = -128 * s;
    }
}

/* One output: the Q8_0 dot's arithmetic (quant_pack.h) on row r of a group. */
static float group_row_dot(const uint8_t *wp, int64_t nb, int r, const qp_acts *x, int64_t t) {
    const q_block_q8_0 *a = (const q_block_q8_0 *)(const void *)(x->rows + (size_t)t * x->row_stride);
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        int32_t isum = x->nsum[t * nb + b];
        for (int j = 0; j < 8; j++) {
            const uint8_t *q = wp + word_at(r, b, j);
            for (int e = 0; e < 4; e++) isum += (int32_t)q[e] * (int32_t)a[b].qs[4 * j + e];
        }
        uint16_t scale;
        memcpy(&scale, wp + scale_at(r, b), 2);
        const float d = hf_f16_to_f32(scale) * x->d[t * nb + b];
        acc = fmaf((float)isum, d, acc);
    }
    return acc;
}

static void gemm_ref(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                     int64_t ldy) {
    const size_t gb = qp_group_bytes(x->nb * Q8_0_BLOCK);
    for (int64_t g = 0; g < n_groups; g++)
        for (int64_t t = 0; t < n_tok; t++)
            for (int r = 0; r < QP_ROWS; r++) y[t * ldy + g * QP_ROWS + r] = group_row_dot(wp + g * gb, x->nb, r, x, t0 + t);
}

void qp_gemm_by_tiles(const qp_tile_fn *tiles, int max_tok, const uint8_t *wp, int64_t n_groups, const qp_acts *x,
                      int64_t t0, int64_t n_tok, float *y, int64_t ldy) {
    const size_t gb = qp_group_bytes(x->nb * Q8_0_BLOCK);
    for (int64_t g = 0; g < n_groups; g++) {
        const uint8_t *w = wp + (size_t)g * gb;
        float *yg = y + g * QP_ROWS;
        int64_t t = 0;
        for (; t + max_tok <= n_tok; t += max_tok) tiles[max_tok](w, x, t0 + t, yg + t * ldy, ldy);
        if (t < n_tok) tiles[n_tok - t](w, x, t0 + t, yg + t * ldy, ldy);
    }
}

void qp_gemv_by_streams(qp_streams_fn step, qp_tile_fn tile_1, const uint8_t *wp, int64_t n_groups, const qp_acts *x,
                        int64_t t0, float *y) {
    const size_t gb = qp_group_bytes(x->nb * Q8_0_BLOCK);
    const int64_t q = n_groups / QP_GEMV_STREAMS;
    for (int64_t j = 0; j < q; j++) {
        const uint8_t *g[QP_GEMV_STREAMS];
        float *ys[QP_GEMV_STREAMS];
        for (int s = 0; s < QP_GEMV_STREAMS; s++) {
            g[s] = wp + (size_t)(j + s * q) * gb;
            ys[s] = y + (j + s * q) * QP_ROWS;
        }
        step(g, x, t0, ys);
    }
    for (int64_t gi = q * QP_GEMV_STREAMS; gi < n_groups; gi++) tile_1(wp + (size_t)gi * gb, x, t0, y + gi * QP_ROWS, 0);
}

static const qp_kernel KERNEL_REF = {gemm_ref, "ref", Q_ISA_REF, {gemm_ref, NULL}, {1, 0}};

const qp_kernel *qp_kernel_ref(void) { return &KERNEL_REF; }

int qp_kernels_available(const qp_kernel **out, int cap) {
    int n = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (n < cap && q_cpu_has_avx512vnni()) out[n++] = qp_kernel_avx512vnni();
    if (n < cap && q_cpu_has_avxvnni()) out[n++] = qp_kernel_avxvnni();
    if (n < cap && q_cpu_has_avx2_f16c()) out[n++] = qp_kernel_avx2();
#endif
    if (n < cap) out[n++] = &KERNEL_REF;
    return n;
}

const qp_kernel *qp_kernel_best(void) { return qp_kernel_pick(Q_ISA_BEST); }

const qp_kernel *qp_kernel_pick(q_isa max_isa) {
    const qp_kernel *k[4];
    const int n = qp_kernels_available(k, 4);
    for (int i = 0; i < n; i++)
        if (k[i]->isa <= max_isa) return k[i];
    return &KERNEL_REF;
}
