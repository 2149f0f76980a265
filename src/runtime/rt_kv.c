#include "runtime/rt_kv.h"

#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "quant/quant.h"

hf_status rt_kv_init(rt_kv *kv, uint32_t type, int64_t n_layer, int64_t n_ctx, int64_t dim, hf_err *err) {
    memset(kv, 0, sizeof *kv);
    if (type != HF_TYPE_F32 && type != HF_TYPE_F16)
        return hf_fail(err, HF_ERR_ARG, "KV cache type must be f32 or f16");
    const size_t row = (size_t)hf_row_size(type, dim);
    const size_t rows = (size_t)n_layer * (size_t)n_ctx;
    if (row == 0 || rows == 0 || rows > SIZE_MAX / row)
        return hf_fail(err, HF_ERR_ARG, "KV cache size overflows (%lld layers x %lld positions)", (long long)n_layer,
                       (long long)n_ctx);
    *kv = (rt_kv){type, n_layer, n_ctx, dim, row, calloc(rows, row), calloc(rows, row)};
    if (!kv->k || !kv->v) {
        rt_kv_free(kv);
        return hf_fail(err, HF_ERR_NOMEM, "out of memory for the KV cache (%zu bytes)", 2 * rows * row);
    }
    return HF_OK;
}

void rt_kv_free(rt_kv *kv) {
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

void rt_kv_store(rt_kv *kv, int64_t layer, int64_t pos, const float *k, const float *v) {
    q_from_f32(kv->type, k, (uint8_t *)rt_kv_k_row(kv, layer, pos), kv->dim);
    q_from_f32(kv->type, v, (uint8_t *)rt_kv_v_row(kv, layer, pos), kv->dim);
}
