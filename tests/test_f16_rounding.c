/* Pins the scalar float conversions to llama.cpp's rounding rules. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "base/f16.h"
#include "quant/quant.h"

static void f16_round_to_nearest_even(void **state) {
    (void)state;
    assert_int_equal(hf_f32_to_f16(1.0f), 0x3c00);
    assert_int_equal(hf_f32_to_f16(-2.0f), 0xc000);
    assert_int_equal(hf_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(hf_f32_to_f16(65520.0f), 0x7c00); /* halfway to overflow rounds up to inf */
    assert_int_equal(hf_f32_to_f16(1e10f), 0x7c00);
    /* 1 + 2^-11 is halfway between 1 and 1+2^-10: ties to even (1.0) */
    assert_int_equal(hf_f32_to_f16(1.0f + 0x1p-11f), 0x3c00);
    /* 1 + 3*2^-11 is halfway between 1+2^-10 and 1+2^-9: ties to even (upper) */
    assert_int_equal(hf_f32_to_f16(1.0f + 3 * 0x1p-11f), 0x3c02);
    assert_int_equal(hf_f32_to_f16(0x1p-24f), 0x0001);   /* smallest subnormal */
    assert_int_equal(hf_f32_to_f16(0x1p-25f), 0x0000);   /* tie to even -> 0 */
    assert_int_equal(hf_f32_to_f16(0x1.8p-25f), 0x0001); /* above the tie */
    assert_int_equal(hf_f32_to_f16(-0.0f), 0x8000);
    assert_true((hf_f32_to_f16(NAN) & 0x7c00) == 0x7c00 && (hf_f32_to_f16(NAN) & 0x3ff) != 0);
}

static void f16_to_f32_is_exact_for_all_values(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = hf_f16_to_f32((uint16_t)h);
        if (isnan(f)) continue;
        assert_int_equal(hf_f32_to_f16(f), h);
    }
}

static void bf16_rounds_to_nearest_even_and_quiets_nan(void **state) {
    (void)state;
    assert_int_equal(hf_f32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(hf_f32_to_bf16(hf_bits_f32(0x3f808000u)), 0x3f80); /* tie, even stays */
    assert_int_equal(hf_f32_to_bf16(hf_bits_f32(0x3f818000u)), 0x3f82); /* tie, odd rounds up */
    assert_int_equal(hf_f32_to_bf16(hf_bits_f32(0x7f800001u)), 0x7fc0); /* signalling NaN -> quiet */
}

static void q8_0_uses_fp16_scale_and_rounds_half_away(void **state) {
    (void)state;
    float x[32] = {0};
    x[0] = 127.0f;
    x[1] = 0.5f;  /* 0.5 * (127/127) = 0.5 -> rounds away to 1 */
    x[2] = -0.5f; /* -> -1 */
    x[3] = -127.0f;
    q_block_q8_0 b;
    q_quantize_row_q8_0(x, &b, 32);
    assert_int_equal(b.d, hf_f32_to_f16(1.0f));
    assert_int_equal(b.qs[0], 127);
    assert_int_equal(b.qs[1], 1);
    assert_int_equal(b.qs[2], -1);
    assert_int_equal(b.qs[3], -127);
    float zero[32] = {0};
    q_quantize_row_q8_0(zero, &b, 32);
    assert_int_equal(b.d, 0);
    for (int i = 0; i < 32; i++) assert_int_equal(b.qs[i], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f16_round_to_nearest_even),
        cmocka_unit_test(f16_to_f32_is_exact_for_all_values),
        cmocka_unit_test(bf16_rounds_to_nearest_even_and_quiets_nan),
        cmocka_unit_test(q8_0_uses_fp16_scale_and_rounds_half_away),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
