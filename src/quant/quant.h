/* quant: numerics of the tensor types hf2gguf writes and computes with
 * (F32, F16, BF16, Q8_0): conversion from float32 rows (the converter's
 * output path) and back (the runtime's reference path).
 *
 * Rounding is llama.cpp's, bit for bit: F16 round-to-nearest-even, BF16 per
 * ggml_compute_fp32_to_bf16, Q8_0 per quantize_row_q8_0_ref (fp16 scale
 * amax/127, values round(x * (1/d)) half away from zero). */
#pragma once

#include <stdint.h>

#include "base/dtype.h"
#include "base/status.h"

#define Q8_0_BLOCK 32

/* One Q8_0 block as stored in GGUF: fp16 scale, then 32 signed bytes. */
typedef struct q_block_q8_0 {
    uint16_t d;
    int8_t qs[Q8_0_BLOCK];
} q_block_q8_0;
_Static_assert(sizeof(q_block_q8_0) == 34, "Q8_0 block must be 34 bytes");

/* Is `type` one this module converts to and from? (F32, F16, BF16, Q8_0) */
int q_type_supported(uint32_t type);

/* Converts n floats to `type` (n a multiple of the block size). dst holds
 * hf_row_size(type, n) bytes. */
void q_from_f32(uint32_t type, const float *src, void *dst, int64_t n);
/* The plain C conversions q_from_f32 is byte-identical to (it takes SIMD paths where the CPU
 * has them, tests/test_quant_rows.c). */
void q_from_f32_ref(uint32_t type, const float *src, void *dst, int64_t n);

/* Converts n elements of `type` back to float32. */
void q_to_f32(uint32_t type, const void *src, float *dst, int64_t n);

void q_quantize_row_q8_0(const float *x, q_block_q8_0 *y, int64_t n);
void q_dequantize_row_q8_0(const q_block_q8_0 *x, float *y, int64_t n);
