/* Matmul tiles (q_gemm_fn) and one-token GEMVs in every layout are bit-identical to one
 * reference dot per output, for every weight type, on row and token counts that hit every tile
 * shape and every remainder path (rows not a multiple of the tile or of the GEMV's row streams,
 * odd token counts, k with a tail past the 8 lanes), and the fast path is the one chosen where
 * the CPU has it. Compared with memcmp. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "testutil.h"

static uint64_t rng = 0x1234567;
static float frand(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(rng >> 40) / 16777216.0f - 0.5f;
}

/* Weight rows of `type` (act 0) or activation rows converted for it (act 1). */
static void *random_rows(uint32_t type, int act, int64_t rows, int64_t k, float scale) {
    const size_t rb = act ? q_act_row_bytes(type, k) : (size_t)hf_row_size(type, k);
    uint8_t *out = malloc(rb * (size_t)rows);
    float *f = malloc((size_t)k * sizeof(float));
    assert_non_null(out);
    assert_non_null(f);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t i = 0; i < k; i++) f[i] = frand() * scale * (r % 3 == 0 ? 100.0f : 1.0f);
        if (act) q_act_from_f32(type, f, out + (size_t)r * rb, k);
        else q_from_f32(type, f, out + (size_t)r * rb, k);
    }
    free(f);
    return out;
}

static void check_type(uint32_t type, const q_dot_traits *impl) {
    /* the largest of each list last: it sizes the buffers */
    static const int64_t ROWS[] = {1, 3, 4, 7, 8, 9, 13, 16, 37};
    static const int64_t TOKS[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    const int64_t max_rows = ROWS[sizeof ROWS / sizeof ROWS[0] - 1], max_toks = TOKS[sizeof TOKS / sizeof TOKS[0] - 1];
    const q_dot_traits *ref = q_dot_ref_order(type, impl->order);
    const int64_t ks[2] = {type == HF_TYPE_Q8_0 ? 64 : 67, type == HF_TYPE_Q8_0 ? 320 : 264};
    int compared = 0;
    for (int ki = 0; ki < 2; ki++) {
        const int64_t k = ks[ki];
        void *w = random_rows(type, 0, max_rows, k, 1.0f), *x = random_rows(ref->act_type, 1, max_toks, k, 2.0f);
        const size_t ws = hf_row_size(type, k), xs = q_act_row_bytes(ref->act_type, k);
        for (size_t ri = 0; ri < sizeof ROWS / sizeof ROWS[0]; ri++)
            for (size_t ti = 0; ti < sizeof TOKS / sizeof TOKS[0]; ti++) {
                const int64_t nr = ROWS[ri], nt = TOKS[ti], ldy = nr + 5;
                float *want = calloc((size_t)(nt * ldy), sizeof(float)), *got = calloc((size_t)(nt * ldy), sizeof(float));
                for (int64_t t = 0; t < nt; t++)
                    for (int64_t r = 0; r < nr; r++)
                        want[t * ldy + r] = ref->dot((uint8_t *)w + (size_t)r * ws, (uint8_t *)x + (size_t)t * xs, k);
                impl->gemm(w, ws, nr, x, xs, nt, k, got, ldy);
                if (memcmp(want, got, (size_t)(nt * ldy) * sizeof(float)))
                    fail_msg("%s %s gemm differs from the reference dots: rows %lld tokens %lld k %lld",
                             hf_type_info(type)->name, impl->impl, (long long)nr, (long long)nt, (long long)k);
                compared++;
                for (int l = 0; nt == 1 && l < Q_GEMV_COUNT; l++) {
                    if (!impl->gemv[l]) continue;
                    memset(got, 0, (size_t)(nt * ldy) * sizeof(float));
                    impl->gemv[l](w, ws, nr, x, xs, nt, k, got, ldy);
                    if (memcmp(want, got, (size_t)(nt * ldy) * sizeof(float)))
                        fail_msg("%s %s GEMV layout %s differs from the reference dots: rows %lld k %lld",
                                 hf_type_info(type)->name, impl->impl, q_gemv_layout_name((q_gemv_layout)l),
                                 (long long)nr, (long long)k);
                    compared++;
                }
                free(want);
                free(got);
            }
        free(w);
        free(x);
    }
    assert_true(compared > 50);
}

static const uint32_t TYPES[] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16, HF_TYPE_Q8_0};

static void reference_gemm_is_the_dot_loop(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) check_type(TYPES[i], q_dot_ref(TYPES[i]));
    check_type(HF_TYPE_BF16, q_dot_ref_order(HF_TYPE_BF16, Q_ORDER_BF16_PAIRS));
}

/* Every fast implementation this CPU runs (AVX-512 and AVX2 where it has both), and the
 * best one is the one chosen. */
static void every_fast_gemm_is_bit_identical_to_the_reference(void **state) {
    (void)state;
    if (!q_cpu_has_avx2_f16c()) {
        printf("this CPU lacks AVX2/F16C: no fast gemm to compare, skipped\n");
        skip();
    }
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        const q_dot_traits *impls[4];
        const int n = q_dot_impls(TYPES[i], impls, 4);
        if (TYPES[i] == HF_TYPE_BF16 && q_cpu_lists_avx512bf16()) assert_string_equal(q_dot_best(TYPES[i])->impl, "avx512bf16");
        else assert_string_equal(q_dot_best(TYPES[i])->impl, q_cpu_has_avx512vnni() ? "avx512" : "avx2");
        for (int j = 0; j + 1 < n; j++) { /* the last one is the reference */
            printf("%s: gemm '%s'\n", hf_type_info(TYPES[i])->name, impls[j]->impl);
            /* the float types' fast kernels offer both GEMV layouts for rt_tune to time */
            if (TYPES[i] != HF_TYPE_Q8_0) assert_non_null(impls[j]->gemv[Q_GEMV_MANY]);
            assert_non_null(impls[j]->gemv[Q_GEMV_FEW]);
            check_type(TYPES[i], impls[j]);
        }
    }
    if (!q_cpu_has_avx512vnni()) printf("this CPU lacks AVX-512: only the AVX2 build compared\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_gemm_is_the_dot_loop),
        cmocka_unit_test(every_fast_gemm_is_bit_identical_to_the_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
