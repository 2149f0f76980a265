/* Tokenizer metadata that is missing, mistyped or inconsistent gives a clear error naming the
 * key (never a crash); tiny hand-made vocabs pin the merge rules themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "testutil.h"
#include "tokenizer/tok.h"

/* ==== Building small vocab-only GGUFs ==== */

typedef struct spec {
    const char *model;            /* NULL: no tokenizer.ggml.model */
    const char *pre;              /* NULL: none */
    const char *const *tokens;    /* NULL: no tokens key */
    uint64_t n_tokens;
    const float *scores;          /* NULL: none */
    uint64_t n_scores;
    const int32_t *types;         /* NULL: none */
    uint64_t n_types;
    const char *const *merges;    /* NULL: none */
    uint64_t n_merges;
    int tokens_as_ints;           /* write tokens as an i32 array instead */
    int add_bos;                  /* -1: key absent */
    int pad_minus_one;            /* write padding_token_id = -1 as i32 */
    const char *bos_as_string;    /* write bos_token_id as this string */
} spec;

static char *g_dir;

static int setup(void **state) {
    (void)state;
    g_dir = tu_tmpdir();
    return g_dir ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    tu_rmrf(g_dir);
    free(g_dir);
    return 0;
}

static const char *write_vocab(const spec *s) {
    static int counter;
    char name[64];
    snprintf(name, sizeof name, "vocab%d.gguf", counter++);
    const char *path = tu_path(g_dir, name);
    hf_err err = {0};
    gguf_writer *w = gguf_w_new();
    assert_non_null(w);
    if (s->model) assert_int_equal(gguf_w_add_str(w, "tokenizer.ggml.model", s->model, &err), HF_OK);
    if (s->pre) assert_int_equal(gguf_w_add_str(w, "tokenizer.ggml.pre", s->pre, &err), HF_OK);
    if (s->tokens && !s->tokens_as_ints)
        assert_int_equal(gguf_w_add_arr_str(w, "tokenizer.ggml.tokens", s->tokens, NULL, s->n_tokens, &err), HF_OK);
    if (s->tokens_as_ints) {
        int32_t ints[3] = {1, 2, 3};
        assert_int_equal(gguf_w_add_arr(w, "tokenizer.ggml.tokens", GGUF_T_INT32, ints, 3, &err), HF_OK);
    }
    if (s->scores)
        assert_int_equal(gguf_w_add_arr(w, "tokenizer.ggml.scores", GGUF_T_FLOAT32, s->scores, s->n_scores, &err),
                         HF_OK);
    if (s->types)
        assert_int_equal(gguf_w_add_arr(w, "tokenizer.ggml.token_type", GGUF_T_INT32, s->types, s->n_types, &err),
                         HF_OK);
    if (s->merges)
        assert_int_equal(gguf_w_add_arr_str(w, "tokenizer.ggml.merges", s->merges, NULL, s->n_merges, &err), HF_OK);
    if (s->add_bos >= 0) assert_int_equal(gguf_w_add_bool(w, "tokenizer.ggml.add_bos_token", s->add_bos, &err), HF_OK);
    if (s->pad_minus_one) assert_int_equal(gguf_w_add_i32(w, "tokenizer.ggml.padding_token_id", -1, &err), HF_OK);
    if (s->bos_as_string)
        assert_int_equal(gguf_w_add_str(w, "tokenizer.ggml.bos_token_id", s->bos_as_string, &err), HF_OK);
    assert_int_equal(gguf_w_begin(w, path, &err), HF_OK);
    assert_int_equal(gguf_w_finish(w, &err), HF_OK);
    gguf_w_free(w);
    return path;
}

/* Loads and expects failure with code and a message containing `needle`. */
static void expect_load_error(const spec *s, hf_status code, const char *needle) {
    const char *path = write_vocab(s);
    gguf_file *f;
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, path, &err), HF_OK);
    tok_vocab *v = (tok_vocab *)0x1;
    hf_status st = tok_load(&v, f, &err);
    if (st != code || !strstr(err.msg, needle)) fprintf(stderr, "status %d, message: %s\n", st, err.msg);
    assert_int_equal(st, code);
    assert_null(v);
    assert_non_null(strstr(err.msg, needle));
    gguf_close(f);
}

static tok_vocab *load_ok(const spec *s, gguf_file **f) {
    const char *path = write_vocab(s);
    hf_err err = {0};
    assert_int_equal(gguf_open(f, path, &err), HF_OK);
    tok_vocab *v;
    hf_status st = tok_load(&v, *f, &err);
    if (st != HF_OK) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, HF_OK);
    return v;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const SPM_TOKENS[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", ("\xe2\x96\x81" "a"), "ab"};
static const float SPM_SCORES[] = {0, 0, 0, -5, -5, -5, -2, -1};
static const int32_t SPM_TYPES[] = {2, 3, 3, 1, 1, 1, 1, 1};
static const char *const BPE_TOKENS[] = {"a", "b", "ab", "\xc4\xa0", ("\xc4\xa0" "a")};
static const char *const BPE_MERGES[] = {"a b", "\xc4\xa0 a"};

static spec spm_spec(void) {
    return (spec){.model = "llama", .tokens = SPM_TOKENS, .n_tokens = N(SPM_TOKENS), .scores = SPM_SCORES,
                  .n_scores = N(SPM_SCORES), .types = SPM_TYPES, .n_types = N(SPM_TYPES), .add_bos = -1};
}

static spec bpe_spec(void) {
    return (spec){.model = "gpt2", .pre = "gpt-2", .tokens = BPE_TOKENS, .n_tokens = N(BPE_TOKENS),
                  .merges = BPE_MERGES, .n_merges = N(BPE_MERGES), .add_bos = -1};
}

static void missing_model_key_is_a_format_error(void **state) {
    (void)state;
    spec s = spm_spec();
    s.model = NULL;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.model");
}

static void other_tokenizer_models_are_unsupported(void **state) {
    (void)state;
    spec s = spm_spec();
    s.model = "bert";
    expect_load_error(&s, HF_ERR_UNSUPPORTED, "bert");
}

static void missing_or_mistyped_tokens_array_is_rejected(void **state) {
    (void)state;
    spec s = spm_spec();
    s.tokens = NULL;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.tokens");
    s = spm_spec();
    s.tokens_as_ints = 1;
    s.tokens = NULL;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.tokens");
    s = spm_spec();
    s.n_tokens = 0;
    s.n_scores = s.n_types = 0;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.tokens");
}

static void scores_or_types_shorter_than_tokens_are_rejected(void **state) {
    (void)state;
    spec s = spm_spec();
    s.n_scores = 5;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.scores has 5 entries, expected 8");
    s = spm_spec();
    s.n_types = 7;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.token_type has 7 entries, expected 8");
}

static void bpe_without_merges_or_with_bad_merges_is_rejected(void **state) {
    (void)state;
    spec s = bpe_spec();
    s.merges = NULL;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.merges");
    static const char *const bad[] = {"a b", "ab"};
    s = bpe_spec();
    s.merges = bad;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.merges[1] = \"ab\"");
    static const char *const leading_space_only[] = {" ab"};
    s.merges = leading_space_only;
    s.n_merges = 1;
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.merges[0]");
}

static void unknown_pre_tokenizer_is_unsupported(void **state) {
    (void)state;
    spec s = bpe_spec();
    s.pre = "no-such-pre";
    expect_load_error(&s, HF_ERR_UNSUPPORTED, "no-such-pre");
}

static void add_bos_without_a_bos_token_is_rejected(void **state) {
    (void)state;
    spec s = bpe_spec(); /* BPE default bos id 11 is outside this 5-token vocab */
    s.add_bos = 1;
    expect_load_error(&s, HF_ERR_FORMAT, "BOS");
}

/* An id key holding a number outside the vocab (-1 is common for "none") is ignored, as in
 * llama.cpp; a non-number is an error naming the key. */
static void special_id_keys_out_of_range_are_ignored_but_mistyped_rejected(void **state) {
    (void)state;
    spec s = spm_spec();
    s.pad_minus_one = 1;
    gguf_file *f;
    const char *path = write_vocab(&s);
    hf_err err = {0};
    assert_int_equal(gguf_open(&f, path, &err), HF_OK);
    tok_vocab *v;
    assert_int_equal(tok_load(&v, f, &err), HF_OK);
    assert_int_equal(tok_bos(v), 1);
    tok_free(v);
    gguf_close(f);
    s = spm_spec();
    s.bos_as_string = "1";
    expect_load_error(&s, HF_ERR_FORMAT, "tokenizer.ggml.bos_token_id");
}

/* ==== The merge rules on tiny vocabs ==== */

static void expect_encoding(const tok_vocab *v, const char *text, const int32_t *want, size_t n_want) {
    int32_t *ids;
    size_t n;
    hf_err err = {0};
    assert_int_equal(tok_encode(v, text, strlen(text), 0, 0, &ids, &n, &err), HF_OK);
    assert_int_equal(n, n_want);
    assert_memory_equal(ids, want, n * sizeof(int32_t));
    free(ids);
}

static void spm_merges_highest_score_first_and_falls_back_to_unk(void **state) {
    (void)state;
    gguf_file *f;
    spec s = spm_spec();
    tok_vocab *v = load_ok(&s, &f);
    /* "ab" -> "▁ab": pairs ▁a (-2) and ab (-1); ab has the higher score */
    static const int32_t want1[] = {3, 7};
    expect_encoding(v, "ab", want1, N(want1));
    /* 'c' has no token and no <0x63> byte token: <unk> */
    static const int32_t want2[] = {6, 0};
    expect_encoding(v, "ac", want2, N(want2));
    tok_free(v);
    gguf_close(f);
    float swapped[N(SPM_SCORES)];
    memcpy(swapped, SPM_SCORES, sizeof swapped);
    swapped[6] = -1; /* ▁a */
    swapped[7] = -2; /* ab */
    s.scores = swapped;
    v = load_ok(&s, &f);
    static const int32_t want3[] = {6, 5};
    expect_encoding(v, "ab", want3, N(want3));
    tok_free(v);
    gguf_close(f);
}

static void bpe_merges_lowest_rank_first(void **state) {
    (void)state;
    static const char *const tokens[] = {"a", "b", "c", "ab", "bc"};
    static const char *const bc_first[] = {"b c", "a b"};
    static const char *const ab_first[] = {"a b", "b c"};
    gguf_file *f;
    spec s = bpe_spec();
    s.tokens = tokens;
    s.n_tokens = N(tokens);
    s.merges = bc_first;
    tok_vocab *v = load_ok(&s, &f);
    static const int32_t a_bc[] = {0, 4};
    expect_encoding(v, "abc", a_bc, N(a_bc));
    tok_free(v);
    gguf_close(f);
    s.merges = ab_first;
    v = load_ok(&s, &f);
    static const int32_t ab_c[] = {3, 2};
    expect_encoding(v, "abc", ab_c, N(ab_c));
    tok_free(v);
    gguf_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_model_key_is_a_format_error),
        cmocka_unit_test(other_tokenizer_models_are_unsupported),
        cmocka_unit_test(missing_or_mistyped_tokens_array_is_rejected),
        cmocka_unit_test(scores_or_types_shorter_than_tokens_are_rejected),
        cmocka_unit_test(bpe_without_merges_or_with_bad_merges_is_rejected),
        cmocka_unit_test(unknown_pre_tokenizer_is_unsupported),
        cmocka_unit_test(add_bos_without_a_bos_token_is_rejected),
        cmocka_unit_test(special_id_keys_out_of_range_are_ignored_but_mistyped_rejected),
        cmocka_unit_test(spm_merges_highest_score_first_and_falls_back_to_unk),
        cmocka_unit_test(bpe_merges_lowest_rank_first),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
