/* quant_avx2: AVX2/F16C row conversions, byte-identical to the references in quant.c
 * (tests/test_quant_rows.c). Internal to the quant module; callers check the CPU first. */
#pragma once

#include <stdint.h>

#include "quant/quant.h"

/* Q8_0 as q_quantize_row_q8_0; blocks holding a NaN or an infinity, or whose scale is so
 * small that its inverse overflows, take the reference. */
void q_quantize_row_q8_0_avx2(const float *x, q_block_q8_0 *y, int64_t n);
/* F32 -> F16 as hf_f32_to_f16 (round to nearest even, overflow to inf); groups of 8 holding
 * a NaN take the scalar conversion (F16C would quiet a signaling NaN's payload). */
void q_f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n);
/* F16 -> F32 as hf_f16_to_f32 (exact); groups of 8 holding an infinity or a NaN take the
 * scalar conversion. */
void q_f16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n);
/* F32 -> BF16 as hf_f32_to_bf16 (ggml's rounding, NaN made quiet), in integer arithmetic. */
void q_f32_to_bf16_row_avx2(const float *x, uint16_t *y, int64_t n);
/* BF16 -> F32 as hf_bf16_to_f32 (a shift: exact for every word). */
void q_bf16_to_f32_row_avx2(const uint16_t *x, float *y, int64_t n);
