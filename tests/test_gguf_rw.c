/* GGUF writer -> reader round trips, the writer's failure modes, and the real vocab files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/dtype.h"
#include "gguf/gguf.h"

#define OK(expr)                                                                                                   \
    do {                                                                                                           \
        hf_err e_ = {0};                                                                                           \
        hf_status s_ = (expr);                                                                                     \
        if (s_ != HF_OK) fail_msg("%s failed: %s", #expr, e_.msg);                                                 \
    } while (0)
/* Expressions below use `&e_` as their error out-parameter inside OK(). */

static const float F32_DATA[8] = {1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f, 65504.0f, 7.0f};

/* Every value type, arrays of every element type, two tensors. */
static gguf_writer *all_types_writer(void) {
    gguf_writer *w = gguf_w_new();
    assert_non_null(w);
    uint16_t u16 = 65535;
    int8_t i8 = -128;
    int16_t i16 = -32768;
    int64_t i64 = INT64_MIN;
    double f64 = 0.1;
    OK(gguf_w_add_str(w, "general.architecture", "llama", &e_));
    OK(gguf_w_add_u8(w, "t.u8", 255, &e_));
    OK(gguf_w_add_scalar(w, "t.i8", GGUF_T_INT8, &i8, &e_));
    OK(gguf_w_add_scalar(w, "t.u16", GGUF_T_UINT16, &u16, &e_));
    OK(gguf_w_add_scalar(w, "t.i16", GGUF_T_INT16, &i16, &e_));
    OK(gguf_w_add_u32(w, "t.u32", 4000000000u, &e_));
    OK(gguf_w_add_i32(w, "t.i32", -7, &e_));
    OK(gguf_w_add_f32(w, "t.f32", 0.1f, &e_));
    OK(gguf_w_add_bool(w, "t.bool", 1, &e_));
    OK(gguf_w_add_str_n(w, "t.str", "a\0b", 3, &e_));
    OK(gguf_w_add_u64(w, "t.u64", UINT64_MAX, &e_));
    OK(gguf_w_add_scalar(w, "t.i64", GGUF_T_INT64, &i64, &e_));
    OK(gguf_w_add_scalar(w, "t.f64", GGUF_T_FLOAT64, &f64, &e_));
    int32_t ai32[3] = {1, -2, 3};
    uint8_t abool[2] = {0, 1};
    double af64[2] = {1e300, -0.5};
    OK(gguf_w_add_arr(w, "a.i32", GGUF_T_INT32, ai32, 3, &e_));
    OK(gguf_w_add_arr(w, "a.bool", GGUF_T_BOOL, abool, 2, &e_));
    OK(gguf_w_add_arr(w, "a.f64", GGUF_T_FLOAT64, af64, 2, &e_));
    OK(gguf_w_add_arr(w, "a.empty", GGUF_T_UINT8, NULL, 0, &e_));
    const char *strs[3] = {"hello", "", "wörld"};
    OK(gguf_w_add_arr_str(w, "a.str", strs, NULL, 3, &e_));
    int64_t ne_f[2] = {4, 2}, ne_q[1] = {32};
    OK(gguf_w_add_tensor(w, "t0.weight", HF_TYPE_F32, 2, ne_f, NULL, &e_));
    OK(gguf_w_add_tensor(w, "t1.weight", HF_TYPE_Q8_0, 1, ne_q, NULL, &e_));
    return w;
}

static void write_all_types(const char *path) {
    gguf_writer *w = all_types_writer();
    uint8_t q8[34];
    for (int i = 0; i < 34; i++) q8[i] = (uint8_t)(i * 7);
    OK(gguf_w_begin(w, path, &e_));
    OK(gguf_w_write_data(w, F32_DATA, 12, &e_)); /* in two pieces */
    OK(gguf_w_write_data(w, (const uint8_t *)F32_DATA + 12, 20, &e_));
    OK(gguf_w_end_tensor(w, &e_));
    OK(gguf_w_write_data(w, q8, 34, &e_));
    OK(gguf_w_end_tensor(w, &e_));
    OK(gguf_w_finish(w, &e_));
    gguf_w_free(w);
}

static void check_all_types(gguf_file *f) {
    hf_err err = {0};
    assert_int_equal(gguf_n_kv(f), 18);
    assert_string_equal(gguf_kv_at(f, 0)->key, "general.architecture"); /* insertion order kept */
    assert_string_equal(gguf_kv_at(f, 17)->key, "a.str");
    assert_true(gguf_kv_num(gguf_find_kv(f, "t.u8")) == 255);
    assert_true(gguf_kv_num(gguf_find_kv(f, "t.i8")) == -128);
    assert_true(gguf_kv_num(gguf_find_kv(f, "t.u16")) == 65535);
    assert_true(gguf_kv_num(gguf_find_kv(f, "t.i16")) == -32768);
    assert_true(gguf_kv_num(gguf_find_kv(f, "t.f64")) == 0.1);
    assert_true((float)gguf_kv_num(gguf_find_kv(f, "t.f32")) == 0.1f);
    uint32_t u32;
    assert_int_equal(gguf_get_u32(f, "t.u32", &u32, &err), HF_OK);
    assert_true(u32 == 4000000000u);
    int64_t i64;
    assert_int_equal(gguf_get_i64(f, "t.i64", &i64, &err), HF_OK);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(gguf_get_i64(f, "t.i32", &i64, &err), HF_OK);
    assert_true(i64 == -7);
    assert_int_equal(gguf_get_u32(f, "t.i32", &u32, &err), HF_ERR_RANGE); /* -7 does not fit */
    assert_non_null(strstr(err.msg, "t.i32"));
    assert_int_equal(gguf_get_i64(f, "t.u64", &i64, &err), HF_ERR_RANGE);
    const gguf_kv *u64 = gguf_find_kv(f, "t.u64");
    uint64_t u64v;
    memcpy(&u64v, u64->data, 8);
    assert_true(u64v == UINT64_MAX);
    int b;
    assert_int_equal(gguf_get_bool(f, "t.bool", &b, &err), HF_OK);
    assert_int_equal(b, 1);
    gguf_str s;
    assert_int_equal(gguf_get_str(f, "t.str", &s, &err), HF_OK);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "a\0b", 3);
    assert_int_equal(gguf_get_str(f, "t.u8", &s, &err), HF_ERR_FORMAT); /* type mismatch names both */
    assert_non_null(strstr(err.msg, "expected string, found u8"));
    assert_int_equal(gguf_get_str(f, "nope", &s, &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "nope"));
    const gguf_kv *a;
    assert_int_equal(gguf_get_arr(f, "a.i32", GGUF_T_INT32, &a, &err), HF_OK);
    assert_int_equal(a->n, 3);
    assert_true(gguf_arr_num(a, 1) == -2);
    assert_int_equal(gguf_get_arr(f, "a.i32", GGUF_T_FLOAT32, &a, &err), HF_ERR_FORMAT);
    assert_int_equal(gguf_get_arr(f, "a.bool", GGUF_T_BOOL, &a, &err), HF_OK);
    assert_true(gguf_arr_num(a, 0) == 0 && gguf_arr_num(a, 1) == 1);
    assert_int_equal(gguf_get_arr(f, "a.f64", GGUF_T_COUNT, &a, &err), HF_OK);
    assert_true(gguf_arr_num(a, 0) == 1e300);
    assert_int_equal(gguf_get_arr(f, "a.empty", GGUF_T_UINT8, &a, &err), HF_OK);
    assert_int_equal(a->n, 0);
    assert_int_equal(gguf_get_arr(f, "a.str", GGUF_T_STRING, &a, &err), HF_OK);
    assert_int_equal(a->n, 3);
    s = gguf_arr_str(f, a, 2);
    assert_int_equal(s.len, strlen("wörld"));
    assert_memory_equal(s.ptr, "wörld", s.len);
    assert_int_equal(gguf_arr_str(f, a, 1).len, 0);
    assert_int_equal(gguf_arr_str(f, a, 3).len, 0); /* out of range: empty view, no crash */

    assert_int_equal(gguf_n_tensors(f), 2);
    const gguf_tensor *t0 = gguf_find_tensor(f, "t0.weight"), *t1 = gguf_find_tensor(f, "t1.weight");
    assert_non_null(t0);
    assert_non_null(t1);
    assert_null(gguf_find_tensor(f, "t2.weight"));
    assert_int_equal(t0->n_dims, 2);
    assert_true(t0->ne[0] == 4 && t0->ne[1] == 2 && t0->ne[2] == 1 && t0->ne[3] == 1);
    assert_int_equal(t0->offset, 0);
    assert_int_equal(t0->nbytes, 32);
    assert_memory_equal(t0->data, F32_DATA, 32);
    assert_int_equal(t1->type, HF_TYPE_Q8_0);
    assert_int_equal(t1->offset, 32);
    assert_int_equal(t1->nbytes, 34);
    assert_int_equal(t1->data[33], (uint8_t)(33 * 7));
    assert_int_equal(gguf_alignment(f), 32);
    assert_int_equal(gguf_data_offset(f) % 32, 0);
    /* the last blob is padded to the alignment too (gguf-py does) */
    assert_int_equal(gguf_file_size(f), gguf_data_offset(f) + 32 + 64);
}

static void every_value_type_round_trips(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "all.gguf");
    write_all_types(path);
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, path, &err), HF_OK);
    assert_int_equal(gguf_version(f), 3);
    check_all_types(f);
    gguf_close(f);
    tu_rmrf(dir);
    free(dir);
}

/* A v2 file differs from v3 only in the version field. */
static void version_2_file_reads_like_v3(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "all.gguf");
    write_all_types(path);
    size_t n;
    uint8_t *buf = tu_read(path, &n);
    assert_non_null(buf);
    buf[4] = 2;
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open_buffer(&f, buf, n, "v2.gguf", &err), HF_OK);
    assert_int_equal(gguf_version(f), 2);
    check_all_types(f);
    gguf_close(f);
    free(buf);
    tu_rmrf(dir);
    free(dir);
}

/* Copying every KV and tensor of a file through the writer reproduces it byte for byte. */
static void copy_through_writer_is_byte_identical(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *src = tu_path(dir, "all.gguf"), *dst = tu_path(dir, "copy.gguf");
    write_all_types(src);
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, src, &err), HF_OK);
    gguf_writer *w = gguf_w_new();
    for (int64_t i = 0; i < gguf_n_kv(f); i++) OK(gguf_w_add_kv_copy(w, f, gguf_kv_at(f, i), &e_));
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        OK(gguf_w_add_tensor(w, t->name, t->type, t->n_dims, t->ne, NULL, &e_));
    }
    OK(gguf_w_begin(w, dst, &e_));
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        OK(gguf_w_write_data(w, gguf_tensor_at(f, i)->data, gguf_tensor_at(f, i)->nbytes, &e_));
        OK(gguf_w_end_tensor(w, &e_));
    }
    OK(gguf_w_finish(w, &e_));
    gguf_w_free(w);
    gguf_close(f);
    size_t na, nb;
    uint8_t *a = tu_read(src, &na), *b = tu_read(dst, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    tu_rmrf(dir);
    free(dir);
}

static void custom_alignment_is_used_for_padding_and_offsets(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "a64.gguf");
    gguf_writer *w = gguf_w_new();
    OK(gguf_w_add_u32(w, "general.alignment", 64, &e_));
    int64_t ne[1] = {3};
    OK(gguf_w_add_tensor(w, "a", HF_TYPE_F32, 1, ne, NULL, &e_));
    OK(gguf_w_add_tensor(w, "b", HF_TYPE_F32, 1, ne, NULL, &e_));
    OK(gguf_w_begin(w, path, &e_));
    for (int i = 0; i < 2; i++) {
        OK(gguf_w_write_data(w, F32_DATA + i, 12, &e_));
        OK(gguf_w_end_tensor(w, &e_));
    }
    OK(gguf_w_finish(w, &e_));
    gguf_w_free(w);
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, path, &err), HF_OK);
    assert_int_equal(gguf_alignment(f), 64);
    assert_int_equal(gguf_data_offset(f) % 64, 0);
    assert_int_equal(gguf_find_tensor(f, "b")->offset, 64);
    assert_memory_equal(gguf_find_tensor(f, "b")->data, F32_DATA + 1, 12);
    assert_int_equal(gguf_file_size(f), gguf_data_offset(f) + 128);
    gguf_close(f);
    tu_rmrf(dir);
    free(dir);
}

/* ==== writer failure modes: error, and nothing left in the directory ==== */

static void unwritable_destination_fails_without_temp_file(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    gguf_writer *w = all_types_writer();
    hf_err err = {0};
    assert_int_not_equal(gguf_w_begin(w, tu_path(dir, "missing/x.gguf"), &err), HF_OK);
    assert_non_null(strstr(err.msg, "x.gguf"));
    gguf_w_free(w);
    assert_int_equal(tu_count_entries(dir), 0);
    tu_rmrf(dir);
    free(dir);
}

static void abort_after_begin_leaves_nothing(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    gguf_writer *w = all_types_writer();
    OK(gguf_w_begin(w, tu_path(dir, "x.gguf"), &e_));
    OK(gguf_w_write_data(w, F32_DATA, 8, &e_));
    assert_int_equal(tu_count_entries(dir), 1); /* the temp file exists while writing */
    gguf_w_abort(w);
    assert_int_equal(tu_count_entries(dir), 0);
    gguf_w_free(w);
    /* freeing an unfinished writer also removes its temp file */
    w = all_types_writer();
    OK(gguf_w_begin(w, tu_path(dir, "y.gguf"), &e_));
    gguf_w_free(w);
    assert_int_equal(tu_count_entries(dir), 0);
    tu_rmrf(dir);
    free(dir);
}

static void tensor_byte_count_mismatch_is_an_error(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    hf_err err = {0};
    gguf_writer *w = all_types_writer(); /* too few bytes */
    OK(gguf_w_begin(w, tu_path(dir, "x.gguf"), &e_));
    OK(gguf_w_write_data(w, F32_DATA, 31, &e_));
    assert_int_equal(gguf_w_end_tensor(w, &err), HF_ERR_ARG);
    assert_non_null(strstr(err.msg, "t0.weight"));
    assert_non_null(strstr(err.msg, "expected 32 bytes, found 31"));
    assert_int_not_equal(gguf_w_finish(w, &err), HF_OK);
    gguf_w_free(w);
    assert_int_equal(tu_count_entries(dir), 0);
    w = all_types_writer(); /* too many bytes */
    OK(gguf_w_begin(w, tu_path(dir, "x.gguf"), &e_));
    assert_int_equal(gguf_w_write_data(w, F32_DATA, 33, &err), HF_ERR_ARG);
    assert_non_null(strstr(err.msg, "t0.weight"));
    gguf_w_free(w);
    assert_int_equal(tu_count_entries(dir), 0);
    w = all_types_writer(); /* finishing with a tensor missing */
    OK(gguf_w_begin(w, tu_path(dir, "x.gguf"), &e_));
    OK(gguf_w_write_data(w, F32_DATA, 32, &e_));
    OK(gguf_w_end_tensor(w, &e_));
    assert_int_equal(gguf_w_finish(w, &err), HF_ERR_ARG);
    assert_non_null(strstr(err.msg, "t1.weight"));
    gguf_w_free(w);
    assert_int_equal(tu_count_entries(dir), 0);
    tu_rmrf(dir);
    free(dir);
}

static void writer_rejects_bad_plans(void **state) {
    (void)state;
    hf_err err = {0};
    gguf_writer *w = gguf_w_new();
    int64_t ne[2] = {16, 2}, neg[1] = {-1};
    OK(gguf_w_add_u32(w, "k", 1, &e_));
    assert_int_equal(gguf_w_add_str(w, "k", "x", &err), HF_ERR_ARG);
    assert_non_null(strstr(err.msg, "duplicate key 'k'"));
    assert_int_equal(gguf_w_add_u32(w, "general.alignment", 48, &err), HF_ERR_ARG);
    assert_int_equal(gguf_w_add_u64(w, "general.alignment", 64, &err), HF_ERR_ARG);
    assert_int_equal(gguf_w_add_u32(w, "general.alignment", 0, &err), HF_ERR_ARG);
    OK(gguf_w_add_tensor(w, "x", HF_TYPE_F16, 2, ne, NULL, &e_));
    assert_int_equal(gguf_w_add_tensor(w, "x", HF_TYPE_F16, 2, ne, NULL, &err), HF_ERR_ARG);
    assert_non_null(strstr(err.msg, "duplicate tensor name 'x'"));
    assert_int_equal(gguf_w_add_tensor(w, "q", HF_TYPE_Q8_0, 2, ne, NULL, &err), HF_ERR_ARG); /* 16 % 32 */
    assert_int_equal(gguf_w_add_tensor(w, "u", 4, 2, ne, NULL, &err), HF_ERR_ARG);           /* retired id */
    assert_int_equal(gguf_w_add_tensor(w, "n", HF_TYPE_F32, 1, neg, NULL, &err), HF_ERR_ARG);
    assert_int_equal(gguf_w_add_tensor(w, "d", HF_TYPE_F32, 5, ne, NULL, &err), HF_ERR_ARG);
    assert_int_equal(gguf_w_n_tensors(w), 1);
    assert_int_equal(gguf_w_tensor_nbytes(w, 0), 64);
    gguf_w_free(w);
}

/* ==== the real vocab files from llama.cpp's test suite ==== */

static const struct {
    const char *file;
    const char *model;
    uint64_t n_tokens;
} VOCABS[] = {
    {"ggml-vocab-llama-bpe.gguf", "gpt2", 128256},
    {"ggml-vocab-llama-spm.gguf", "llama", 32000},
    {"ggml-vocab-gpt-2.gguf", "gpt2", 50257},
    {"ggml-vocab-qwen2.gguf", "gpt2", 151936},
    {"ggml-vocab-phi-3.gguf", "llama", 32064},
    {"ggml-vocab-falcon.gguf", "gpt2", 65024},
    {"ggml-vocab-starcoder.gguf", "gpt2", 49152},
    {"ggml-vocab-qwen35.gguf", "gpt2", 0}, /* 0: count not pinned */
};

static void vocab_files_open_with_their_tokens(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof VOCABS / sizeof VOCABS[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "models/gguf-vocab/%s", VOCABS[i].file);
        gguf_file *f;
        hf_err err = {0};
        if (gguf_open(&f, tu_shared(rel), &err) != HF_OK) fail_msg("%s", err.msg);
        assert_true(gguf_n_kv(f) >= 15);
        gguf_str model;
        assert_int_equal(gguf_get_str(f, "tokenizer.ggml.model", &model, &err), HF_OK);
        assert_int_equal(model.len, strlen(VOCABS[i].model));
        assert_memory_equal(model.ptr, VOCABS[i].model, model.len);
        const gguf_kv *tok;
        assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", GGUF_T_STRING, &tok, &err), HF_OK);
        if (VOCABS[i].n_tokens) assert_int_equal(tok->n, VOCABS[i].n_tokens);
        assert_true(tok->n > 1000);
        for (uint64_t j = 0; j < tok->n; j++) assert_true(gguf_arr_str(f, tok, j).ptr != NULL);
        gguf_close(f);
    }
}

static void llama3_vocab_is_indexed(void **state) {
    (void)state;
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, tu_shared("models/gguf-vocab/ggml-vocab-llama-bpe.gguf"), &err), HF_OK);
    const gguf_kv *tok, *merges;
    assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", GGUF_T_STRING, &tok, &err), HF_OK);
    assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.merges", GGUF_T_STRING, &merges, &err), HF_OK);
    assert_int_equal(merges->n, 280147);
    gguf_str s = gguf_arr_str(f, tok, 128000);
    assert_int_equal(s.len, strlen("<|begin_of_text|>"));
    assert_memory_equal(s.ptr, "<|begin_of_text|>", s.len);
    s = gguf_arr_str(f, tok, 0);
    assert_int_equal(s.len, 1);
    assert_memory_equal(s.ptr, "!", 1);
    uint32_t bos;
    assert_int_equal(gguf_get_u32(f, "tokenizer.ggml.bos_token_id", &bos, &err), HF_OK);
    assert_int_equal(bos, 128000);
    gguf_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_value_type_round_trips),
        cmocka_unit_test(version_2_file_reads_like_v3),
        cmocka_unit_test(copy_through_writer_is_byte_identical),
        cmocka_unit_test(custom_alignment_is_used_for_padding_and_offsets),
        cmocka_unit_test(unwritable_destination_fails_without_temp_file),
        cmocka_unit_test(abort_after_begin_leaves_nothing),
        cmocka_unit_test(tensor_byte_count_mismatch_is_an_error),
        cmocka_unit_test(writer_rejects_bad_plans),
        cmocka_unit_test(vocab_files_open_with_their_tokens),
        cmocka_unit_test(llama3_vocab_is_indexed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
