/* q_from_f32 (with its SIMD paths where the CPU has them) is byte-identical to q_from_f32_ref
 * for every type, on rows of random values at several scales, exact Q8_0 ties, zeros,
 * denormals, values that overflow F16, infinities and quiet and signaling NaNs, and row
 * lengths with tails. Compared with memcmp. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "base/f16.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "testutil.h"

static uint64_t s = 7;
static float frand(void) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(s >> 40) / 16777216.0f - 0.5f;
}

static void fill(float *x, int64_t n, int kind) {
    for (int64_t i = 0; i < n; i++) {
        float v = frand();
        switch (kind) {
        case 0: break;
        case 1: v *= 1e-6f; break;
        case 2: v *= 1e6f; break;                 /* beyond F16's range: inf */
        case 3: v = (float)(int)(v * 254.0f) + 0.5f * (float)(i % 2); break; /* ties */
        case 4: v *= 1e-42f; break;               /* denormals */
        case 5: v = i % 9 == 0 ? NAN : v; break;
        case 6: v = i % 13 == 0 ? (i % 2 ? INFINITY : -INFINITY) : v; break;
        case 7: v = i % 11 == 0 ? hf_bits_f32(0x7f800001u + (uint32_t)i) : v; break; /* signaling NaNs */
        case 8: v = i % 32 == 0 ? 127.0f : v * 254.0f; break;
        case 9: v = i == n / 2 ? NAN : v; break; /* one special block among ordinary ones */
        case 11: v *= 1e-4f; break; /* Q8_0 scales that are F16 denormals */
        case 10: v *= (i / 32) % 3 == 0 ? 0.0f : (i / 32) % 3 == 1 ? 1e-40f : 3.0f; break; /* zero, denormal-scale and plain blocks */
        default: v = 0.0f;
        }
        x[i] = v;
    }
}

static void rows_are_byte_identical_to_the_reference(void **state) {
    (void)state;
    static const uint32_t TYPES[] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16, HF_TYPE_Q8_0};
    static const int64_t LENS[] = {32, 64, 96, 288, 800, 4096};
    float *x = malloc(4200 * sizeof(float));
    uint8_t *a = malloc(4 * 4200), *b = malloc(4 * 4200);
    assert_non_null(x);
    int n = 0;
    for (size_t ti = 0; ti < sizeof TYPES / sizeof TYPES[0]; ti++)
        for (size_t li = 0; li < sizeof LENS / sizeof LENS[0]; li++)
            for (int kind = 0; kind <= 12; kind++)
                for (int rep = 0; rep < 20; rep++) {
                    const int64_t len = LENS[li] + (TYPES[ti] == HF_TYPE_Q8_0 ? 0 : rep % 7);
                    fill(x, len, kind);
                    const size_t nb = hf_row_size(TYPES[ti], len);
                    memset(a, 0xaa, nb);
                    memset(b, 0x55, nb);
                    q_from_f32_ref(TYPES[ti], x, a, len);
                    q_from_f32(TYPES[ti], x, b, len);
                    if (memcmp(a, b, nb))
                        fail_msg("%s, %lld values of kind %d: q_from_f32 differs from the reference",
                                 hf_type_info(TYPES[ti])->name, (long long)len, kind);
                    n++;
                }
    printf("%d rows compared (%s paths)\n", n, q_cpu_has_avx2_f16c() ? "AVX2/F16C" : "reference");
    free(x);
    free(a);
    free(b);
}

/* q_to_f32 of F16 and BF16 rows (with their SIMD paths where the CPU has them) gives the
 * scalar conversion's bits for every 16-bit word, NaN payloads and infinities included, in
 * rows with and without tails. */
static void check_widening(uint32_t type, float (*scalar)(uint16_t)) {
    uint16_t *h = malloc(65536 * sizeof *h);
    float *got = malloc(65536 * sizeof *got), *want = malloc(65536 * sizeof *want);
    assert_non_null(h);
    assert_non_null(got);
    assert_non_null(want);
    for (uint32_t i = 0; i < 65536; i++) {
        h[i] = (uint16_t)(i * 40503u); /* every word once, in a scrambled order */
        want[i] = scalar(h[i]);
    }
    for (int64_t off = 0, len = 1; off < 65536; off += len, len = len % 37 + 5) {
        const int64_t n = off + len <= 65536 ? len : 65536 - off;
        q_to_f32(type, h + off, got + off, n);
    }
    assert_memory_equal(got, want, 65536 * sizeof *got);
    free(h), free(got), free(want);
}

static void f16_rows_widen_as_the_scalar_conversion(void **state) {
    (void)state;
    check_widening(HF_TYPE_F16, hf_f16_to_f32);
}

static void bf16_rows_widen_as_the_scalar_conversion(void **state) {
    (void)state;
    check_widening(HF_TYPE_BF16, hf_bf16_to_f32);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(rows_are_byte_identical_to_the_reference),
                                       cmocka_unit_test(f16_rows_widen_as_the_scalar_conversion),
                                       cmocka_unit_test(bf16_rows_widen_as_the_scalar_conversion)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
