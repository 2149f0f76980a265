/* Tokenizer export on bad input: truncated/corrupt tokenizer.model, malformed tokenizer.json,
 * unknown BPE pre-tokenizer, missing tokenizer. Each is an error status with a message naming
 * the file and what was wrong; nothing crashes. */
#include "test_tokx_util.h"

#define STORIES_MODEL "models/stories260K-hf/tokenizer.model"

static void assert_contains(const char *msg, const char *part) {
    if (!strstr(msg, part)) fail_msg("message '%s' lacks '%s'", msg, part);
}

/* Every prefix of a real tokenizer.model parses to fewer pieces (cut at a field boundary)
 * or fails with a message naming the input; never reads out of bounds (ASan-clean). */
static void truncated_model_never_crashes_and_names_the_file(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *full = tu_read(tu_shared(STORIES_MODEL), &len);
    assert_non_null(full);
    tokx_spm all = {0};
    hf_err err = {0};
    assert_int_equal(tokx_spm_parse(full, len, "full", &all, &err), HF_OK);
    assert_int_equal(all.n, 512);
    size_t failures = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *buf = malloc(cut + 1); /* exact-size copy: overreads would hit the heap end */
        memcpy(buf, full, cut);
        tokx_spm m = {0};
        hf_err e = {0};
        hf_status st = tokx_spm_parse(buf, cut, "cut.model", &m, &e);
        if (st == HF_OK) {
            assert_true(m.n <= all.n);
            for (uint64_t i = 0; i < m.n; i++) assert_true(m.pieces[i].len == all.pieces[i].len);
        } else {
            assert_int_equal(st, HF_ERR_FORMAT);
            assert_contains(e.msg, "cut.model");
            failures++;
        }
        tokx_spm_free(&m);
        free(buf);
    }
    assert_true(failures > len / 2); /* most cuts land inside a field */
    tokx_spm_free(&all);
    free(full);
}

static hf_status parse_bytes(const uint8_t *b, size_t n, hf_err *err) {
    tokx_spm m = {0};
    hf_status st = tokx_spm_parse(b, n, "bad.model", &m, err);
    tokx_spm_free(&m);
    return st;
}

static void corrupt_model_fields_are_rejected_with_reasons(void **state) {
    (void)state;
    hf_err err = {0};
    /* pieces field with wire type 0 */
    static const uint8_t wire[] = {0x08, 0x01};
    assert_int_equal(parse_bytes(wire, sizeof(wire), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "not length-delimited");
    /* piece length 5 with 2 bytes left */
    static const uint8_t len[] = {0x0a, 0x05, 0x0a, 0x01};
    assert_int_equal(parse_bytes(len, sizeof(len), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "exceeds");
    /* piece type 9 */
    static const uint8_t type[] = {0x0a, 0x05, 0x0a, 0x01, 'a', 0x18, 0x09};
    assert_int_equal(parse_bytes(type, sizeof(type), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "type 9");
    /* piece text not UTF-8 */
    static const uint8_t utf8[] = {0x0a, 0x03, 0x0a, 0x01, 0xff};
    assert_int_equal(parse_bytes(utf8, sizeof(utf8), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "UTF-8");
    /* empty piece */
    static const uint8_t empty[] = {0x0a, 0x02, 0x18, 0x01};
    assert_int_equal(parse_bytes(empty, sizeof(empty), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "empty");
    /* varint of 11 bytes */
    static const uint8_t varint[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(parse_bytes(varint, sizeof(varint), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "varint");
    /* group wire type in a skipped field */
    static const uint8_t group[] = {0x13};
    assert_int_equal(parse_bytes(group, sizeof(group), &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "wire type 3");
    /* a JSON file is not a model: no pieces or a bad field */
    static const char json[] = "{\"a\": 1}";
    assert_int_equal(parse_bytes((const uint8_t *)json, sizeof(json) - 1, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "bad.model");
    /* score (fixed32) cut short */
    static const uint8_t score[] = {0x0a, 0x05, 0x0a, 0x01, 'a', 0x15, 0x00};
    assert_int_equal(parse_bytes(score, sizeof(score), &err), HF_ERR_FORMAT);
    /* unknown fields of every wire type are skipped: fixed64, fixed32, varint, bytes */
    static const uint8_t skip[] = {0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4, 0x20, 0x96, 0x01,
                                   0x2a, 0x01, 'z', 0x0a, 0x03, 0x0a, 0x01, 'q'};
    tokx_spm m = {0};
    assert_int_equal(tokx_spm_parse(skip, sizeof(skip), "skip", &m, &err), HF_OK);
    assert_int_equal(m.n, 1);
    assert_int_equal(m.pieces[0].type, TOKX_NORMAL);
    assert_true(m.pieces[0].score == 0.0f);
    tokx_spm_free(&m);
}

/* Through tokx_write_vocab: the error names the real path of the bad file. */
static void export_errors_name_the_file(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    char out[4096];
    snprintf(out, sizeof(out), "%s", tu_path(tmp, "v.gguf")); /* tu_path buffers rotate */
    hf_err err = {0};
    size_t len = 0;
    uint8_t *full = tu_read(tu_shared(STORIES_MODEL), &len);
    assert_int_equal(tu_write(tu_path(tmp, "tokenizer.model"), full, 1001), 0);
    assert_int_equal(tt_export(tmp, "{}", NULL, out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, tu_path(tmp, "tokenizer.model"));
    assert_contains(err.msg, "corrupt SentencePiece model");
    assert_false(tu_exists(out));
    free(full);
    unlink(tu_path(tmp, "tokenizer.model"));

    /* no tokenizer at all */
    assert_int_equal(tt_export(tmp, "{}", NULL, out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "no tokenizer found");

    /* tokenizer.json syntax error */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", ");
    assert_int_equal(tt_export(tmp, NULL, NULL, out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, tu_path(tmp, "tokenizer.json"));

    /* model.vocab of the wrong type */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": [1, 2]}}");
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "model.vocab");

    /* a token id that is not an integer */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}}}");
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "'a'");

    /* ids past config.json's vocab_size */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 9}}}");
    assert_int_equal(tt_export(tmp, "{\"vocab_size\": 4}", "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "not below the vocab size");

    /* a huge id without config.json: rejected before any id table is allocated */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 4000000000}}}");
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "token id 4000000000");

    /* merges in neither format */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [7]}}");
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "merges");

    /* tokenizer_config.json malformed */
    tt_write_text(tmp, "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
    tt_write_text(tmp, "tokenizer_config.json", "[1, 2");
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_ERR_FORMAT);
    assert_contains(err.msg, "tokenizer_config.json");
    assert_false(tu_exists(out));
    tu_rmrf(tmp);
    free(tmp);
}

/* An unknown BPE pre-tokenizer is HF_ERR_UNSUPPORTED naming tokenizer.json and suggesting
 * --vocab-pre; with the override the same files convert. */
static void unknown_pre_tokenizer_suggests_vocab_pre(void **state) {
    (void)state;
    char *tmp = tu_tmpdir();
    char out[4096];
    snprintf(out, sizeof(out), "%s", tu_path(tmp, "v.gguf")); /* tu_path buffers rotate */
    hf_err err = {0};
    tt_write_text(tmp, "tokenizer.json",
                  "{\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true},"
                  " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
    assert_int_equal(tt_export(tmp, NULL, NULL, out, &err), HF_ERR_UNSUPPORTED);
    assert_contains(err.msg, tu_path(tmp, "tokenizer.json"));
    assert_contains(err.msg, "--vocab-pre NAME");
    assert_contains(err.msg, "merges differ"); /* GPT-2's chain, other merges */
    assert_false(tu_exists(out));
    assert_int_equal(tt_export(tmp, NULL, "gpt-2", out, &err), HF_OK);
    assert_true(tu_exists(out));

    tt_write_text(tmp, "tokenizer.json",
                  "{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
    assert_int_equal(tt_export(tmp, NULL, NULL, out, &err), HF_ERR_UNSUPPORTED);
    assert_contains(err.msg, "unknown pre-tokenizer chain");
    assert_contains(err.msg, "Metaspace");
    tu_rmrf(tmp);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncated_model_never_crashes_and_names_the_file),
        cmocka_unit_test(corrupt_model_fields_are_rejected_with_reasons),
        cmocka_unit_test(export_errors_name_the_file),
        cmocka_unit_test(unknown_pre_tokenizer_suggests_vocab_pre),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
