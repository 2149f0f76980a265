/* llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.{inp,out}, copied to
 * ../shared/models/gguf-vocab): every input string, encoded with add_special=false and
 * parse_special=false as test-tokenizer-0 does, must give exactly the ids of its .out line.
 * Inputs are separated by "\n__ggml_vocab_test__\n" (the newline before the marker belongs
 * to the separator). Each decoded result must also give the string back (round_trips). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "testutil.h"
#include "tokenizer/tok.h"
#include "tokx/tokx.h"

typedef struct vectors {
    char **inp;
    size_t *inp_len;
    char **out; /* lines of space-separated ids */
    size_t n;
    char *raw_buf, *out_buf;
} vectors;

static void free_vectors(vectors *vec) {
    free(vec->inp);
    free(vec->inp_len);
    free(vec->out);
    free(vec->raw_buf);
    free(vec->out_buf);
}

static void load_vectors(const char *name, vectors *vec) {
    char rel[256];
    size_t raw_len, out_len;
    snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf.inp", name);
    char *raw = (char *)tu_read(tu_shared(rel), &raw_len);
    snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf.out", name);
    char *out = (char *)tu_read(tu_shared(rel), &out_len);
    assert_non_null(raw);
    assert_non_null(out);
    memset(vec, 0, sizeof *vec);
    static const char sep[] = "\n__ggml_vocab_test__\n";
    const size_t sep_len = sizeof sep - 1;
    vec->inp = calloc(raw_len + 1, sizeof(char *));
    vec->inp_len = calloc(raw_len + 1, sizeof(size_t));
    size_t n_inp = 0;
    for (size_t pos = 0; pos < raw_len;) {
        char *next = memmem(raw + pos, raw_len - pos, sep, sep_len);
        size_t end = next ? (size_t)(next - raw) : raw_len;
        vec->inp[n_inp] = raw + pos;
        vec->inp_len[n_inp++] = end - pos;
        if (!next) break;
        pos = end + sep_len;
    }
    vec->out = calloc(out_len + 1, sizeof(char *));
    size_t n_out = 0;
    for (char *line = out; line < out + out_len;) {
        char *nl = memchr(line, '\n', (size_t)(out + out_len - line));
        if (nl) *nl = 0;
        vec->out[n_out++] = line;
        if (!nl) break;
        line = nl + 1;
    }
    assert_int_equal(n_inp, n_out);
    vec->n = n_inp;
    vec->raw_buf = raw;
    vec->out_buf = out;
}

static size_t parse_ids(const char *line, int32_t *ids, size_t cap) {
    size_t n = 0;
    for (const char *p = line; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        if (n < cap) ids[n] = (int32_t)v;
        n++;
        p = end;
    }
    return n;
}

static tok_vocab *load_vocab(const char *path, gguf_file **gf) {
    hf_err err = {0};
    assert_int_equal(gguf_open(gf, path, &err), HF_OK);
    tok_vocab *v = NULL;
    hf_status st = tok_load(&v, *gf, &err);
    if (st != HF_OK) fprintf(stderr, "%s: %s\n", path, err.msg);
    assert_int_equal(st, HF_OK);
    return v;
}

/* decode(encode(s)) == s, as llama.cpp's detokenize gives it back; except that vocabs with
 * clean_up_tokenization_spaces (llama.cpp: every BPE pre but qwen2/qwen35/...) turn " ?" into
 * "?", which strings 32 and 45 contain (checked on llama.cpp for string 32 with llama-bpe). */
static int round_trips(const tok_vocab *v, const char *name, size_t i, const char *s, size_t len, const int32_t *ids,
                       size_t n) {
    static const char *const clean_spaces_vocabs[] = {"llama-bpe", "gpt-2", "starcoder", "falcon"};
    int cleans = 0;
    for (size_t k = 0; k < 4; k++) cleans |= strcmp(name, clean_spaces_vocabs[k]) == 0;
    if (cleans && (i == 32 || i == 45)) return 1;
    char *buf = malloc(len + 64);
    size_t k = tok_decode(v, ids, n, 0, 0, buf, len + 64);
    int ok = k == len && memcmp(buf, s, len) == 0;
    if (!ok) fprintf(stderr, "%s: string %zu does not round-trip: \"%.*s\"\n", name, i, (int)k, buf);
    free(buf);
    return ok;
}

/* Encodes the strings of vectors `name` with the tokenizer in gguf_path; returns the number of
 * mismatching strings, printing each with its index. */
static int check_file(const char *gguf_path, const char *name) {
    gguf_file *gf;
    tok_vocab *v = load_vocab(gguf_path, &gf);
    vectors vec;
    load_vectors(name, &vec);
    int bad = 0;
    for (size_t i = 0; i < vec.n; i++) {
        int32_t want[4096];
        size_t n_want = parse_ids(vec.out[i], want, 4096);
        int32_t *got;
        size_t n_got;
        hf_err err = {0};
        assert_int_equal(tok_encode(v, vec.inp[i], vec.inp_len[i], 0, 0, &got, &n_got, &err), HF_OK);
        if (n_got != n_want || (n_got && memcmp(got, want, n_got * sizeof(int32_t)) != 0)) {
            bad++;
            fprintf(stderr, "%s: string %zu \"%.*s\" mismatch\n  want:", name, i, (int)vec.inp_len[i], vec.inp[i]);
            for (size_t k = 0; k < n_want; k++) fprintf(stderr, " %d", want[k]);
            fprintf(stderr, "\n  got: ");
            for (size_t k = 0; k < n_got; k++) fprintf(stderr, " %d", got[k]);
            fprintf(stderr, "\n");
        }
        if (!round_trips(v, name, i, vec.inp[i], vec.inp_len[i], got, n_got)) bad++;
        free(got);
    }
    fprintf(stderr, "%s: %zu strings, %d mismatches\n", name, vec.n, bad);
    free_vectors(&vec);
    tok_free(v);
    gguf_close(gf);
    return bad;
}

static int check_vocab(const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf", name);
    return check_file(tu_shared(rel), name);
}

#define VOCAB_TEST(fn, name)                                                                      \
    static void fn(void **state) {                                                                \
        (void)state;                                                                              \
        assert_int_equal(check_vocab(name), 0);                                                   \
    }

VOCAB_TEST(llama_spm_vectors_match_llama_cpp, "llama-spm")
VOCAB_TEST(phi3_spm_vectors_match_llama_cpp, "phi-3")
VOCAB_TEST(llama_bpe_vectors_match_llama_cpp, "llama-bpe")
VOCAB_TEST(qwen2_vectors_match_llama_cpp, "qwen2")
VOCAB_TEST(qwen35_vectors_match_llama_cpp, "qwen35")
VOCAB_TEST(gpt2_vectors_match_llama_cpp, "gpt-2")
VOCAB_TEST(starcoder_vectors_match_llama_cpp, "starcoder")
VOCAB_TEST(falcon_vectors_match_llama_cpp, "falcon")

/* ==== Real Hugging Face tokenizers, exported to GGUF by tokx (the converter's path) ==== */

/* Writes the tokenizer.* keys tokx derives from models/<dir> into a vocab-only GGUF in dir. */
static const char *export_vocab(const char *tmpdir, const char *model_rel) {
    const char *path = tu_path(tmpdir, "vocab.gguf");
    hf_err err = {0};
    gguf_writer *w = gguf_w_new();
    assert_non_null(w);
    hf_status st = tokx_write_vocab(w, tu_shared(model_rel), NULL, NULL, &err);
    if (st != HF_OK) fprintf(stderr, "%s: %s\n", model_rel, err.msg);
    assert_int_equal(st, HF_OK);
    assert_int_equal(gguf_w_begin(w, path, &err), HF_OK);
    assert_int_equal(gguf_w_finish(w, &err), HF_OK);
    gguf_w_free(w);
    return path;
}

static void check_export(const char *model_rel, const char *vectors_name) {
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s", export_vocab(dir, model_rel));
    int bad = check_file(path, vectors_name);
    tu_rmrf(dir);
    free(dir);
    assert_int_equal(bad, 0);
}

/* The Llama 3 tokenizer.json is the tokenizer of llama.cpp's llama-bpe vocab. */
static void llama3_tokenizer_json_gives_llama_bpe_vectors(void **state) {
    (void)state;
    check_export("models/hf-tokenizers/llama3", "llama-bpe");
}

/* Qwen3 keeps Qwen2's 151643 base tokens and merges; the vectors have no added tokens. */
static void qwen3_tokenizer_json_gives_qwen2_vectors(void **state) {
    (void)state;
    check_export("models/hf-tokenizers/qwen3", "qwen2");
}

/* Meta's Llama 2 tokenizer.model is the tokenizer of llama.cpp's llama-spm vocab. */
static void llama2_sentencepiece_model_gives_llama_spm_vectors(void **state) {
    (void)state;
    check_export("models/llama2-sentencepiece", "llama-spm");
}

/* Mistral-7B's tokenizer.json (SentencePiece-style BPE with byte fallback): ids from
 * ../shared/models/README.md, which identifies the file by them. */
static void mistral_tokenizer_json_encodes_known_ids(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    gguf_file *gf;
    tok_vocab *v = load_vocab(export_vocab(dir, "models/hf-tokenizers/mistral-7b-32k"), &gf);
    static const struct {
        const char *text;
        int32_t ids[4];
        size_t n;
    } cases[] = {{"Hello", {1, 22557}, 2}, {"[INST]", {1, 733, 16289, 28793}, 4}};
    for (size_t i = 0; i < 2; i++) {
        int32_t *ids;
        size_t n;
        hf_err err = {0};
        assert_int_equal(tok_encode(v, cases[i].text, strlen(cases[i].text), 1, 0, &ids, &n, &err), HF_OK);
        assert_int_equal(n, cases[i].n);
        assert_memory_equal(ids, cases[i].ids, n * sizeof(int32_t));
        free(ids);
    }
    tok_free(v);
    gguf_close(gf);
    tu_rmrf(dir);
    free(dir);
}

/* stories260K's tok512 SentencePiece model (byte fallback). Ids checked against llama.cpp
 * v0.5.0 on the file its own converter writes for stories260K-hf. */
static void check_stories(const tok_vocab *v) {
    static const struct {
        const char *text;
        int add_special;
        int32_t ids[10];
        size_t n;
    } cases[] = {
        {"Once upon a time", 0, {403, 407, 261, 378}, 4},
        {"Once upon a time", 1, {1, 403, 407, 261, 378}, 5},
        {" Hello  world", 0, {410, 346, 306, 414, 410, 263, 304, 341}, 8},
        {"<s>x</s>", 0, {410, 504, 419, 505, 444, 504, 492, 419, 505}, 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t *ids;
        size_t n;
        hf_err err = {0};
        const char *t = cases[i].text;
        assert_int_equal(tok_encode(v, t, strlen(t), cases[i].add_special, 0, &ids, &n, &err), HF_OK);
        assert_int_equal(n, cases[i].n);
        assert_memory_equal(ids, cases[i].ids, n * sizeof(int32_t));
        /* llama.cpp drops the add_space_prefix space only from a first piece: after BOS the
         * text comes back as " Once upon a time" (checked on llama.cpp) */
        char back[64], want[64];
        snprintf(want, sizeof want, "%s%s", cases[i].add_special ? " " : "", t);
        size_t k = tok_decode(v, ids, n, 0, 0, back, sizeof back);
        assert_int_equal(k, strlen(want));
        assert_memory_equal(back, want, k);
        free(ids);
    }
    assert_int_equal(tok_n_vocab(v), 512);
    assert_true(tok_is_eog(v, 2));
}

static void stories260k_tokenizer_encodes_like_llama_cpp(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    gguf_file *gf;
    tok_vocab *v = load_vocab(export_vocab(dir, "models/stories260K-hf"), &gf);
    check_stories(v);
    tok_free(v);
    gguf_close(gf);
    tu_rmrf(dir);
    free(dir);
}

/* The same through `hf2gguf convert` (whose f32 output is the file llama.cpp was asked). */
static void stories260k_converted_file_encodes_like_llama_cpp(void **state) {
    (void)state;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    char out[4096];
    snprintf(out, sizeof out, "%s", tu_path(dir, "stories.gguf"));
    char *cli_err = NULL;
    int rc = tu_run_cli(&cli_err, "convert '%s' --outtype f32 --outfile '%s'", tu_shared("models/stories260K-hf"), out);
    if (rc != 0) fprintf(stderr, "convert failed (%d): %s\n", rc, cli_err ? cli_err : "");
    free(cli_err);
    assert_int_equal(rc, 0);
    gguf_file *gf;
    tok_vocab *v = load_vocab(out, &gf);
    check_stories(v);
    tok_free(v);
    gguf_close(gf);
    tu_rmrf(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(llama_spm_vectors_match_llama_cpp), cmocka_unit_test(phi3_spm_vectors_match_llama_cpp),
        cmocka_unit_test(llama_bpe_vectors_match_llama_cpp), cmocka_unit_test(qwen2_vectors_match_llama_cpp),
        cmocka_unit_test(qwen35_vectors_match_llama_cpp),    cmocka_unit_test(gpt2_vectors_match_llama_cpp),
        cmocka_unit_test(starcoder_vectors_match_llama_cpp), cmocka_unit_test(falcon_vectors_match_llama_cpp),
        cmocka_unit_test(llama3_tokenizer_json_gives_llama_bpe_vectors),
        cmocka_unit_test(qwen3_tokenizer_json_gives_qwen2_vectors),
        cmocka_unit_test(llama2_sentencepiece_model_gives_llama_spm_vectors),
        cmocka_unit_test(mistral_tokenizer_json_encodes_known_ids),
        cmocka_unit_test(stories260k_tokenizer_encodes_like_llama_cpp),
        cmocka_unit_test(stories260k_converted_file_encodes_like_llama_cpp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
