/* Loader behaviour: the three QKV layouts load as intended, and every bad
 * input (missing tensor, wrong shape, wrong type, unsupported type or
 * architecture, unknown tensor, missing key, truncated data, prompt longer
 * than the context) is a clear error, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "rt_fixture.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_model.h"


/* Loads s and expects failure with `code` and every needle in the message. */
static void expect_load_error(const fx_spec *s, hf_status code, const char *n1, const char *n2, const char *n3) {
    const char *path = fx_write_tmp(s, "bad.gguf");
    rt_model *m = (rt_model *)1;
    hf_err err = {0};
    hf_status st = rt_model_load(&m, path, &err);
    printf("  -> %s\n", err.msg);
    assert_int_equal(st, code);
    assert_null(m);
    const char *needles[3] = {n1, n2, n3};
    for (int i = 0; i < 3; i++)
        if (needles[i] && !strstr(err.msg, needles[i])) fail_msg("message '%s' lacks '%s'", err.msg, needles[i]);
}

static void three_qkv_layouts_load_as_fused_or_separate_with_one_bias_vector(void **state) {
    (void)state;
    static const fx_layout layouts[3] = {FX_SEPARATE, FX_FUSED, FX_FUSED_SEP_BIAS};
    const float *first_bias = NULL;
    rt_model *keep = NULL;
    for (int i = 0; i < 3; i++) {
        fx_spec s = fx_default(HF_TYPE_Q8_0, layouts[i], 1);
        char name[32];
        snprintf(name, sizeof name, "layout%d.gguf", i);
        rt_model *m;
        hf_err err = {0};
        if (rt_model_load(&m, fx_write_tmp(&s, name), &err) != HF_OK) fail_msg("%s", err.msg);
        assert_int_equal(m->layers[1].qkv_fused, layouts[i] != FX_SEPARATE);
        assert_non_null(m->layers[1].bqkv);
        /* separate biases are concatenated once at load; a fused bias is used in place */
        assert_int_equal(m->layers[1].bqkv_owned != NULL, layouts[i] != FX_FUSED);
        assert_true(m->output_tied);
        const int64_t n = rt_n_q(&m->hp) + 2 * rt_n_kv(&m->hp);
        if (!first_bias) {
            first_bias = m->layers[1].bqkv;
            keep = m;
        } else {
            assert_memory_equal(first_bias, m->layers[1].bqkv, (size_t)n * sizeof(float));
            rt_model_free(m);
        }
    }
    rt_model_free(keep);
}

static void missing_tensor_is_named(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.skip = "blk.1.ffn_up.weight";
    expect_load_error(&s, HF_ERR_FORMAT, "missing tensor", "blk.1.ffn_up.weight", NULL);
    s.skip = "blk.0.attn_v.weight";
    expect_load_error(&s, HF_ERR_FORMAT, "missing tensor", "blk.0.attn_v.weight", NULL);
    s.skip = "token_embd.weight";
    expect_load_error(&s, HF_ERR_FORMAT, "missing tensor", "token_embd.weight", NULL);
}

static void wrong_shape_reports_expected_and_actual(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F16, FX_SEPARATE, 0);
    s.reshape = "blk.0.attn_k.weight";
    expect_load_error(&s, HF_ERR_FORMAT, "blk.0.attn_k.weight", "shape {64, 33}", "expected {64, 32}");
    s = fx_default(HF_TYPE_F32, FX_FUSED, 1);
    s.reshape = "blk.1.attn_qkv.weight";
    expect_load_error(&s, HF_ERR_FORMAT, "blk.1.attn_qkv.weight", "{64, 129}", "expected {64, 128}");
    s.reshape = "blk.1.attn_qkv.bias";
    expect_load_error(&s, HF_ERR_FORMAT, "blk.1.attn_qkv.bias", "{129}", "expected {128}");
}

static void wrong_type_reports_expected_and_actual(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.retype = "blk.0.attn_norm.weight";
    s.retype_to = HF_TYPE_F16;
    expect_load_error(&s, HF_ERR_FORMAT, "blk.0.attn_norm.weight", "type f16", "expected f32");
    s.retype = "blk.1.ffn_down.weight";
    s.retype_to = HF_TYPE_Q4_0;
    expect_load_error(&s, HF_ERR_UNSUPPORTED, "blk.1.ffn_down.weight", "type q4_0", "f32, f16, bf16, q8_0");
}

static void unsupported_architecture_is_refused(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.arch = "gpt2";
    expect_load_error(&s, HF_ERR_UNSUPPORTED, "unsupported architecture", "'gpt2'", NULL);
}

static void unknown_tensor_is_refused_like_llama_cpp(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.extra = 1;
    expect_load_error(&s, HF_ERR_UNSUPPORTED, "unexpected tensor", "blk.0.extra.weight", NULL);
}

static void missing_hyperparameter_key_is_named(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.skip_key = "llama.block_count";
    expect_load_error(&s, HF_ERR_FORMAT, "missing key", "llama.block_count", NULL);
    s.skip_key = "llama.attention.layer_norm_rms_epsilon";
    expect_load_error(&s, HF_ERR_FORMAT, "missing key", "llama.attention.layer_norm_rms_epsilon", NULL);
}

static void a_billion_layers_are_refused_before_allocating(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    s.claim_layers = 1000000000;
    expect_load_error(&s, HF_ERR_FORMAT, "llama.block_count' = 1000000000", "tensors", NULL);
}

static void truncated_data_section_fails_cleanly(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_Q8_0, FX_FUSED, 1);
    const char *path = fx_write_tmp(&s, "trunc.gguf");
    size_t len;
    uint8_t *bytes = tu_read(path, &len);
    assert_non_null(bytes);
    const char *cut = tu_path(fx_dir, "cut.gguf");
    for (size_t drop = 1; drop <= 4096; drop *= 4) {
        assert_int_equal(tu_write(cut, bytes, len - drop), 0);
        rt_model *m = (rt_model *)1;
        hf_err err = {0};
        assert_int_not_equal(rt_model_load(&m, cut, &err), HF_OK);
        assert_null(m);
        assert_true(strlen(err.msg) > 0);
        if (drop == 1) printf("  -> %s\n", err.msg);
    }
    free(bytes);
}

static void prompt_longer_than_context_is_a_range_error(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 0);
    rt_model *m;
    hf_err err = {0};
    assert_int_equal(rt_model_load(&m, fx_write_tmp(&s, "ctx.gguf"), &err), HF_OK);
    rt_ctx_params p = rt_ctx_default_params();
    p.n_ctx = 8;
    rt_ctx *c;
    assert_int_equal(rt_ctx_new(&c, m, &p, &err), HF_OK);
    int32_t toks[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float *logits = malloc((size_t)(9 * m->hp.n_vocab) * sizeof(float));
    assert_int_equal(rt_decode(c, toks, 9, logits, 1, &err), HF_ERR_RANGE);
    printf("  -> %s\n", err.msg);
    assert_non_null(strstr(err.msg, "do not fit the context"));
    assert_int_equal(rt_ctx_n_past(c), 0); /* unchanged on failure */
    assert_int_equal(rt_decode(c, toks, 8, logits, 1, &err), HF_OK);
    assert_int_equal(rt_decode(c, toks, 1, logits, 0, &err), HF_ERR_RANGE);
    toks[0] = (int32_t)m->hp.n_vocab;
    rt_ctx_reset(c);
    assert_int_equal(rt_decode(c, toks, 1, logits, 0, &err), HF_ERR_ARG);
    free(logits);
    rt_ctx_free(c);
    rt_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_qkv_layouts_load_as_fused_or_separate_with_one_bias_vector),
        cmocka_unit_test(missing_tensor_is_named),
        cmocka_unit_test(wrong_shape_reports_expected_and_actual),
        cmocka_unit_test(wrong_type_reports_expected_and_actual),
        cmocka_unit_test(unsupported_architecture_is_refused),
        cmocka_unit_test(unknown_tensor_is_refused_like_llama_cpp),
        cmocka_unit_test(missing_hyperparameter_key_is_named),
        cmocka_unit_test(a_billion_layers_are_refused_before_allocating),
        cmocka_unit_test(truncated_data_section_fails_cleanly),
        cmocka_unit_test(prompt_longer_than_context_is_a_range_error),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
