/* The forward pass: shared blocks composed per architecture (see rt_forward.h, rt_arch.h). */
#include "runtime/rt_forward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_kv.h"
#include "runtime/rt_pool.h"

struct rt_ctx {
    const rt_model *m;
    rt_pool *pool;
    rt_kernel_set kernels; /* chosen once in rt_ctx_new */
    rt_gemv_report gemv;   /* how its GEMV layouts were set */
    rt_kv kv;
    int64_t n_ctx, n_ubatch, n_past;
    /* Scratch for one micro-batch of T <= n_ubatch tokens (row-major, token rows). */
    float *x;        /* [T x n_embd] residual stream */
    float *xn;       /* [T x n_embd] normed input of a matmul */
    float *qkv;      /* [T x (n_q + 2 n_kv)] Q||K||V per token */
    float *attn;     /* [T x n_q] attention output */
    float *proj;     /* [T x n_embd] attention block output */
    float *ffn_out;  /* [T x n_embd] FFN block output */
    float *gate;     /* [T x n_ff] */
    float *up;       /* [T x n_ff] */
    float *rope_cs;  /* [T x n_rot] cos/sin per token */
    void *acts;      /* converted activations, rt_acts_max_bytes(T, max K) */
    float *att_tmp;  /* per thread: att_qt x n_ctx scores, att_qt converted queries, scaled Q */
    int64_t att_stride;
    int64_t att_qt;  /* queries per attention work item (a tile sharing each K and V row read) */
};

/* Queries per tile: a multiple of the float gemms' token blocks (3 on AVX2, 6 on AVX-512) and
 * of ATT_WSUM_GROUP, so no query of a full tile falls to a one-token remainder. 24 against 16:
 * 1.80 against 2.11 ns per score (AVX-512), 2.45 against 2.55 (AVX2), 512 positions, head_dim 64. */
#define ATT_MAX_QT 24
/* Floats of scores per thread (16 MiB) while a tile has more than one query (the tile halves
 * until they fit: 24, 12, 6, 3, 1 queries); one query needs n_ctx floats whatever the cap
 * (64 MiB at the largest context). */
#define ATT_MAX_SCORES ((size_t)4 << 20)

rt_ctx_params rt_ctx_default_params(void) {
    return (rt_ctx_params){.n_ctx = 0, .n_ubatch = 512, .kv_type = HF_TYPE_F32, .n_threads = 1, .max_isa = Q_ISA_BEST,
                           .gemv = RT_GEMV_TIMED, .gemv_from = NULL};
}

int64_t rt_ctx_n_ctx(const rt_ctx *c) { return c->n_ctx; }
int64_t rt_ctx_n_past(const rt_ctx *c) { return c->n_past; }
void rt_ctx_reset(rt_ctx *c) { c->n_past = 0; }
const rt_kernel_set *rt_ctx_kernels(const rt_ctx *c) { return &c->kernels; }
const rt_gemv_report *rt_ctx_gemv(const rt_ctx *c) { return &c->gemv; }

static int64_t max3(int64_t a, int64_t b, int64_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

static hf_status alloc_scratch(rt_ctx *c, hf_err *err) {
    const rt_hparams *hp = &c->m->hp;
    const size_t T = (size_t)c->n_ubatch;
    const int64_t n_qkv = rt_n_q(hp) + 2 * rt_n_kv(hp);
    /* Up to ATT_MAX_QT queries per tile, fewer when the context would make the scores scratch large. */
    c->att_qt = ATT_MAX_QT < c->n_ubatch ? ATT_MAX_QT : c->n_ubatch;
    while (c->att_qt > 1 && (size_t)c->att_qt * (size_t)c->n_ctx > ATT_MAX_SCORES) c->att_qt /= 2;
    c->att_stride = c->att_qt * (c->n_ctx + hp->head_dim) + hp->head_dim;
    c->x = malloc(T * (size_t)hp->n_embd * sizeof(float));
    c->xn = malloc(T * (size_t)hp->n_embd * sizeof(float));
    c->qkv = malloc(T * (size_t)n_qkv * sizeof(float));
    c->attn = malloc(T * (size_t)rt_n_q(hp) * sizeof(float));
    c->proj = malloc(T * (size_t)hp->n_embd * sizeof(float));
    c->ffn_out = malloc(T * (size_t)hp->n_embd * sizeof(float));
    c->gate = malloc(T * (size_t)hp->n_ff * sizeof(float));
    c->up = malloc(T * (size_t)hp->n_ff * sizeof(float));
    c->rope_cs = malloc(T * (size_t)hp->n_rot * sizeof(float));
    /* On a cache line: the kernels read activation rows with 32- and 64-byte loads, and a row of
     * a multiple of 32 elements then never splits a line (malloc gives 16-byte alignment). */
    const size_t acts_bytes = rt_acts_max_bytes((int64_t)T, max3(hp->n_embd, rt_n_q(hp), hp->n_ff));
    c->acts = aligned_alloc(64, (acts_bytes + 63) / 64 * 64);
    c->att_tmp = malloc((size_t)rt_pool_n_threads(c->pool) * (size_t)c->att_stride * sizeof(float));
    if (!c->x || !c->xn || !c->qkv || !c->attn || !c->proj || !c->ffn_out || !c->gate || !c->up || !c->rope_cs || !c->acts ||
        !c->att_tmp)
        return hf_fail(err, HF_ERR_NOMEM, "out of memory for the forward-pass buffers (ubatch %lld)",
                       (long long)c->n_ubatch);
    return HF_OK;
}

hf_status rt_ctx_new(rt_ctx **out, const rt_model *m, const rt_ctx_params *p, hf_err *err) {
    *out = NULL;
    const int64_t n_ctx = p->n_ctx > 0 ? p->n_ctx : m->hp.n_ctx_train;
    if (n_ctx > ((int64_t)1 << 24))
        return hf_fail(err, HF_ERR_ARG, "context size %lld too large (max %d)", (long long)n_ctx, 1 << 24);
    if (p->n_ubatch < 1 || p->n_ubatch > 65536)
        return hf_fail(err, HF_ERR_ARG, "ubatch %lld out of range 1..65536", (long long)p->n_ubatch);
    rt_ctx *c = calloc(1, sizeof *c);
    if (!c) return hf_fail(err, HF_ERR_NOMEM, "out of memory for the context");
    c->m = m;
    rt_kernels_pick(&c->kernels, p->max_isa);
    c->n_ctx = n_ctx;
    c->n_ubatch = p->n_ubatch < n_ctx ? p->n_ubatch : n_ctx;
    hf_status st = rt_pool_new(&c->pool, p->n_threads, err);
    if (st == HF_OK) st = rt_kv_init(&c->kv, p->kv_type, m->hp.n_layer, n_ctx, m->hp.n_head_kv, m->hp.head_dim, err);
    if (st == HF_OK) st = alloc_scratch(c, err);
    if (st == HF_OK) st = rt_tune_gemv(&c->kernels, m, c->pool, p->gemv, p->gemv_from, &c->gemv, err);
    if (st != HF_OK) {
        rt_ctx_free(c);
        return st;
    }
    *out = c;
    return HF_OK;
}

void rt_ctx_free(rt_ctx *c) {
    if (!c) return;
    rt_pool_free(c->pool);
    rt_kv_free(&c->kv);
    free(c->x);
    free(c->xn);
    free(c->qkv);
    free(c->attn);
    free(c->proj);
    free(c->ffn_out);
    free(c->gate);
    free(c->up);
    free(c->rope_cs);
    free(c->acts);
    free(c->att_tmp);
    free(c);
}

/* ==== Blocks ====
 * The shared building blocks every architecture composes (rt_arch.h): norm, attention
 * (Q/K/V projection in any layout, optional Q/K norms, RoPE, GQA over the cache, output
 * projection), FFN (SwiGLU or GELU, optional biases). Each block writes its result into a
 * buffer; the layer compositions below do the residual adds, in llama.cpp's graph order. */

/* Adds an optional bias (b->data NULL: none) to each of t rows of n. */
static void add_bias_rows(float *y, const rt_tensor *b, int64_t t, int64_t n) {
    if (!b->data) return;
    const float *bias = b->data;
    for (int64_t i = 0; i < t; i++)
        for (int64_t j = 0; j < n; j++) y[i * n + j] += bias[j];
}

/* The arch's norm over t rows of n: RMSNorm, or LayerNorm with an optional bias. */
static void norm_rows(const rt_ctx *c, float *y, const float *x, const rt_tensor *w, const rt_tensor *b, int64_t t,
                      int64_t n) {
    const rt_hparams *hp = &c->m->hp;
    for (int64_t i = 0; i < t; i++) {
        if (c->m->arch_row->norm == RT_NORM_LAYER) rt_layernorm(y + i * n, x + i * n, w->data, b->data, n, hp->norm_eps);
        else rt_rmsnorm(y + i * n, x + i * n, w->data, n, hp->norm_eps);
    }
}

typedef struct norm_job {
    const rt_ctx *c;
    float *y;
    const float *x;
    const rt_tensor *w, *b;
    int64_t n;
} norm_job;

static void norm_range(void *arg, int64_t start, int64_t end, int ith) {
    (void)ith;
    const norm_job *j = arg;
    norm_rows(j->c, j->y + start * j->n, j->x + start * j->n, j->w, j->b, end - start, j->n);
}

/* norm_rows over t rows, split over the threads (each row on its own: no bit changes). */
static void norm_block(const rt_ctx *c, float *y, const float *x, const rt_tensor *w, const rt_tensor *b, int64_t t,
                       int64_t n) {
    norm_job j = {c, y, x, w, b, n};
    rt_pool_run(c->pool, norm_range, &j, t, 8);
}

/* y[T x w->ne1] = X . W^T (+ bias). */
static void linear(rt_ctx *c, const rt_tensor *w, const rt_tensor *bias, const float *x, int64_t t, float *y) {
    rt_acts a;
    rt_acts_convert(c->pool, rt_act_type_for(&c->kernels, w), x, w->ne0, t, w->ne0, c->acts, &a);
    rt_matmul(c->pool, &c->kernels, w, &a, y, w->ne1);
    add_bias_rows(y, bias, t, w->ne1);
}

/* Q||K||V for T tokens into c->qkv: one matmul for a fused weight, three
 * writing column ranges of the same rows otherwise. The activations are
 * converted once and shared whenever the weights want the same type. */
static void project_qkv(rt_ctx *c, const rt_layer *ly, const float *xin, int64_t t) {
    const rt_hparams *hp = &c->m->hp;
    const int64_t nq = rt_n_q(hp), nkv = rt_n_kv(hp), n_qkv = nq + 2 * nkv;
    rt_acts a = {0};
    if (ly->qkv_fused) {
        rt_acts_convert(c->pool, rt_act_type_for(&c->kernels, &ly->wqkv), xin, hp->n_embd, t, hp->n_embd, c->acts, &a);
        rt_matmul(c->pool, &c->kernels, &ly->wqkv, &a, c->qkv, n_qkv);
    } else {
        const rt_tensor *w[3] = {&ly->wq, &ly->wk, &ly->wv};
        const int64_t off[3] = {0, nq, nq + nkv};
        for (int i = 0; i < 3; i++) {
            if (i == 0 || a.type != rt_act_type_for(&c->kernels, w[i]))
                rt_acts_convert(c->pool, rt_act_type_for(&c->kernels, w[i]), xin, hp->n_embd, t, hp->n_embd, c->acts, &a);
            rt_matmul(c->pool, &c->kernels, w[i], &a, c->qkv + off[i], n_qkv);
        }
    }
    if (ly->bqkv)
        for (int64_t i = 0; i < t; i++)
            for (int64_t j = 0; j < n_qkv; j++) c->qkv[i * n_qkv + j] += ly->bqkv[j];
}

/* Per-head norm of n_heads vectors of head_dim: one weight shared by every head ({head_dim},
 * Qwen3) or one per head ({head_dim, n_heads}, StableLM). */
static void norm_heads(const rt_ctx *c, float *x, const rt_tensor *w, int64_t n_heads) {
    const int64_t hd = c->m->hp.head_dim;
    for (int64_t h = 0; h < n_heads; h++) {
        const rt_tensor wh = {.name = w->name, .data = (const float *)w->data + (w->ne1 > 1 ? h * hd : 0), .type = w->type,
                               .ne0 = hd, .ne1 = 1};
        const rt_tensor none = {0};
        norm_rows(c, x + h * hd, x + h * hd, &wh, &none, 1, hd);
    }
}

typedef struct rope_job {
    rt_ctx *c;
    const rt_layer *ly;
    int64_t layer, pos0;
} rope_job;

/* Tokens [start, end) of qk_rope_and_cache: each token's rows and cache slots are its own. */
static void rope_range(void *arg, int64_t start, int64_t end, int ith) {
    (void)ith;
    const rope_job *j = arg;
    rt_ctx *c = j->c;
    const rt_layer *ly = j->ly;
    const rt_hparams *hp = &c->m->hp;
    const int64_t nq = rt_n_q(hp), nkv = rt_n_kv(hp), n_qkv = nq + 2 * nkv, layer = j->layer, pos0 = j->pos0;
    for (int64_t i = start; i < end; i++) {
        float *row = c->qkv + i * n_qkv;
        if (ly->q_norm.data) norm_heads(c, row, &ly->q_norm, hp->n_head);
        if (ly->k_norm.data) norm_heads(c, row + nq, &ly->k_norm, hp->n_head_kv);
        const float *cs = c->rope_cs + i * hp->n_rot;
        rt_rope(row, hp->n_head, hp->head_dim, hp->n_rot, cs, hp->rope_mode);
        rt_rope(row + nq, hp->n_head_kv, hp->head_dim, hp->n_rot, cs, hp->rope_mode);
        rt_kv_store(&c->kv, layer, pos0 + i, row + nq, row + nq + nkv);
    }
}

/* Q/K norms (when the layer has them), RoPE on Q and K of every token, K and V into the cache;
 * the tokens split over the threads. */
static void qk_rope_and_cache(rt_ctx *c, const rt_layer *ly, int64_t layer, int64_t t, int64_t pos0) {
    rope_job j = {c, ly, layer, pos0};
    rt_pool_run(c->pool, rope_range, &j, t, 8);
}

typedef struct attn_job {
    rt_ctx *c;
    int64_t layer, pos0, t, n_tiles;
    const q_dot_traits *dt; /* Q.K dot (and its gemm) for the cache type */
    float q_scale;          /* applied to Q before the dot (phi2), else 1 */
    float scale;            /* applied to the scores */
} attn_job;

/* Scores of nq queries of one head against cache rows 0..n_pos-1 of its KV head, one row of
 * n_ctx per query: the cache type's gemm, which gives each score the bits of its dot, so a
 * query's scores do not depend on the tile it is in. */
static void tile_scores(const attn_job *j, int64_t h, int64_t t_lo, int64_t nq, float *scores, void *qconv) {
    rt_ctx *c = j->c;
    const rt_hparams *hp = &c->m->hp;
    const int64_t hd = hp->head_dim, n_qkv = rt_n_q(hp) + 2 * rt_n_kv(hp), g = h / (hp->n_head / hp->n_head_kv);
    const size_t q_bytes = q_act_row_bytes(j->dt->act_type, hd);
    float *qbuf = scores + c->att_stride - hd; /* the last head_dim floats of the thread's scratch */
    for (int64_t i = 0; i < nq; i++) {
        const float *q = c->qkv + (t_lo + i) * n_qkv + h * hd;
        if (j->q_scale != 1.0f) {
            for (int64_t d = 0; d < hd; d++) qbuf[d] = q[d] * j->q_scale;
            q = qbuf;
        }
        q_act_from_f32(j->dt->act_type, q, (uint8_t *)qconv + (size_t)i * q_bytes, hd);
    }
    const int64_t n_pos = j->pos0 + t_lo + nq;
    j->dt->gemm(rt_kv_k_head(&c->kv, j->layer, g), c->kv.row_bytes, n_pos, qconv, q_bytes, nq, hd, scores, c->n_ctx);
    for (int64_t i = 0; i < nq; i++) {
        float *row = scores + i * c->n_ctx;
        const int64_t pos = j->pos0 + t_lo + i;
        for (int64_t p = 0; p <= pos; p++) row[p] *= j->scale;
        rt_softmax(c->kernels.vmath, row, pos + 1);
    }
}

/* Queries per weighted V sum: they share the V rows up to the first one's position, and the
 * later ones add their last few rows on their own (a multiple of the kernels' output blocks). */
#define ATT_WSUM_GROUP 6

/* The outputs of nq queries of one head (query i at position pos0 + t_lo + i): each sums its V
 * rows in position order (wsum), so a group's shared rows and then each query's own last rows
 * give the bits of one sum per query. */
static void weighted_v_sums(const attn_job *j, int64_t h, int64_t t_lo, int64_t nq, const float *scores) {
    rt_ctx *c = j->c;
    const rt_hparams *hp = &c->m->hp;
    const int64_t hd = hp->head_dim, nq_all = rt_n_q(hp), g = h / (hp->n_head / hp->n_head_kv);
    const size_t rs = c->kv.row_bytes;
    const uint8_t *v0 = rt_kv_v_head(&c->kv, j->layer, g); /* F32 or F16 (rt_kv_init): types with a wsum */
    for (int64_t i0 = 0; i0 < nq; i0 += ATT_WSUM_GROUP) {
        const int64_t n_out = nq - i0 < ATT_WSUM_GROUP ? nq - i0 : ATT_WSUM_GROUP;
        const int64_t shared = j->pos0 + t_lo + i0 + 1;
        float *out = c->attn + (t_lo + i0) * nq_all + h * hd;
        const float *a = scores + i0 * c->n_ctx;
        for (int64_t i = 0; i < n_out; i++) memset(out + i * nq_all, 0, (size_t)hd * sizeof(float));
        j->dt->wsum(out, nq_all, a, c->n_ctx, n_out, v0, rs, shared, hd);
        for (int64_t i = 1; i < n_out; i++)
            j->dt->wsum(out + i * nq_all, nq_all, a + i * c->n_ctx + shared, c->n_ctx, 1, v0 + (size_t)shared * rs, rs,
                        i, hd);
    }
}

/* One (head, tile of queries) pair per item: causal softmax attention over the cache. Each
 * K row is read once per tile (the scores' gemm) and each V row once per group of queries
 * (weighted_v_sums), the head's rows staying in L2 across the tile. */
static void attend(void *arg, int64_t start, int64_t end, int ith) {
    const attn_job *j = arg;
    rt_ctx *c = j->c;
    const int64_t qt = c->att_qt;
    float *scores = c->att_tmp + (size_t)ith * (size_t)c->att_stride; /* qt rows of n_ctx */
    void *qconv = scores + qt * c->n_ctx;                                 /* qt x head_dim */
    for (int64_t item = start; item < end; item++) {
        const int64_t h = item / j->n_tiles, t_lo = item % j->n_tiles * qt;
        const int64_t nq = j->t - t_lo < qt ? j->t - t_lo : qt;
        tile_scores(j, h, t_lo, nq, scores, qconv);
        weighted_v_sums(j, h, t_lo, nq, scores);
    }
}

static void attention(rt_ctx *c, int64_t layer, int64_t t, int64_t pos0) {
    const float kq_scale = 1.0f / sqrtf((float)c->m->hp.head_dim);
    const int prescale = (c->m->arch_row->flags & RT_A_Q_PRESCALE) != 0;
    const int64_t n_tiles = (t + c->att_qt - 1) / c->att_qt;
    attn_job j = {c, layer, pos0, t, n_tiles, c->kernels.dot[c->kv.type], prescale ? kq_scale : 1.0f,
                  prescale ? 1.0f : kq_scale};
    rt_pool_run(c->pool, attend, &j, n_tiles * c->m->hp.n_head, 1);
}

/* Self-attention of t tokens whose normed input is xin; result [T x n_embd] in c->proj. */
static void attention_block(rt_ctx *c, const rt_layer *ly, int64_t il, const float *xin, int64_t t, int64_t pos0) {
    project_qkv(c, ly, xin, t);
    qk_rope_and_cache(c, ly, il, t, pos0);
    attention(c, il, t, pos0);
    linear(c, &ly->wo, &ly->bo, c->attn, t, c->proj);
}

static void swiglu_range(void *arg, int64_t start, int64_t end, int ith) {
    (void)ith;
    rt_ctx *c = arg;
    const int64_t n_ff = c->m->hp.n_ff;
    rt_swiglu(c->kernels.vmath, c->gate + start * n_ff, c->up + start * n_ff, (end - start) * n_ff);
}

/* gate = silu(gate) * up over t rows of n_ff, the rows split over the threads (element-wise,
 * so the split changes no bit). */
static void swiglu_rows(rt_ctx *c, int64_t t) { rt_pool_run(c->pool, swiglu_range, c, t, 1); }

/* The MLP of t tokens whose normed input is xin; result [T x n_embd] in c->ffn_out. */
static void ffn_block(rt_ctx *c, const rt_layer *ly, const float *xin, int64_t t) {
    const rt_hparams *hp = &c->m->hp;
    if (c->m->arch_row->ffn == RT_FFN_GELU) {
        linear(c, &ly->w_up, &ly->b_up, xin, t, c->up);
        rt_gelu(c->up, t * hp->n_ff);
        linear(c, &ly->w_down, &ly->b_down, c->up, t, c->ffn_out);
        return;
    }
    rt_acts a;
    rt_acts_convert(c->pool, rt_act_type_for(&c->kernels, &ly->w_gate), xin, hp->n_embd, t, hp->n_embd, c->acts, &a);
    rt_matmul(c->pool, &c->kernels, &ly->w_gate, &a, c->gate, hp->n_ff);
    add_bias_rows(c->gate, &ly->b_gate, t, hp->n_ff);
    if (rt_act_type_for(&c->kernels, &ly->w_up) != a.type)
        rt_acts_convert(c->pool, rt_act_type_for(&c->kernels, &ly->w_up), xin, hp->n_embd, t, hp->n_embd, c->acts, &a);
    rt_matmul(c->pool, &c->kernels, &ly->w_up, &a, c->up, hp->n_ff);
    add_bias_rows(c->up, &ly->b_up, t, hp->n_ff);
    swiglu_rows(c, t);
    linear(c, &ly->w_down, &ly->b_down, c->gate, t, c->ffn_out);
}

static void add_rows(float *y, const float *d, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += d[i];
}

/* ==== Layer compositions (rt_wiring) ==== */

/* x += attn(norm(x)); x += ffn(ffn_norm(x)), or ffn(norm(x)) without ffn_norm (parallel residual). */
static void layer_sequential(rt_ctx *c, const rt_layer *ly, int64_t il, int64_t t, int64_t pos0) {
    const int64_t E = c->m->hp.n_embd;
    norm_block(c, c->xn, c->x, &ly->attn_norm, &ly->attn_norm_b, t, E);
    attention_block(c, ly, il, c->xn, t, pos0);
    add_rows(c->x, c->proj, t * E);
    if (ly->ffn_norm.data) norm_block(c, c->xn, c->x, &ly->ffn_norm, &ly->ffn_norm_b, t, E);
    ffn_block(c, ly, c->xn, t);
    add_rows(c->x, c->ffn_out, t * E);
}

/* h = norm(x); x = (attn(h) + ffn(h)) + x, the order of llama.cpp's phi2 graph. */
static void layer_parallel(rt_ctx *c, const rt_layer *ly, int64_t il, int64_t t, int64_t pos0) {
    const int64_t E = c->m->hp.n_embd;
    norm_block(c, c->xn, c->x, &ly->attn_norm, &ly->attn_norm_b, t, E);
    attention_block(c, ly, il, c->xn, t, pos0);
    ffn_block(c, ly, c->xn, t);
    add_rows(c->proj, c->ffn_out, t * E);
    add_rows(c->x, c->proj, t * E);
}

typedef void (*layer_fn)(rt_ctx *c, const rt_layer *ly, int64_t il, int64_t t, int64_t pos0);
static const layer_fn LAYER_FNS[] = {
    [RT_WIRING_SEQUENTIAL] = layer_sequential,
    [RT_WIRING_PARALLEL] = layer_parallel,
};

static void run_layer(rt_ctx *c, int64_t il, int64_t t, int64_t pos0) {
    LAYER_FNS[c->m->arch_row->wiring](c, &c->m->layers[il], il, t, pos0);
}

/* Logits for tokens [first, t) of the micro-batch into out (rows of n_vocab). */
static void output_head(rt_ctx *c, int64_t first, int64_t t, float *out) {
    const rt_hparams *hp = &c->m->hp;
    const int64_t n = t - first;
    norm_block(c, c->xn, c->x + first * hp->n_embd, &c->m->output_norm, &c->m->output_norm_b, n, hp->n_embd);
    linear(c, &c->m->output, &c->m->output_b, c->xn, n, out);
}

static void run_ubatch(rt_ctx *c, const int32_t *tokens, int64_t t, float *logits, int all_logits) {
    const rt_hparams *hp = &c->m->hp;
    const int64_t pos0 = c->n_past;
    for (int64_t i = 0; i < t; i++) {
        rt_get_row(&c->m->tok_embd, tokens[i], c->x + i * hp->n_embd);
        rt_rope_cache(c->rope_cs + i * hp->n_rot, pos0 + i, hp->n_rot, hp->rope_base, hp->rope_freq_scale);
    }
    for (int64_t il = 0; il < hp->n_layer; il++) run_layer(c, il, t, pos0);
    if (logits) output_head(c, all_logits ? 0 : t - 1, t, logits);
    c->n_past += t;
}

hf_status rt_decode(rt_ctx *c, const int32_t *tokens, int64_t n, float *logits, int all_logits, hf_err *err) {
    const int64_t n_vocab = c->m->hp.n_vocab;
    if (n < 1) return hf_fail(err, HF_ERR_ARG, "no tokens to evaluate");
    if (n > c->n_ctx - c->n_past)
        return hf_fail(err, HF_ERR_RANGE, "%lld tokens do not fit the context: %lld of %lld positions are used",
                       (long long)n, (long long)c->n_past, (long long)c->n_ctx);
    for (int64_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= n_vocab)
            return hf_fail(err, HF_ERR_ARG, "token id %d at index %lld is outside the vocabulary (0..%lld)",
                           (int)tokens[i], (long long)i, (long long)n_vocab - 1);
    for (int64_t done = 0; done < n;) {
        const int64_t t = n - done < c->n_ubatch ? n - done : c->n_ubatch;
        const int last = done + t == n;
        float *out = NULL;
        if (all_logits) out = logits + done * n_vocab;
        else if (last) out = logits;
        run_ubatch(c, tokens + done, t, out, all_logits);
        done += t;
    }
    return HF_OK;
}
