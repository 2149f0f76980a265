/* gguftool (gt_fuse_qkv, gt_unfuse_qkv, gt_diff_files) called as a library, on small GGUF
 * files written here with the gguf writer: round trips are byte-identical, the fused tensor
 * holds Q||K||V, skipped layers are reported, and errors come back as hf_status with messages
 * naming the file and the tensors, leaving no output behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/dtype.h"
#include "gguf/gguf.h"
#include "gguftool/gt.h"

#define EMBD 32
#define Q_ROWS 32 /* 4 heads x 8 */
#define KV_ROWS 16 /* 2 kv heads x 8 */

typedef struct tspec {
    const char *name; /* printf pattern with the layer number, or a plain name */
    uint32_t type;
    int64_t ne0, ne1; /* ne1 == 0: 1-D */
} tspec;

/* One layer in llama.cpp's converter order for a Llama checkpoint: sorted HF names
 * (input_layernorm < self_attn.k_proj.bias < .k_proj.weight < .o_proj < .q_proj ... < .v_proj). */
static const tspec LAYER[] = {
    {"blk.%d.attn_norm.weight", HF_TYPE_F32, EMBD, 0},
    {"blk.%d.attn_k.bias", HF_TYPE_F32, KV_ROWS, 0},
    {"blk.%d.attn_k.weight", HF_TYPE_Q8_0, EMBD, KV_ROWS},
    {"blk.%d.attn_output.weight", HF_TYPE_Q8_0, EMBD, EMBD},
    {"blk.%d.attn_q.bias", HF_TYPE_F32, Q_ROWS, 0},
    {"blk.%d.attn_q.weight", HF_TYPE_Q8_0, EMBD, Q_ROWS},
    {"blk.%d.attn_v.bias", HF_TYPE_F32, KV_ROWS, 0},
    {"blk.%d.attn_v.weight", HF_TYPE_Q8_0, EMBD, KV_ROWS},
};
#define N_LAYER_T (sizeof LAYER / sizeof LAYER[0])

/* Variations of the two-layer model. */
typedef struct variant {
    const char *v1_suffix_skip; /* layer 1 lacks the tensor whose name ends with this, or NULL */
    uint32_t v1_type;           /* type of blk.1.attn_v.weight (HF_TYPE_Q8_0 normally) */
    const char *extra;          /* one more 2-D Q8_0 tensor in layer 0 (e.g. attn_qkv.weight), or NULL */
    int64_t extra_rows;
} variant;

static const variant PLAIN = {NULL, HF_TYPE_Q8_0, NULL, 0};

static void add_kvs(gguf_writer *w) {
    hf_err e = {0};
    assert_int_equal(gguf_w_add_str(w, "general.architecture", "llama", &e), HF_OK);
    assert_int_equal(gguf_w_add_u32(w, "llama.embedding_length", EMBD, &e), HF_OK);
    assert_int_equal(gguf_w_add_u32(w, "llama.attention.head_count", 4, &e), HF_OK);
    assert_int_equal(gguf_w_add_u32(w, "llama.attention.head_count_kv", 2, &e), HF_OK);
}

static void add_tensor(gguf_writer *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1) {
    hf_err e = {0};
    int64_t ne[2] = {ne0, ne1};
    if (gguf_w_add_tensor(w, name, type, ne1 ? 2 : 1, ne, NULL, &e) != HF_OK) fail_msg("%s", e.msg);
}

/* Data: every byte from a per-tensor LCG, so that no two tensors (or rows) look alike. */
static void write_data(gguf_writer *w) {
    hf_err e = {0};
    for (int64_t i = 0; i < gguf_w_n_tensors(w); i++) {
        uint64_t n = gguf_w_tensor_nbytes(w, i);
        uint8_t *d = malloc(n);
        uint32_t x = 2654435761u * (uint32_t)(i + 1);
        for (uint64_t k = 0; k < n; k++) {
            x = x * 1664525u + 1013904223u;
            d[k] = (uint8_t)(x >> 24);
        }
        assert_int_equal(gguf_w_write_data(w, d, n, &e), HF_OK);
        assert_int_equal(gguf_w_end_tensor(w, &e), HF_OK);
        free(d);
    }
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void build(const char *path, const variant *v) {
    hf_err e = {0};
    gguf_writer *w = gguf_w_new();
    add_kvs(w);
    add_tensor(w, "token_embd.weight", HF_TYPE_F32, EMBD, 8);
    for (int l = 0; l < 2; l++) {
        if (l == 0 && v->extra) add_tensor(w, v->extra, HF_TYPE_Q8_0, EMBD, v->extra_rows);
        for (size_t i = 0; i < N_LAYER_T; i++) {
            char name[64];
            snprintf(name, sizeof name, LAYER[i].name, l);
            if (l == 1 && v->v1_suffix_skip && ends_with(name, v->v1_suffix_skip)) continue;
            uint32_t type = l == 1 && ends_with(name, "attn_v.weight") ? v->v1_type : LAYER[i].type;
            add_tensor(w, name, type, LAYER[i].ne0, LAYER[i].ne1);
        }
    }
    add_tensor(w, "output_norm.weight", HF_TYPE_F32, EMBD, 0);
    assert_int_equal(gguf_w_begin(w, path, &e), HF_OK);
    write_data(w);
    assert_int_equal(gguf_w_finish(w, &e), HF_OK);
    gguf_w_free(w);
}

static gguf_file *open_ok(const char *path) {
    gguf_file *f;
    hf_err e = {0};
    if (gguf_open(&f, path, &e) != HF_OK) fail_msg("%s", e.msg);
    return f;
}

static void assert_same_file_bytes(const char *expected, const char *actual) {
    size_t ne, na;
    uint8_t *x = tu_read(expected, &ne), *y = tu_read(actual, &na);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(ne, na);
    assert_memory_equal(x, y, ne);
    free(x);
    free(y);
}

/* Every test gets a fresh directory and three paths in it (in, out, back); none exists yet. */
typedef struct fixture {
    char *dir;
    char in[4096], out[4096], back[4096];
} fixture;

static int fixture_setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !(fx->dir = tu_tmpdir())) return -1;
    snprintf(fx->in, sizeof fx->in, "%s/in.gguf", fx->dir);
    snprintf(fx->out, sizeof fx->out, "%s/out.gguf", fx->dir);
    snprintf(fx->back, sizeof fx->back, "%s/back.gguf", fx->dir);
    *state = fx;
    return 0;
}

static int fixture_teardown(void **state) {
    fixture *fx = *state;
    tu_rmrf(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* blk.L.attn_qkv.<suffix> is the bytes of Q, K, V back to back, with Q+K+V rows. */
static void assert_fused_is_concatenation(const gguf_file *in, const gguf_file *fused, int l, const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "blk.%d.attn_qkv.%s", l, suffix);
    const gguf_tensor *t = gguf_find_tensor(fused, name);
    assert_non_null(t);
    uint64_t off = 0;
    int64_t rows = 0;
    const char *roles[3] = {"attn_q", "attn_k", "attn_v"};
    for (int r = 0; r < 3; r++) {
        snprintf(name, sizeof name, "blk.%d.%s.%s", l, roles[r], suffix);
        const gguf_tensor *part = gguf_find_tensor(in, name);
        assert_non_null(part);
        assert_true(off + part->nbytes <= t->nbytes);
        assert_memory_equal(t->data + off, part->data, part->nbytes);
        off += part->nbytes;
        rows += part->ne[part->n_dims - 1];
    }
    assert_int_equal(off, t->nbytes);
    assert_int_equal(t->ne[t->n_dims - 1], rows);
}

static void fuse_then_unfuse_gives_back_the_same_bytes(void **state) {
    fixture *fx = *state;
    build(fx->in, &PLAIN);
    gt_fuse_report rep;
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, NULL, &rep, &e), HF_OK);
    assert_int_equal(rep.n_fused, 2);
    assert_int_equal(rep.n_skipped, 0);
    gt_fuse_report_free(&rep);
    gguf_file *a = open_ok(fx->in), *b = open_ok(fx->out);
    for (int l = 0; l < 2; l++) {
        assert_fused_is_concatenation(a, b, l, "weight");
        assert_fused_is_concatenation(a, b, l, "bias");
    }
    assert_int_equal(gguf_n_tensors(b), gguf_n_tensors(a) - 2 * 4);
    gguf_close(b);

    assert_int_equal(gt_unfuse_qkv(fx->out, fx->back, NULL, &rep, &e), HF_OK);
    assert_int_equal(rep.n_split, 2);
    gt_fuse_report_free(&rep);
    assert_same_file_bytes(fx->in, fx->back);
    gt_diff d;
    gguf_file *c = open_ok(fx->back);
    assert_int_equal(gt_diff_files(a, c, &d), 0);
    gguf_close(a);
    gguf_close(c);
    assert_int_equal(tu_count_entries(fx->dir), 3); /* no temp file left */
}

static void separate_biases_stay_and_round_trip(void **state) {
    fixture *fx = *state;
    build(fx->in, &PLAIN);
    gt_fuse_opts opts = {.qkv_bias = GGUF_QKV_BIAS_SEPARATE};
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, &opts, NULL, &e), HF_OK);
    gguf_file *f = open_ok(fx->out);
    assert_non_null(gguf_find_tensor(f, "blk.1.attn_qkv.weight"));
    assert_null(gguf_find_tensor(f, "blk.1.attn_qkv.bias"));
    assert_non_null(gguf_find_tensor(f, "blk.1.attn_q.bias"));
    gguf_close(f);
    assert_int_equal(gt_unfuse_qkv(fx->out, fx->back, NULL, NULL, &e), HF_OK);
    assert_same_file_bytes(fx->in, fx->back);
}

static void layer_without_v_is_reported_and_left_unfused(void **state) {
    fixture *fx = *state;
    variant v = PLAIN;
    v.v1_suffix_skip = "attn_v.weight";
    build(fx->in, &v);
    gt_fuse_report rep;
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, NULL, &rep, &e), HF_OK);
    assert_int_equal(rep.n_fused, 1);
    assert_int_equal(rep.n_skipped, 1);
    assert_int_equal(rep.skipped[0].layer, 1);
    assert_int_equal(rep.skipped[0].n_weights, 2);
    assert_int_equal(rep.skipped[0].n_biases, 3);
    gt_fuse_report_free(&rep);
    assert_null(rep.skipped);
    gguf_file *f = open_ok(fx->out);
    assert_non_null(gguf_find_tensor(f, "blk.0.attn_qkv.weight"));
    assert_null(gguf_find_tensor(f, "blk.1.attn_qkv.weight"));
    assert_non_null(gguf_find_tensor(f, "blk.1.attn_q.weight"));
    gguf_close(f);
}

static void qkv_of_different_types_fail_naming_file_and_tensors(void **state) {
    fixture *fx = *state;
    variant v = PLAIN;
    v.v1_type = HF_TYPE_F16;
    build(fx->in, &v);
    gt_fuse_report rep;
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, NULL, &rep, &e), HF_ERR_UNSUPPORTED);
    assert_int_equal(e.code, HF_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, fx->in));
    assert_non_null(strstr(e.msg, "blk.1.attn_q.weight is q8_0"));
    assert_non_null(strstr(e.msg, "blk.1.attn_v.weight is f16"));
    gt_fuse_report_free(&rep);
    assert_int_equal(tu_count_entries(fx->dir), 1); /* no output, no temp file */
}

static void fused_beside_separate_fails_both_ways(void **state) {
    fixture *fx = *state;
    variant v = PLAIN;
    v.extra = "blk.0.attn_qkv.weight";
    v.extra_rows = Q_ROWS + 2 * KV_ROWS;
    build(fx->in, &v);
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "blk.0.attn_qkv.weight"));
    assert_non_null(strstr(e.msg, fx->in));
    memset(&e, 0, sizeof e);
    assert_int_equal(gt_unfuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_ERR_FORMAT);
    assert_non_null(strstr(e.msg, fx->in));
    assert_non_null(strstr(e.msg, "blk.0.attn_qkv.weight exists beside blk.0.attn_q.weight, blk.0.attn_k.weight, "
                                  "blk.0.attn_v.weight"));
    assert_int_equal(tu_count_entries(fx->dir), 1);
}

static void unfuse_rows_not_matching_hparams_fail_naming_the_tensor(void **state) {
    fixture *fx = *state;
    hf_err e = {0};
    gguf_writer *w = gguf_w_new();
    add_kvs(w);
    add_tensor(w, "blk.0.attn_qkv.weight", HF_TYPE_F32, EMBD, Q_ROWS + KV_ROWS); /* V missing */
    assert_int_equal(gguf_w_begin(w, fx->in, &e), HF_OK);
    write_data(w);
    assert_int_equal(gguf_w_finish(w, &e), HF_OK);
    gguf_w_free(w);
    assert_int_equal(gt_unfuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_ERR_FORMAT);
    assert_non_null(strstr(e.msg, fx->in));
    assert_non_null(strstr(e.msg, "blk.0.attn_qkv.weight: ne[1] is 48"));
    assert_non_null(strstr(e.msg, "32+16+16 = 64"));
    assert_int_equal(tu_count_entries(fx->dir), 1);
}

static void same_input_and_output_path_is_refused(void **state) {
    fixture *fx = *state;
    build(fx->in, &PLAIN);
    build(fx->back, &PLAIN); /* an untouched copy to compare with */
    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->in, NULL, NULL, &e), HF_ERR_ARG);
    assert_non_null(strstr(e.msg, fx->in));
    assert_int_equal(gt_unfuse_qkv(fx->in, fx->in, NULL, NULL, &e), HF_ERR_ARG);
    assert_same_file_bytes(fx->back, fx->in);
    assert_int_equal(tu_count_entries(fx->dir), 2);
}

static void missing_input_fails_naming_it(void **state) {
    fixture *fx = *state;
    hf_err e = {0};
    assert_int_not_equal(gt_fuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_OK);
    assert_non_null(strstr(e.msg, fx->in));
    assert_int_not_equal(gt_unfuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_OK);
    assert_non_null(strstr(e.msg, fx->in));
    assert_int_equal(tu_count_entries(fx->dir), 0);
}

/* diff locates the first differing tensor byte; the fused file differs in counts and infos. */
static void diff_locates_the_first_difference(void **state) {
    fixture *fx = *state;
    build(fx->in, &PLAIN);
    size_t n;
    uint8_t *bytes = tu_read(fx->in, &n);
    gguf_file *a = open_ok(fx->in);
    const gguf_tensor *t = gguf_find_tensor(a, "blk.1.attn_output.weight");
    int64_t idx = gguf_find_tensor_index(a, "blk.1.attn_output.weight");
    bytes[gguf_data_offset(a) + t->offset + 7] ^= 0x40;
    assert_int_equal(tu_write(fx->back, bytes, n), 0);
    free(bytes);
    gguf_file *b = open_ok(fx->back);
    gt_diff d;
    assert_int_equal(gt_diff_files(a, b, &d), 1);
    assert_int_equal(d.n_header, 0);
    assert_int_equal(d.n_kv, 0);
    assert_int_equal(d.first_kv, -1);
    assert_int_equal(d.n_tensors, 1);
    assert_int_equal(d.first_tensor, idx);
    assert_true(d.first_tensor_data_only);
    assert_int_equal(d.first_data_byte, 7);
    assert_false(d.bytes_differ);
    gguf_close(b);

    hf_err e = {0};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, NULL, NULL, &e), HF_OK);
    gguf_file *f = open_ok(fx->out);
    assert_true(gt_diff_files(a, f, &d) > 0);
    assert_int_equal(d.n_kv, 0);
    assert_true(d.n_header >= 2);
    assert_string_equal(d.header[0].what, "tensor count");
    assert_int_equal(d.header[0].a, (uint64_t)gguf_n_tensors(a));
    assert_int_equal(d.header[0].b, (uint64_t)gguf_n_tensors(f));
    assert_false(d.first_tensor_data_only);
    assert_true(d.n_tensors > 0);
    gguf_close(f);
    gguf_close(a);
}

/* The file is laid out at `align`: data section and every tensor offset multiples of it. */
static void assert_aligned_to(const gguf_file *f, uint64_t align) {
    assert_int_equal(gguf_alignment(f), align);
    assert_int_equal(gguf_data_offset(f) % align, 0);
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) assert_int_equal(gguf_tensor_at(f, i)->offset % align, 0);
}

/* gt_fuse_opts.alignment: sets general.alignment after general.architecture, replaces an
 * input's key in place, drops it at 32 (giving the default layout back, byte for byte), puts
 * it first when there is no general.architecture; a non-power of two fails with no file. */
static void alignment_option_sets_replaces_and_drops_the_key(void **state) {
    fixture *fx = *state;
    build(fx->in, &PLAIN);
    hf_err e = {0};
    gt_fuse_opts o64 = {.qkv_bias = GGUF_QKV_BIAS_FUSED, .alignment = 64};
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, &o64, NULL, &e), HF_OK);
    gguf_file *a = open_ok(fx->in), *b = open_ok(fx->out);
    assert_aligned_to(b, 64);
    assert_int_equal(gguf_n_kv(b), gguf_n_kv(a) + 1);
    assert_string_equal(gguf_kv_at(b, 0)->key, "general.architecture");
    assert_string_equal(gguf_kv_at(b, 1)->key, "general.alignment");
    assert_int_equal(gguf_kv_at(b, 1)->type, GGUF_T_UINT32);
    for (int l = 0; l < 2; l++) assert_fused_is_concatenation(a, b, l, "weight");
    gguf_close(b);

    gt_fuse_opts o128 = {.alignment = 128};
    assert_int_equal(gt_unfuse_qkv(fx->out, fx->back, &o128, NULL, &e), HF_OK);
    gguf_file *c = open_ok(fx->back);
    assert_aligned_to(c, 128);
    assert_int_equal(gguf_n_kv(c), gguf_n_kv(a) + 1);
    assert_string_equal(gguf_kv_at(c, 1)->key, "general.alignment");
    assert_int_equal((uint64_t)gguf_kv_num(gguf_kv_at(c, 1)), 128);
    gguf_close(c);

    gt_fuse_opts o32 = {.alignment = 32};
    assert_int_equal(gt_unfuse_qkv(fx->out, fx->back, &o32, NULL, &e), HF_OK);
    assert_same_file_bytes(fx->in, fx->back);
    gguf_close(a);

    /* no general.architecture: the key goes first */
    gguf_writer *w = gguf_w_new();
    assert_int_equal(gguf_w_add_u32(w, "test.count", 1, &e), HF_OK);
    add_tensor(w, "token_embd.weight", HF_TYPE_F32, 3, 0);
    assert_int_equal(gguf_w_begin(w, fx->in, &e), HF_OK);
    write_data(w);
    assert_int_equal(gguf_w_finish(w, &e), HF_OK);
    gguf_w_free(w);
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, &o64, NULL, &e), HF_OK);
    gguf_file *d = open_ok(fx->out);
    assert_aligned_to(d, 64);
    assert_string_equal(gguf_kv_at(d, 0)->key, "general.alignment");
    assert_string_equal(gguf_kv_at(d, 1)->key, "test.count");
    gguf_close(d);

    gt_fuse_opts bad = {.alignment = 48};
    remove(fx->out);
    remove(fx->back);
    assert_int_equal(gt_fuse_qkv(fx->in, fx->out, &bad, NULL, &e), HF_ERR_ARG);
    assert_non_null(strstr(e.msg, "general.alignment"));
    assert_int_equal(gt_unfuse_qkv(fx->in, fx->out, &bad, NULL, &e), HF_ERR_ARG);
    assert_int_equal(tu_count_entries(fx->dir), 1); /* only the input */
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        FX_TEST(fuse_then_unfuse_gives_back_the_same_bytes),
        FX_TEST(separate_biases_stay_and_round_trip),
        FX_TEST(layer_without_v_is_reported_and_left_unfused),
        FX_TEST(qkv_of_different_types_fail_naming_file_and_tensors),
        FX_TEST(fused_beside_separate_fails_both_ways),
        FX_TEST(unfuse_rows_not_matching_hparams_fail_naming_the_tensor),
        FX_TEST(same_input_and_output_path_is_refused),
        FX_TEST(missing_input_fails_naming_it),
        FX_TEST(diff_locates_the_first_difference),
        FX_TEST(alignment_option_sets_replaces_and_drops_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
