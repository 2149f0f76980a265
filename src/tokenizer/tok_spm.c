/* tok_spm: SentencePiece-style tokenization as llama.cpp's llm_tokenizer_spm_session.
 *
 * The text (spaces already escaped to U+2581 by the caller) starts as one symbol per UTF-8
 * character. Every adjacent pair whose concatenation is a token goes into a max-heap keyed
 * by that token's score (ties: leftmost first). Popping merges the pair if both halves are
 * still intact, then offers the new neighbours. Final symbols that are not tokens are split
 * back along the merges that built them, or emitted as byte tokens <0xXX>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_int.h"

typedef struct spm_session {
    const tok_vocab *v;
    tok_sym *syms;
    size_t n_syms;
    tok_heap queue;
    tok_map rev_merge; /* merged text -> (left << 32 | right), last write wins */
    int oom;
} spm_session;

static void try_add_bigram(spm_session *s, int left, int right) {
    if (left < 0 || right < 0) return;
    const char *text = s->syms[left].text;
    size_t len = s->syms[left].n + s->syms[right].n;
    int32_t id = tok__find(s->v, text, len);
    if (id == TOK_NULL) return;
    tok_bigram b = {left, right, s->v->score[id], len};
    if (!tok_heap_push(&s->queue, &b)) s->oom = 1;
    int64_t packed = ((int64_t)left << 32) | (uint32_t)right;
    if (tok_map_put(&s->rev_merge, text, len, packed, 1, NULL) != HF_OK) s->oom = 1;
}

/* llama.cpp byte_to_token for SPM: "<0xXX>", else the raw byte as a one-char token. We fall
 * back to <unk> where llama.cpp would throw. */
static int32_t byte_token(const tok_vocab *v, uint8_t byte) {
    char hex[8];
    snprintf(hex, sizeof hex, "<0x%02X>", byte);
    int32_t id = tok__find(v, hex, 6);
    if (id == TOK_NULL) id = tok__find(v, (const char *)&byte, 1);
    if (id == TOK_NULL) id = v->unk;
    return id;
}

static hf_status emit_bytes(spm_session *s, const char *text, size_t n, tok_ids *out, hf_err *err) {
    for (size_t j = 0; j < n; j++) {
        int32_t id = byte_token(s->v, (uint8_t)text[j]);
        if (id == TOK_NULL)
            return hf_fail(err, HF_ERR_FORMAT,
                           "tokenizer: no byte token <0x%02X> and no unknown token to fall back on",
                           (uint8_t)text[j]);
        tok_ids_push(out, id);
    }
    return HF_OK;
}

/* Splits a final symbol that is not a token along the merge that produced its text
 * (llama.cpp resegment), depth first, left half first. Iterative, so long texts cannot
 * exhaust the stack. */
static hf_status resegment(spm_session *s, int root, tok_ids *out, hf_err *err) {
    size_t cap = 64, top = 0;
    int *stack = malloc(cap * sizeof(int));
    if (!stack) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    stack[top++] = root;
    hf_status st = HF_OK;
    while (top > 0 && st == HF_OK) {
        const tok_sym *y = &s->syms[stack[--top]];
        int32_t id = tok__find(s->v, y->text, y->n);
        if (id != TOK_NULL) {
            tok_ids_push(out, id);
            continue;
        }
        int64_t packed;
        int left = -1, right = -1;
        if (tok_map_get(&s->rev_merge, y->text, y->n, &packed)) {
            left = (int)(packed >> 32);
            right = (int)(uint32_t)packed;
        }
        /* The halves must be strictly shorter, or the split would never end. */
        if (left < 0 || s->syms[left].n >= y->n || s->syms[right].n >= y->n) {
            st = emit_bytes(s, y->text, y->n, out, err);
            continue;
        }
        if (top + 2 > cap) {
            int *bigger = realloc(stack, 2 * cap * sizeof(int));
            if (!bigger) {
                st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
                break;
            }
            stack = bigger;
            cap *= 2;
        }
        stack[top++] = right;
        stack[top++] = left;
    }
    free(stack);
    return st;
}

static hf_status split_into_chars(spm_session *s, const char *text, size_t len, hf_err *err) {
    s->syms = malloc((len ? len : 1) * sizeof(tok_sym));
    if (!s->syms) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory for %zu symbols", len);
    s->n_syms = tok_syms_split(s->syms, text, len);
    return HF_OK;
}

static void merge_by_score(spm_session *s) {
    for (size_t i = 1; i < s->n_syms; i++) try_add_bigram(s, (int)i - 1, (int)i);
    tok_bigram b;
    while (!s->oom && tok_heap_pop(&s->queue, &b)) {
        tok_sym *l = &s->syms[b.left], *r = &s->syms[b.right];
        /* stale entry: one side was merged away, or the pair changed since it was queued */
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;
        tok_syms_merge(s->syms, b.left, b.right);
        try_add_bigram(s, l->prev, b.left);
        try_add_bigram(s, b.left, l->next);
    }
}

hf_status tok_spm_encode(const tok_vocab *v, const char *text, size_t len, tok_ids *out, hf_err *err) {
    if (len == 0) return HF_OK;
    spm_session s = {.v = v};
    hf_status st = split_into_chars(&s, text, len, err);
    if (st == HF_OK) st = tok_map_init(&s.rev_merge, s.n_syms, err);
    if (st == HF_OK) {
        merge_by_score(&s);
        if (s.oom) st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory while merging");
    }
    for (int i = 0; st == HF_OK && i != -1; i = s.syms[i].next) st = resegment(&s, i, out, err);
    tok_map_free(&s.rev_merge);
    tok_heap_free(&s.queue);
    free(s.syms);
    return st;
}
