/* Tokenizer export, SentencePiece path: tokenizer.model -> tokenizer.* KV pairs equal to
 * llama.cpp's (ggml-vocab-llama-spm.gguf, and llama.cpp v0.5.0's converter on stories260K-hf),
 * and llama.cpp's added-token and padding rules. */
#include "test_tokx_util.h"

#define REF_SPM "models/gguf-vocab/ggml-vocab-llama-spm.gguf"
#define LLAMA2_MODEL "models/llama2-sentencepiece/tokenizer.model"
#define STORIES_MODEL "models/stories260K-hf/tokenizer.model"

static gguf_file *export_or_fail(const char *dir, const char *config, const char *out) {
    hf_err err = {0};
    if (tt_export(dir, config, NULL, out, &err) != HF_OK) fail_msg("export of %s failed: %s", dir, err.msg);
    return tt_open(out);
}

/* SHA-256 of the tokenizer.* KV records of llama.cpp v0.5.0's
 * `convert_hf_to_gguf.py stories260K-hf --vocab-only` output (checked equal to ours with
 * cmp on the extracted bytes; tests/test_tokx_refconv.py regenerates it). */
#define STORIES_TOKENIZER_SHA256 "78b991d37b5a95c525b2495ed687f6fd62893f703675d31d96f8bc6155488e4b"

static void stories260k_equals_llamacpp_converter(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    hf_err err = {0};
    cJSON *config = NULL;
    if (json_load_object(&config, tu_shared("models/stories260K-hf/config.json"), &err) != HF_OK) fail_msg("%s", err.msg);
    char *text = cJSON_PrintUnformatted(config);
    gguf_file *f = export_or_fail(tu_shared("models/stories260K-hf"), text, tu_path(tmp, "v.gguf"));
    char *keys = tt_tokenizer_keys(f);
    assert_string_equal(keys, "tokenizer.ggml.model\ntokenizer.ggml.pre\ntokenizer.ggml.tokens\n"
                              "tokenizer.ggml.scores\ntokenizer.ggml.token_type\ntokenizer.ggml.bos_token_id\n"
                              "tokenizer.ggml.eos_token_id\ntokenizer.ggml.add_bos_token\n"
                              "tokenizer.ggml.add_eos_token\n");
    char hex[65];
    tt_tokenizer_sha256(f, hex);
    assert_string_equal(hex, STORIES_TOKENIZER_SHA256);
    /* Spot values: added_tokens_decoder makes <unk>/<s>/</s> CONTROL with score -1000. */
    const gguf_kv *types = gguf_find_kv(f, "tokenizer.ggml.token_type");
    const gguf_kv *scores = gguf_find_kv(f, "tokenizer.ggml.scores");
    assert_int_equal(types->n, 512);
    assert_true(gguf_arr_num(types, 0) == 3 && gguf_arr_num(types, 3) == 6 && gguf_arr_num(types, 300) == 1);
    assert_true(gguf_arr_num(scores, 0) == -1000.0 && gguf_arr_num(scores, 3) == 0.0);
    gguf_close(f);
    free(keys);
    free(text);
    cJSON_Delete(config);
    tu_rmrf(tmp);
    free(tmp);
}

/* The Done-means check: model, pre, tokens, scores, token types equal llama.cpp's vocab file;
 * with a config and tokenizer_config giving the same ids/flags, the whole section does. */
static void llama2_equals_ggml_vocab_llama_spm(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_link(tmp, "tokenizer.model", tu_shared(LLAMA2_MODEL));
    gguf_file *ref = tt_open(tu_shared(REF_SPM));
    gguf_file *f = export_or_fail(tmp, "{\"vocab_size\": 32000}", tu_path(tmp, "a.gguf"));
    static const char *const keys[] = {"tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                                       "tokenizer.ggml.scores", "tokenizer.ggml.token_type"};
    for (size_t i = 0; i < 5; i++) tt_assert_kv_equal(f, ref, keys[i]);
    gguf_close(f);

    tt_write_text(tmp, "tokenizer_config.json", "{\"add_bos_token\": true, \"add_eos_token\": false}");
    f = export_or_fail(tmp, "{\"vocab_size\": 32000, \"bos_token_id\": 1, \"eos_token_id\": 2, \"unk_token_id\": 0}",
                       tu_path(tmp, "b.gguf"));
    char *ka = tt_tokenizer_keys(f), *kb = tt_tokenizer_keys(ref);
    assert_string_equal(ka, kb);
    char ha[65], hb[65];
    tt_tokenizer_sha256(f, ha);
    tt_tokenizer_sha256(ref, hb);
    assert_string_equal(ha, hb);
    free(ka);
    free(kb);
    gguf_close(f);
    gguf_close(ref);
    tu_rmrf(tmp);
    free(tmp);
}

static gguf_str tok_at(const gguf_file *f, uint64_t i) {
    return gguf_arr_str(f, gguf_find_kv(f, "tokenizer.ggml.tokens"), i);
}

static void assert_token(const gguf_file *f, uint64_t i, const char *text, int type, double score) {
    gguf_str s = tok_at(f, i);
    if (s.len != strlen(text) || memcmp(s.ptr, text, s.len))
        fail_msg("token %llu: '%.*s', expected '%s'", (unsigned long long)i, (int)s.len, s.ptr, text);
    assert_int_equal((int)gguf_arr_num(gguf_find_kv(f, "tokenizer.ggml.token_type"), i), type);
    assert_true(gguf_arr_num(gguf_find_kv(f, "tokenizer.ggml.scores"), i) == score);
}

/* vocab_size beyond the pieces pads with "[PAD{id}]" (score -10000, UNUSED); added_tokens.json
 * entries become USER_DEFINED with score -1000; added_tokens_decoder entries CONTROL when
 * special or looking special, else USER_DEFINED with ▁ turned into a space; out-of-range
 * ids are ignored. */
static void added_tokens_and_padding_follow_llamacpp_rules(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_link(tmp, "tokenizer.model", tu_shared(STORIES_MODEL));
    tt_write_text(tmp, "added_tokens.json", "{\"<extra>\": 512, \"<far>\": 9999}");
    tt_write_text(tmp, "tokenizer_config.json",
                  "{\"added_tokens_decoder\": {"
                  "\"513\": {\"content\": \"\xe2\x96\x81hi\xe2\x96\x81\", \"special\": false},"
                  "\"514\": {\"content\": \"<|im_end|>\", \"special\": false},"
                  "\"515\": {\"content\": \"<tool>\", \"special\": true},"
                  "\"700\": {\"content\": \"<out>\", \"special\": true}}}");
    gguf_file *f = export_or_fail(tmp, "{\"vocab_size\": 520}", tu_path(tmp, "v.gguf"));
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.tokens")->n, 520);
    assert_token(f, 512, "<extra>", 4, -1000.0);
    assert_token(f, 513, " hi ", 4, -1000.0);
    assert_token(f, 514, "<|im_end|>", 3, -1000.0);
    assert_token(f, 515, "<tool>", 3, -1000.0);
    assert_token(f, 516, "[PAD516]", 5, -10000.0);
    assert_token(f, 519, "[PAD519]", 5, -10000.0);
    gguf_close(f);

    /* vocab_size below the piece count drops the pieces past it. */
    f = export_or_fail(tmp, "{\"vocab_size\": 300}", tu_path(tmp, "w.gguf"));
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.tokens")->n, 300);
    gguf_close(f);
    /* No vocab_size in config: the piece count. */
    f = export_or_fail(tmp, "{}", tu_path(tmp, "x.gguf"));
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.tokens")->n, 512);
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

/* SHA-256 of the tokenizer.* KV records llama.cpp v0.5.0's convert_hf_to_gguf.py --vocab-only
 * wrote for the directory built below (Llama 2 tokenizer.model, vocab_size 32010, these
 * added_tokens.json / tokenizer_config.json); our whole file was byte-identical to it (cmp). */
#define ADDED_RULES_TOKENIZER_SHA256 "9564ef955417293f22da50af8e15126c25f23324fe88752143c0d25fa5686251"

/* added_tokens.json, added_tokens_decoder (special, "looks special": <pad>, <unused..>,
 * <｜..｜>, <|..|>; user-defined ▁ -> space), ids past vocab_size, [PAD] fill, add_prefix_space,
 * add_bos/add_eos, chat template: all as llama.cpp's converter writes them. */
static void spm_added_token_rules_match_llamacpp_converter(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_link(tmp, "tokenizer.model", tu_shared(LLAMA2_MODEL));
    tt_write_text(tmp, "added_tokens.json", "{\"<extra_0>\": 32000, \"<|tool|>\": 32001, \"<far>\": 40000}");
    tt_write_text(tmp, "tokenizer_config.json",
                  "{\"add_bos_token\": false, \"add_eos_token\": true, \"add_prefix_space\": false, "
                  "\"bos_token\": \"<s>\", \"chat_template\": \"{{x}}\", \"added_tokens_decoder\": {"
                  "\"32002\": {\"content\": \"\\u2581hi\\u2581there\", \"special\": false}, "
                  "\"32003\": {\"content\": \"<pad>\", \"special\": false}, "
                  "\"32004\": {\"content\": \"<unused7>\", \"special\": false}, "
                  "\"32005\": {\"content\": \"<\\uff5cfim\\uff5c>\", \"special\": false}, "
                  "\"5\": {\"content\": \"<bar>\", \"special\": true}, "
                  "\"32001\": {\"content\": \"<|tool|>\", \"special\": false}}}");
    gguf_file *f = export_or_fail(
        tmp, "{\"vocab_size\": 32010, \"bos_token_id\": 1, \"eos_token_id\": 2, \"unk_token_id\": 0}",
        tu_path(tmp, "v.gguf"));
    char hex[65];
    tt_tokenizer_sha256(f, hex);
    assert_string_equal(hex, ADDED_RULES_TOKENIZER_SHA256);
    assert_token(f, 32002, " hi there", 4, -1000.0);
    assert_token(f, 32005, "<\xef\xbd\x9c" "fim\xef\xbd\x9c>", 3, -1000.0);
    assert_token(f, 32006, "[PAD32006]", 5, -10000.0);
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

/* Special ids: tokenizer_config *_token matched against tokenizer.json added_tokens come
 * first, then config.json *_token_id fills the rest; ids >= n_vocab are skipped. */
static void special_ids_prefer_tokenizer_config_then_config_json(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_link(tmp, "tokenizer.model", tu_shared(STORIES_MODEL));
    tt_write_text(tmp, "tokenizer.json",
                  "{\"added_tokens\": [{\"id\": 2, \"content\": \"</s>\"}, {\"id\": 0, \"content\": \"<unk>\"}],"
                  " \"model\": {\"type\": \"Unigram\"}}");
    tt_write_text(tmp, "tokenizer_config.json",
                  "{\"eos_token\": \"</s>\", \"unk_token\": {\"content\": \"<unk>\"}, \"add_eos_token\": true,"
                  " \"chat_template\": \"{{ x }}\"}");
    gguf_file *f = export_or_fail(tmp, "{\"bos_token_id\": 1, \"eos_token_id\": 7, \"pad_token_id\": 600}",
                                  tu_path(tmp, "v.gguf"));
    char *keys = tt_tokenizer_keys(f);
    assert_string_equal(keys, "tokenizer.ggml.model\ntokenizer.ggml.pre\ntokenizer.ggml.tokens\n"
                              "tokenizer.ggml.scores\ntokenizer.ggml.token_type\ntokenizer.ggml.eos_token_id\n"
                              "tokenizer.ggml.unknown_token_id\ntokenizer.ggml.bos_token_id\n"
                              "tokenizer.ggml.add_eos_token\ntokenizer.chat_template\n");
    uint32_t v = 99;
    hf_err err = {0};
    assert_int_equal(gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &v, &err), HF_OK);
    assert_int_equal(v, 2);
    assert_int_equal(gguf_get_u32(f, "tokenizer.ggml.unknown_token_id", &v, &err), HF_OK);
    assert_int_equal(v, 0);
    gguf_str s;
    assert_int_equal(gguf_get_str(f, "tokenizer.chat_template", &s, &err), HF_OK);
    assert_true(s.len == 7 && !memcmp(s.ptr, "{{ x }}", 7));
    free(keys);
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stories260k_equals_llamacpp_converter),
        cmocka_unit_test(llama2_equals_ggml_vocab_llama_spm),
        cmocka_unit_test(added_tokens_and_padding_follow_llamacpp_rules),
        cmocka_unit_test(spm_added_token_rules_match_llamacpp_converter),
        cmocka_unit_test(special_ids_prefer_tokenizer_config_then_config_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
