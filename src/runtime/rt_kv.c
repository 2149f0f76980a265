#include "runtime/rt_kv.h"

#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/dtype.h"
#include "quant/quant.h"

hf_status rt_kv_init(rt_kv *kv, uint32_t type, int64_t n_layer, int64_t n_ctx, int64_t n_head, int64_t head_dim,
                     hf_err *err) {
    memset(kv, 0, sizeof *kv);
    if (type != HF_TYPE_F32 && type != HF_TYPE_F16)
        return hf_fail(err, HF_ERR_ARG, "KV cache type must be f32 or f16");
    const size_t row = (size_t)hf_row_size(type, head_dim);
    uint64_t rows = 0;
    const int fits = row > 0 && n_layer > 0 && n_ctx > 0 && n_head > 0 &&
                     hf_mul_u64((uint64_t)n_layer, (uint64_t)n_ctx, &rows) && hf_mul_u64(rows, (uint64_t)n_head, &rows) &&
                     rows <= SIZE_MAX / row;
    if (!fits)
        return hf_fail(err, HF_ERR_ARG, "KV cache size overflows (%lld layers x %lld positions)", (long long)n_layer,
                       (long long)n_ctx);
    *kv = (rt_kv){type, n_layer, n_ctx, n_head, head_dim, row, calloc(rows, row), calloc(rows, row)};
    if (!kv->k || !kv->v) {
        rt_kv_free(kv);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory for the KV cache (%zu bytes)", (size_t)(2 * rows * row));
    }
    return HF_OK;
}

void rt_kv_free(rt_kv *kv) {
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

void rt_kv_store(rt_kv *kv, int64_t layer, int64_t pos, const float *k, const float *v) {
    for (int64_t g = 0; g < kv->n_head; g++) {
        const size_t at = rt_kv_head_offset(kv, layer, g) + (size_t)pos * kv->row_bytes;
        q_from_f32(kv->type, k + g * kv->head_dim, kv->k + at, kv->head_dim);
        q_from_f32(kv->type, v + g * kv->head_dim, kv->v + at, kv->head_dim);
    }
}
