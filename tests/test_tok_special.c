/* Special tokens, BOS/EOS rules, end-of-generation ids and decoding, on llama.cpp's vocab
 * files. Every expected id list below was checked against llama.cpp v0.5.0 itself
 * (node-llama-cpp 3.22.1: model.tokenize(text, parse_special) and model.detokenize(ids,
 * unparse_special)) and is pinned here. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "testutil.h"
#include "tokenizer/tok.h"

typedef struct loaded {
    gguf_file *f;
    tok_vocab *v;
} loaded;

static loaded open_vocab(const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf", name);
    loaded l;
    hf_err err = {0};
    assert_int_equal(gguf_open(&l.f, tu_shared(rel), &err), HF_OK);
    assert_int_equal(tok_load(&l.v, l.f, &err), HF_OK);
    return l;
}

static void close_vocab(loaded l) {
    tok_free(l.v);
    gguf_close(l.f);
}

static void expect_ids(const tok_vocab *v, const char *text, int add_special, int parse_special, const int32_t *want,
                       size_t n_want) {
    int32_t *got;
    size_t n_got;
    hf_err err = {0};
    assert_int_equal(tok_encode(v, text, strlen(text), add_special, parse_special, &got, &n_got, &err), HF_OK);
    if (n_got != n_want || memcmp(got, want, n_want * sizeof(int32_t)) != 0) {
        fprintf(stderr, "\"%s\": got", text);
        for (size_t i = 0; i < n_got; i++) fprintf(stderr, " %d", got[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(n_got, n_want);
    assert_memory_equal(got, want, n_want * sizeof(int32_t));
    free(got);
}

static void expect_decode(const tok_vocab *v, const int32_t *ids, size_t n, int unparse_special, const char *want) {
    char buf[1024];
    size_t k = tok_decode(v, ids, n, 0, unparse_special, buf, sizeof buf);
    assert_true(k < sizeof buf);
    buf[k] = 0;
    assert_string_equal(buf, want);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void llama3_parses_control_tokens_only_when_asked(void **state) {
    (void)state;
    loaded l = open_vocab("llama-bpe");
    static const int32_t with_special[] = {128000, 13347, 128009, 87};
    expect_ids(l.v, "<|begin_of_text|>Hi<|eot_id|>x", 0, 1, with_special, N(with_special));
    expect_decode(l.v, with_special, N(with_special), 1, "<|begin_of_text|>Hi<|eot_id|>x");
    expect_decode(l.v, with_special, N(with_special), 0, "Hix");
    /* a token llama3 does not have is plain text */
    static const int32_t no_such[] = {64, 27, 91, 8862, 728, 428, 91, 29, 65};
    expect_ids(l.v, "a<|endoftext|>b", 0, 1, no_such, N(no_such));
    /* clean_up_tokenization_spaces: llama.cpp's detokenize drops the space in " ?" */
    static const int32_t q[] = {9906, 11, 379, 65948, 0, 2650, 527, 499, 27623, 223, 949, 87};
    expect_ids(l.v, "Hello, y'all! How are you \xf0\x9f\x98\x81 ?x", 0, 0, q, N(q));
    expect_decode(l.v, q, N(q), 0, "Hello, y'all! How are you \xf0\x9f\x98\x81?x");
    close_vocab(l);
}

static void qwen2_matches_chat_markers_and_user_tokens(void **state) {
    (void)state;
    loaded l = open_vocab("qwen2");
    static const int32_t chat[] = {151644, 872, 198, 6023, 151645, 198};
    expect_ids(l.v, "<|im_start|>user\nhi<|im_end|>\n", 0, 1, chat, N(chat));
    static const int32_t s[] = {44047, 29, 264, 128247, 65};
    expect_ids(l.v, "<s> a</s>b", 0, 1, s, N(s));
    close_vocab(l);
}

static void phi3_special_tokens_strip_following_whitespace(void **state) {
    (void)state;
    loaded l = open_vocab("phi-3");
    static const int32_t chat[] = {32010, 7251, 29871, 32007, 3431, 2, 503};
    expect_ids(l.v, "<|user|>\nhi <|end|>\n ok</s> z", 0, 1, chat, N(chat));
    expect_decode(l.v, chat, N(chat), 1, "<|user|> hi <|end|> ok</s> z");
    static const int32_t s[] = {1, 29871, 263, 2, 289};
    expect_ids(l.v, "<s> a</s>b", 0, 1, s, N(s));
    expect_decode(l.v, s, N(s), 1, "<s>  a</s> b");
    close_vocab(l);
}

static void llama_spm_splits_unknown_markers_into_pieces(void **state) {
    (void)state;
    loaded l = open_vocab("llama-spm");
    static const int32_t ids[] = {529, 29989, 1792, 29989, 29958, 13, 2918, 529, 29989,
                                  355, 29989, 29958, 13, 3431, 2, 29871, 503};
    expect_ids(l.v, "<|user|>\nhi <|end|>\n ok</s> z", 0, 1, ids, N(ids));
    expect_decode(l.v, ids, N(ids), 1, "<|user|>\nhi <|end|>\n ok</s>  z");
    close_vocab(l);
}

/* add_special follows tokenizer.ggml.add_bos_token / add_eos_token, else llama.cpp's defaults:
 * SPM adds BOS; BPE adds BOS only for llama3-like pre-tokenizers. */
static void add_special_follows_keys_and_llama_cpp_defaults(void **state) {
    (void)state;
    static const struct {
        const char *vocab;
        int32_t bos;
        int add_bos;
    } cases[] = {{"llama-spm", 1, 1}, {"phi-3", 1, 1}, {"llama-bpe", 128000, 1}, {"qwen2", 151643, 0}, {"gpt-2", 50256, 0}};
    for (size_t i = 0; i < N(cases); i++) {
        loaded l = open_vocab(cases[i].vocab);
        assert_int_equal(tok_bos(l.v), cases[i].bos);
        assert_int_equal(tok_add_bos(l.v), cases[i].add_bos);
        assert_int_equal(tok_add_eos(l.v), 0);
        int32_t *a, *b;
        size_t na, nb;
        hf_err err = {0};
        assert_int_equal(tok_encode(l.v, "Hello world", 11, 1, 0, &a, &na, &err), HF_OK);
        assert_int_equal(tok_encode(l.v, "Hello world", 11, 0, 0, &b, &nb, &err), HF_OK);
        assert_int_equal(na, nb + (size_t)cases[i].add_bos);
        if (cases[i].add_bos) assert_int_equal(a[0], cases[i].bos);
        assert_memory_equal(a + cases[i].add_bos, b, nb * sizeof(int32_t));
        free(a);
        free(b);
        close_vocab(l);
    }
}

static void end_of_generation_includes_eos_and_turn_markers(void **state) {
    (void)state;
    loaded l = open_vocab("llama-bpe");
    assert_int_equal(tok_eos(l.v), 128001);
    assert_true(tok_is_eog(l.v, 128001)); /* <|end_of_text|> */
    assert_true(tok_is_eog(l.v, 128009)); /* <|eot_id|> */
    assert_false(tok_is_eog(l.v, 128000));
    assert_false(tok_is_eog(l.v, 13347));
    assert_false(tok_is_eog(l.v, -1));
    assert_false(tok_is_eog(l.v, tok_n_vocab(l.v)));
    close_vocab(l);
    l = open_vocab("qwen2");
    assert_true(tok_is_eog(l.v, 151643)); /* <|endoftext|> */
    assert_true(tok_is_eog(l.v, 151645)); /* <|im_end|> */
    assert_false(tok_is_eog(l.v, 151644));
    close_vocab(l);
}

static void pieces_decode_spaces_and_bytes(void **state) {
    (void)state;
    loaded l = open_vocab("llama-spm");
    char buf[16];
    /* <0x0A> is a byte token; ▁Hello a normal piece; <s> control */
    int32_t nl = tok_find(l.v, "<0x0A>", 6), hello = tok_find(l.v, "\xe2\x96\x81Hello", 8);
    assert_int_equal(tok_piece(l.v, nl, buf, sizeof buf), 1);
    assert_int_equal(buf[0], '\n');
    assert_int_equal(tok_piece(l.v, hello, buf, sizeof buf), 6);
    assert_memory_equal(buf, " Hello", 6);
    assert_int_equal(tok_piece(l.v, 1, buf, sizeof buf), 3);
    assert_memory_equal(buf, "<s>", 3);
    assert_int_equal(tok_piece_ex(l.v, 1, 0, buf, sizeof buf), 0);
    /* needed length is returned even when the buffer is short */
    assert_int_equal(tok_piece(l.v, hello, buf, 2), 6);
    assert_int_equal(tok_piece(l.v, -5, buf, sizeof buf), 0);
    close_vocab(l);
    l = open_vocab("gpt-2");
    int32_t g_hello = tok_find(l.v, "\xc4\xa0Hello", 7); /* ĠHello */
    assert_int_equal(tok_piece(l.v, g_hello, buf, sizeof buf), 6);
    assert_memory_equal(buf, " Hello", 6);
    close_vocab(l);
}

/* Invalid UTF-8 never fails: SPM falls back to byte tokens, BPE re-encodes as U+FFFD. */
static void invalid_utf8_is_tokenized_not_rejected(void **state) {
    (void)state;
    static const char *const vocabs[] = {"llama-spm", "llama-bpe", "qwen2"};
    static const char bad[] = "a\xff\xc3 b\xe2\x82";
    for (size_t i = 0; i < N(vocabs); i++) {
        loaded l = open_vocab(vocabs[i]);
        int32_t *ids;
        size_t n;
        hf_err err = {0};
        assert_int_equal(tok_encode(l.v, bad, sizeof bad - 1, 0, 0, &ids, &n, &err), HF_OK);
        assert_true(n > 0);
        for (size_t k = 0; k < n; k++) assert_true(ids[k] >= 0 && ids[k] < tok_n_vocab(l.v));
        free(ids);
        assert_int_equal(tok_encode(l.v, "", 0, 0, 0, &ids, &n, &err), HF_OK);
        assert_int_equal(n, 0);
        free(ids);
        close_vocab(l);
    }
}

/* Code points Unicode 15.1 added to \p{L} / \p{N} (PCRE2 10.42 predates them): llama.cpp
 * classes U+1123F as a letter (so "'s" stays a contraction) and U+11F50 as a digit (so
 * llama3 groups three digits). */
static void unicode_15_letters_and_digits_split_like_llama_cpp(void **state) {
    (void)state;
    static const struct {
        const char *vocab, *text;
        int32_t ids[8];
        size_t n;
    } cases[] = {
        {"llama-bpe", "\xf0\x91\x88\xbf's", {172, 239, 230, 123, 596}, 5},
        {"llama-bpe", "\xf0\x91\xbd\x90" "123", {172, 239, 121, 238, 717, 18}, 6},
        {"qwen2", "\xf0\xab\x9c\xb9's", {99181, 250, 117, 594}, 4},
        {"gpt-2", "\xf0\x91\x88\xbf's", {172, 239, 230, 123, 338}, 5},
        {"starcoder", "\xf0\x91\x88\xbf's", {208, 263, 254, 161, 1200}, 5},
    };
    for (size_t i = 0; i < N(cases); i++) {
        loaded l = open_vocab(cases[i].vocab);
        expect_ids(l.v, cases[i].text, 0, 0, cases[i].ids, cases[i].n);
        close_vocab(l);
    }
}

/* One loaded vocab, several threads encoding at once: same ids as a single thread. */
typedef struct encode_job {
    const tok_vocab *v;
    const char *text;
    int32_t *ids;
    size_t n;
    hf_status st;
} encode_job;

static void *encode_many(void *arg) {
    encode_job *j = arg;
    for (int rep = 0; rep < 20; rep++) {
        free(j->ids);
        hf_err err = {0};
        j->st = tok_encode(j->v, j->text, strlen(j->text), 1, 1, &j->ids, &j->n, &err);
        if (j->st != HF_OK) break;
    }
    return NULL;
}

static void concurrent_encodes_share_one_vocab(void **state) {
    (void)state;
    static const char text[] = "<|im_start|>user\nHello, y'all! 3333 \xf0\x9f\x98\x81 ?\n\n  x<|im_end|>";
    static const char *const vocabs[] = {"qwen2", "llama-spm"};
    for (size_t k = 0; k < N(vocabs); k++) {
        loaded l = open_vocab(vocabs[k]);
        encode_job ref = {l.v, text, NULL, 0, HF_OK};
        encode_many(&ref);
        assert_int_equal(ref.st, HF_OK);
        encode_job jobs[3];
        pthread_t th[3];
        for (int t = 0; t < 3; t++) {
            jobs[t] = (encode_job){l.v, text, NULL, 0, HF_OK};
            assert_int_equal(pthread_create(&th[t], NULL, encode_many, &jobs[t]), 0);
        }
        for (int t = 0; t < 3; t++) {
            pthread_join(th[t], NULL);
            assert_int_equal(jobs[t].st, HF_OK);
            assert_int_equal(jobs[t].n, ref.n);
            assert_memory_equal(jobs[t].ids, ref.ids, ref.n * sizeof(int32_t));
            free(jobs[t].ids);
        }
        free(ref.ids);
        close_vocab(l);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(llama3_parses_control_tokens_only_when_asked),
        cmocka_unit_test(qwen2_matches_chat_markers_and_user_tokens),
        cmocka_unit_test(phi3_special_tokens_strip_following_whitespace),
        cmocka_unit_test(llama_spm_splits_unknown_markers_into_pieces),
        cmocka_unit_test(add_special_follows_keys_and_llama_cpp_defaults),
        cmocka_unit_test(end_of_generation_includes_eos_and_turn_markers),
        cmocka_unit_test(pieces_decode_spaces_and_bytes),
        cmocka_unit_test(invalid_utf8_is_tokenized_not_rejected),
        cmocka_unit_test(unicode_15_letters_and_digits_split_like_llama_cpp),
        cmocka_unit_test(concurrent_encodes_share_one_vocab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
