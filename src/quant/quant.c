#include "quant/quant.h"

#include <math.h>
#include <string.h>

#include "base/f16.h"

int q_type_supported(uint32_t type) {
    return type == HF_TYPE_F32 || type == HF_TYPE_F16 || type == HF_TYPE_BF16 || type == HF_TYPE_Q8_0;
}

void q_quantize_row_q8_0(const float *x, q_block_q8_0 *y, int64_t n) {
    for (int64_t b = 0; b < n / Q8_0_BLOCK; b++) {
        const float *xb = x + b * Q8_0_BLOCK;
        float amax = 0.0f;
        for (int j = 0; j < Q8_0_BLOCK; j++) amax = fmaxf(amax, fabsf(xb[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hf_f32_to_f16(d);
        for (int j = 0; j < Q8_0_BLOCK; j++) y[b].qs[j] = (int8_t)roundf(xb[j] * id);
    }
}

void q_dequantize_row_q8_0(const q_block_q8_0 *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / Q8_0_BLOCK; b++) {
        const float d = hf_f16_to_f32(x[b].d);
        for (int j = 0; j < Q8_0_BLOCK; j++) y[b * Q8_0_BLOCK + j] = d * (float)x[b].qs[j];
    }
}

void q_from_f32(uint32_t type, const float *src, void *dst, int64_t n) {
    switch (type) {
    case HF_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case HF_TYPE_F16: {
        uint16_t *o = dst;
        for (int64_t i = 0; i < n; i++) o[i] = hf_f32_to_f16(src[i]);
        break;
    }
    case HF_TYPE_BF16: {
        uint16_t *o = dst;
        for (int64_t i = 0; i < n; i++) o[i] = hf_f32_to_bf16(src[i]);
        break;
    }
    case HF_TYPE_Q8_0: q_quantize_row_q8_0(src, dst, n); break;
    default: break; /* callers check q_type_supported first */
    }
}

void q_to_f32(uint32_t type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case HF_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case HF_TYPE_F16: {
        const uint16_t *i16 = src;
        for (int64_t i = 0; i < n; i++) dst[i] = hf_f16_to_f32(i16[i]);
        break;
    }
    case HF_TYPE_BF16: {
        const uint16_t *i16 = src;
        for (int64_t i = 0; i < n; i++) dst[i] = hf_bf16_to_f32(i16[i]);
        break;
    }
    case HF_TYPE_Q8_0: q_dequantize_row_q8_0(src, dst, n); break;
    default: break;
    }
}
