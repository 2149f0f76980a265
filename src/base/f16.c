#include "base/f16.h"

float hf_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) return hf_bits_f32(sign | 0x7f800000u | (man << 13)); /* inf / NaN */
    if (exp == 0) {
        if (man == 0) return hf_bits_f32(sign);
        /* subnormal: value = man * 2^-24, exact in float32 */
        float v = (float)man * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    return hf_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t hf_f32_to_f16(float f) {
    uint32_t x = hf_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;

    if (exp == 0xff) { /* inf or NaN; NaN keeps its top payload bits, stays NaN */
        if (man == 0) return sign | 0x7c00u;
        uint16_t m = (uint16_t)(man >> 13);
        return sign | 0x7c00u | (m ? m : 1u);
    }
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 0x1f) return sign | 0x7c00u; /* overflow -> inf */
    if (e <= 0) {
        /* subnormal half (or zero): shift the full significand, round to nearest even */
        if (e < -10) return sign; /* below half the smallest subnormal */
        uint32_t sig = man | 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = sig >> shift;
        uint32_t rem = sig & ((1u << shift) - 1u);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return sign | (uint16_t)half;
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++; /* may carry into exp: correct */
    return sign | (uint16_t)half;
}
