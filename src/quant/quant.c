#include "quant/quant.h"
#include "quant/quant_avx2.h"
#include "quant/quant_dot.h"

#include <math.h>
#include <string.h>

#include "base/f16.h"

int q_type_supported(uint32_t type) {
    return type == HF_TYPE_F32 || type == HF_TYPE_F16 || type == HF_TYPE_BF16 || type == HF_TYPE_Q8_0;
}

/* roundf (half away from zero) as an int8, without a libm call per element: for |v| < 2^23
 * the truncation and v - trunc(v) are exact, so adding the sign when |fraction| >= 0.5 is
 * roundf exactly. Larger values, infinities and NaN (never from amax-scaled finite input)
 * take roundf itself. */
static inline int8_t round_to_i8(float v) {
    if (!(fabsf(v) < 8388608.0f)) return (int8_t)roundf(v);
    const int32_t i = (int32_t)v;
    const float frac = v - (float)i;
    return (int8_t)(i + (frac >= 0.5f) - (frac <= -0.5f));
}

void q_quantize_row_q8_0(const float *x, q_block_q8_0 *y, int64_t n) {
    for (int64_t b = 0; b < n / Q8_0_BLOCK; b++) {
        const float *xb = x + b * Q8_0_BLOCK;
        float amax = 0.0f;
        /* fmaxf(amax, |x|) without the call: a NaN |x| compares false and leaves amax, as fmaxf. */
        for (int j = 0; j < Q8_0_BLOCK; j++) {
            const float a = fabsf(xb[j]);
            amax = a > amax ? a : amax;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = hf_f32_to_f16(d);
        for (int j = 0; j < Q8_0_BLOCK; j++) y[b].qs[j] = round_to_i8(xb[j] * id);
    }
}

void q_dequantize_row_q8_0(const q_block_q8_0 *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / Q8_0_BLOCK; b++) {
        const float d = hf_f16_to_f32(x[b].d);
        for (int j = 0; j < Q8_0_BLOCK; j++) y[b * Q8_0_BLOCK + j] = d * (float)x[b].qs[j];
    }
}

void q_from_f32(uint32_t type, const float *src, void *dst, int64_t n) {
#if defined(__x86_64__) || defined(__i386__)
    /* Byte-identical fast paths (quant_avx2.h) where the CPU has them. */
    if (q_cpu_has_avx2_f16c()) {
        switch (type) {
        case HF_TYPE_Q8_0: q_quantize_row_q8_0_avx2(src, dst, n); return;
        case HF_TYPE_F16: q_f32_to_f16_row_avx2(src, dst, n); return;
        case HF_TYPE_BF16: q_f32_to_bf16_row_avx2(src, dst, n); return;
        default: break; /* F32: the reference's copy */
        }
    }
#endif
    q_from_f32_ref(type, src, dst, n);
}

void q_from_f32_ref(uint32_t type, const float *src, void *dst, int64_t n) {
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
#if defined(__x86_64__) || defined(__i386__)
        if (q_cpu_has_avx2_f16c()) { /* F16C is exact: the same floats (quant_avx2.h) */
            q_f16_to_f32_row_avx2(i16, dst, n);
            break;
        }
#endif
        for (int64_t i = 0; i < n; i++) dst[i] = hf_f16_to_f32(i16[i]);
        break;
    }
    case HF_TYPE_BF16: {
        const uint16_t *i16 = src;
#if defined(__x86_64__) || defined(__i386__)
        if (q_cpu_has_avx2_f16c()) {
            q_bf16_to_f32_row_avx2(i16, dst, n);
            break;
        }
#endif
        for (int64_t i = 0; i < n; i++) dst[i] = hf_bf16_to_f32(i16[i]);
        break;
    }
    case HF_TYPE_Q8_0: q_dequantize_row_q8_0(src, dst, n); break;
    default: break;
    }
}
