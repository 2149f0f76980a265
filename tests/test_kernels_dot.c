/* Dot-product kernels: the AVX2 fast paths are bit-identical (memcmp) to the
 * scalar references for every weight type and row length, and the
 * references follow their documented arithmetic. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/dtype.h"
#include "base/f16.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"

static uint64_t rng_state = 99;
static float frand(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static const uint32_t TYPES[4] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16, HF_TYPE_Q8_0};

static void fill_row(uint32_t type, void *dst, int64_t k, float scale) {
    float *f = malloc((size_t)k * sizeof(float));
    for (int64_t i = 0; i < k; i++) f[i] = frand() * scale;
    q_from_f32(type, f, dst, k);
    free(f);
}

/* An activation row as the kernels get it (q_act_from_f32). */
static void fill_act_row(uint32_t act_type, void *dst, int64_t k, float scale) {
    float *f = malloc((size_t)k * sizeof(float));
    for (int64_t i = 0; i < k; i++) f[i] = frand() * scale;
    q_act_from_f32(act_type, f, dst, k);
    free(f);
}

/* Every fast implementation this CPU runs gives the reference's bits, and the best one is
 * the one chosen (else this test would compare the reference with itself); without AVX2 it
 * says so instead of passing silently. */
static void fast_paths_are_bit_identical_to_reference_for_all_types_and_lengths(void **state) {
    (void)state;
    int compared = 0;
    for (int ti = 0; ti < 4; ti++) {
        const uint32_t t = TYPES[ti];
        const q_dot_traits *impls[4];
        assert_non_null(q_dot_ref(t));
        const int n_impls = q_dot_impls(t, impls, 4);
        printf("%s: best implementation '%s'\n", hf_type_info(t)->name, q_dot_best(t)->impl);
        if (t == HF_TYPE_BF16 && q_cpu_lists_avx512bf16()) {
            /* the probe must accept this CPU's vdpbf16ps: else the reference is wrong for it */
            assert_true(q_cpu_has_avx512bf16());
            assert_string_equal(q_dot_best(t)->impl, "avx512bf16");
        } else if (q_cpu_has_avx512vnni()) assert_string_equal(q_dot_best(t)->impl, "avx512");
        else if (q_cpu_has_avx2_f16c()) assert_string_equal(q_dot_best(t)->impl, "avx2");
        else {
            assert_ptr_equal(q_dot_best(t), q_dot_ref(t));
            printf("this CPU lacks AVX2/F16C: no fast path to compare, skipped\n");
            skip();
        }
        const uint32_t blk = hf_type_info(t)->blck;
        for (int ii = 0; ii + 1 < n_impls; ii++) {
            const q_dot_traits *ref = q_dot_ref_order(t, impls[ii]->order);
            for (int64_t k = blk; k <= 1000; k += (blk == 1 ? 7 : 32)) {
                uint8_t *w = malloc(hf_row_size(t, k)), *x = malloc(q_act_row_bytes(ref->act_type, k));
                for (int rep = 0; rep < 20; rep++) {
                    fill_row(t, w, k, rep % 5 == 0 ? 1000.0f : 1.0f);
                    fill_act_row(ref->act_type, x, k, rep % 3 == 0 ? 1e-3f : 3.0f);
                    const float a = ref->dot(w, x, k), b = impls[ii]->dot(w, x, k);
                    if (memcmp(&a, &b, sizeof a) != 0)
                        fail_msg("%s k=%lld: ref %.9g vs %s %.9g", hf_type_info(t)->name, (long long)k, (double)a,
                                 impls[ii]->impl, (double)b);
                    compared++;
                }
                free(w);
                free(x);
            }
        }
    }
    assert_true(compared > 1000);
}

/* -128 can appear in a file's Q8_0 weights (never from our quantizer); the
 * AVX2 path's sign trick must still give the exact integer sum. */
static void q8_0_minus_128_weights_are_exact(void **state) {
    (void)state;
    q_block_q8_0 w[2], x[2];
    for (int b = 0; b < 2; b++) {
        w[b].d = hf_f32_to_f16(0.5f);
        x[b].d = hf_f32_to_f16(0.25f);
        for (int j = 0; j < 32; j++) {
            w[b].qs[j] = (int8_t)(j % 2 ? -128 : 127);
            x[b].qs[j] = (int8_t)(j % 3 ? -127 : 127);
        }
    }
    int32_t isum = 0;
    for (int j = 0; j < 32; j++) isum += (int32_t)w[0].qs[j] * x[0].qs[j];
    const float expect = (float)isum * 0.125f + (float)isum * 0.125f;
    const float a = q_dot_ref(HF_TYPE_Q8_0)->dot(w, x, 64), b = q_dot_best(HF_TYPE_Q8_0)->dot(w, x, 64);
    assert_true(a == expect);
    assert_memory_equal(&a, &b, sizeof a);
}

/* The documented F32 order: 8 lane sums of fused multiply-adds, pairwise reduction, then the
 * tail. */
static void f32_reference_follows_the_documented_lane_order(void **state) {
    (void)state;
    float w[19], x[19];
    for (int i = 0; i < 19; i++) {
        w[i] = frand();
        x[i] = frand() * 100.0f;
    }
    float acc[8] = {0};
    for (int i = 0; i < 16; i++) acc[i % 8] = fmaf(w[i], x[i], acc[i % 8]);
    float s4[4];
    for (int j = 0; j < 4; j++) s4[j] = acc[j] + acc[j + 4];
    float s = (s4[0] + s4[2]) + (s4[1] + s4[3]);
    for (int i = 16; i < 19; i++) s = fmaf(w[i], x[i], s);
    const float got = q_dot_ref(HF_TYPE_F32)->dot(w, x, 19);
    assert_memory_equal(&got, &s, sizeof s);
}

static uint16_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (uint16_t)(u >> 16); /* the values below are exact in BF16 */
}

/* The BF16 pair order as quant_dot.h defines it, on rows built so that each rule changes the
 * result. Lane 0 holds 1 after step 1; in step 2 element 33's product comes first:
 *   2^-24 then 2^-24: each a tie to even, so 1 (one rounding of the exact sum: 1 + 2^-23);
 *   2^-24 then 1.5 * 2^-24: 1 + 2^-23 (element 32 first: 1 + 2^-22).
 * A denormal word reads as zero, a tiny result is flushed (at the boundary as x86 decides it),
 * a tail is zero-padded. */
static void bf16_pair_reference_follows_the_documented_order(void **state) {
    (void)state;
    const q_dot_traits *ref = q_dot_ref_order(HF_TYPE_BF16, Q_ORDER_BF16_PAIRS);
    assert_non_null(ref);
    assert_int_equal(ref->act_type, Q_ACT_BF16_BITS);
    uint16_t w[64] = {0}, x[64] = {0};
    w[1] = bf16_bits(1.0f), x[1] = bf16_bits(1.0f);
    w[33] = bf16_bits(0x1p-12f), x[33] = bf16_bits(0x1p-12f);
    w[32] = bf16_bits(0x1p-12f), x[32] = bf16_bits(0x1p-12f);
    float got = ref->dot(w, x, 64);
    assert_true(got == 1.0f);
    w[32] = bf16_bits(0x1.8p-12f);
    got = ref->dot(w, x, 64);
    assert_true(got == 1.0f + 0x1p-23f);
    /* a denormal word on either side reads as zero: the product would be 2^-133 * 2^126 = 2^-7 */
    memset(w, 0, sizeof w), memset(x, 0, sizeof x);
    w[1] = 0x0001, x[1] = bf16_bits(0x1p126f);
    got = ref->dot(w, x, 64);
    assert_true(got == 0.0f);
    w[1] = bf16_bits(0x1p126f), x[1] = 0x0001;
    got = ref->dot(w, x, 64);
    assert_true(got == 0.0f);
    /* the flush boundary, as x86 rounds: lane 0 ends at 2^-126 - 2^-150, tiny (fmaf alone would
     * round it up to 2^-126), lane 1 at 2^-126 - 2^-151, which rounds to 2^-126 (measured on Zen 4) */
    memset(w, 0, sizeof w), memset(x, 0, sizeof x);
    w[0] = 0x1a00, x[0] = 0x9a00, w[1] = x[1] = 0x2000; /* -2^-150 after 2^-126 */
    got = ref->dot(w, x, 2);
    assert_true(got == 0.0f);
    w[2] = 0x1a00, x[2] = 0x9980, w[3] = x[3] = 0x2000; /* -2^-151 after 2^-126 */
    got = ref->dot(w, x, 4);
    assert_true(got == 0x1p-126f);
    memset(w, 0, sizeof w), memset(x, 0, sizeof x);
    w[5] = bf16_bits(0x1p-70f), x[5] = bf16_bits(0x1p-70f); /* 2^-140: flushed */
    got = ref->dot(w, x, 64);
    assert_true(got == 0.0f);
    /* a tail: k = 35 ignores word 35 (zero padding), reads 32..34 */
    memset(w, 0, sizeof w), memset(x, 0, sizeof x);
    w[34] = bf16_bits(2.0f), x[34] = bf16_bits(3.0f), w[35] = bf16_bits(100.0f), x[35] = bf16_bits(1.0f);
    got = ref->dot(w, x, 35);
    assert_true(got == 6.0f);
}

/* Raw BF16 words over the whole exponent range (denormals, products that underflow or sit at
 * the smallest normal, cancelling pairs): every pair-order kernel this CPU runs gives the
 * reference's bits, for the dot and for every gemm shape, at lengths with and without a tail. */
static void bf16_pair_kernels_match_the_reference_on_raw_words(void **state) {
    (void)state;
    const q_dot_traits *impls[4];
    const int n = q_dot_impls(HF_TYPE_BF16, impls, 4);
    const q_dot_traits *ref = q_dot_ref_order(HF_TYPE_BF16, Q_ORDER_BF16_PAIRS);
    if (q_cpu_lists_avx512bf16()) assert_true(q_cpu_has_avx512bf16()); /* the probe accepted the kernels */
    int compared = 0;
    for (int ii = 0; ii < n; ii++) {
        if (impls[ii]->order != Q_ORDER_BF16_PAIRS || impls[ii] == ref) continue;
        enum { NR = 13, NT = 9, K = 300 };
        uint16_t *w = malloc(NR * K * sizeof *w), *x = malloc(NT * K * sizeof *x);
        float want[NT * NR], got[NT * NR];
        for (int rep = 0; rep < 40; rep++) {
            for (int i = 0; i < NR * K; i++) {
                rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
                w[i] = (uint16_t)(rng_state >> 48);
                if (((w[i] >> 7) & 0xff) == 0xff) w[i] &= 0x807f; /* no Inf/NaN */
            }
            for (int i = 0; i < NT * K; i++) {
                rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
                const uint16_t v = (uint16_t)(rng_state >> 48);
                /* exponents near 254 - the weight's, so products straddle 2^-126 */
                x[i] = rep % 2 ? (uint16_t)((v & 0x807f) | ((uint16_t)(254 - ((w[i % (NR * K)] >> 7) & 0xff) + (v >> 7) % 8 - 4) & 0xff) << 7)
                               : (uint16_t)((v & 0x807f) | (uint16_t)((112 + (v >> 7) % 30) << 7));
                if (((x[i] >> 7) & 0xff) == 0xff) x[i] &= 0x807f;
            }
            const int64_t k = K - rep * 7;
            for (int t = 0; t < NT; t++)
                for (int r = 0; r < NR; r++) {
                    want[t * NR + r] = ref->dot(w + r * K, x + t * K, k);
                    const float d = impls[ii]->dot(w + r * K, x + t * K, k);
                    assert_memory_equal(&d, &want[t * NR + r], sizeof d);
                }
            for (int64_t nt = 1; nt <= NT; nt += 4) {
                memset(got, 0, sizeof got);
                impls[ii]->gemm(w, K * sizeof *w, NR, x, K * sizeof *x, nt, k, got, NR);
                if (memcmp(got, want, (size_t)nt * NR * sizeof(float)))
                    fail_msg("%s gemm differs from the pair reference: tokens %lld k %lld", impls[ii]->impl,
                             (long long)nt, (long long)k);
            }
            compared++;
        }
        free(w);
        free(x);
    }
    if (!compared) {
        printf("this CPU runs no pair-order kernel (AVX512_BF16): only the reference was checked\n");
        skip();
    }
}

/* Every implementation's weighted row sums (attention's V rows, several queries at once) give
 * the bits of the reference axpy called row by row for each output, for lengths with and
 * without tails, strided rows, and output counts below, at and past the kernels' blocks. */
static void wsum_gives_the_bits_of_axpy_calls_row_by_row(void **state) {
    (void)state;
    enum { MAX_OUT = 13, MAX_ROWS = 9, LDY = 90, LDA = 11 };
    for (int ti = 0; ti < 3; ti++) {
        const uint32_t t = TYPES[ti];
        const q_dot_traits *ref = q_dot_ref(t), *impls[4];
        const int n_impls = q_dot_impls(t, impls, 4);
        for (int ii = 0; ii < n_impls; ii++)
            for (int64_t n = 1; n <= 80; n += 3)
                for (int64_t nr = 1; nr <= MAX_ROWS; nr += 2)
                    for (int64_t n_out = 1; n_out <= MAX_OUT; n_out += n_out < 8 ? 1 : 5) {
                        const size_t rs = (size_t)hf_row_size(t, n + 5);
                        uint8_t *rows = malloc(rs * (size_t)nr);
                        float *ya = malloc(MAX_OUT * LDY * sizeof(float)), *yb = malloc(MAX_OUT * LDY * sizeof(float));
                        float a[MAX_OUT * LDA];
                        assert_non_null(rows);
                        assert_non_null(ya);
                        assert_non_null(yb);
                        for (int64_t r = 0; r < nr; r++) fill_row(t, rows + (size_t)r * rs, n + 5, 3.0f);
                        for (int i = 0; i < MAX_OUT * LDA; i++) a[i] = frand();
                        for (int i = 0; i < MAX_OUT * LDY; i++) ya[i] = yb[i] = frand() * 10.0f;
                        for (int64_t o = 0; o < n_out; o++)
                            for (int64_t r = 0; r < nr; r++) ref->axpy(ya + o * LDY, a[o * LDA + r], rows + (size_t)r * rs, n);
                        impls[ii]->wsum(yb, LDY, a, LDA, n_out, rows, rs, nr, n);
                        if (memcmp(ya, yb, MAX_OUT * LDY * sizeof(float)) != 0)
                            fail_msg("%s %s wsum n=%lld rows=%lld outputs=%lld differs", hf_type_info(t)->name,
                                     impls[ii]->impl, (long long)n, (long long)nr, (long long)n_out);
                        free(rows), free(ya), free(yb);
                    }
    }
}

/* The float types' axpy (attention's V accumulation) gives the reference's bits for every
 * length, including the scalar tail. */
static void axpy_fast_paths_are_bit_identical_to_reference(void **state) {
    (void)state;
    if (!q_cpu_has_avx2_f16c()) {
        printf("this CPU lacks AVX2/F16C: no fast axpy to compare, skipped\n");
        skip();
    }
    for (int ti = 0; ti < 3; ti++) {
        const uint32_t t = TYPES[ti];
        const q_dot_traits *ref = q_dot_ref(t), *impls[4];
        const int n_impls = q_dot_impls(t, impls, 4);
        assert_true(n_impls >= 2);
        for (int ii = 0; ii + 1 < n_impls; ii++)
            for (int64_t n = 1; n <= 80; n++) {
                uint8_t *x = malloc(hf_row_size(t, n));
                float *ya = malloc((size_t)n * sizeof(float)), *yb = malloc((size_t)n * sizeof(float));
                fill_row(t, x, n, 3.0f);
                for (int64_t i = 0; i < n; i++) ya[i] = yb[i] = frand() * 10.0f;
                const float a = frand();
                ref->axpy(ya, a, x, n);
                impls[ii]->axpy(yb, a, x, n);
                if (memcmp(ya, yb, (size_t)n * sizeof(float)) != 0)
                    fail_msg("%s %s axpy n=%lld differs", hf_type_info(t)->name, impls[ii]->impl, (long long)n);
                free(x);
                free(ya);
                free(yb);
            }
    }
    assert_null(q_dot_ref(HF_TYPE_Q8_0)->axpy);
}

static void unsupported_types_have_no_kernel(void **state) {
    (void)state;
    assert_null(q_dot_ref(HF_TYPE_Q4_0));
    assert_null(q_dot_best(HF_TYPE_Q4_K));
    assert_null(q_dot_ref(12345));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_paths_are_bit_identical_to_reference_for_all_types_and_lengths),
        cmocka_unit_test(q8_0_minus_128_weights_are_exact),
        cmocka_unit_test(f32_reference_follows_the_documented_lane_order),
        cmocka_unit_test(bf16_pair_reference_follows_the_documented_order),
        cmocka_unit_test(bf16_pair_kernels_match_the_reference_on_raw_words),
        cmocka_unit_test(axpy_fast_paths_are_bit_identical_to_reference),
        cmocka_unit_test(wsum_gives_the_bits_of_axpy_calls_row_by_row),
        cmocka_unit_test(unsupported_types_have_no_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
