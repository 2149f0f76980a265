/* Pins the converter's tensor transforms bit for bit:
 *  - attn_q/attn_k of stories260K-hf equal llama2.c's wq/wk (stories260K.bin is in
 *    llama.cpp's RoPE layout, so the un-permutation is right by construction);
 *  - attn_qkv == attn_q || attn_k || attn_v of the unfused file, for every outtype;
 *  - Q/K bias permutation, fused and separate QKV biases (mktiny checkpoint);
 *  - tied vs untied output.weight. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "gguf/gguf.h"
#include "safetensors/st.h"

#define DIM 64
#define HIDDEN 172
#define LAYERS 5
#define HEADS 8
#define KV_HEADS 4
#define VOCAB 512
#define KV_DIM (DIM * KV_HEADS / HEADS)

static const char *const OUTTYPES[] = {"f32", "f16", "bf16", "q8_0"};

static gguf_file *convert(const char *dir, const char *model, const char *name, const char *args) {
    const char *out = tu_path(dir, name);
    char *err = NULL;
    int rc = tu_run_cli(&err, "convert '%s' %s --outfile '%s'", model, args, out);
    if (rc != 0) fprintf(stderr, "convert %s failed: %s\n", args, err ? err : "");
    free(err);
    assert_int_equal(rc, 0);
    gguf_file *f = NULL;
    hf_err e;
    assert_int_equal(gguf_open(&f, out, &e), HF_OK);
    return f;
}

static const gguf_tensor *tensor(const gguf_file *f, const char *fmt, int layer) {
    char name[96];
    snprintf(name, sizeof name, fmt, layer);
    const gguf_tensor *t = gguf_find_tensor(f, name);
    if (!t) fprintf(stderr, "missing tensor %s\n", name);
    assert_non_null(t);
    return t;
}

/* llama2.c checkpoint: 7 int32 header, then f32 arrays in a fixed order. */
static float *read_llama2c(size_t *n_floats) {
    size_t len = 0;
    uint8_t *b = tu_read(tu_shared("models/stories260K/stories260K.bin"), &len);
    assert_non_null(b);
    int32_t hdr[7];
    memcpy(hdr, b, sizeof hdr);
    assert_int_equal(hdr[0], DIM);
    assert_int_equal(hdr[2], LAYERS);
    assert_int_equal(hdr[3], HEADS);
    assert_int_equal(hdr[4], KV_HEADS);
    *n_floats = (len - sizeof hdr) / 4;
    float *w = malloc(*n_floats * 4);
    memcpy(w, b + sizeof hdr, *n_floats * 4);
    free(b);
    return w;
}

static void unfused_attn_q_k_v_equal_llama2c_wq_wk_wv(void **state) {
    (void)state;
    size_t n = 0;
    float *w = read_llama2c(&n);
    const float *emb = w;
    const float *wq = emb + VOCAB * DIM + LAYERS * DIM; /* after token_embedding, rms_att */
    const float *wk = wq + (size_t)LAYERS * DIM * DIM;
    const float *wv = wk + (size_t)LAYERS * KV_DIM * DIM;
    char *dir = tu_tmpdir();
    gguf_file *f = convert(dir, tu_shared("models/stories260K-hf"), "f32.gguf", "--outtype f32");
    assert_memory_equal(tensor(f, "token_embd.weight", 0)->data, emb, VOCAB * DIM * 4);
    for (int l = 0; l < LAYERS; l++) {
        const gguf_tensor *q = tensor(f, "blk.%d.attn_q.weight", l), *k = tensor(f, "blk.%d.attn_k.weight", l),
                          *v = tensor(f, "blk.%d.attn_v.weight", l);
        assert_int_equal(q->ne[0], DIM);
        assert_int_equal(q->ne[1], DIM);
        assert_int_equal(k->ne[1], KV_DIM);
        assert_int_equal(q->nbytes, DIM * DIM * 4);
        assert_int_equal(k->nbytes, KV_DIM * DIM * 4);
        assert_memory_equal(q->data, wq + (size_t)l * DIM * DIM, DIM * DIM * 4);
        assert_memory_equal(k->data, wk + (size_t)l * KV_DIM * DIM, KV_DIM * DIM * 4);
        assert_memory_equal(v->data, wv + (size_t)l * KV_DIM * DIM, KV_DIM * DIM * 4);
    }
    gguf_close(f);
    free(w);
    tu_rmrf(dir);
    free(dir);
}

/* attn_qkv rows are Q's rows, then K's, then V's, byte for byte, with one type. */
static void assert_fused_is_concat(const gguf_file *fused, const gguf_file *plain, int layer, const char *suffix) {
    char fmt[64];
    snprintf(fmt, sizeof fmt, "blk.%%d.attn_qkv.%s", suffix);
    const gguf_tensor *qkv = tensor(fused, fmt, layer);
    const gguf_tensor *part[3];
    static const char *const QKV[] = {"q", "k", "v"};
    uint64_t off = 0;
    int64_t rows = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(fmt, sizeof fmt, "blk.%%d.attn_%s.%s", QKV[i], suffix);
        part[i] = tensor(plain, fmt, layer);
        assert_int_equal(part[i]->type, qkv->type);
        if (qkv->n_dims > 1) assert_int_equal(part[i]->ne[0], qkv->ne[0]);
        rows += part[i]->n_dims == 1 ? part[i]->ne[0] : part[i]->ne[1];
        assert_true(off + part[i]->nbytes <= qkv->nbytes);
        assert_memory_equal(qkv->data + off, part[i]->data, part[i]->nbytes);
        off += part[i]->nbytes;
    }
    assert_int_equal(off, qkv->nbytes);
    assert_int_equal(qkv->n_dims == 1 ? qkv->ne[0] : qkv->ne[1], rows);
    /* no unfused leftovers beside the fused tensor */
    snprintf(fmt, sizeof fmt, "blk.%d.attn_q.%s", layer, suffix);
    assert_null(gguf_find_tensor(fused, fmt));
}

static void attn_qkv_is_q_k_v_concat_for_every_outtype(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    for (size_t t = 0; t < sizeof OUTTYPES / sizeof OUTTYPES[0]; t++) {
        char args[64], a[32], b[32];
        snprintf(args, sizeof args, "--outtype %s", OUTTYPES[t]);
        snprintf(a, sizeof a, "%s.gguf", OUTTYPES[t]);
        snprintf(b, sizeof b, "%s-fused.gguf", OUTTYPES[t]);
        gguf_file *plain = convert(dir, tu_shared("models/stories260K-hf"), a, args);
        strcat(args, " --fuse-qkv");
        gguf_file *fused = convert(dir, tu_shared("models/stories260K-hf"), b, args);
        for (int l = 0; l < LAYERS; l++) {
            assert_fused_is_concat(fused, plain, l, "weight");
            assert_int_equal(tensor(fused, "blk.%d.attn_qkv.weight", l)->ne[1], DIM + 2 * KV_DIM);
        }
        assert_int_equal(gguf_n_tensors(fused), gguf_n_tensors(plain) - 2 * LAYERS);
        gguf_close(plain);
        gguf_close(fused);
    }
    tu_rmrf(dir);
    free(dir);
}

/* mktiny sits beside the hf2gguf binary in the build tree. */
static void make_tiny(const char *out, const char *flags) {
    char bin[4096];
    snprintf(bin, sizeof bin, "%s", HF_BIN);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s/mktiny' '%s' %s --tokenizer-from '%s'", dirname(bin), out, flags,
             tu_shared("models/stories260K-hf"));
    assert_int_equal(system(cmd), 0);
}

#define T_HEADS 4
#define T_KV 2
#define T_HD 16

/* new[h*d + 2i + s] = old[h*d + s*d/2 + i]: llama.cpp's permute of HF rotate_half rows. */
static void assert_bias_permuted(const gguf_tensor *g, const st_tensor *src, int heads) {
    int64_t n = src->shape[0], d = n / heads;
    assert_int_equal(g->ne[0], n);
    const float *got = (const float *)g->data;
    float *want = malloc((size_t)n * 4);
    st_read_f32(src, 0, n, want);
    for (int64_t h = 0; h < heads; h++)
        for (int64_t i = 0; i < d / 2; i++)
            for (int s = 0; s < 2; s++)
                assert_memory_equal(&got[h * d + 2 * i + s], &want[h * d + s * (d / 2) + i], 4);
    free(want);
}

static void qkv_biases_are_permuted_then_fused_or_kept_separate(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char model[4096];
    snprintf(model, sizeof model, "%s/tiny-bias", dir);
    make_tiny(model, "--attention-bias --layers 2 --embd 64 --heads 4 --kv-heads 2 --ff 96 --dtype bf16");
    gguf_file *plain = convert(dir, model, "plain.gguf", "--outtype q8_0");
    gguf_file *fused = convert(dir, model, "fused.gguf", "--outtype q8_0 --fuse-qkv");
    gguf_file *sep = convert(dir, model, "sep.gguf", "--outtype q8_0 --fuse-qkv --qkv-bias separate");
    st_model *m = NULL;
    hf_err e;
    assert_int_equal(st_model_open(&m, model, &e), HF_OK);
    for (int l = 0; l < 2; l++) {
        char name[96];
        snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.bias", l);
        assert_bias_permuted(tensor(plain, "blk.%d.attn_q.bias", l), st_model_find(m, name), T_HEADS);
        snprintf(name, sizeof name, "model.layers.%d.self_attn.k_proj.bias", l);
        assert_bias_permuted(tensor(plain, "blk.%d.attn_k.bias", l), st_model_find(m, name), T_KV);
        assert_fused_is_concat(fused, plain, l, "weight");
        assert_fused_is_concat(fused, plain, l, "bias");
        assert_fused_is_concat(sep, plain, l, "weight");
        assert_null(gguf_find_tensor(sep, "blk.0.attn_qkv.bias"));
        static const char *const QKV[] = {"blk.%d.attn_q.bias", "blk.%d.attn_k.bias", "blk.%d.attn_v.bias"};
        for (int i = 0; i < 3; i++) {
            const gguf_tensor *a = tensor(sep, QKV[i], l), *b = tensor(plain, QKV[i], l);
            assert_int_equal(a->nbytes, b->nbytes);
            assert_memory_equal(a->data, b->data, a->nbytes);
        }
    }
    /* attn_output.bias is untouched by fusion */
    assert_non_null(gguf_find_tensor(fused, "blk.0.attn_output.bias"));
    st_model_close(m);
    gguf_close(plain);
    gguf_close(fused);
    gguf_close(sep);
    tu_rmrf(dir);
    free(dir);
}

static void output_weight_only_when_untied(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    gguf_file *tied = convert(dir, tu_shared("models/stories260K-hf"), "t.gguf", "--outtype f32");
    gguf_file *untied = convert(dir, tu_shared("models/stories260K-hf-untied"), "u.gguf", "--outtype f32");
    assert_null(gguf_find_tensor(tied, "output.weight"));
    const gguf_tensor *out = gguf_find_tensor(untied, "output.weight");
    const gguf_tensor *emb = gguf_find_tensor(untied, "token_embd.weight");
    assert_non_null(out);
    assert_int_equal(out->nbytes, emb->nbytes);
    assert_memory_equal(out->data, emb->data, out->nbytes); /* the untied copy is the embedding */
    gguf_close(tied);
    gguf_close(untied);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unfused_attn_q_k_v_equal_llama2c_wq_wk_wv),
        cmocka_unit_test(attn_qkv_is_q_k_v_concat_for_every_outtype),
        cmocka_unit_test(qkv_biases_are_permuted_then_fused_or_kept_separate),
        cmocka_unit_test(output_weight_only_when_untied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
