/* The GGUF tools (info, diff, fuse-qkv, unfuse-qkv) on files built here with the writer, laid
 * out the way llama.cpp's converter lays out a Llama-style checkpoint. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "base/dtype.h"
#include "gguf/gguf.h"

#define N_EMBD 64
#define N_HEAD 4
#define N_HEAD_KV 2
#define HEAD_DIM 16
#define N_LAYER 2

typedef struct model_opts {
    const char *arch;
    uint32_t type;   /* of the Q/K/V weights */
    uint32_t v_type; /* of V in layer 1 (to provoke a type mismatch); = type normally */
    int biases;      /* Q/K/V biases present */
    int drop_v;      /* layer 1 has no attn_v.weight */
} model_opts;

typedef struct spec {
    const char *name; /* without "blk.N." for block tensors */
    int64_t ne0, ne1; /* ne1 == 0: 1-D */
} spec;

/* One block in the converter's order for a Llama-naming checkpoint (sorted HF names). */
static const spec BLOCK[] = {
    {"attn_norm.weight", N_EMBD, 0},  {"ffn_down.weight", 96, N_EMBD},
    {"ffn_gate.weight", N_EMBD, 96},  {"ffn_up.weight", N_EMBD, 96},
    {"ffn_norm.weight", N_EMBD, 0},   {"attn_k.bias", N_HEAD_KV * HEAD_DIM, 0},
    {"attn_k.weight", N_EMBD, N_HEAD_KV * HEAD_DIM}, {"attn_output.weight", N_EMBD, N_EMBD},
    {"attn_q.bias", N_HEAD * HEAD_DIM, 0},           {"attn_q.weight", N_EMBD, N_HEAD * HEAD_DIM},
    {"attn_v.bias", N_HEAD_KV * HEAD_DIM, 0},        {"attn_v.weight", N_EMBD, N_HEAD_KV * HEAD_DIM},
};
#define N_BLOCK (sizeof BLOCK / sizeof BLOCK[0])

static int is_qkv(const char *n) { return !strncmp(n, "attn_q.", 7) || !strncmp(n, "attn_k.", 7) || !strncmp(n, "attn_v.", 7); }

static void fill(uint8_t *p, uint64_t n, uint32_t seed) {
    for (uint64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void build_model(const char *path, const model_opts *o) {
    hf_err err = {0};
    gguf_writer *w = gguf_w_new();
    char key[128];
    assert_int_equal(gguf_w_add_str(w, "general.architecture", o->arch, &err), HF_OK);
    snprintf(key, sizeof key, "%s.embedding_length", o->arch);
    assert_int_equal(gguf_w_add_u32(w, key, N_EMBD, &err), HF_OK);
    snprintf(key, sizeof key, "%s.attention.head_count", o->arch);
    assert_int_equal(gguf_w_add_u32(w, key, N_HEAD, &err), HF_OK);
    snprintf(key, sizeof key, "%s.attention.head_count_kv", o->arch);
    assert_int_equal(gguf_w_add_u32(w, key, N_HEAD_KV, &err), HF_OK);
    int64_t ne_tok[2] = {N_EMBD, 10};
    assert_int_equal(gguf_w_add_tensor(w, "token_embd.weight", HF_TYPE_F32, 2, ne_tok, NULL, &err), HF_OK);
    for (int l = 0; l < N_LAYER; l++)
        for (size_t i = 0; i < N_BLOCK; i++) {
            const spec *s = &BLOCK[i];
            int bias = strstr(s->name, ".bias") != NULL;
            if (bias && !o->biases) continue;
            if (l == 1 && o->drop_v && !strcmp(s->name, "attn_v.weight")) continue;
            uint32_t type = HF_TYPE_F32;
            if (!bias && is_qkv(s->name)) type = l == 1 && !strcmp(s->name, "attn_v.weight") ? o->v_type : o->type;
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s", l, s->name);
            int64_t ne[2] = {s->ne0, s->ne1};
            assert_int_equal(gguf_w_add_tensor(w, name, type, s->ne1 ? 2 : 1, ne, NULL, &err), HF_OK);
        }
    int64_t ne_norm[1] = {N_EMBD};
    assert_int_equal(gguf_w_add_tensor(w, "output_norm.weight", HF_TYPE_F32, 1, ne_norm, NULL, &err), HF_OK);
    assert_int_equal(gguf_w_begin(w, path, &err), HF_OK);
    for (int64_t i = 0; i < gguf_w_n_tensors(w); i++) {
        uint64_t n = gguf_w_tensor_nbytes(w, i);
        uint8_t *d = malloc(n);
        fill(d, n, (uint32_t)i + 1);
        assert_int_equal(gguf_w_write_data(w, d, n, &err), HF_OK);
        assert_int_equal(gguf_w_end_tensor(w, &err), HF_OK);
        free(d);
    }
    assert_int_equal(gguf_w_finish(w, &err), HF_OK);
    gguf_w_free(w);
}

static gguf_file *open_ok(const char *path) {
    gguf_file *f;
    hf_err err = {0};
    if (gguf_open(&f, path, &err) != HF_OK) fail_msg("%s", err.msg);
    return f;
}

static int same_bytes(const char *a, const char *b) {
    size_t na, nb;
    uint8_t *x = tu_read(a, &na), *y = tu_read(b, &nb);
    int same = x && y && na == nb && !memcmp(x, y, na);
    free(x);
    free(y);
    return same;
}

/* Index of a tensor by name in file order, -1 if absent. */
static int64_t pos(const gguf_file *f, const char *name) {
    for (int64_t i = 0; i < gguf_n_tensors(f); i++)
        if (!strcmp(gguf_tensor_at(f, i)->name, name)) return i;
    return -1;
}

/* The fused tensor holds Q, K, V bytes back to back, in the place of the last of them. */
static void check_fused(const gguf_file *in, const gguf_file *out, int l, const char *suffix) {
    char q[64], k[64], v[64], qkv[64];
    snprintf(q, sizeof q, "blk.%d.attn_q.%s", l, suffix);
    snprintf(k, sizeof k, "blk.%d.attn_k.%s", l, suffix);
    snprintf(v, sizeof v, "blk.%d.attn_v.%s", l, suffix);
    snprintf(qkv, sizeof qkv, "blk.%d.attn_qkv.%s", l, suffix);
    const gguf_tensor *tq = gguf_find_tensor(in, q), *tk = gguf_find_tensor(in, k), *tv = gguf_find_tensor(in, v);
    const gguf_tensor *f = gguf_find_tensor(out, qkv);
    assert_non_null(f);
    assert_null(gguf_find_tensor(out, q));
    int rowdim = f->n_dims == 2 ? 1 : 0;
    assert_int_equal(f->ne[rowdim], tq->ne[rowdim] + tk->ne[rowdim] + tv->ne[rowdim]);
    assert_int_equal(f->ne[0], rowdim ? tq->ne[0] : f->ne[0]);
    assert_int_equal(f->nbytes, tq->nbytes + tk->nbytes + tv->nbytes);
    assert_memory_equal(f->data, tq->data, tq->nbytes);
    assert_memory_equal(f->data + tq->nbytes, tk->data, tk->nbytes);
    assert_memory_equal(f->data + tq->nbytes + tk->nbytes, tv->data, tv->nbytes);
    /* position: where the last of Q/K/V stood, i.e. right after the nearest earlier input
     * tensor that survives (in BLOCK order V comes last, so a fused-away V stands for its
     * fused tensor) */
    int64_t last = pos(in, v) > pos(in, q) ? pos(in, v) : pos(in, q);
    int64_t expect = 0;
    for (int64_t j = last - 1; j >= 0; j--) {
        char name[64];
        snprintf(name, sizeof name, "%s", gguf_tensor_at(in, j)->name);
        char *role = strstr(name, "attn_v.");
        if (role && !gguf_find_tensor(out, name)) {
            memmove(role + 8, role + 6, strlen(role + 6) + 1);
            memcpy(role, "attn_qkv", 8);
        }
        if (pos(out, name) >= 0) {
            expect = pos(out, name) + 1;
            break;
        }
    }
    assert_int_equal(pos(out, qkv), expect);
}

static void fuse_then_unfuse_is_identity(const model_opts *o, const char *bias_mode) {
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "in.gguf"), *fused = tu_path(dir, "fused.gguf"), *back = tu_path(dir, "back.gguf");
    build_model(in, o);
    assert_int_equal(tu_run_cli(NULL, "fuse-qkv '%s' '%s' %s", in, fused, bias_mode), 0);
    gguf_file *a = open_ok(in), *b = open_ok(fused);
    assert_int_equal(gguf_n_kv(a), gguf_n_kv(b));
    for (int64_t i = 0; i < gguf_n_kv(a); i++) assert_true(gguf_kv_equal(gguf_kv_at(a, i), gguf_kv_at(b, i)));
    int fuse_bias = o->biases && !strstr(bias_mode, "separate");
    for (int l = 0; l < N_LAYER; l++) {
        check_fused(a, b, l, "weight");
        if (fuse_bias) check_fused(a, b, l, "bias");
        char name[64];
        snprintf(name, sizeof name, "blk.%d.attn_q.bias", l);
        assert_true((gguf_find_tensor(b, name) != NULL) == (o->biases && !fuse_bias));
    }
    assert_int_equal(gguf_n_tensors(b), gguf_n_tensors(a) - N_LAYER * (fuse_bias ? 4 : 2));
    gguf_close(a);
    gguf_close(b);
    assert_int_equal(tu_run_cli(NULL, "unfuse-qkv '%s' '%s'", fused, back), 0);
    assert_true(same_bytes(in, back));
    assert_int_equal(tu_run_cli(NULL, "diff '%s' '%s' >/dev/null", in, back), 0);
    tu_rmrf(dir);
    free(dir);
}

static void fuse_unfuse_round_trip_f32(void **state) {
    (void)state;
    model_opts o = {"llama", HF_TYPE_F32, HF_TYPE_F32, 0, 0};
    fuse_then_unfuse_is_identity(&o, "");
}

static void fuse_unfuse_round_trip_q8_0(void **state) {
    (void)state;
    model_opts o = {"llama", HF_TYPE_Q8_0, HF_TYPE_Q8_0, 0, 0};
    fuse_then_unfuse_is_identity(&o, "");
}

static void fuse_unfuse_round_trip_with_fused_biases(void **state) {
    (void)state;
    model_opts o = {"qwen2", HF_TYPE_F16, HF_TYPE_F16, 1, 0};
    fuse_then_unfuse_is_identity(&o, "");
    fuse_then_unfuse_is_identity(&o, "--qkv-bias fused");
}

static void fuse_unfuse_round_trip_with_separate_biases(void **state) {
    (void)state;
    model_opts o = {"qwen2", HF_TYPE_BF16, HF_TYPE_BF16, 1, 0};
    fuse_then_unfuse_is_identity(&o, "--qkv-bias separate");
}

static void layer_missing_v_stays_unfused(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "in.gguf"), *out = tu_path(dir, "out.gguf");
    model_opts o = {"llama", HF_TYPE_F32, HF_TYPE_F32, 0, 1};
    build_model(in, &o);
    assert_int_equal(tu_run_cli(NULL, "fuse-qkv '%s' '%s'", in, out), 0);
    gguf_file *f = open_ok(out);
    assert_non_null(gguf_find_tensor(f, "blk.0.attn_qkv.weight"));
    assert_null(gguf_find_tensor(f, "blk.1.attn_qkv.weight"));
    assert_non_null(gguf_find_tensor(f, "blk.1.attn_q.weight"));
    assert_non_null(gguf_find_tensor(f, "blk.1.attn_k.weight"));
    gguf_close(f);
    tu_rmrf(dir);
    free(dir);
}

static void mixed_types_fail_naming_the_tensors(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "in.gguf");
    model_opts o = {"llama", HF_TYPE_Q8_0, HF_TYPE_F16, 0, 0};
    build_model(in, &o);
    char *err = NULL;
    assert_int_equal(tu_run_cli(&err, "fuse-qkv '%s' '%s'", in, tu_path(dir, "out.gguf")), 1);
    assert_non_null(strstr(err, "blk.1.attn_q.weight is q8_0"));
    assert_non_null(strstr(err, "blk.1.attn_v.weight is f16"));
    free(err);
    assert_int_equal(tu_count_entries(dir), 1); /* no output, no temp file */
    tu_rmrf(dir);
    free(dir);
}

static void unfuse_checks_rows_against_hparams(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "in.gguf"), *fused = tu_path(dir, "f.gguf");
    model_opts o = {"llama", HF_TYPE_F32, HF_TYPE_F32, 0, 0};
    build_model(in, &o);
    assert_int_equal(tu_run_cli(NULL, "fuse-qkv '%s' '%s'", in, fused), 0);
    /* rewrite the fused file with head_count_kv = 1: Q+K+V no longer adds up */
    gguf_file *f = open_ok(fused);
    gguf_writer *w = gguf_w_new();
    hf_err e = {0};
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        if (!strcmp(kv->key, "llama.attention.head_count_kv"))
            assert_int_equal(gguf_w_add_u32(w, kv->key, 1, &e), HF_OK);
        else
            assert_int_equal(gguf_w_add_kv_copy(w, f, kv, &e), HF_OK);
    }
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        assert_int_equal(gguf_w_add_tensor(w, t->name, t->type, t->n_dims, t->ne, NULL, &e), HF_OK);
    }
    const char *bad = tu_path(dir, "bad.gguf");
    assert_int_equal(gguf_w_begin(w, bad, &e), HF_OK);
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        assert_int_equal(gguf_w_write_data(w, gguf_tensor_at(f, i)->data, gguf_tensor_at(f, i)->nbytes, &e), HF_OK);
        assert_int_equal(gguf_w_end_tensor(w, &e), HF_OK);
    }
    assert_int_equal(gguf_w_finish(w, &e), HF_OK);
    gguf_w_free(w);
    gguf_close(f);
    char *err = NULL;
    assert_int_equal(tu_run_cli(&err, "unfuse-qkv '%s' '%s'", bad, tu_path(dir, "out.gguf")), 1);
    assert_non_null(strstr(err, "blk.0.attn_qkv.weight"));
    assert_non_null(strstr(err, "64+16+16 = 96"));
    assert_non_null(strstr(err, "128"));
    free(err);
    assert_false(tu_exists(tu_path(dir, "out.gguf")));
    assert_int_equal(tu_count_entries(dir), 3);
    tu_rmrf(dir);
    free(dir);
}

/* For an architecture without the HF name table, Q, K, V take the fused tensor's place. */
static void unfuse_without_name_table_keeps_the_fused_position(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "in.gguf"), *fused = tu_path(dir, "f.gguf"), *out = tu_path(dir, "o.gguf");
    model_opts o = {"phi3", HF_TYPE_F32, HF_TYPE_F32, 0, 0};
    build_model(in, &o);
    assert_int_equal(tu_run_cli(NULL, "fuse-qkv '%s' '%s'", in, fused), 0);
    assert_int_equal(tu_run_cli(NULL, "unfuse-qkv '%s' '%s'", fused, out), 0);
    gguf_file *f = open_ok(fused), *u = open_ok(out);
    int64_t at = pos(f, "blk.0.attn_qkv.weight");
    assert_true(at > 0);
    assert_int_equal(pos(u, "blk.0.attn_q.weight"), at);
    assert_int_equal(pos(u, "blk.0.attn_k.weight"), at + 1);
    assert_int_equal(pos(u, "blk.0.attn_v.weight"), at + 2);
    assert_string_equal(gguf_tensor_at(u, at - 1)->name, gguf_tensor_at(f, at - 1)->name);
    gguf_close(f);
    gguf_close(u);
    assert_int_equal(tu_run_cli(NULL, "diff '%s' '%s' >/dev/null", in, out), 1); /* same content, other order */
    tu_rmrf(dir);
    free(dir);
}

/* ==== info --json and diff ==== */

static void write_odd_values(const char *path) {
    gguf_writer *w = gguf_w_new();
    hf_err e = {0};
    int64_t big = -(1ll << 60);
    double d = 0.1;
    const char *strs[2] = {"ok", "\xff\xe2\x82" "a"}; /* invalid UTF-8, then a truncated sequence */
    assert_int_equal(gguf_w_add_u64(w, "big.u64", (1ull << 53) + 1, &e), HF_OK);
    assert_int_equal(gguf_w_add_u64(w, "small.u64", 1ull << 53, &e), HF_OK);
    assert_int_equal(gguf_w_add_scalar(w, "big.i64", GGUF_T_INT64, &big, &e), HF_OK);
    assert_int_equal(gguf_w_add_f32(w, "f32", 0.1f, &e), HF_OK);
    assert_int_equal(gguf_w_add_scalar(w, "f64", GGUF_T_FLOAT64, &d, &e), HF_OK);
    assert_int_equal(gguf_w_add_str_n(w, "nul", "a\0\"b\n", 5, &e), HF_OK);
    assert_int_equal(gguf_w_add_arr_str(w, "strs", strs, NULL, 2, &e), HF_OK);
    assert_int_equal(gguf_w_add_bool(w, "flag", 0, &e), HF_OK);
    int64_t ne[2] = {32, 3};
    assert_int_equal(gguf_w_add_tensor(w, "t", HF_TYPE_Q8_0, 2, ne, NULL, &e), HF_OK);
    assert_int_equal(gguf_w_begin(w, path, &e), HF_OK);
    uint8_t data[102] = {0};
    assert_int_equal(gguf_w_write_data(w, data, sizeof data, &e), HF_OK);
    assert_int_equal(gguf_w_end_tensor(w, &e), HF_OK);
    assert_int_equal(gguf_w_finish(w, &e), HF_OK);
    gguf_w_free(w);
}

static const cJSON *kv_value(const cJSON *root, const char *key) {
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItem(root, "kv")) {
        if (!strcmp(cJSON_GetObjectItem(kv, "key")->valuestring, key)) return cJSON_GetObjectItem(kv, "value");
    }
    fail_msg("key %s not in JSON", key);
    return NULL;
}

static void info_json_is_complete_and_exact(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *in = tu_path(dir, "odd.gguf"), *js = tu_path(dir, "odd.json");
    write_odd_values(in);
    assert_int_equal(tu_run_cli(NULL, "info --json '%s' > '%s'", in, js), 0);
    size_t n;
    char *text = (char *)tu_read(js, &n);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    assert_int_equal(cJSON_GetObjectItem(root, "version")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(root, "alignment")->valueint, 32);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "kv")), 8);
    assert_string_equal(kv_value(root, "big.u64")->valuestring, "9007199254740993");
    assert_true(cJSON_IsNumber(kv_value(root, "small.u64")));
    assert_string_equal(kv_value(root, "big.i64")->valuestring, "-1152921504606846976");
    assert_non_null(strstr(text, "0.100000001")); /* %.9g of 0.1f */
    assert_non_null(strstr(text, "0.10000000000000001"));
    assert_true(kv_value(root, "f64")->valuedouble == 0.1);
    assert_non_null(strstr(text, "\"a\\u0000\\\"b\\n\""));
    const cJSON *strs = kv_value(root, "strs");
    assert_string_equal(cJSON_GetArrayItem(strs, 1)->valuestring, "\xef\xbf\xbd\xef\xbf\xbd" "a");
    assert_true(cJSON_IsFalse(kv_value(root, "flag")));
    const cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "tensors"), 0);
    assert_string_equal(cJSON_GetObjectItem(t, "type")->valuestring, "q8_0");
    assert_int_equal(cJSON_GetObjectItem(t, "type_id")->valueint, 8);
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "ne"), 1)->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(t, "nbytes")->valueint, 102);
    cJSON_Delete(root);
    free(text);
    /* the human form lists keys and tensors */
    assert_int_equal(tu_run_cli(NULL, "info '%s' > '%s'", in, js), 0);
    text = (char *)tu_read(js, &n);
    assert_non_null(strstr(text, "big.u64"));
    assert_non_null(strstr(text, "[string x 2]"));
    assert_non_null(strstr(text, "q8_0"));
    free(text);
    tu_rmrf(dir);
    free(dir);
}

static void diff_reports_first_difference_and_exit_codes(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *a = tu_path(dir, "a.gguf"), *b = tu_path(dir, "b.gguf"), *out = tu_path(dir, "out.txt");
    model_opts o = {"llama", HF_TYPE_F32, HF_TYPE_F32, 0, 0};
    build_model(a, &o);
    build_model(b, &o);
    assert_int_equal(tu_run_cli(NULL, "diff '%s' '%s' > '%s'", a, b, out), 0);
    size_t n;
    char *text = (char *)tu_read(out, &n);
    assert_string_equal(text, "identical\n");
    free(text);
    /* flip one byte of one tensor's data, and a KV value */
    size_t nb;
    uint8_t *bytes = tu_read(b, &nb);
    gguf_file *f = open_ok(b);
    uint64_t at = gguf_data_offset(f) + gguf_find_tensor(f, "blk.1.ffn_up.weight")->offset + 5;
    uint64_t kv_at = (uint64_t)(gguf_find_kv(f, "llama.attention.head_count")->data - gguf_file_bytes(f));
    gguf_close(f);
    bytes[at] ^= 1;
    assert_int_equal(tu_write(b, bytes, nb), 0);
    assert_int_equal(tu_run_cli(NULL, "diff '%s' '%s' > '%s'", a, b, out), 1);
    text = (char *)tu_read(out, &n);
    assert_non_null(strstr(text, "blk.1.ffn_up.weight: data differs (first at byte 5"));
    free(text);
    bytes[kv_at] = 7;
    assert_int_equal(tu_write(b, bytes, nb), 0);
    assert_int_equal(tu_run_cli(NULL, "diff '%s' '%s' > '%s'", a, b, out), 1);
    text = (char *)tu_read(out, &n);
    assert_non_null(strstr(text, "llama.attention.head_count u32 = 4"));
    assert_non_null(strstr(text, "llama.attention.head_count u32 = 7"));
    free(text);
    free(bytes);
    char *err = NULL;
    assert_int_equal(tu_run_cli(&err, "diff '%s' '%s'", a, tu_path(dir, "missing.gguf")), 2);
    assert_non_null(strstr(err, "missing.gguf"));
    free(err);
    tu_rmrf(dir);
    free(dir);
}

static void tools_print_help_and_reject_bad_usage(void **state) {
    (void)state;
    const char *cmds[4] = {"info", "diff", "fuse-qkv", "unfuse-qkv"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tu_run_cli(NULL, "%s --help >/dev/null", cmds[i]), 0);
        assert_int_equal(tu_run_cli(NULL, "%s --bogus a b", cmds[i]), 2);
    }
    char *dir = tu_tmpdir();
    char *err = NULL;
    assert_int_equal(tu_run_cli(&err, "fuse-qkv '%s' '%s'", tu_path(dir, "nope.gguf"), tu_path(dir, "o.gguf")), 1);
    assert_non_null(strstr(err, "nope.gguf"));
    free(err);
    assert_int_equal(tu_count_entries(dir), 0);
    tu_rmrf(dir);
    free(dir);
}

/* Damaged files (mostly still valid GGUF with odd hparams, shapes or names) never crash the
 * tools: every run ends with an exit status, not a signal. */
static void tools_survive_corrupted_models(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    char in[4096], fused[4096], bad[4096], out[4096]; /* tu_path's buffers rotate: keep copies */
    snprintf(in, sizeof in, "%s/in.gguf", dir);
    snprintf(fused, sizeof fused, "%s/f.gguf", dir);
    snprintf(bad, sizeof bad, "%s/bad.gguf", dir);
    snprintf(out, sizeof out, "%s/out.gguf", dir);
    model_opts o = {"qwen2", HF_TYPE_F32, HF_TYPE_F32, 1, 0};
    build_model(in, &o);
    assert_int_equal(tu_run_cli(NULL, "fuse-qkv '%s' '%s' 2>/dev/null", in, fused), 0);
    size_t n;
    uint8_t *orig = tu_read(fused, &n);
    gguf_file *f = open_ok(fused);
    size_t meta = (size_t)gguf_data_offset(f); /* corrupt only the header, KVs and infos */
    gguf_close(f);
    uint64_t rng = 12345;
    int failures = 0;
    for (int iter = 0; iter < 60; iter++) {
        uint8_t *p = malloc(n);
        memcpy(p, orig, n);
        for (int k = 0; k < 2; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            p[(rng >> 33) % meta] = (uint8_t)(rng >> 20);
        }
        assert_int_equal(tu_write(bad, p, n), 0);
        free(p);
        int rc[4] = {
            tu_run_cli(NULL, "unfuse-qkv '%s' '%s'", bad, out),
            tu_run_cli(NULL, "fuse-qkv '%s' '%s'", bad, out),
            tu_run_cli(NULL, "info --json '%s' >/dev/null", bad),
            tu_run_cli(NULL, "diff '%s' '%s' >/dev/null", bad, fused),
        };
        for (int c = 0; c < 4; c++) {
            if (rc[c] < 0 || rc[c] > 2) fail_msg("iteration %d, command %d ended with status %d", iter, c, rc[c]);
            failures += c < 3 && rc[c] != 0;
        }
        unlink(out);
    }
    assert_true(failures > 0); /* the corruption did reach the error paths */
    free(orig);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuse_unfuse_round_trip_f32),
        cmocka_unit_test(fuse_unfuse_round_trip_q8_0),
        cmocka_unit_test(fuse_unfuse_round_trip_with_fused_biases),
        cmocka_unit_test(fuse_unfuse_round_trip_with_separate_biases),
        cmocka_unit_test(layer_missing_v_stays_unfused),
        cmocka_unit_test(mixed_types_fail_naming_the_tensors),
        cmocka_unit_test(unfuse_checks_rows_against_hparams),
        cmocka_unit_test(unfuse_without_name_table_keeps_the_fused_position),
        cmocka_unit_test(info_json_is_complete_and_exact),
        cmocka_unit_test(diff_reports_first_difference_and_exit_codes),
        cmocka_unit_test(tools_print_help_and_reject_bad_usage),
        cmocka_unit_test(tools_survive_corrupted_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
