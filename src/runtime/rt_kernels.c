#include "runtime/rt_kernels.h"

#include <math.h>
#include <string.h>

#include "base/dtype.h"
#include "base/f16.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "quant/quant_pack.h"

/* ==== Matmul ==== */

size_t rt_acts_max_bytes(int64_t t, int64_t k) {
    /* F32 is the widest activation type (4 bytes per element; Q8_0 is 34/32 plus 8/32 for the
     * block sums, and at most 3 bytes to align them). */
    return (size_t)t * (size_t)k * sizeof(float) + 8;
}

uint32_t rt_act_type_for(const rt_kernel_set *ks, const rt_tensor *w) { return ks->dot[w->type]->act_type; }

typedef struct convert_job {
    uint32_t type;
    const float *x;
    int64_t ldx, k;
    uint8_t *buf;
    size_t row_bytes;
    float *bd;      /* Q8_0: block scales and sums after the rows */
    int32_t *bnsum;
} convert_job;

static void convert_rows(void *arg, int64_t start, int64_t end, int ith) {
    (void)ith;
    const convert_job *j = arg;
    const int64_t nb = j->k / Q8_0_BLOCK;
    for (int64_t t = start; t < end; t++) {
        uint8_t *row = j->buf + (size_t)t * j->row_bytes;
        q_act_from_f32(j->type, j->x + t * j->ldx, row, j->k);
        if (j->bd) qp_act_row_sums((const q_block_q8_0 *)(const void *)row, nb, j->bd + t * nb, j->bnsum + t * nb);
    }
}

void rt_acts_convert(rt_pool *pool, uint32_t act_type, const float *x, int64_t ldx, int64_t t, int64_t k,
                     void *buf, rt_acts *out) {
    convert_job j = {act_type, x, ldx, k, buf, q_act_row_bytes(act_type, k), NULL, NULL};
    if (act_type == HF_TYPE_Q8_0) {
        const size_t rows_end = ((size_t)t * j.row_bytes + 3) & ~(size_t)3;
        j.bd = (float *)(void *)((uint8_t *)buf + rows_end);
        j.bnsum = (int32_t *)(void *)(j.bd + t * (k / Q8_0_BLOCK));
    }
    rt_pool_run(pool, convert_rows, &j, t, 4);
    *out = (rt_acts){act_type, buf, j.row_bytes, t, k, j.bd, j.bnsum};
}

typedef struct matmul_job {
    const rt_tensor *w;
    const rt_acts *x;
    float *y;
    int64_t ldy;
    q_gemm_fn gemm;
    qp_gemm_fn packed_gemm; /* for rows [0, w->n_packed) */
    qp_acts packed_x;
} matmul_job;

/* Rows [start, end) of W against every activation row, as one tile grid (quant_dot.h): the
 * chunk's weight rows stay in cache across the T tokens, each output computed exactly as
 * its dot would, so neither the chunking nor the thread count changes a bit. Packed rows go
 * through the group kernel (chunks are whole groups), the rest through the row kernel. */
static void matmul_rows(void *arg, int64_t start, int64_t end, int ith) {
    (void)ith;
    const matmul_job *j = arg;
    const rt_tensor *w = j->w;
    const int64_t packed_end = end < w->n_packed ? end : w->n_packed;
    if (start < packed_end) {
        j->packed_gemm(w->packed + (size_t)(start / QP_ROWS) * qp_group_bytes(w->ne0), (packed_end - start) / QP_ROWS,
                       &j->packed_x, 0, j->x->n_rows, j->y + start, j->ldy);
        start = packed_end;
    }
    if (start < end)
        j->gemm((const uint8_t *)w->data + (size_t)start * w->row_bytes, w->row_bytes, end - start, j->x->data,
                j->x->row_bytes, j->x->n_rows, j->x->k, j->y + start, j->ldy);
}

void rt_kernels_pick(rt_kernel_set *ks, q_isa max_isa) {
    for (uint32_t t = 0; t < HF_TYPE_COUNT; t++) {
        ks->dot[t] = q_dot_pick(t, max_isa);
        ks->gemv[t] = Q_GEMV_FEW;
    }
    ks->packed = qp_kernel_pick(max_isa);
    ks->packed_gemv = Q_GEMV_FEW;
    ks->vmath = rt_vmath_pick(max_isa);
}

void rt_kernels_pick_ref(rt_kernel_set *ks) {
    for (uint32_t t = 0; t < HF_TYPE_COUNT; t++) {
        const q_dot_traits *best = q_dot_best(t);
        ks->dot[t] = best ? q_dot_ref_order(t, best->order) : NULL;
        ks->gemv[t] = Q_GEMV_FEW;
    }
    ks->packed = qp_kernel_ref();
    ks->packed_gemv = Q_GEMV_FEW;
    ks->vmath = rt_vmath_ref();
}

#define GEMV_MAX_TOKENS 4

/* Rows per work item. A batch of tokens is compute-bound: chunks of 32 rows (whole 16-row
 * groups and 4- or 8-row tiles) balance the threads and keep a chunk's weights in L2 while the
 * tokens stream past. A few tokens (generation) are bound by reading the weights: each thread
 * then gets about two long contiguous ranges, which the hardware prefetchers stream fastest
 * (measured here, 2 threads, q8_0 tg128: 32-row chunks 225-239 t/s, two ranges per thread
 * 292-338 t/s, one range 270-288 t/s, where a late thread stalls the other). The split is over
 * output rows only. */
static int64_t matmul_chunk(const rt_pool *pool, const rt_tensor *w, const rt_acts *x) {
    if (x->n_rows > GEMV_MAX_TOKENS) return 32;
    const int64_t parts = 2 * (int64_t)rt_pool_n_threads(pool);
    const int64_t chunk = ((w->ne1 + parts - 1) / parts + QP_ROWS - 1) / QP_ROWS * QP_ROWS;
    return chunk > 32 ? chunk : 32;
}

/* The row kernel and the packed one for x's token count: one token in ks's GEMV layouts. */
static q_gemm_fn row_kernel(const rt_kernel_set *ks, uint32_t type, int64_t n_tok) {
    const q_dot_traits *d = ks->dot[type];
    return n_tok == 1 && d->gemv[ks->gemv[type]] ? d->gemv[ks->gemv[type]] : d->gemm;
}
static qp_gemm_fn packed_kernel(const rt_kernel_set *ks, int64_t n_tok) {
    const qp_kernel *p = ks->packed;
    return n_tok == 1 && p->gemv[ks->packed_gemv] ? p->gemv[ks->packed_gemv] : p->gemm;
}

void rt_matmul(rt_pool *pool, const rt_kernel_set *ks, const rt_tensor *w, const rt_acts *x, float *y, int64_t ldy) {
    matmul_job j = {w, x, y, ldy, row_kernel(ks, w->type, x->n_rows), packed_kernel(ks, x->n_rows),
                    {x->data, x->row_bytes, x->bd, x->bnsum, x->k / Q8_0_BLOCK}};
    rt_pool_run(pool, matmul_rows, &j, w->ne1, matmul_chunk(pool, w, x));
}

/* ==== Row kernels ==== */

void rt_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] * scale) * w[i];
}

void rt_layernorm(float *y, const float *x, const float *w, const float *b, int64_t n, float eps) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)x[i];
    const float mean = (float)sum / (float)n; /* ggml: float sum, float division */
    double sum2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const float v = x[i] - mean;
        y[i] = v;
        sum2 += (double)(v * v);
    }
    const float variance = (float)(sum2 / (double)n);
    const float scale = 1.0f / sqrtf(variance + eps);
    for (int64_t i = 0; i < n; i++) y[i] = (y[i] * scale) * w[i];
    if (b)
        for (int64_t i = 0; i < n; i++) y[i] += b[i];
}

void rt_rope_cache(float *cs, int64_t pos, int64_t n_rot, float base, float freq_scale) {
    const float step = powf(base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int64_t i = 0; i < n_rot / 2; i++) {
        const float th = freq_scale * theta;
        cs[2 * i] = cosf(th);
        cs[2 * i + 1] = sinf(th);
        theta *= step;
    }
}

void rt_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, const float *cs, rt_rope_mode mode) {
    /* NORMAL pairs dims (2i, 2i+1); NEOX pairs (i, i + n_rot/2). */
    const int64_t half = n_rot / 2;
    for (int64_t h = 0; h < n_heads; h++) {
        float *v = x + h * head_dim;
        for (int64_t i = 0; i < half; i++) {
            const int64_t a = mode == RT_ROPE_NEOX ? i : 2 * i;
            const int64_t b = mode == RT_ROPE_NEOX ? i + half : 2 * i + 1;
            const float c = cs[2 * i], s = cs[2 * i + 1];
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}

void rt_swiglu(const rt_vmath *vm, float *g, const float *u, int64_t n) { vm->swiglu(g, u, n); }

/* ggml's GELU constants (ggml-cpu/vec.h). */
#define GELU_COEF_A 0.044715f
#define SQRT_2_OVER_PI 0.79788456080286535587989211986876f

static float gelu_tanh(float x) { return 0.5f * x * (1.0f + tanhf(SQRT_2_OVER_PI * x * (1.0f + GELU_COEF_A * x * x))); }

void rt_gelu(float *x, int64_t n) {
    /* ggml looks the f16-rounded input up in a table of f16-rounded results; computing the
     * same two roundings directly gives the same bits without a 64K-entry global table. */
    for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        if (v <= -10.0f) x[i] = 0.0f;
        else if (v < 10.0f) x[i] = hf_f16_to_f32(hf_f32_to_f16(gelu_tanh(hf_f16_to_f32(hf_f32_to_f16(v)))));
    }
}

void rt_softmax(const rt_vmath *vm, float *x, int64_t n) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    const double sum = vm->exp_sum(x, n, max);
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void rt_get_row(const rt_tensor *table, int64_t id, float *out) {
    if (id < table->n_packed) { /* from its group, block by block: the same Q8_0 bytes, so the same floats */
        const uint8_t *group = table->packed + (size_t)(id / QP_ROWS) * qp_group_bytes(table->ne0);
        const int r = (int)(id % QP_ROWS);
        for (int64_t b = 0; b < table->ne0 / Q8_0_BLOCK; b++) {
            q_block_q8_0 blk;
            qp_unpack_block(group, r, b, &blk);
            q_to_f32(HF_TYPE_Q8_0, &blk, out + b * Q8_0_BLOCK, Q8_0_BLOCK);
        }
        return;
    }
    q_to_f32(table->type, (const uint8_t *)table->data + (size_t)id * table->row_bytes, out, table->ne0);
}
