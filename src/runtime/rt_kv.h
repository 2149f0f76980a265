/* rt_kv: the attention KV cache, one K and one V row per (layer, position).
 *
 * Rows hold n_head_kv * head_dim elements in F32 (default, exact) or F16
 * (half the memory; values rounded to nearest even when stored). The cache
 * type doubles as the "weight type" of the Q.K dot products: with an F16
 * cache the query is rounded to F16 first, as ggml does (quant_dot.h). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct rt_kv {
    uint32_t type;      /* HF_TYPE_F32 or HF_TYPE_F16 */
    int64_t n_layer;
    int64_t n_ctx;
    int64_t dim;        /* elements per row */
    size_t row_bytes;
    uint8_t *k, *v;     /* [n_layer][n_ctx][dim] */
} rt_kv;

hf_status rt_kv_init(rt_kv *kv, uint32_t type, int64_t n_layer, int64_t n_ctx, int64_t dim, hf_err *err);
void rt_kv_free(rt_kv *kv); /* accepts a zeroed struct */

void rt_kv_store(rt_kv *kv, int64_t layer, int64_t pos, const float *k, const float *v);
static inline const uint8_t *rt_kv_k_row(const rt_kv *kv, int64_t layer, int64_t pos) {
    return kv->k + ((size_t)layer * (size_t)kv->n_ctx + (size_t)pos) * kv->row_bytes;
}
static inline const uint8_t *rt_kv_v_row(const rt_kv *kv, int64_t layer, int64_t pos) {
    return kv->v + ((size_t)layer * (size_t)kv->n_ctx + (size_t)pos) * kv->row_bytes;
}
