/* safetensors reader: valid headers parse in llama.cpp's order; every malformed
 * header is rejected with a message naming the file and the tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "safetensors/st.h"

/* 8-byte length + header + `data` zero bytes. */
static uint8_t *image(const char *header, size_t data, size_t *size) {
    size_t h = strlen(header);
    *size = 8 + h + data;
    uint8_t *b = calloc(1, *size);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    return b;
}

/* Expects st_parse to fail with `code` and a message containing each of the words. */
static void expect_fail(const char *header, size_t data, hf_status code, const char *w1, const char *w2) {
    size_t size;
    uint8_t *b = image(header, data, &size);
    st_tensor *t = NULL;
    size_t n = 0;
    hf_err err = {0};
    hf_status s = st_parse(b, size, "x.safetensors", &t, &n, &err);
    if (s != code || !strstr(err.msg, "x.safetensors") || (w1 && !strstr(err.msg, w1)) || (w2 && !strstr(err.msg, w2)))
        fprintf(stderr, "header %s -> status %d, message: %s\n", header, s, err.msg);
    assert_int_equal(s, code);
    assert_non_null(strstr(err.msg, "x.safetensors"));
    if (w1) assert_non_null(strstr(err.msg, w1));
    if (w2) assert_non_null(strstr(err.msg, w2));
    assert_null(t);
    free(b);
}

static void valid_header_parses_sorted_by_name_with_metadata_ignored(void **state) {
    (void)state;
    const char *h = "{\"b.weight\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[16,28]},"
                    "\"__metadata__\":{\"format\":\"pt\"},"
                    "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    "\"c\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[28,30]}}";
    size_t size;
    uint8_t *b = image(h, 30, &size);
    st_tensor *t = NULL;
    size_t n = 0;
    hf_err err;
    assert_int_equal(st_parse(b, size, "x.safetensors", &t, &n, &err), HF_OK);
    assert_int_equal(n, 3);
    assert_string_equal(t[0].name, "a.weight");
    assert_string_equal(t[1].name, "b.weight");
    assert_string_equal(t[2].name, "c");
    assert_int_equal(t[1].dtype, ST_F16);
    assert_int_equal(t[1].n_dims, 2);
    assert_int_equal(t[1].shape[1], 3);
    assert_int_equal(t[1].nbytes, 12);
    assert_ptr_equal(t[1].data, b + 8 + strlen(h) + 16);
    assert_int_equal(t[2].n_dims, 0);
    assert_int_equal(t[2].n_elements, 1);
    st_tensors_free(t, n);
    free(b);
}

static void truncated_file_and_header_length_are_rejected(void **state) {
    (void)state;
    uint8_t small[5] = {1, 0, 0, 0, 0};
    st_tensor *t = NULL;
    size_t n = 0;
    hf_err err;
    assert_int_equal(st_parse(small, sizeof small, "x.safetensors", &t, &n, &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "truncated"));
    size_t size;
    uint8_t *b = image("{}", 0, &size);
    b[0] = 200; /* header claims 200 bytes, file has 2 */
    assert_int_equal(st_parse(b, size, "x.safetensors", &t, &n, &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "exceeds"));
    b[0] = 0xff, b[7] = 0xff; /* absurd length must not overflow */
    assert_int_equal(st_parse(b, size, "x.safetensors", &t, &n, &err), HF_ERR_FORMAT);
    free(b);
}

static void corrupt_json_is_rejected(void **state) {
    (void)state;
    expect_fail("{\"a\":{\"dtype\":\"F32\",", 0, HF_ERR_FORMAT, "malformed JSON", NULL);
    expect_fail("[1,2,3]", 0, HF_ERR_FORMAT, "JSON object", NULL);
    expect_fail("{} trailing", 0, HF_ERR_FORMAT, "trailing", NULL);
    expect_fail("{\"a\":7}", 0, HF_ERR_FORMAT, "'a'", "object");
    expect_fail("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, HF_ERR_FORMAT, "'a'", "dtype");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, HF_ERR_FORMAT, "'a'", "shape");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4, HF_ERR_FORMAT, "'a'", "shape");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, HF_ERR_FORMAT, "'a'", "data_offsets");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, HF_ERR_FORMAT, "'a'", "shape");
}

static void unsupported_dtypes_are_rejected_by_name(void **state) {
    (void)state;
    expect_fail("{\"pos\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, HF_ERR_UNSUPPORTED, "'pos'", "\"I64\"");
    expect_fail("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4, HF_ERR_UNSUPPORTED, "'w'",
                "\"F8_E4M3\"");
}

static void out_of_range_and_inconsistent_offsets_are_rejected(void **state) {
    (void)state;
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, HF_ERR_FORMAT, "'a'", "outside");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8, HF_ERR_FORMAT, "'a'", "begin");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, HF_ERR_FORMAT, "'a'", "needs 12");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                12, HF_ERR_FORMAT, "overlap", "'b'");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                HF_ERR_FORMAT, "'a'", "overflow");
}

static void converts_each_dtype_to_f32_exactly(void **state) {
    (void)state;
    const char *h = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
    size_t size;
    uint8_t *b = image(h, 8, &size);
    uint8_t *d = b + 8 + strlen(h);
    const uint8_t vals[8] = {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x40, 0xc0}; /* f16 1,-2; bf16 1,-3 */
    memcpy(d, vals, 8);
    st_tensor *t = NULL;
    size_t n = 0;
    hf_err err;
    assert_int_equal(st_parse(b, size, "x.safetensors", &t, &n, &err), HF_OK);
    float f[2];
    st_read_f32(&t[0], 0, 2, f);
    assert_true(f[0] == 1.0f && f[1] == -2.0f);
    st_read_f32(&t[1], 0, 2, f);
    assert_true(f[0] == 1.0f && f[1] == -3.0f);
    st_tensors_free(t, n);
    free(b);
}

/* Random byte corruptions of a valid image: st_parse either rejects it or returns
 * tensors whose bytes lie inside the buffer and do not overlap. */
static void corrupted_headers_never_escape_the_buffer(void **state) {
    (void)state;
    const char *h = "{\"__metadata__\":{\"format\":\"pt\"},"
                    "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                    "\"b.bias\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]},"
                    "\"c\":{\"dtype\":\"F16\",\"shape\":[1,3],\"data_offsets\":[24,30]}}";
    size_t size;
    uint8_t *orig = image(h, 30, &size);
    uint8_t *b = malloc(size);
    uint64_t rng = 12345;
    int accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, orig, size);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % (8 + strlen(h));
            b[at] = (uint8_t)(rng >> 25);
        }
        st_tensor *t = NULL;
        size_t n = 0;
        hf_err err;
        if (st_parse(b, size, "fuzz", &t, &n, &err) != HF_OK) continue;
        accepted++;
        for (size_t i = 0; i < n; i++) {
            assert_true(t[i].data >= b && t[i].data + t[i].nbytes <= b + size);
            assert_int_equal(t[i].nbytes, (uint64_t)t[i].n_elements * st_dtype_size(t[i].dtype));
        }
        st_tensors_free(t, n);
    }
    assert_true(accepted > 0); /* some flips (e.g. inside names) keep the header valid */
    free(b);
    free(orig);
}

static void write_text(const char *path, const char *text) { assert_int_equal(tu_write(path, text, strlen(text)), 0); }

static void write_image(const char *path, const char *header, size_t data) {
    size_t size;
    uint8_t *b = image(header, data, &size);
    assert_int_equal(tu_write(path, b, size), 0);
    free(b);
}

static void sharded_checkpoints_follow_the_index(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    write_image(tu_path(dir, "model-00002-of-00002.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    write_image(tu_path(dir, "model-00001-of-00002.safetensors"),
                "{\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    write_text(tu_path(dir, "model.safetensors.index.json"),
               "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\",\"z\":\"model-00001-of-00002.safetensors\","
               "\"b\":\"model-00001-of-00002.safetensors\"}}");
    st_model *m = NULL;
    hf_err err;
    assert_int_equal(st_model_open(&m, dir, &err), HF_OK);
    /* shards in file-name order, names sorted within each shard (llama.cpp's order) */
    assert_int_equal(st_model_n_tensors(m), 3);
    assert_string_equal(st_model_tensor(m, 0)->name, "b");
    assert_string_equal(st_model_tensor(m, 1)->name, "z");
    assert_string_equal(st_model_tensor(m, 2)->name, "a");
    assert_non_null(strstr(st_model_find(m, "a")->file, "00002"));
    assert_null(st_model_find(m, "nope"));
    st_model_close(m);

    /* a tensor listed in the index but missing from its shard */
    write_text(tu_path(dir, "model.safetensors.index.json"),
               "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\",\"z\":\"model-00001-of-00002.safetensors\","
               "\"b\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}");
    assert_int_equal(st_model_open(&m, dir, &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "'c'"));
    /* a shard named in the index that does not exist */
    write_text(tu_path(dir, "model.safetensors.index.json"),
               "{\"weight_map\":{\"a\":\"model-00003-of-00002.safetensors\"}}");
    assert_int_equal(st_model_open(&m, dir, &err), HF_ERR_IO);
    assert_non_null(strstr(err.msg, "model-00003-of-00002.safetensors"));
    /* path escapes are refused */
    write_text(tu_path(dir, "model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
    assert_int_equal(st_model_open(&m, dir, &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "../x.safetensors"));
    tu_rmrf(dir);
    free(dir);
}

/* A tensor's descriptor (what the converter preads its rows from) is the file that was mapped
 * and parsed: a checkpoint replaced at the same path after opening is not read against the
 * old header. */
static void tensor_reads_come_from_the_file_that_was_parsed(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    const char *header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t size;
    uint8_t *b = image(header, 8, &size);
    const float want[2] = {1.5f, -2.25f};
    memcpy(b + size - 8, want, 8);
    char *path = strdup(tu_path(dir, "model.safetensors"));
    assert_int_equal(tu_write(path, b, size), 0);
    st_model *m = NULL;
    hf_err err;
    assert_int_equal(st_model_open(&m, dir, &err), HF_OK);
    const st_tensor *t = st_model_find(m, "w");
    assert_non_null(t);
    assert_true(t->fd >= 0);
    memset(b + size - 8, 0x7f, 8); /* another file, other data, renamed over the path */
    assert_int_equal(tu_write(tu_path(dir, "new.tmp"), b, size), 0);
    assert_int_equal(rename(tu_path(dir, "new.tmp"), path), 0);
    float got[2];
    assert_int_equal(pread(t->fd, got, 8, (off_t)t->file_offset), 8);
    assert_memory_equal(got, want, 8);
    assert_memory_equal(t->data, want, 8);
    st_model_close(m);
    free(b);
    free(path);
    tu_rmrf(dir);
    free(dir);
}

static void directory_without_safetensors_is_an_error(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    st_model *m = NULL;
    hf_err err;
    assert_int_equal(st_model_open(&m, dir, &err), HF_ERR_IO);
    assert_non_null(strstr(err.msg, "model*.safetensors"));
    assert_null(m);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_header_parses_sorted_by_name_with_metadata_ignored),
        cmocka_unit_test(truncated_file_and_header_length_are_rejected),
        cmocka_unit_test(corrupt_json_is_rejected),
        cmocka_unit_test(unsupported_dtypes_are_rejected_by_name),
        cmocka_unit_test(out_of_range_and_inconsistent_offsets_are_rejected),
        cmocka_unit_test(converts_each_dtype_to_f32_exactly),
        cmocka_unit_test(corrupted_headers_never_escape_the_buffer),
        cmocka_unit_test(sharded_checkpoints_follow_the_index),
        cmocka_unit_test(tensor_reads_come_from_the_file_that_was_parsed),
        cmocka_unit_test(directory_without_safetensors_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
