/* The pre names our table picks are the ones llama.cpp's own check would pick: llama.cpp
 * names a BPE tokenizer by the SHA-256 of str(ids) of a fixed check string encoded by the HF
 * tokenizer (get_vocab_base_pre). Here the string is encoded by our runtime tokenizer (tok_,
 * llama.cpp's algorithm) from the exported vocabulary, and the hash must be the one llama.cpp's
 * table lists for the name we wrote. (This also exercises tok_ against HF on that string.) */
#include "test_tokx_util.h"
#include "tokenizer/tok.h"

/* llama.cpp v0.5.0 conversion/base.py chktxt, UTF-8 bytes. */
static const char CHKTXT[] =
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n\xf0\x9f\x9a\x80 (normal) \xf0\x9f\x98\xb6\xe2\x80\x8d"
    "\xf0\x9f\x8c\xab\xef\xb8\x8f (multiple emojis concatenated) \xe2\x9c\x85 \xf0\x9f\xa6\x99\xf0\x9f\xa6"
    "\x99 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 \xe1\x9e\x80\xe1\x9e\xb6\xe1\x9e\x93\xe1"
    "\x9f\x8b\xe1\x9e\x8f\xe1\x9f\x82\xe1\x9e\x96\xe1\x9e\xb7\xe1\x9e\x9f\xe1\x9f\x81\xe1\x9e\x9f\xe1\x9e\xa2"
    "\xe1\x9e\xb6\xe1\x9e\x85\xf0\x9f\x98\x81 ?\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8" "apple\xe5\xb7\xa5\xe4"
    "\xbd\x9c" "1314151\xe5\xa4\xa9\xef\xbd\x9e ------======= \xd0\xbd\xd0\xb5\xd1\x89\xd0\xbe \xd0\xbd\xd0"
    "\xb0 \xd0\x91\xd1\x8a\xd0\xbb\xd0\xb3\xd0\xb0\xd1\x80\xd1\x81\xd0\xba\xd0\xb8 ''''''```````\"\"\"\".."
    "....!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some"
    " tea? We'Ve a'lL";

/* Python str() of a list of ints: "[1, 2, 3]". */
static char *py_list(const int32_t *ids, size_t n) {
    char *s = malloc(n * 12 + 3), *p = s;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) p += sprintf(p, i ? ", %d" : "%d", ids[i]);
    *p++ = ']';
    *p = '\0';
    return s;
}

typedef struct chk_case {
    const char *dir, *config, *pre, *chkhsh, *model;
} chk_case;

static const chk_case CASES[] = {
    {"models/hf-tokenizers/llama3", NULL, "llama-bpe",
     "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5", "Meta-Llama-3-8B"},
    {"models/hf-tokenizers/qwen3", "{\"model_type\": \"qwen3\"}", "qwen2",
     "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea", "Qwen1.5-7B"},
};

static void exported_vocab_gives_llamacpp_check_hash(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof(CASES) / sizeof(CASES[0]); c++) {
        char *tmp = tu_tmpdir(), out[4096];
        hf_err err = {0};
        snprintf(out, sizeof(out), "%s", tu_path(tmp, "v.gguf"));
        if (tt_export(tu_shared(CASES[c].dir), CASES[c].config, NULL, out, &err) != HF_OK) fail_msg("%s", err.msg);
        gguf_file *f = tt_open(out);
        gguf_str pre;
        assert_int_equal(gguf_get_str(f, "tokenizer.ggml.pre", &pre, &err), HF_OK);
        assert_true(pre.len == strlen(CASES[c].pre) && !memcmp(pre.ptr, CASES[c].pre, pre.len));
        tok_vocab *v = NULL;
        if (tok_load(&v, f, &err) != HF_OK) fail_msg("tok_load: %s", err.msg);
        int32_t *ids = NULL;
        size_t n = 0;
        /* HF's encode adds the special tokens of its post-processor: BOS for Llama 3, none for Qwen. */
        if (tok_encode(v, CHKTXT, sizeof(CHKTXT) - 1, 1, 0, &ids, &n, &err) != HF_OK) fail_msg("%s", err.msg);
        char *list = py_list(ids, n), hex[65];
        tt_sha256((const uint8_t *)list, strlen(list), hex);
        if (strcmp(hex, CASES[c].chkhsh))
            fail_msg("%s: chkhsh %s, llama.cpp lists %s for %s (%s); ids %s", CASES[c].dir, hex, CASES[c].chkhsh,
                     CASES[c].pre, CASES[c].model, list);
        free(list);
        free(ids);
        tok_free(v);
        gguf_close(f);
        tu_rmrf(tmp);
        free(tmp);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exported_vocab_gives_llamacpp_check_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
