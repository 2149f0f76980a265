/* Sampler: greedy is argmax with the lowest id on ties; top-k 1 and a tiny
 * top-p reduce to greedy at any temperature; draws follow the distribution
 * and are reproducible from the seed. */
#include <stdlib.h>

#include "testutil.h"
#include "runtime/rt_sampler.h"

static rt_sampler *make(int64_t n, float temp, int64_t top_k, float top_p, uint64_t seed) {
    rt_sampler *s;
    hf_err err = {0};
    rt_sampler_params p = {temp, top_k, top_p, seed};
    assert_int_equal(rt_sampler_new(&s, n, &p, &err), HF_OK);
    return s;
}

static void greedy_is_argmax_with_lowest_id_on_ties(void **state) {
    (void)state;
    const float l[5] = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
    rt_sampler *s = make(5, 0.0f, 40, 0.95f, 1);
    assert_int_equal(rt_sample(s, l), 1);
    rt_sampler_free(s);
}

static void top_k_one_and_tiny_top_p_are_greedy(void **state) {
    (void)state;
    const float l[5] = {1.0f, 2.9f, -2.0f, 3.0f, 0.5f};
    rt_sampler *a = make(5, 5.0f, 1, 1.0f, 3), *b = make(5, 5.0f, 0, 1e-6f, 4);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(rt_sample(a, l), 3);
        assert_int_equal(rt_sample(b, l), 3);
    }
    rt_sampler_free(a);
    rt_sampler_free(b);
}

static void draws_follow_the_softmax_and_repeat_with_the_seed(void **state) {
    (void)state;
    const float l[3] = {0.0f, 0.6931472f, -100.0f}; /* p = 1/3, 2/3, ~0 */
    rt_sampler *a = make(3, 1.0f, 0, 1.0f, 42), *b = make(3, 1.0f, 0, 1.0f, 42);
    int count[3] = {0};
    for (int i = 0; i < 30000; i++) {
        int32_t x = rt_sample(a, l);
        assert_int_equal(x, rt_sample(b, l));
        count[x]++;
    }
    assert_true(count[0] > 9000 && count[0] < 11000);
    assert_true(count[1] > 19000 && count[1] < 21000);
    assert_int_equal(count[2], 0);
    rt_sampler_free(a);
    rt_sampler_free(b);
    rt_sampler *bad;
    hf_err err = {0};
    rt_sampler_params p = {1.0f, 0, 0.0f, 1};
    assert_int_equal(rt_sampler_new(&bad, 3, &p, &err), HF_ERR_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(greedy_is_argmax_with_lowest_id_on_ties),
        cmocka_unit_test(top_k_one_and_tiny_top_p_are_greedy),
        cmocka_unit_test(draws_follow_the_softmax_and_repeat_with_the_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
