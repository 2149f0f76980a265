/* Packed Q8_0 kernels (quant_pack.h): every kernel this CPU runs gives, for every output, the
 * bits of the Q8_0 row dot (q_dot_ref) on the unpacked rows (memcmp), over row lengths,
 * group counts and token counts that hit every tile remainder; and the best kernel the CPU
 * supports is the one chosen. Single tokens take paths of their own (quant_dot.h's GEMV layouts:
 * the groups in order, or four streams), hence token count 1 over many group counts in each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/f16.h"
#include "quant/quant.h"
#include "quant/quant_dot.h"
#include "quant/quant_pack.h"

static uint64_t rng_state = 7;
static uint32_t next_u32(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}
static float frand(void) { return (float)next_u32() / 2147483648.0f - 1.0f; }

/* Weight rows straight from random bytes: any int8 including -128 (a file may hold it) and
 * scales over a wide range. */
static void random_weight_rows(q_block_q8_0 *w, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; b++) {
        w[b].d = hf_f32_to_f16(frand() * (b % 7 == 0 ? 1000.0f : 0.01f));
        for (int j = 0; j < Q8_0_BLOCK; j++) w[b].qs[j] = (int8_t)(next_u32() & 0xff);
    }
}

/* fn (kern's gemm, or one of its GEMV layouts with n_tok 1, named by what) on random rows. */
static void check_fn(const qp_kernel *kern, qp_gemm_fn fn, const char *what, int64_t k, int64_t n_groups,
                     int64_t n_tok) {
    const int64_t nb = k / Q8_0_BLOCK, n_rows = n_groups * QP_ROWS;
    const size_t row_bytes = (size_t)nb * sizeof(q_block_q8_0);
    q_block_q8_0 *w = malloc((size_t)n_rows * row_bytes);
    random_weight_rows(w, n_rows * nb);
    uint8_t *packed = malloc((size_t)n_groups * qp_group_bytes(k));
    assert_int_equal(qp_group_bytes(k), QP_ROWS * row_bytes); /* repacking keeps the size */
    for (int64_t g = 0; g < n_groups; g++)
        qp_pack_group((const uint8_t *)w + (size_t)g * QP_ROWS * row_bytes, row_bytes, k, packed + g * qp_group_bytes(k));
    /* activations from the quantizer, one extra leading row so t0 > 0 is covered */
    const int64_t t0 = 1, rows = n_tok + t0;
    float *xf = malloc((size_t)(rows * k) * sizeof(float));
    for (int64_t i = 0; i < rows * k; i++) xf[i] = frand() * (i % 97 == 0 ? 50.0f : 1.0f);
    q_block_q8_0 *x = malloc((size_t)rows * row_bytes);
    float *xd = malloc((size_t)(rows * nb) * sizeof(float));
    int32_t *xn = malloc((size_t)(rows * nb) * sizeof(int32_t));
    for (int64_t t = 0; t < rows; t++) {
        q_quantize_row_q8_0(xf + t * k, x + t * nb, k);
        qp_act_row_sums(x + t * nb, nb, xd + t * nb, xn + t * nb);
    }
    const qp_acts acts = {(const uint8_t *)x, row_bytes, xd, xn, nb};
    const int64_t ldy = n_rows + 3;
    float *y = malloc((size_t)(n_tok * ldy) * sizeof(float));
    fn(packed, n_groups, &acts, t0, n_tok, y, ldy);
    const q_dot_fn dot = q_dot_ref(HF_TYPE_Q8_0)->dot;
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t r = 0; r < n_rows; r++) {
            const float want = dot(w + r * nb, x + (t0 + t) * nb, k), got = y[t * ldy + r];
            if (memcmp(&want, &got, sizeof want) != 0)
                fail_msg("%s %s k=%lld groups=%lld tokens=%lld: row %lld token %lld: %.9g, row dot %.9g", kern->impl,
                         what, (long long)k, (long long)n_groups, (long long)n_tok, (long long)r, (long long)t, (double)got,
                         (double)want);
        }
    free(w);
    free(packed);
    free(xf);
    free(x);
    free(xd);
    free(xn);
    free(y);
}

/* A packed group holds each byte where quant_pack.h's layout puts it: block b at b * 544,
 * word j of row r at j * 64 + r * 4 (each byte + 128), the 16 scales after the 512 quant
 * bytes. Pack, unpack and every kernel share the layout's helpers, so only this pins it. */
static void a_packed_group_follows_the_documented_layout(void **state) {
    (void)state;
    const int64_t k = 96, nb = k / Q8_0_BLOCK;
    q_block_q8_0 w[QP_ROWS * 3];
    random_weight_rows(w, QP_ROWS * nb);
    uint8_t packed[3 * 544];
    assert_int_equal(qp_group_bytes(k), sizeof packed);
    qp_pack_group((const uint8_t *)w, (size_t)nb * sizeof *w, k, packed);
    for (int r = 0; r < QP_ROWS; r++)
        for (int64_t b = 0; b < nb; b++) {
            const q_block_q8_0 *blk = &w[r * nb + b];
            uint16_t scale;
            memcpy(&scale, packed + b * 544 + 512 + r * 2, 2);
            assert_int_equal(scale, blk->d);
            for (int j = 0; j < 8; j++)
                for (int e = 0; e < 4; e++)
                    assert_int_equal(packed[b * 544 + j * 64 + r * 4 + e], (uint8_t)(blk->qs[4 * j + e] + 128));
        }
}

/* Unpacking gives back every block of every row of a group, byte for byte (token lookups in a
 * repacked embedding table read their rows this way). */
static void unpacking_a_group_gives_back_its_rows(void **state) {
    (void)state;
    static const int64_t ks[] = {32, 96, 1024};
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        const int64_t k = ks[ki], nb = k / Q8_0_BLOCK;
        q_block_q8_0 *w = malloc((size_t)(QP_ROWS * nb) * sizeof *w);
        random_weight_rows(w, QP_ROWS * nb);
        uint8_t *packed = malloc(qp_group_bytes(k));
        qp_pack_group((const uint8_t *)w, (size_t)nb * sizeof *w, k, packed);
        for (int r = 0; r < QP_ROWS; r++)
            for (int64_t b = 0; b < nb; b++) {
                q_block_q8_0 got;
                memset(&got, 0xA5, sizeof got);
                qp_unpack_block(packed, r, b, &got);
                if (memcmp(&got, &w[r * nb + b], sizeof got) != 0)
                    fail_msg("k=%lld: row %d block %lld unpacks to other bytes", (long long)k, r, (long long)b);
            }
        free(w);
        free(packed);
    }
}

static void every_packed_kernel_gives_the_row_dot_bits(void **state) {
    (void)state;
    const qp_kernel *kernels[4];
    const int n = qp_kernels_available(kernels, 4);
    static const int64_t ks[] = {32, 64, 96, 352, 1024};
    for (int i = 0; i < n; i++) {
        printf("packed Q8_0 kernel '%s'\n", kernels[i]->impl);
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
            for (int64_t g = 1; g <= 9; g += (g < 5 ? 1 : 4))
                for (int64_t t = 1; t <= 19; t += (t < 10 ? 1 : 9)) check_fn(kernels[i], kernels[i]->gemm, "gemm", ks[ki], g, t);
        /* one token in each GEMV layout, over group counts below, at and past its streams */
        for (int l = 0; l < Q_GEMV_COUNT; l++) {
            if (!kernels[i]->gemv[l]) continue;
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                for (int64_t g = 1; g <= 13; g++)
                    check_fn(kernels[i], kernels[i]->gemv[l], q_gemv_layout_name((q_gemv_layout)l), ks[ki], g, 1);
        }
        /* the 256-bit kernels offer rt_tune four streams too (quant_pack_ymm.h) */
        if (kernels[i]->isa == Q_ISA_AVX2 || kernels[i]->isa == Q_ISA_AVXVNNI)
            assert_non_null(kernels[i]->gemv[Q_GEMV_MANY]);
    }
}

/* --isa: a cap picks the kernel of the highest tier at or below it that the CPU runs (every
 * tier has a packed kernel), and the tier names round-trip. */
static void a_tier_cap_picks_the_best_kernel_at_or_below_it(void **state) {
    (void)state;
    for (int t = 0; t < Q_ISA_COUNT; t++) {
        const qp_kernel *k = qp_kernel_pick((q_isa)t);
        printf("cap %s: packed Q8_0 kernel '%s'\n", q_isa_name((q_isa)t), k->impl);
        assert_int_equal(k->isa, q_cpu_top_isa((q_isa)t));
        q_isa back;
        assert_true(q_isa_parse(q_isa_name((q_isa)t), &back));
        assert_int_equal(back, t);
    }
    assert_ptr_equal(qp_kernel_pick(Q_ISA_REF), qp_kernel_ref());
    assert_ptr_equal(qp_kernel_pick(Q_ISA_BEST), qp_kernel_best());
    q_isa dummy;
    assert_false(q_isa_parse("avx3", &dummy));
}

static void the_best_kernel_the_cpu_supports_is_chosen(void **state) {
    (void)state;
    const char *best = qp_kernel_best()->impl;
    printf("best packed Q8_0 kernel '%s'\n", best);
    if (q_cpu_has_avx512vnni()) assert_string_equal(best, "avx512vnni");
    else if (q_cpu_has_avxvnni()) {
        assert_string_equal(best, "avxvnni");
        printf("this CPU lacks AVX-512 VNNI: that kernel is not compared here\n");
    } else if (q_cpu_has_avx2_f16c()) {
        assert_string_equal(best, "avx2");
        printf("this CPU lacks AVX-512 VNNI and AVX-VNNI: those kernels are not compared here\n");
    } else {
        assert_string_equal(best, "ref");
        printf("this CPU lacks AVX2 and AVX-512: no fast kernel to compare, skipped\n");
        skip();
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_packed_group_follows_the_documented_layout),
        cmocka_unit_test(unpacking_a_group_gives_back_its_rows),
        cmocka_unit_test(every_packed_kernel_gives_the_row_dot_bits),
        cmocka_unit_test(a_tier_cap_picks_the_best_kernel_at_or_below_it),
        cmocka_unit_test(the_best_kernel_the_cpu_supports_is_chosen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
