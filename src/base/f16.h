/* f16: scalar conversions between float32 and the 16-bit float formats, with
 * exactly the rounding llama.cpp's converter uses (numpy astype(float16):
 * round to nearest even, overflow to inf; ggml's fp32->bf16: round to nearest
 * even, NaN forced quiet). Plain C so results never depend on the CPU. */
#pragma once

#include <stdint.h>
#include <string.h>

static inline uint32_t hf_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float hf_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float hf_f16_to_f32(uint16_t h);
uint16_t hf_f32_to_f16(float f);

static inline float hf_bf16_to_f32(uint16_t b) { return hf_bits_f32((uint32_t)b << 16); }

static inline uint16_t hf_f32_to_bf16(float f) {
    uint32_t n = hf_f32_bits(f);
    if ((n & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((n >> 16) | 64); /* quiet NaN */
    return (uint16_t)((n + 0x7fffu + ((n >> 16) & 1u)) >> 16);
}
