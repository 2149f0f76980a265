/* The GGUF reader on hostile input: every truncation, random corruption, and one crafted file
 * per validation rule. Each must fail cleanly with a message naming the file and the item. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/dtype.h"
#include "gguf/gguf.h"

/* ==== a tiny byte builder for crafted files ==== */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void u32(buf *b, uint32_t v) { put(b, &v, 4); }
static void u64(buf *b, uint64_t v) { put(b, &v, 8); }
static void str(buf *b, const char *s) {
    u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void header(buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    put(b, "GGUF", 4);
    u32(b, version);
    u64(b, n_tensors);
    u64(b, n_kv);
}
static void kv_u32(buf *b, const char *key, uint32_t v) {
    str(b, key);
    u32(b, GGUF_T_UINT32);
    u32(b, v);
}
static void tinfo(buf *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type, uint64_t off) {
    str(b, name);
    u32(b, n_dims);
    put(b, ne, 8 * (size_t)n_dims);
    u32(b, type);
    u64(b, off);
}
static void pad_data(buf *b, size_t align, size_t data_bytes) {
    static const uint8_t z[4096];
    while (b->n % align) put(b, z, 1);
    put(b, z, data_bytes);
}

/* Opens b (copied into an exact-size heap block, so over-reads are visible to sanitizers) and
 * expects failure with a message containing every non-NULL fragment. */
static void expect_reject(const buf *b, const char *frag1, const char *frag2) {
    uint8_t *copy = malloc(b->n ? b->n : 1);
    memcpy(copy, b->p, b->n);
    gguf_file *f = NULL;
    hf_err err = {0};
    hf_status s = gguf_open_buffer(&f, copy, b->n, "crafted.gguf", &err);
    if (s == HF_OK) fail_msg("crafted file accepted (expected an error mentioning '%s')", frag1);
    assert_null(f);
    if (!strstr(err.msg, "crafted.gguf")) fail_msg("message does not name the file: %s", err.msg);
    if (frag1 && !strstr(err.msg, frag1)) fail_msg("expected '%s' in: %s", frag1, err.msg);
    if (frag2 && !strstr(err.msg, frag2)) fail_msg("expected '%s' in: %s", frag2, err.msg);
    free(copy);
    free(b->p);
}

static void expect_accept(buf *b) {
    gguf_file *f = NULL;
    hf_err err = {0};
    if (gguf_open_buffer(&f, b->p, b->n, "crafted.gguf", &err) != HF_OK) fail_msg("rejected: %s", err.msg);
    gguf_close(f);
    free(b->p);
}

/* ==== crafted files, one rule each ==== */

static void well_formed_crafted_file_is_accepted(void **state) {
    (void)state;
    buf b = {0};
    int64_t ne[2] = {4, 2};
    header(&b, 3, 1, 1);
    kv_u32(&b, "k", 1);
    tinfo(&b, "w", 2, ne, HF_TYPE_F32, 0);
    pad_data(&b, 32, 32);
    expect_accept(&b);
}

static void bad_magic_version_and_endianness_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    put(&b, "GGML", 4);
    u32(&b, 3);
    u64(&b, 0);
    u64(&b, 0);
    expect_reject(&b, "not a GGUF file", NULL);
    b = (buf){0};
    header(&b, 1, 0, 0);
    expect_reject(&b, "expected 2 or 3, found 1", NULL);
    b = (buf){0};
    header(&b, 4, 0, 0);
    expect_reject(&b, "expected 2 or 3, found 4", NULL);
    b = (buf){0};
    header(&b, 0x03000000u, 0, 0); /* version 3 written big-endian */
    expect_reject(&b, "big-endian", NULL);
}

static void huge_counts_and_lengths_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    header(&b, 3, 0, UINT64_MAX / 2);
    expect_reject(&b, "KV count", NULL);
    b = (buf){0};
    header(&b, 3, UINT64_MAX, 0);
    expect_reject(&b, "tensor count", NULL);
    b = (buf){0};
    header(&b, 3, 0, 1);
    u64(&b, UINT64_MAX - 3); /* key length */
    put(&b, "abcdefghijklmnop", 16);
    expect_reject(&b, "key", "past the end");
    b = (buf){0};
    header(&b, 3, 0, 1);
    str(&b, "s");
    u32(&b, GGUF_T_STRING);
    u64(&b, 1ull << 62);
    put(&b, "abcdefghijklmnop", 16);
    expect_reject(&b, "'s'", "past the end");
    b = (buf){0};
    header(&b, 3, 0, 1);
    str(&b, "arr");
    u32(&b, GGUF_T_ARRAY);
    u32(&b, GGUF_T_UINT64);
    u64(&b, (1ull << 61) + 1); /* count * 8 overflows 64 bits */
    put(&b, "abcdefghijklmnop", 16);
    expect_reject(&b, "'arr'", "past the end");
    b = (buf){0};
    header(&b, 3, 0, 1);
    str(&b, "sarr");
    u32(&b, GGUF_T_ARRAY);
    u32(&b, GGUF_T_STRING);
    u64(&b, UINT64_MAX);
    put(&b, "abcdefghijklmnop", 16);
    expect_reject(&b, "'sarr'", "strings cannot fit");
}

static void bad_value_types_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    header(&b, 3, 0, 1);
    str(&b, "t");
    u32(&b, 13);
    u32(&b, 0);
    expect_reject(&b, "'t'", "unknown value type");
    b = (buf){0};
    header(&b, 3, 0, 1);
    str(&b, "nested");
    u32(&b, GGUF_T_ARRAY);
    u32(&b, GGUF_T_ARRAY);
    u64(&b, 0);
    expect_reject(&b, "'nested'", "arrays of arrays");
    b = (buf){0};
    header(&b, 3, 0, 1);
    str(&b, "e");
    u32(&b, GGUF_T_ARRAY);
    u32(&b, (uint32_t)-1);
    u64(&b, 0);
    expect_reject(&b, "'e'", "unknown array element type");
}

static void duplicates_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    header(&b, 3, 0, 2);
    kv_u32(&b, "dup.key", 1);
    kv_u32(&b, "dup.key", 2);
    expect_reject(&b, "'dup.key'", "duplicate key");
    b = (buf){0};
    int64_t ne[1] = {8};
    header(&b, 3, 2, 0);
    tinfo(&b, "w", 1, ne, HF_TYPE_F32, 0);
    tinfo(&b, "w", 1, ne, HF_TYPE_F32, 32);
    pad_data(&b, 32, 64);
    expect_reject(&b, "tensor 'w'", "duplicate tensor name");
}

static void bad_alignment_is_rejected(void **state) {
    (void)state;
    uint32_t bad[3] = {0, 3, 48};
    for (int i = 0; i < 3; i++) {
        buf b = {0};
        header(&b, 3, 0, 1);
        kv_u32(&b, "general.alignment", bad[i]);
        expect_reject(&b, "general.alignment", "power of two");
    }
    buf b = {0};
    header(&b, 3, 0, 1);
    str(&b, "general.alignment");
    u32(&b, GGUF_T_UINT64);
    u64(&b, 64);
    expect_reject(&b, "general.alignment", "expected u32, found u64");
}

static void bad_shapes_and_types_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    int64_t big[4] = {1ll << 40, 1ll << 40, 1, 1};
    header(&b, 3, 1, 0);
    tinfo(&b, "big", 4, big, HF_TYPE_F32, 0);
    expect_reject(&b, "tensor 'big'", "overflows");
    b = (buf){0};
    int64_t neg[2] = {4, -1};
    header(&b, 3, 1, 0);
    tinfo(&b, "neg", 2, neg, HF_TYPE_F32, 0);
    expect_reject(&b, "tensor 'neg'", "found -1");
    b = (buf){0};
    int64_t five[5] = {1, 1, 1, 1, 1};
    header(&b, 3, 1, 0);
    tinfo(&b, "five", 5, five, HF_TYPE_F32, 0);
    expect_reject(&b, "tensor 'five'", "expected <= 4, found 5");
    uint32_t types[3] = {4, 31, 1000}; /* retired, retired, out of range */
    for (int i = 0; i < 3; i++) {
        b = (buf){0};
        int64_t ne[1] = {32};
        header(&b, 3, 1, 0);
        tinfo(&b, "ty", 1, ne, types[i], 0);
        pad_data(&b, 32, 128);
        expect_reject(&b, "tensor 'ty'", "unknown ggml type");
    }
    b = (buf){0};
    int64_t ne16[1] = {16};
    header(&b, 3, 1, 0);
    tinfo(&b, "q", 1, ne16, HF_TYPE_Q8_0, 0);
    pad_data(&b, 32, 64);
    expect_reject(&b, "tensor 'q'", "multiple of 32, found 16");
    /* bytes fit in int64 elements but not in 64-bit byte counts */
    b = (buf){0};
    int64_t wide[2] = {1ll << 32, 1ll << 30};
    header(&b, 3, 1, 0);
    tinfo(&b, "wide", 2, wide, HF_TYPE_F64, 0);
    expect_reject(&b, "tensor 'wide'", "overflows");
}

static void misplaced_offsets_and_missing_data_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    int64_t ne[1] = {3};
    header(&b, 3, 2, 0);
    tinfo(&b, "a", 1, ne, HF_TYPE_F32, 0);
    tinfo(&b, "b", 1, ne, HF_TYPE_F32, 12); /* ggml wants 32: 12 bytes padded to the alignment */
    pad_data(&b, 32, 64);
    expect_reject(&b, "tensor 'b'", "expected 32, found 12");
    b = (buf){0};
    header(&b, 3, 1, 0);
    tinfo(&b, "a", 1, ne, HF_TYPE_F32, 32);
    pad_data(&b, 32, 64);
    expect_reject(&b, "tensor 'a'", "expected 0, found 32");
    b = (buf){0};
    header(&b, 3, 1, 0);
    tinfo(&b, "a", 1, ne, HF_TYPE_F32, 0);
    pad_data(&b, 32, 11); /* one byte short */
    expect_reject(&b, "tensor 'a'", "past the end");
    b = (buf){0};
    header(&b, 3, 1, 0);
    tinfo(&b, "a", 1, ne, HF_TYPE_F32, 0);
    pad_data(&b, 32, 12); /* no trailing padding: still readable (llama.cpp mmaps) */
    expect_accept(&b);
}

static void names_with_nul_or_too_long_are_rejected(void **state) {
    (void)state;
    buf b = {0};
    header(&b, 3, 0, 1);
    u64(&b, 3);
    put(&b, "a\0b", 3);
    u32(&b, GGUF_T_UINT8);
    put(&b, "x", 1);
    expect_reject(&b, "NUL", NULL);
    b = (buf){0};
    int64_t ne[1] = {1};
    char longname[80];
    memset(longname, 'n', 64);
    longname[64] = 0;
    header(&b, 3, 1, 0);
    tinfo(&b, longname, 1, ne, HF_TYPE_F32, 0);
    pad_data(&b, 32, 4);
    expect_reject(&b, "name too long", "found 64");
}

/* ==== a valid file written by our writer, then damaged ==== */

static uint8_t *valid_file(size_t *n) {
    char *dir = tu_tmpdir();
    const char *path = tu_path(dir, "v.gguf");
    gguf_writer *w = gguf_w_new();
    hf_err err = {0};
    const char *toks[4] = {"<s>", "</s>", "hello", ""};
    float scores[4] = {0, 0, -1.5f, -2};
    int64_t ne[2] = {32, 2}, ne1[1] = {5};
    uint8_t data[68];
    for (int i = 0; i < 68; i++) data[i] = (uint8_t)i;
    assert_int_equal(gguf_w_add_str(w, "general.architecture", "llama", &err), HF_OK);
    assert_int_equal(gguf_w_add_u32(w, "llama.block_count", 1, &err), HF_OK);
    assert_int_equal(gguf_w_add_arr_str(w, "tokenizer.ggml.tokens", toks, NULL, 4, &err), HF_OK);
    assert_int_equal(gguf_w_add_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, scores, 4, &err), HF_OK);
    assert_int_equal(gguf_w_add_tensor(w, "blk.0.attn_q.weight", HF_TYPE_Q8_0, 2, ne, NULL, &err), HF_OK);
    assert_int_equal(gguf_w_add_tensor(w, "output_norm.weight", HF_TYPE_F32, 1, ne1, NULL, &err), HF_OK);
    assert_int_equal(gguf_w_begin(w, path, &err), HF_OK);
    assert_int_equal(gguf_w_write_data(w, data, 68, &err), HF_OK);
    assert_int_equal(gguf_w_end_tensor(w, &err), HF_OK);
    assert_int_equal(gguf_w_write_data(w, data, 20, &err), HF_OK);
    assert_int_equal(gguf_w_end_tensor(w, &err), HF_OK);
    assert_int_equal(gguf_w_finish(w, &err), HF_OK);
    gguf_w_free(w);
    uint8_t *b = tu_read(path, n);
    assert_non_null(b);
    tu_rmrf(dir);
    free(dir);
    return b;
}

/* Touches everything an accessor can reach, so an unchecked offset would be read here. */
static unsigned walk(const gguf_file *f) {
    unsigned sum = 0;
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const gguf_kv *kv = gguf_kv_at(f, i);
        sum += (unsigned)strlen(kv->key);
        if (kv->type == GGUF_T_ARRAY && kv->arr_type == GGUF_T_STRING) {
            for (uint64_t j = 0; j < kv->n; j++) {
                gguf_str s = gguf_arr_str(f, kv, j);
                for (uint64_t k = 0; k < s.len; k++) sum += (uint8_t)s.ptr[k];
            }
        } else if (kv->type == GGUF_T_ARRAY) {
            for (uint64_t j = 0; j < kv->n; j++) sum += (unsigned)gguf_arr_num(kv, j);
        } else {
            for (uint64_t k = 0; k < kv->nbytes; k++) sum += kv->data[k];
        }
    }
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        for (uint64_t k = 0; k < t->nbytes; k++) sum += t->data[k];
    }
    return sum;
}

static void every_truncation_fails_cleanly(void **state) {
    (void)state;
    size_t n;
    uint8_t *full = valid_file(&n);
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open_buffer(&f, full, n, "t.gguf", &err), HF_OK);
    const gguf_tensor *last = gguf_tensor_at(f, gguf_n_tensors(f) - 1);
    size_t data_end = (size_t)(gguf_data_offset(f) + last->offset + last->nbytes);
    gguf_close(f);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *p = malloc(cut ? cut : 1);
        memcpy(p, full, cut);
        err.msg[0] = 0;
        hf_status s = gguf_open_buffer(&f, p, cut, "t.gguf", &err);
        if (cut < data_end) {
            if (s == HF_OK) fail_msg("truncated at %zu of %zu bytes but accepted", cut, n);
            assert_null(f);
            if (!strstr(err.msg, "t.gguf")) fail_msg("cut %zu: message lacks the file name: %s", cut, err.msg);
        } else {
            /* only the last blob's padding is missing: still a usable file */
            assert_int_equal(s, HF_OK);
            gguf_close(f);
        }
        free(p);
    }
    free(full);
}

static void random_corruption_never_crashes(void **state) {
    (void)state;
    size_t n;
    uint8_t *full = valid_file(&n);
    uint64_t rng = 0x9E3779B97F4A7C15ull; /* fixed seed: the same corruptions every run */
    int rejected = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *p = malloc(n);
        memcpy(p, full, n);
        int flips = 1 + (int)(rng % 4);
        for (int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)((rng >> 33) % n);
            /* bias towards the header/metadata region, where the structure lives */
            if (iter % 2 == 0) at %= n < 256 ? n : 256;
            p[at] = (uint8_t)(rng >> 24);
        }
        gguf_file *f = NULL;
        hf_err err = {0};
        if (gguf_open_buffer(&f, p, n, "r.gguf", &err) == HF_OK) {
            (void)walk(f);
            gguf_close(f);
        } else {
            rejected++;
            assert_null(f);
            if (strlen(err.msg) < 10 || !strstr(err.msg, "r.gguf")) fail_msg("poor message: '%s'", err.msg);
        }
        free(p);
    }
    assert_true(rejected > 1000); /* the loop really exercised the error paths */
    free(full);
}

static void empty_and_tiny_inputs_fail_cleanly(void **state) {
    (void)state;
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open_buffer(&f, NULL, 0, "empty.gguf", &err), HF_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "empty.gguf"));
    assert_int_not_equal(gguf_open(&f, "/nonexistent/dir/x.gguf", &err), HF_OK);
    assert_null(f);
    assert_non_null(strstr(err.msg, "x.gguf"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed_crafted_file_is_accepted),
        cmocka_unit_test(bad_magic_version_and_endianness_are_rejected),
        cmocka_unit_test(huge_counts_and_lengths_are_rejected),
        cmocka_unit_test(bad_value_types_are_rejected),
        cmocka_unit_test(duplicates_are_rejected),
        cmocka_unit_test(bad_alignment_is_rejected),
        cmocka_unit_test(bad_shapes_and_types_are_rejected),
        cmocka_unit_test(misplaced_offsets_and_missing_data_are_rejected),
        cmocka_unit_test(names_with_nul_or_too_long_are_rejected),
        cmocka_unit_test(every_truncation_fails_cleanly),
        cmocka_unit_test(random_corruption_never_crashes),
        cmocka_unit_test(empty_and_tiny_inputs_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
