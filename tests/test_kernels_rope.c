/* Row kernels: RoPE in both modes (llama "normal" adjacent pairs, NEOX split
 * halves), RMSNorm, softmax, SwiGLU and the thread pool's coverage. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_pool.h"

enum { HD = 16, NROT = 12, NH = 3 };

static void fill(float *v, int n) {
    for (int i = 0; i < n; i++) v[i] = sinf((float)i * 1.7f + 0.3f) * 2.0f;
}

static void rope_at_position_zero_is_the_identity(void **state) {
    (void)state;
    float cs[NROT], v[NH * HD], orig[NH * HD];
    fill(v, NH * HD);
    memcpy(orig, v, sizeof v);
    rt_rope_cache(cs, 0, NROT, 10000.0f, 1.0f);
    rt_rope(v, NH, HD, NROT, cs, RT_ROPE_NORMAL);
    assert_memory_equal(v, orig, sizeof v);
    rt_rope(v, NH, HD, NROT, cs, RT_ROPE_NEOX);
    assert_memory_equal(v, orig, sizeof v);
}

/* Normal mode rotates (2i, 2i+1) by pos * base^(-2i/n_rot); dims >= n_rot untouched. */
static void normal_mode_rotates_adjacent_pairs(void **state) {
    (void)state;
    float cs[NROT], v[NH * HD], orig[NH * HD];
    fill(v, NH * HD);
    memcpy(orig, v, sizeof v);
    const int pos = 37;
    rt_rope_cache(cs, pos, NROT, 10000.0f, 1.0f);
    rt_rope(v, NH, HD, NROT, cs, RT_ROPE_NORMAL);
    for (int h = 0; h < NH; h++) {
        for (int i = 0; i < NROT / 2; i++) {
            const double th = pos * pow(10000.0, -2.0 * i / NROT);
            const double x0 = orig[h * HD + 2 * i], x1 = orig[h * HD + 2 * i + 1];
            assert_true(fabs(v[h * HD + 2 * i] - (x0 * cos(th) - x1 * sin(th))) < 1e-4);
            assert_true(fabs(v[h * HD + 2 * i + 1] - (x0 * sin(th) + x1 * cos(th))) < 1e-4);
        }
        for (int d = NROT; d < HD; d++) assert_true(v[h * HD + d] == orig[h * HD + d]);
    }
}

/* NEOX on a vector equals normal mode on the vector with its halves
 * interleaved, bit for bit (same operations, other element positions). */
static void neox_mode_is_normal_mode_on_interleaved_halves(void **state) {
    (void)state;
    float cs[NROT], a[HD], b[HD];
    fill(a, HD);
    for (int i = 0; i < NROT / 2; i++) {
        b[2 * i] = a[i];
        b[2 * i + 1] = a[i + NROT / 2];
    }
    for (int d = NROT; d < HD; d++) b[d] = a[d];
    rt_rope_cache(cs, 123, NROT, 500000.0f, 1.0f);
    rt_rope(a, 1, HD, NROT, cs, RT_ROPE_NEOX);
    rt_rope(b, 1, HD, NROT, cs, RT_ROPE_NORMAL);
    for (int i = 0; i < NROT / 2; i++) {
        assert_memory_equal(&a[i], &b[2 * i], sizeof(float));
        assert_memory_equal(&a[i + NROT / 2], &b[2 * i + 1], sizeof(float));
    }
    assert_memory_equal(a + NROT, b + NROT, (HD - NROT) * sizeof(float));
    /* and the two modes really differ on the same input */
    float c[HD], d[HD];
    fill(c, HD);
    memcpy(d, c, sizeof c);
    rt_rope(c, 1, HD, NROT, cs, RT_ROPE_NEOX);
    rt_rope(d, 1, HD, NROT, cs, RT_ROPE_NORMAL);
    assert_memory_not_equal(c, d, sizeof c);
}

static void linear_freq_scale_equals_a_scaled_position(void **state) {
    (void)state;
    float a[NROT], b[NROT];
    rt_rope_cache(a, 40, NROT, 10000.0f, 0.25f);
    rt_rope_cache(b, 10, NROT, 10000.0f, 1.0f);
    for (int i = 0; i < NROT; i++) assert_true(fabsf(a[i] - b[i]) < 1e-5f);
}

static void rmsnorm_softmax_swiglu_basics(void **state) {
    (void)state;
    float x[4] = {1, -2, 3, -4}, w[4] = {1, 1, 2, 0.5f}, y[4];
    rt_rmsnorm(y, x, w, 4, 0.0f);
    const double r = sqrt((1 + 4 + 9 + 16) / 4.0);
    for (int i = 0; i < 4; i++) assert_true(fabs(y[i] - x[i] / r * w[i]) < 1e-6);
    float s[3] = {1000.0f, 1000.0f, -INFINITY};
    rt_softmax(rt_vmath_ref(), s, 3);
    assert_true(s[0] == 0.5f && s[1] == 0.5f && s[2] == 0.0f);
    float g[2] = {0.0f, 2.0f}, u[2] = {5.0f, 3.0f};
    rt_swiglu(rt_vmath_ref(), g, u, 2);
    assert_true(g[0] == 0.0f);
    assert_true(fabs(g[1] - 2.0 / (1.0 + exp(-2.0)) * 3.0) < 1e-6);
}

typedef struct cover {
    atomic_int hits[1000];
    atomic_int bad_ith;
    int n_threads;
} cover;

static void mark(void *arg, int64_t start, int64_t end, int ith) {
    cover *c = arg;
    if (ith < 0 || ith >= c->n_threads) atomic_fetch_add(&c->bad_ith, 1);
    for (int64_t i = start; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void pool_runs_every_item_exactly_once(void **state) {
    (void)state;
    for (int nt = 1; nt <= 4; nt++) {
        rt_pool *p;
        hf_err err = {0};
        assert_int_equal(rt_pool_new(&p, nt, &err), HF_OK);
        for (int rep = 0; rep < 50; rep++) {
            cover *c = calloc(1, sizeof *c);
            c->n_threads = nt;
            const int64_t n = 1 + rep * 19 % 1000;
            rt_pool_run(p, mark, c, n, 1 + rep % 7);
            for (int64_t i = 0; i < 1000; i++) assert_int_equal(atomic_load(&c->hits[i]), i < n ? 1 : 0);
            assert_int_equal(atomic_load(&c->bad_ith), 0);
            free(c);
        }
        rt_pool_free(p);
    }
    rt_pool *p;
    hf_err err = {0};
    assert_int_equal(rt_pool_new(&p, 0, &err), HF_ERR_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rope_at_position_zero_is_the_identity),
        cmocka_unit_test(normal_mode_rotates_adjacent_pairs),
        cmocka_unit_test(neox_mode_is_normal_mode_on_interleaved_halves),
        cmocka_unit_test(linear_freq_scale_equals_a_scaled_position),
        cmocka_unit_test(rmsnorm_softmax_swiglu_basics),
        cmocka_unit_test(pool_runs_every_item_exactly_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
