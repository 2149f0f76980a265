/* `hf2gguf convert --vocab-only` end to end: the tokenizer KV pairs of llama.cpp's own vocab
 * files (ggml-vocab-llama-spm / -llama-bpe) from the shared tokenizer files plus a small
 * config.json, and the unknown-tokenizer error with its --vocab-pre way out. */
#include "test_tokx_util.h"

/* A model dir: stories260K's config.json with vocab_size replaced, and links to tokenizer files. */
static char *model_dir(uint64_t vocab_size, const char *const *links, size_t n_links) {
    char *tmp = tu_tmpdir();
    hf_err err = {0};
    cJSON *config = NULL;
    if (json_load_object(&config, tu_shared("models/stories260K-hf/config.json"), &err) != HF_OK)
        fail_msg("%s", err.msg);
    cJSON_ReplaceItemInObject(config, "vocab_size", cJSON_CreateNumber((double)vocab_size));
    char *text = cJSON_Print(config);
    tt_write_text(tmp, "config.json", text);
    for (size_t i = 0; i < n_links; i++) {
        const char *base = strrchr(links[i], '/');
        tt_link(tmp, base ? base + 1 : links[i], tu_shared(links[i]));
    }
    free(text);
    cJSON_Delete(config);
    return tmp;
}

static void convert_vocab_only(const char *dir, const char *extra, const char *out) {
    char *err = NULL;
    int rc = tu_run_cli(&err, "convert '%s' --vocab-only --outfile '%s' %s", dir, out, extra);
    if (rc != 0) fail_msg("hf2gguf convert --vocab-only exited %d: %s", rc, err ? err : "");
    free(err);
}

/* Converts a model dir made of the links with --vocab-only and compares keys with ref. */
static void check_vocab_only(uint64_t vocab_size, const char *const *links, size_t n_links, const char *ref_rel,
                             const char *const *keys, size_t n_keys) {
    char *dir = model_dir(vocab_size, links, n_links);
    char out[4096];
    snprintf(out, sizeof(out), "%s", tu_path(dir, "vocab.gguf"));
    convert_vocab_only(dir, "", out);
    gguf_file *f = tt_open(out), *ref = tt_open(tu_shared(ref_rel));
    for (size_t i = 0; i < n_keys; i++) tt_assert_kv_equal(f, ref, keys[i]);
    assert_int_equal(gguf_n_tensors(f), 0);
    gguf_close(f);
    gguf_close(ref);
    tu_rmrf(dir);
    free(dir);
}

static void vocab_only_reproduces_llama_spm_vocab(void **state) {
    (void)state;
    static const char *const links[] = {"models/llama2-sentencepiece/tokenizer.model"};
    static const char *const keys[] = {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                                       "tokenizer.ggml.scores", "tokenizer.ggml.token_type"};
    check_vocab_only(32000, links, 1, "models/gguf-vocab/ggml-vocab-llama-spm.gguf", keys, 5);
}

static void vocab_only_reproduces_llama_bpe_vocab(void **state) {
    (void)state;
    static const char *const links[] = {"models/hf-tokenizers/llama3/tokenizer.json",
                                        "models/hf-tokenizers/llama3/tokenizer_config.json"};
    static const char *const keys[] = {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                                       "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
                                       "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"};
    check_vocab_only(128256, links, 2, "models/gguf-vocab/ggml-vocab-llama-bpe.gguf", keys, 7);
}

/* Unknown BPE pre-tokenizer: non-zero exit, one message naming tokenizer.json and --vocab-pre,
 * no output or temp file; --vocab-pre NAME converts. */
static void unknown_tokenizer_fails_cleanly_and_vocab_pre_overrides(void **state) {
    (void)state;
    char *dir = model_dir(2, NULL, 0);
    tt_write_text(dir, "tokenizer.json",
                  "{\"pre_tokenizer\": {\"type\": \"Whitespace\"},"
                  " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
    char out[4096];
    snprintf(out, sizeof(out), "%s", tu_path(dir, "vocab.gguf"));
    int before = tu_count_entries(dir);
    char *err = NULL;
    int rc = tu_run_cli(&err, "convert '%s' --vocab-only --outfile '%s'", dir, out);
    assert_int_not_equal(rc, 0);
    assert_non_null(err);
    if (!strstr(err, "tokenizer.json") || !strstr(err, "--vocab-pre")) fail_msg("unexpected message: %s", err);
    assert_int_equal(tu_count_entries(dir), before);
    free(err);
    convert_vocab_only(dir, "--vocab-pre gpt-2", out);
    gguf_file *f = tt_open(out);
    gguf_str s;
    hf_err e = {0};
    assert_int_equal(gguf_get_str(f, "tokenizer.ggml.pre", &s, &e), HF_OK);
    assert_true(s.len == 5 && !memcmp(s.ptr, "gpt-2", 5));
    gguf_close(f);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vocab_only_reproduces_llama_spm_vocab),
        cmocka_unit_test(vocab_only_reproduces_llama_bpe_vocab),
        cmocka_unit_test(unknown_tokenizer_fails_cleanly_and_vocab_pre_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
