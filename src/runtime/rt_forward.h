/* rt_forward: the inference context (KV cache, scratch buffers, thread pool)
 * and the forward pass of Llama-shaped models.
 *
 * rt_decode evaluates tokens at positions n_past, n_past+1, ... in
 * micro-batches of at most n_ubatch tokens (each micro-batch is a pass of
 * [T x n_embd] matmuls), appends their K/V to the cache and writes logits.
 * Generation calls it with one token at a time.
 *
 * Determinism: logits depend only on the model, the tokens and the KV cache
 * type; not on the thread count, the micro-batch size, or the QKV layout of
 * the file (see docs/runtime.md for the argument; tests/test_rt_determinism.c
 * checks it with memcmp). */
#pragma once

#include <stdint.h>

#include "base/status.h"
#include "quant/quant_dot.h"
#include "runtime/rt_model.h"
#include "runtime/rt_tune.h"

typedef struct rt_ctx rt_ctx;
typedef struct rt_kernel_set rt_kernel_set; /* rt_kernels.h */

typedef struct rt_ctx_params {
    int64_t n_ctx;    /* positions in the KV cache (0 = the model's context_length) */
    int64_t n_ubatch; /* max tokens per forward pass (>= 1) */
    uint32_t kv_type; /* HF_TYPE_F32 (default) or HF_TYPE_F16 */
    int n_threads;    /* >= 1 */
    q_isa max_isa;    /* the highest kernel tier to use (quant_dot.h); Q_ISA_BEST: no cap */
    rt_gemv_pick gemv; /* GEMV layouts: timed on the model's matrices (default) or fixed (rt_tune.h) */
    const rt_gemv_report *gemv_from; /* with gemv timed: an earlier context's layouts to reuse untimed
                                        (rt_tune_gemv says when that is right); NULL: time them */
} rt_ctx_params;

/* n_ctx 0, n_ubatch 512, f32, 1 thread, no tier cap, GEMV layouts timed */
rt_ctx_params rt_ctx_default_params(void);

/* The context keeps a pointer to m, which must outlive it. */
hf_status rt_ctx_new(rt_ctx **out, const rt_model *m, const rt_ctx_params *p, hf_err *err);
void rt_ctx_free(rt_ctx *c); /* NULL is a no-op */

int64_t rt_ctx_n_ctx(const rt_ctx *c);
int64_t rt_ctx_n_past(const rt_ctx *c);
void rt_ctx_reset(rt_ctx *c); /* forget the cached positions */
const rt_kernel_set *rt_ctx_kernels(const rt_ctx *c); /* chosen in rt_ctx_new (max_isa, gemv) */
const rt_gemv_report *rt_ctx_gemv(const rt_ctx *c);   /* how rt_ctx_new set the GEMV layouts */

/* Evaluates n tokens after the cached ones. logits receives n rows of n_vocab
 * floats when all_logits, else one row (the last token's). Fails with
 * HF_ERR_RANGE when n_past + n > n_ctx, HF_ERR_ARG on a token id outside the
 * vocabulary; the context is unchanged on failure. */
hf_status rt_decode(rt_ctx *c, const int32_t *tokens, int64_t n, float *logits, int all_logits, hf_err *err);
