/* rt_kv: the attention KV cache, one K and one V vector per (layer, KV head, position).
 *
 * Vectors hold head_dim elements in F32 (default, exact) or F16 (half the memory; values
 * rounded to nearest even when stored). The cache type doubles as the "weight type" of the
 * Q.K dot products: with an F16 cache the query is rounded to F16 first, as ggml does
 * (quant_dot.h).
 *
 * Layout [layer][kv head][position][head_dim]: attention reads one head's positions in
 * order, so they lie one after another and stream from memory; position-major rows put a
 * head's vectors a whole row apart (4 KiB for 1024 floats), one cache line or two per page.
 * The layout changes no result, only the addresses. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct rt_kv {
    uint32_t type;      /* HF_TYPE_F32 or HF_TYPE_F16 */
    int64_t n_layer;
    int64_t n_ctx;
    int64_t n_head;     /* KV heads */
    int64_t head_dim;
    size_t row_bytes;   /* one vector of head_dim elements: the stride between positions */
    uint8_t *k, *v;     /* [n_layer][n_head][n_ctx][head_dim] */
} rt_kv;

hf_status rt_kv_init(rt_kv *kv, uint32_t type, int64_t n_layer, int64_t n_ctx, int64_t n_head, int64_t head_dim,
                     hf_err *err);
void rt_kv_free(rt_kv *kv); /* accepts a zeroed struct */

/* Stores position pos of a layer: k and v hold n_head * head_dim floats, head after head. */
void rt_kv_store(rt_kv *kv, int64_t layer, int64_t pos, const float *k, const float *v);

/* Position 0 of KV head g in a layer; position p is row_bytes * p further. */
static inline size_t rt_kv_head_offset(const rt_kv *kv, int64_t layer, int64_t g) {
    return ((size_t)layer * (size_t)kv->n_head + (size_t)g) * (size_t)kv->n_ctx * kv->row_bytes;
}
static inline const uint8_t *rt_kv_k_head(const rt_kv *kv, int64_t layer, int64_t g) {
    return kv->k + rt_kv_head_offset(kv, layer, g);
}
static inline const uint8_t *rt_kv_v_head(const rt_kv *kv, int64_t layer, int64_t g) {
    return kv->v + rt_kv_head_offset(kv, layer, g);
}
