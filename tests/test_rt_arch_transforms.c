/* Each architecture-specific piece of the forward pass matters: a checkpoint of each
 * architecture (hf2gguf synth, random norm weights and biases) is converted (f32), run, and
 * then run again with one piece skipped — a dropped Q/K/V bias, a dropped norm bias, a dropped
 * FFN or output bias, a dropped Q/K norm, the full head dimension rotated instead of the
 * partial-rotary count — and the logits must change. Together with the interop suite (where
 * llama.cpp gives the same logits as the intact pass, within 1e-5) this shows the conversion
 * and the runtime keep every one of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/conv.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_model.h"
#include "synth/synth.h"
#include "testutil.h"

static const int32_t TOKENS[] = {1, 403, 407, 261, 378, 300, 12};
#define N_TOKENS ((int64_t)(sizeof TOKENS / sizeof TOKENS[0]))

typedef struct fixture {
    char *dir;
    char gguf[4096];
    rt_model *m;
    float *base; /* logits of the intact model, N_TOKENS rows */
} fixture;

static float *logits_of(const rt_model *m) {
    rt_ctx_params p = rt_ctx_default_params();
    p.n_ctx = 64;
    rt_ctx *c;
    hf_err err = {0};
    assert_int_equal(rt_ctx_new(&c, m, &p, &err), HF_OK);
    float *out = malloc((size_t)N_TOKENS * (size_t)m->hp.n_vocab * sizeof(float));
    assert_non_null(out);
    assert_int_equal(rt_decode(c, TOKENS, N_TOKENS, out, 1, &err), HF_OK);
    rt_ctx_free(c);
    return out;
}

/* synth (arch, switches) -> convert f32 -> load; base logits. */
static void setup(fixture *f, const char *arch, const char *const *sw, int n_sw, int64_t ff, int64_t kv_heads) {
    memset(f, 0, sizeof *f);
    f->dir = tu_tmpdir();
    syn_opts o;
    memset(&o, 0, sizeof o);
    syn_default_shape(&o.shape);
    o.shape.head_dim = o.shape.n_embd / o.shape.n_head;
    if (ff) o.shape.n_ff = ff;
    if (kv_heads) o.shape.n_head_kv = kv_heads;
    o.gguf_arch = arch;
    o.seed = 7;
    o.out_dir = tu_path(f->dir, "hf");
    for (int i = 0; i < n_sw; i++) {
        o.switch_names[i] = sw[i];
        o.switch_values[i] = 1;
    }
    o.n_switches = n_sw;
    char hf_dir[4096];
    snprintf(hf_dir, sizeof hf_dir, "%s", o.out_dir);
    syn_result r;
    hf_err err = {0};
    assert_int_equal(syn_write(&o, &r, &err), HF_OK);
    snprintf(f->gguf, sizeof f->gguf, "%s", tu_path(f->dir, "m.gguf"));
    conv_opts co = {.model_dir = hf_dir, .outfile = f->gguf, .outtype = CONV_OUT_F32, .n_threads = 1};
    conv_result cr;
    if (conv_run(&co, &cr, &err) != HF_OK) fail_msg("convert %s: %s", arch, err.msg);
    assert_int_equal(rt_model_load(&f->m, f->gguf, &err), HF_OK);
    f->base = logits_of(f->m);
}

static void teardown(fixture *f) {
    rt_model_free(f->m);
    free(f->base);
    tu_rmrf(f->dir);
    free(f->dir);
}

/* The logits of the (mutated) model differ from the intact ones. */
static void assert_changed(const fixture *f, const char *what) {
    float *l = logits_of(f->m);
    const size_t n = (size_t)N_TOKENS * (size_t)f->m->hp.n_vocab;
    if (!memcmp(l, f->base, n * sizeof(float))) fail_msg("%s: %s did not change the logits", f->m->arch, what);
    free(l);
    /* And the intact pass is reproducible, so the difference is the mutation's. */
}

static void for_layers(rt_model *m, void (*fn)(rt_layer *)) {
    for (int64_t il = 0; il < m->hp.n_layer; il++) fn(&m->layers[il]);
}

static void drop_qkv_bias(rt_layer *l) { l->bqkv = NULL; }
static void drop_attn_norm_bias(rt_layer *l) { l->attn_norm_b.data = NULL; }
static void drop_q_norm(rt_layer *l) { l->q_norm.data = NULL; }
static void drop_k_norm(rt_layer *l) { l->k_norm.data = NULL; }
static void drop_ffn_biases(rt_layer *l) { l->b_up.data = l->b_down.data = NULL; }
static void drop_attn_out_bias(rt_layer *l) { l->bo.data = NULL; }

static void test_reproducible(void **state) {
    (void)state;
    fixture f;
    setup(&f, "qwen2", NULL, 0, 0, 0);
    float *again = logits_of(f.m);
    assert_memory_equal(again, f.base, (size_t)N_TOKENS * (size_t)f.m->hp.n_vocab * sizeof(float));
    free(again);
    teardown(&f);
}

static void test_qwen2_qkv_bias_matters(void **state) {
    (void)state;
    fixture f;
    setup(&f, "qwen2", NULL, 0, 0, 0);
    assert_non_null(f.m->layers[0].bqkv);
    for_layers(f.m, drop_qkv_bias);
    assert_changed(&f, "dropping the Q/K/V biases");
    teardown(&f);
}

static void test_qwen3_qk_norm_matters(void **state) {
    (void)state;
    fixture f;
    setup(&f, "qwen3", NULL, 0, 0, 0);
    for_layers(f.m, drop_q_norm);
    assert_changed(&f, "dropping q_norm");
    teardown(&f);
    setup(&f, "qwen3", NULL, 0, 0, 0);
    for_layers(f.m, drop_k_norm);
    assert_changed(&f, "dropping k_norm");
    teardown(&f);
}

static void test_phi2_pieces_matter(void **state) {
    (void)state;
    fixture f;
    setup(&f, "phi2", NULL, 0, 256, 4);
    assert_true(f.m->hp.n_rot < f.m->hp.head_dim); /* partial rotary: 0.5 x 16 */
    f.m->hp.n_rot = f.m->hp.head_dim;
    assert_changed(&f, "rotating all head dimensions instead of the partial count");
    teardown(&f);
    setup(&f, "phi2", NULL, 0, 256, 4);
    for_layers(f.m, drop_attn_norm_bias);
    assert_changed(&f, "dropping the LayerNorm biases");
    teardown(&f);
    setup(&f, "phi2", NULL, 0, 256, 4);
    f.m->output_b.data = NULL;
    assert_changed(&f, "dropping the output bias");
    teardown(&f);
    setup(&f, "phi2", NULL, 0, 256, 4);
    for_layers(f.m, drop_qkv_bias);
    assert_changed(&f, "dropping the Q/K/V biases");
    teardown(&f);
}

static void test_starcoder2_biases_matter(void **state) {
    (void)state;
    fixture f;
    setup(&f, "starcoder2", NULL, 0, 0, 0);
    for_layers(f.m, drop_ffn_biases);
    assert_changed(&f, "dropping the MLP biases");
    teardown(&f);
    setup(&f, "starcoder2", NULL, 0, 0, 0);
    for_layers(f.m, drop_attn_out_bias);
    assert_changed(&f, "dropping the attn_output bias");
    teardown(&f);
}

static void test_stablelm_pieces_matter(void **state) {
    (void)state;
    static const char *const SW[] = {"use_qkv_bias", "qk_layernorm"};
    fixture f;
    setup(&f, "stablelm", SW, 2, 0, 0);
    assert_int_equal(f.m->layers[0].q_norm.ne1, f.m->hp.n_head); /* stacked per head */
    for_layers(f.m, drop_q_norm);
    assert_changed(&f, "dropping the per-head Q LayerNorms");
    teardown(&f);
    setup(&f, "stablelm", SW, 2, 0, 0);
    f.m->hp.n_rot = f.m->hp.head_dim;
    assert_changed(&f, "rotating all head dimensions instead of the partial count");
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_qwen2_qkv_bias_matters),
        cmocka_unit_test(test_qwen3_qk_norm_matters),
        cmocka_unit_test(test_phi2_pieces_matter),
        cmocka_unit_test(test_starcoder2_biases_matter),
        cmocka_unit_test(test_stablelm_pieces_matter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
