/* q_quantize_row_q8_0 (the converter's and the runtime's Q8_0 rounding) equals the plain
 * formula it replaces — amax by fmaxf, d = amax / 127, roundf(x / d) — byte for byte, on random
 * blocks, blocks of exact .5 ties, zeros, denormals, huge values and NaNs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/f16.h"
#include "quant/quant.h"
#include "testutil.h"

static void formula(const float *x, q_block_q8_0 *y) {
    float amax = 0.0f;
    for (int j = 0; j < Q8_0_BLOCK; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y->d = hf_f32_to_f16(d);
    for (int j = 0; j < Q8_0_BLOCK; j++) y->qs[j] = (int8_t)roundf(x[j] * id);
}

static uint64_t s = 42;
static float frand(void) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(s >> 40) / 16777216.0f - 0.5f;
}

static void check(const float *x, const char *what) {
    q_block_q8_0 a, b;
    formula(x, &a);
    q_quantize_row_q8_0(x, &b, Q8_0_BLOCK);
    if (memcmp(&a, &b, sizeof a)) fail_msg("%s: the quantizer differs from roundf/fmaxf", what);
}

static void quantizer_equals_the_roundf_formula(void **state) {
    (void)state;
    float x[Q8_0_BLOCK];
    for (int rep = 0; rep < 200000; rep++) {
        const float scale = rep % 7 == 0 ? 1e-30f : rep % 11 == 0 ? 1e30f : 1.0f;
        for (int j = 0; j < Q8_0_BLOCK; j++) x[j] = frand() * scale;
        check(x, "random");
    }
    /* Ties: amax 127 gives id = 1 exactly, so k + 0.5 lands on a tie. */
    for (int k = -127; k < 127; k++) {
        for (int j = 0; j < Q8_0_BLOCK; j++) x[j] = (float)k + 0.5f * (float)(j % 2);
        x[0] = 127.0f;
        check(x, "ties");
    }
    memset(x, 0, sizeof x);
    check(x, "zeros");
    for (int j = 0; j < Q8_0_BLOCK; j++) x[j] = 1e-40f * (float)(j - 16); /* denormals */
    check(x, "denormals");
    x[3] = NAN;
    x[7] = 3.0f;
    check(x, "NaN beside finite values");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(quantizer_equals_the_roundf_formula)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
