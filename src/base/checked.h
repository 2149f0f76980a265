/* checked: overflow-safe size arithmetic for sizes read from files. Each
 * returns 1 and stores the result when it fits, 0 on overflow. */
#pragma once

#include <stdint.h>

static inline int hf_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}
static inline int hf_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
/* Rounds x up to a multiple of align (a power of two). */
static inline int hf_align_u64(uint64_t x, uint64_t align, uint64_t *out) {
    uint64_t t;
    if (!hf_add_u64(x, align - 1, &t)) return 0;
    *out = t & ~(align - 1);
    return 1;
}
