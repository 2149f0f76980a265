/* `hf2gguf run` end to end on fixture models (tests/rt_fixture.h): every bad
 * input is a clear message with exit status 1 (never a signal), stdout is
 * exactly prompt text + generated text, --dump-logits has one row per
 * evaluated position, and sampling is reproducible from its seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "rt_fixture.h"

/* Runs `hf2gguf run ARGS`, stdout to <fx_dir>/out.txt; returns the exit status, *msg = stderr. */
static int run_cli(char **msg, const char *args) {
    return tu_run_cli(msg, "run %s > '%s'", args, tu_path(fx_dir, "out.txt"));
}

static void expect_cli_error(const fx_spec *s, const char *needle) {
    const char *path = fx_write_tmp(s, "bad.gguf");
    char args[4200], *msg = NULL;
    snprintf(args, sizeof args, "'%s' --tokens 1,5,6 -n 2", path);
    int rc = run_cli(&msg, args);
    printf("  rc %d: %s", rc, msg ? msg : "(no stderr)\n");
    assert_int_equal(rc, 1);
    assert_non_null(msg);
    if (!strstr(msg, needle)) fail_msg("stderr lacks '%s'", needle);
    free(msg);
}

static void bad_models_fail_with_a_message_and_status_1(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F16, FX_FUSED, 1);
    s.skip = "blk.1.attn_qkv.weight";
    expect_cli_error(&s, "missing tensor 'blk.1.attn_q.weight'"); /* falls back to the separate layout */
    s = fx_default(HF_TYPE_Q8_0, FX_SEPARATE, 0);
    s.reshape = "blk.0.ffn_gate.weight";
    expect_cli_error(&s, "shape {64, 97}, expected {64, 96}");
    s = fx_default(HF_TYPE_BF16, FX_FUSED_SEP_BIAS, 1);
    s.retype = "blk.1.attn_k.bias";
    s.retype_to = HF_TYPE_F16;
    expect_cli_error(&s, "'blk.1.attn_k.bias' has type f16, expected f32");
    s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.arch = "mamba";
    expect_cli_error(&s, "unsupported architecture 'mamba'");
}

static void truncated_model_and_long_prompt_fail_cleanly(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_FUSED, 1);
    const char *path = fx_write_tmp(&s, "ok.gguf");
    size_t len;
    uint8_t *b = tu_read(path, &len);
    const char *cut = tu_path(fx_dir, "cut.gguf");
    assert_int_equal(tu_write(cut, b, len / 2), 0);
    free(b);
    char args[4200], *msg = NULL;
    snprintf(args, sizeof args, "'%s' --tokens 1 -n 1", cut);
    assert_int_equal(run_cli(&msg, args), 1);
    assert_non_null(strstr(msg, "past the end of the file"));
    free(msg);
    snprintf(args, sizeof args, "'%s' -p abcdefgh --ctx 4 -n 1", path);
    assert_int_equal(run_cli(&msg, args), 1);
    printf("  %s", msg);
    assert_non_null(strstr(msg, "but the context holds 4"));
    free(msg);
}

static void stdout_is_prompt_then_generation_and_dump_has_a_row_per_evaluated_position(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_Q8_0, FX_FUSED, 1);
    const char *path = fx_write_tmp(&s, "gen.gguf");
    const char *dump = tu_path(fx_dir, "dump.bin");
    char args[4200], *msg = NULL;
    snprintf(args, sizeof args, "'%s' -p 'ab cd' -n 7 -t 2 --dump-logits '%s'", path, dump);
    assert_int_equal(run_cli(&msg, args), 0);
    free(msg);
    size_t n_out, n_dump;
    char *out = (char *)tu_read(tu_path(fx_dir, "out.txt"), &n_out);
    uint8_t *d = tu_read(dump, &n_dump);
    assert_non_null(out);
    assert_non_null(d);
    assert_true(n_out >= 5 && memcmp(out, "ab cd", 5) == 0); /* the prompt, verbatim */
    /* prompt "<s> ▁a b ▁c d" = 5 positions, then 6 of the 7 generated tokens fed back,
     * unless generation stopped at </s> (which is neither printed nor evaluated) */
    const size_t row = (size_t)s.n_vocab * sizeof(float);
    assert_int_equal(n_dump % row, 0);
    assert_true(n_dump / row >= 5 && n_dump / row <= 11);
    printf("  stdout '%.*s', %zu logit rows\n", (int)n_out, out, n_dump / row);
    free(out);
    free(d);
}

static void sampling_is_reproducible_from_the_seed(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F16, FX_SEPARATE, 0);
    const char *path = fx_write_tmp(&s, "sample.gguf");
    char *outs[3];
    const int seeds[3] = {7, 7, 8};
    for (int i = 0; i < 3; i++) {
        char args[4200], *msg = NULL;
        snprintf(args, sizeof args, "'%s' --tokens 1,4,5 -n 40 --temp 50 --top-k 0 --top-p 1 --seed %d", path, seeds[i]);
        assert_int_equal(run_cli(&msg, args), 0);
        free(msg);
        size_t n;
        outs[i] = (char *)tu_read(tu_path(fx_dir, "out.txt"), &n);
        outs[i] = realloc(outs[i], n + 1);
        outs[i][n] = 0;
    }
    assert_string_equal(outs[0], outs[1]);
    assert_string_not_equal(outs[0], outs[2]);
    for (int i = 0; i < 3; i++) free(outs[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_models_fail_with_a_message_and_status_1),
        cmocka_unit_test(truncated_model_and_long_prompt_fail_cleanly),
        cmocka_unit_test(stdout_is_prompt_then_generation_and_dump_has_a_row_per_evaluated_position),
        cmocka_unit_test(sampling_is_reproducible_from_the_seed),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
