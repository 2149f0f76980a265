/* rt_vmath: the reference exponential is accurate (within 1 ulp of exp() in double for
 * normal results, exact specials), and every SIMD path this CPU runs gives the reference's
 * bits (memcmp) for softmax's exponentials and sum and for SwiGLU, over lengths with and
 * without tails and inputs that reach every special case. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "quant/quant_dot.h"
#include "runtime/rt_vmath.h"

static uint64_t rng = 42;
static float frand(void) { /* [-1, 1) */
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static double ulp_of(double v) { return ldexp(1.0, ilogb(v) - 23); }

static void expf_is_within_one_ulp_and_exact_at_the_specials(void **state) {
    (void)state;
    double worst = 0.0;
    for (float x = -87.0f; x < 88.7f; x += 0.0013f) {
        const double want = exp((double)x), got = (double)rt_expf(x);
        const double err = fabs(got - want) / ulp_of(want);
        if (err > worst) worst = err;
    }
    printf("rt_expf: worst error %.3f ulp over [-87, 88.7]\n", worst);
    assert_true(worst <= 1.0);
    assert_true(rt_expf(0.0f) == 1.0f && rt_expf(-0.0f) == 1.0f);
    assert_true(rt_expf(-INFINITY) == 0.0f && rt_expf(-104.0f) == 0.0f);
    assert_true(isinf(rt_expf(INFINITY)) && isinf(rt_expf(89.0f)));
    assert_true(isnan(rt_expf(NAN)));
    assert_true(rt_expf(88.7f) < INFINITY);
    /* gradual underflow: e^-100 = 3.72e-44 is a denormal, within one denormal step */
    assert_true(fabs((double)rt_expf(-100.0f) - exp(-100.0)) <= 0x1p-149);
}

/* Inputs of kind k: ordinary scores, a wide range reaching both ends, and specials. */
static float sample(int kind, int64_t i) {
    switch (kind) {
    case 0: return frand() * 8.0f;
    case 1: return frand() * 120.0f;                      /* beyond both limits */
    case 2: return i % 5 == 0 ? -INFINITY : frand() * 30.0f; /* masked scores */
    case 3: return i % 7 == 0 ? NAN : frand();
    default: return (float)(i % 3) - 1.0f;                 /* ties, zeros */
    }
}

static void simd_paths_give_the_reference_bits(void **state) {
    (void)state;
    const rt_vmath *impls[2], *ref = rt_vmath_ref();
    const int n = rt_vmath_impls(impls, 2);
    printf("vmath: best implementation '%s'\n", rt_vmath_best()->impl);
    if (q_cpu_has_avx2_f16c()) assert_string_equal(rt_vmath_best()->impl, "avx2");
    else {
        assert_ptr_equal(rt_vmath_best(), ref);
        printf("this CPU lacks AVX2/FMA: no fast path to compare, skipped\n");
        skip();
    }
    float a[203], b[203], u[203];
    for (int ii = 0; ii + 1 < n; ii++)
        for (int kind = 0; kind < 5; kind++)
            for (int64_t len = 1; len <= 203; len += (len < 20 ? 1 : 17)) {
                for (int64_t i = 0; i < len; i++) {
                    a[i] = b[i] = sample(kind, i);
                    u[i] = frand();
                }
                const float sub = kind == 2 ? 0.0f : 1.5f;
                const double sa = ref->exp_sum(a, len, sub), sb = impls[ii]->exp_sum(b, len, sub);
                if (memcmp(a, b, (size_t)len * sizeof(float)) || memcmp(&sa, &sb, sizeof sa))
                    fail_msg("%s exp_sum differs from the reference: kind %d, length %lld", impls[ii]->impl, kind,
                             (long long)len);
                for (int64_t i = 0; i < len; i++) a[i] = b[i] = sample(kind, i);
                ref->swiglu(a, u, len);
                impls[ii]->swiglu(b, u, len);
                if (memcmp(a, b, (size_t)len * sizeof(float)))
                    fail_msg("%s swiglu differs from the reference: kind %d, length %lld", impls[ii]->impl, kind,
                             (long long)len);
            }
}

/* The documented order of the sum: 8 double partial sums, pairwise, then the tail. */
static void exp_sum_follows_the_documented_order(void **state) {
    (void)state;
    float x[21], e[21];
    for (int i = 0; i < 21; i++) x[i] = frand() * 10.0f;
    for (int i = 0; i < 21; i++) e[i] = rt_expf(x[i] - 2.0f);
    double acc[8] = {0};
    for (int i = 0; i < 16; i++) acc[i % 8] += (double)e[i];
    double s4[4];
    for (int j = 0; j < 4; j++) s4[j] = acc[j] + acc[j + 4];
    double want = (s4[0] + s4[2]) + (s4[1] + s4[3]);
    for (int i = 16; i < 21; i++) want += (double)e[i];
    const double got = rt_vmath_ref()->exp_sum(x, 21, 2.0f);
    assert_memory_equal(&got, &want, sizeof got);
    assert_memory_equal(x, e, sizeof e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expf_is_within_one_ulp_and_exact_at_the_specials),
        cmocka_unit_test(simd_paths_give_the_reference_bits),
        cmocka_unit_test(exp_sum_follows_the_documented_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
