/* Tokenizer export, tokenizer.json paths: byte-level BPE (Llama 3, Qwen, GPT-2) against
 * llama.cpp's vocab files, the pre-tokenizer table, both merge formats, merges.txt, and the
 * SentencePiece-style tokenizer.json (Mistral) path. */
#include "test_tokx_util.h"

#define LLAMA3_DIR "models/hf-tokenizers/llama3"
#define QWEN3_DIR "models/hf-tokenizers/qwen3"
#define MISTRAL_DIR "models/hf-tokenizers/mistral-7b-32k"
#define REF_LLAMA_BPE "models/gguf-vocab/ggml-vocab-llama-bpe.gguf"
#define REF_QWEN2 "models/gguf-vocab/ggml-vocab-qwen2.gguf"

static gguf_file *export_or_fail(const char *dir, const char *config, const char *pre, const char *out) {
    hf_err err = {0};
    if (tt_export(dir, config, pre, out, &err) != HF_OK) fail_msg("export of %s failed: %s", dir, err.msg);
    return tt_open(out);
}

static void assert_str_kv(const gguf_file *f, const char *key, const char *want) {
    gguf_str s;
    hf_err err = {0};
    if (gguf_get_str(f, key, &s, &err) != HF_OK) fail_msg("%s", err.msg);
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len))
        fail_msg("%s = '%.*s', expected '%s'", key, (int)s.len, s.ptr, want);
}

/* Done-means: same 128256 tokens, types, 280147 merges, pre "llama-bpe" as llama.cpp's file
 * (and its bos/eos). Our tokenizer_config.json also carries a chat template, which the files
 * llama.cpp converted did not: that key is extra (docs/tokenizer-export.md). */
static void llama3_equals_ggml_vocab_llama_bpe(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    gguf_file *ref = tt_open(tu_shared(REF_LLAMA_BPE));
    gguf_file *f = export_or_fail(tu_shared(LLAMA3_DIR), NULL, NULL, tu_path(tmp, "v.gguf"));
    static const char *const keys[] = {"tokenizer.ggml.model",        "tokenizer.ggml.pre",
                                       "tokenizer.ggml.tokens",       "tokenizer.ggml.token_type",
                                       "tokenizer.ggml.merges",       "tokenizer.ggml.bos_token_id",
                                       "tokenizer.ggml.eos_token_id"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) tt_assert_kv_equal(f, ref, keys[i]);
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.tokens")->n, 128256);
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.merges")->n, 280147);
    assert_str_kv(f, "tokenizer.ggml.pre", "llama-bpe");
    char *ka = tt_tokenizer_keys(f);
    assert_string_equal(ka, "tokenizer.ggml.model\ntokenizer.ggml.pre\ntokenizer.ggml.tokens\n"
                            "tokenizer.ggml.token_type\ntokenizer.ggml.merges\ntokenizer.ggml.bos_token_id\n"
                            "tokenizer.ggml.eos_token_id\ntokenizer.chat_template\n");
    free(ka);
    gguf_close(f);
    gguf_close(ref);
    tu_rmrf(tmp);
    free(tmp);
}

/* Qwen3's files against llama.cpp's qwen2 vocab (made from Qwen1.5-7B, vocab_size 151936):
 * the same pre, merges and the first 151646 tokens/types. The rest differs for known reasons:
 * Qwen3 adds 23 more added tokens (151646..151668), and llama.cpp's older converter typed
 * the [PAD] fill USER_DEFINED where v0.5.0 writes UNUSED. */
static void qwen3_matches_qwen2_vocab_where_the_files_agree(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    gguf_file *ref = tt_open(tu_shared(REF_QWEN2));
    gguf_file *f = export_or_fail(tu_shared(QWEN3_DIR), "{\"model_type\": \"qwen3\", \"vocab_size\": 151936}", NULL,
                                  tu_path(tmp, "v.gguf"));
    tt_assert_kv_equal(f, ref, "tokenizer.ggml.model");
    tt_assert_kv_equal(f, ref, "tokenizer.ggml.pre");
    tt_assert_kv_equal(f, ref, "tokenizer.ggml.merges");
    tt_assert_kv_equal(f, ref, "tokenizer.ggml.padding_token_id");
    const gguf_kv *ta = gguf_find_kv(f, "tokenizer.ggml.tokens"), *tb = gguf_find_kv(ref, "tokenizer.ggml.tokens");
    const gguf_kv *ya = gguf_find_kv(f, "tokenizer.ggml.token_type"), *yb = gguf_find_kv(ref, "tokenizer.ggml.token_type");
    assert_int_equal(ta->n, 151936);
    assert_int_equal(tb->n, 151936);
    for (uint64_t i = 0; i < ta->n; i++) {
        gguf_str a = gguf_arr_str(f, ta, i), b = gguf_arr_str(ref, tb, i);
        int same = a.len == b.len && !memcmp(a.ptr, b.ptr, a.len);
        int qwen3_added = i >= 151646 && i <= 151668;
        if (same == qwen3_added)
            fail_msg("tokens[%llu]: '%.*s' vs reference '%.*s'", (unsigned long long)i, (int)a.len, a.ptr, (int)b.len,
                     b.ptr);
        double want = i < 151646 ? gguf_arr_num(yb, i) : (qwen3_added ? -1 : 5);
        if (i >= 151669 && gguf_arr_num(yb, i) != 4) fail_msg("reference [PAD] type at %llu changed", (unsigned long long)i);
        if (want >= 0 && gguf_arr_num(ya, i) != want)
            fail_msg("token_type[%llu] = %g, expected %g", (unsigned long long)i, gguf_arr_num(ya, i), want);
    }
    /* Qwen3: <|im_end|> is eos, <think> is a non-special added token (USER_DEFINED). */
    uint32_t eos = 0;
    hf_err err = {0};
    assert_int_equal(gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &eos, &err), HF_OK);
    assert_int_equal(eos, 151645);
    assert_int_equal((int)gguf_arr_num(ya, 151667), 4);
    assert_int_equal((int)gguf_arr_num(ya, 151644), 3);
    gguf_close(f);
    gguf_close(ref);
    tu_rmrf(tmp);
    free(tmp);
}

/* llama.cpp's vocab files for tokenizers whose tokenizer.json is not in ../shared: the
 * pre-tokenizer chain of the real model (from its public tokenizer.json), the vocabulary and
 * merges from the file. */
typedef struct rebuilt {
    const char *name, *pre_tokenizer;
} rebuilt;

static const rebuilt REBUILT[] = {
    {"gpt-2", "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}"},
    {"starcoder", "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": true},"
                  " {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}]}"},
    {"falcon", "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Punctuation\", \"behavior\": \"Contiguous\"},"
               " {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},"
               " {\"type\": \"Digits\", \"individual_digits\": false}, {\"type\": \"Split\", \"pattern\": {\"Regex\":"
               " \"[0-9][0-9][0-9]\"}, \"behavior\": \"Isolated\", \"invert\": false}]}"},
    {"qwen35", "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
               "\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?[\\\\p{L}\\\\p{M}]+|\\\\p{N}| ?[^\\\\s\\\\p{L}"
               "\\\\p{M}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": \"Isolated\","
               " \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false,"
               " \"use_regex\": false}]}"},
};

static int is_pad_text(gguf_str s, uint64_t i) {
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "[PAD%llu]", (unsigned long long)i);
    return s.len == (uint64_t)n && !memcmp(s.ptr, buf, s.len);
}

/* tokenizer.json from a vocab file: [PAD{i}] slots are holes, CONTROL tokens are special
 * added tokens, the rest is the model vocab; merges as "a b" strings. */
static char *tokenizer_json_from_vocab(const gguf_file *ref, const char *pre_tokenizer) {
    const gguf_kv *toks = gguf_find_kv(ref, "tokenizer.ggml.tokens"), *merges = gguf_find_kv(ref, "tokenizer.ggml.merges");
    const gguf_kv *types = gguf_find_kv(ref, "tokenizer.ggml.token_type");
    cJSON *root = cJSON_CreateObject(), *model = cJSON_AddObjectToObject(root, "model");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab"), *ml = cJSON_AddArrayToObject(model, "merges");
    char buf[1024];
    for (uint64_t i = 0; i < toks->n; i++) {
        gguf_str s = gguf_arr_str(ref, toks, i);
        if (is_pad_text(s, i)) continue;
        snprintf(buf, sizeof(buf), "%.*s", (int)s.len, s.ptr);
        if (gguf_arr_num(types, i) == 3) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddNumberToObject(a, "id", (double)i);
            cJSON_AddStringToObject(a, "content", buf);
            cJSON_AddTrueToObject(a, "special");
            cJSON_AddItemToArray(added, a);
        } else {
            cJSON_AddItemToObject(vocab, buf, cJSON_CreateNumber((double)i));
        }
    }
    for (uint64_t i = 0; i < merges->n; i++) {
        gguf_str s = gguf_arr_str(ref, merges, i);
        snprintf(buf, sizeof(buf), "%.*s", (int)s.len, s.ptr);
        cJSON_AddItemToArray(ml, cJSON_CreateString(buf));
    }
    cJSON_AddItemToObject(root, "pre_tokenizer", cJSON_Parse(pre_tokenizer));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* Each rebuilt tokenizer.json is recognised as its llama.cpp name and round-trips: tokens,
 * merges, and token types (the [PAD] fill is UNUSED in v0.5.0; the qwen35 file, written by an
 * older converter, has USER_DEFINED there). */
static void vocab_files_rebuilt_as_tokenizer_json_are_recognised(void **state) {
    (void)state;
    for (size_t r = 0; r < sizeof(REBUILT) / sizeof(REBUILT[0]); r++) {
        char *tmp = tu_tmpdir(), ref_path[512], config[64];
        snprintf(ref_path, sizeof(ref_path), "models/gguf-vocab/ggml-vocab-%s.gguf", REBUILT[r].name);
        gguf_file *ref = tt_open(tu_shared(ref_path));
        const gguf_kv *rt = gguf_find_kv(ref, "tokenizer.ggml.tokens"), *ry = gguf_find_kv(ref, "tokenizer.ggml.token_type");
        char *text = tokenizer_json_from_vocab(ref, REBUILT[r].pre_tokenizer);
        tt_write_text(tmp, "tokenizer.json", text);
        snprintf(config, sizeof(config), "{\"vocab_size\": %llu}", (unsigned long long)rt->n);
        gguf_file *f = export_or_fail(tmp, config, NULL, tu_path(tmp, "v.gguf"));
        tt_assert_kv_equal(f, ref, "tokenizer.ggml.model");
        tt_assert_kv_equal(f, ref, "tokenizer.ggml.pre");
        tt_assert_kv_equal(f, ref, "tokenizer.ggml.tokens");
        tt_assert_kv_equal(f, ref, "tokenizer.ggml.merges");
        const gguf_kv *y = gguf_find_kv(f, "tokenizer.ggml.token_type");
        for (uint64_t i = 0; i < rt->n; i++) {
            double want = is_pad_text(gguf_arr_str(ref, rt, i), i) ? 5 : gguf_arr_num(ry, i);
            if (gguf_arr_num(y, i) != want)
                fail_msg("%s: token_type[%llu] = %g, expected %g", REBUILT[r].name, (unsigned long long)i,
                         gguf_arr_num(y, i), want);
        }
        gguf_close(f);
        gguf_close(ref);
        free(text);
        tu_rmrf(tmp);
        free(tmp);
    }
}

/* A small byte-level tokenizer.json: vocab, added tokens, merges in the pair format. */
static const char *SMALL_JSON =
    "{\"added_tokens\": [{\"id\": 5, \"content\": \"<|end|>\", \"special\": false},"
    "                    {\"id\": 6, \"content\": \"\xe2\x96\x81user\", \"special\": false}],"
    " \"pre_tokenizer\": {\"type\": \"Whitespace\"},"
    " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"a b\": 2, \"\xc4\xa0x\": 3},"
    "            \"merges\": [[\"a\", \"b\"], [\"a b\", \"\xc4\xa0x\"], [\" \", \"x\"]]}}";

/* Pair merges join with one space and encode spaces inside pieces as U+0120; ids without a
 * token become [PAD{i}] UNUSED; added tokens: "looks special" -> CONTROL, else USER_DEFINED
 * with ▁ as a space; --vocab-pre replaces detection (this pre-tokenizer is unknown). */
static void pair_merges_added_tokens_and_vocab_pre_override(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_write_text(tmp, "tokenizer.json", SMALL_JSON);
    gguf_file *f = export_or_fail(tmp, "{\"vocab_size\": 8}", "my-pre", tu_path(tmp, "v.gguf"));
    assert_str_kv(f, "tokenizer.ggml.pre", "my-pre");
    const gguf_kv *m = gguf_find_kv(f, "tokenizer.ggml.merges");
    static const char *const want_m[] = {"a b", ("a\xc4\xa0" "b \xc4\xa0x"), "\xc4\xa0 x"};
    assert_int_equal(m->n, 3);
    for (uint64_t i = 0; i < 3; i++) {
        gguf_str s = gguf_arr_str(f, m, i);
        if (s.len != strlen(want_m[i]) || memcmp(s.ptr, want_m[i], s.len))
            fail_msg("merges[%llu] = '%.*s', expected '%s'", (unsigned long long)i, (int)s.len, s.ptr, want_m[i]);
    }
    const gguf_kv *t = gguf_find_kv(f, "tokenizer.ggml.tokens"), *y = gguf_find_kv(f, "tokenizer.ggml.token_type");
    static const char *const want_t[] = {"a", "b", "a b", "\xc4\xa0x", "[PAD4]", "<|end|>", " user", "[PAD7]"};
    static const int want_y[] = {1, 1, 1, 1, 5, 3, 4, 5};
    assert_int_equal(t->n, 8);
    for (uint64_t i = 0; i < 8; i++) {
        gguf_str s = gguf_arr_str(f, t, i);
        if (s.len != strlen(want_t[i]) || memcmp(s.ptr, want_t[i], s.len))
            fail_msg("tokens[%llu] = '%.*s', expected '%s'", (unsigned long long)i, (int)s.len, s.ptr, want_t[i]);
        assert_int_equal((int)gguf_arr_num(y, i), want_y[i]);
    }
    assert_null(gguf_find_kv(f, "tokenizer.ggml.scores"));
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

/* Without merges in tokenizer.json, merges.txt is used ("#" header skipped, malformed
 * lines ignored). Without vocab_size in config, the vocab is the distinct token count. */
static void merges_txt_is_the_fallback(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    tt_write_text(tmp, "tokenizer.json",
                  "{\"pre_tokenizer\": null, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}}}");
    tt_write_text(tmp, "merges.txt", "#version: 0.2\na b\n\nbad line here\n  ab   b  \n");
    gguf_file *f = export_or_fail(tmp, NULL, "gpt-2", tu_path(tmp, "v.gguf"));
    const gguf_kv *m = gguf_find_kv(f, "tokenizer.ggml.merges");
    assert_int_equal(m->n, 2);
    gguf_str s = gguf_arr_str(f, m, 1);
    assert_true(s.len == 4 && !memcmp(s.ptr, "ab b", 4));
    assert_int_equal(gguf_find_kv(f, "tokenizer.ggml.tokens")->n, 3);
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

/* Mistral's tokenizer.json (SentencePiece-style BPE with byte_fallback, no tokenizer.model):
 * llama.cpp's LlamaHfVocab path, model "llama": scores -1000, <0xXX> BYTE, special tokens
 * CONTROL; SpecialVocab ids/flags as gguf-py computes them for these files (checked). */
static void mistral_tokenizer_json_takes_the_llamahf_path(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    gguf_file *f = export_or_fail(tu_shared(MISTRAL_DIR), NULL, NULL, tu_path(tmp, "v.gguf"));
    assert_str_kv(f, "tokenizer.ggml.model", "llama");
    assert_str_kv(f, "tokenizer.ggml.pre", "default");
    const gguf_kv *t = gguf_find_kv(f, "tokenizer.ggml.tokens"), *y = gguf_find_kv(f, "tokenizer.ggml.token_type");
    const gguf_kv *sc = gguf_find_kv(f, "tokenizer.ggml.scores");
    assert_int_equal(t->n, 32000);
    for (uint64_t i = 0; i < t->n; i++) {
        int want = i < 3 ? 3 : i < 259 ? 6 : 1;
        if (gguf_arr_num(y, i) != want || gguf_arr_num(sc, i) != -1000.0)
            fail_msg("token %llu: type %g score %g, expected type %d score -1000", (unsigned long long)i,
                     gguf_arr_num(y, i), gguf_arr_num(sc, i), want);
    }
    gguf_str s = gguf_arr_str(f, t, 22557);
    assert_true(s.len == 8 && !memcmp(s.ptr, "\xe2\x96\x81Hello", 8));
    char *keys = tt_tokenizer_keys(f);
    assert_string_equal(keys, "tokenizer.ggml.model\ntokenizer.ggml.pre\ntokenizer.ggml.tokens\n"
                              "tokenizer.ggml.scores\ntokenizer.ggml.token_type\ntokenizer.ggml.bos_token_id\n"
                              "tokenizer.ggml.eos_token_id\ntokenizer.ggml.unknown_token_id\n"
                              "tokenizer.ggml.add_bos_token\ntokenizer.ggml.add_sep_token\n"
                              "tokenizer.ggml.add_eos_token\n");
    free(keys);
    gguf_close(f);
    tu_rmrf(tmp);
    free(tmp);
}

/* SHA-256 of the tokenizer.* KV records of llama.cpp v0.5.0's convert_hf_to_gguf.py
 * --vocab-only on a directory with these tokenizer files and a config.json with these
 * values (our whole vocab-only file was cmp-identical). transformers is not installable
 * here, so for those runs AutoTokenizer was a small stand-in reading tokenizer.json and
 * get_vocab_base_pre returned the name llama.cpp's hash table gives (llama-bpe, qwen2):
 * the pins cover the converter's own rules and order, not transformers' internals. */
typedef struct glue_pin {
    const char *dir, *config, *sha256;
} glue_pin;

static const glue_pin GLUE_PINS[] = {
    {LLAMA3_DIR, "{\"vocab_size\": 128256, \"bos_token_id\": 128000, \"eos_token_id\": [128001, 128009]}",
     "f4a70c00322cc849c5f940995322e63d54f7821372e6090252bb676074aeba04"},
    {QWEN3_DIR,
     "{\"model_type\": \"qwen3\", \"vocab_size\": 151936, \"bos_token_id\": 151643, \"eos_token_id\": 151645}",
     "35c82938b69e131ed3d95b6e7a8f2e7554560fa8b8f5e02266991853b6247e2b"},
    {MISTRAL_DIR, "{\"vocab_size\": 32000, \"bos_token_id\": 1, \"eos_token_id\": 2}",
     "2a487082bf5e1c14edcc744a1a8ea7ab6670e2d05cfa03c29ee57094dae3bd87"},
};

static void whole_sections_equal_llamacpp_converter_runs(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    for (size_t i = 0; i < sizeof(GLUE_PINS) / sizeof(GLUE_PINS[0]); i++) {
        gguf_file *f = export_or_fail(tu_shared(GLUE_PINS[i].dir), GLUE_PINS[i].config, NULL, tu_path(tmp, "v.gguf"));
        char hex[65];
        tt_tokenizer_sha256(f, hex);
        if (strcmp(hex, GLUE_PINS[i].sha256))
            fail_msg("%s: tokenizer section sha256 %s, expected %s", GLUE_PINS[i].dir, hex, GLUE_PINS[i].sha256);
        gguf_close(f);
    }
    tu_rmrf(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(llama3_equals_ggml_vocab_llama_bpe),
        cmocka_unit_test(qwen3_matches_qwen2_vocab_where_the_files_agree),
        cmocka_unit_test(vocab_files_rebuilt_as_tokenizer_json_are_recognised),
        cmocka_unit_test(pair_merges_added_tokens_and_vocab_pre_override),
        cmocka_unit_test(merges_txt_is_the_fallback),
        cmocka_unit_test(mistral_tokenizer_json_takes_the_llamahf_path),
        cmocka_unit_test(whole_sections_equal_llamacpp_converter_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
