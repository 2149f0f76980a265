/* tok_bpe: byte-level BPE as llama.cpp's llm_tokenizer_bpe_session.
 *
 * The pre-tokenizer splits the text into byte-level-encoded words. In each word, one symbol
 * per UTF-8 character; adjacent pairs with a merge rule go into a min-heap by rank (ties:
 * leftmost first); popping merges the pair if both halves are unchanged. With ignore_merges
 * (llama3) a word that is itself a token is taken whole. Each final symbol is looked up;
 * one that is not a token falls back to its single bytes (those that are tokens). */
#include <stdlib.h>

#include "tokenizer/tok_int.h"

typedef struct bpe_word {
    const tok_vocab *v;
    tok_sym *syms;
    size_t n_syms;
    tok_heap queue;
    int oom;
} bpe_word;

static void add_bigram(bpe_word *w, int left, int right) {
    if (left < 0 || right < 0) return;
    const tok_sym *l = &w->syms[left], *r = &w->syms[right];
    int64_t rank = tok__merge_rank(w->v, l->text, l->n, r->text, r->n);
    if (rank < 0) return;
    tok_bigram b = {left, right, -(double)rank, l->n + r->n};
    if (!tok_heap_push(&w->queue, &b)) w->oom = 1;
}

static void split_word(bpe_word *w, const char *word, size_t len) {
    if (w->v->ignore_merges && tok__find(w->v, word, len) != TOK_NULL) {
        w->syms[0] = (tok_sym){-1, -1, word, len};
        w->n_syms = 1;
        return;
    }
    w->n_syms = tok_syms_split(w->syms, word, len);
}

static void merge_by_rank(bpe_word *w) {
    for (size_t i = 1; i < w->n_syms; i++) add_bigram(w, (int)i - 1, (int)i);
    tok_bigram b;
    while (!w->oom && tok_heap_pop(&w->queue, &b)) {
        tok_sym *l = &w->syms[b.left], *r = &w->syms[b.right];
        /* Both halves alive and adjacent means l->text..+size is the queued text again. */
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;
        tok_syms_merge(w->syms, b.left, b.right);
        add_bigram(w, l->prev, b.left);
        add_bigram(w, b.left, l->next);
    }
}

static void emit_symbols(const bpe_word *w, tok_ids *out) {
    for (size_t i = 0; i < w->n_syms; i++) {
        const tok_sym *y = &w->syms[i];
        if (y->n == 0) continue;
        int32_t id = tok__find(w->v, y->text, y->n);
        if (id != TOK_NULL) {
            tok_ids_push(out, id);
            continue;
        }
        for (size_t j = 0; j < y->n; j++) { /* llama.cpp: single raw bytes that happen to be tokens */
            int32_t b = tok__find(w->v, y->text + j, 1);
            if (b != TOK_NULL) tok_ids_push(out, b);
        }
    }
}

hf_status tok_bpe_encode(const tok_vocab *v, const char *text, size_t len, tok_ids *out, hf_err *err) {
    char *words;
    size_t *word_len, n_words;
    hf_status st = tok_pre_split(v->pre, text, len, &words, &word_len, &n_words, err);
    if (st != HF_OK) return st;
    size_t longest = 1;
    for (size_t i = 0; i < n_words; i++)
        if (word_len[i] > longest) longest = word_len[i];
    bpe_word w = {.v = v, .syms = malloc(longest * sizeof(tok_sym))};
    if (!w.syms) st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    const char *word = words;
    for (size_t i = 0; i < n_words && st == HF_OK; word += word_len[i], i++) {
        w.queue.n = 0;
        split_word(&w, word, word_len[i]);
        merge_by_rank(&w);
        if (w.oom) st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory while merging");
        emit_symbols(&w, out);
    }
    tok_heap_free(&w.queue);
    free(w.syms);
    free(words);
    free(word_len);
    return st;
}
