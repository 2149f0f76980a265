/* tok_encode: the public encode/decode entry points, as llama.cpp's llama_vocab::impl::tokenize,
 * token_to_piece and detokenize.
 *
 * Encoding first partitions the text around special tokens written in it (longest first;
 * USER_DEFINED always, CONTROL/UNKNOWN only with parse_special; LSTRIP/RSTRIP eat adjacent
 * ASCII whitespace), then runs the model's session on each raw fragment. SPM prefixes a space
 * to a fragment at the start or after a special token (add_space_prefix) and escapes spaces to
 * U+2581 before merging. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_int.h"

typedef struct frag {
    int32_t token; /* TOK_NULL for raw text */
    size_t off, len;
} frag;

typedef struct frag_list {
    frag *v;
    size_t n, cap;
} frag_list;

static int frag_push(frag_list *l, int32_t token, size_t off, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        frag *v = realloc(l->v, cap * sizeof(frag));
        if (!v) return 0;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (frag){token, off, len};
    return 1;
}

static int ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Splits one raw fragment around every occurrence of token id (llama.cpp
 * tokenizer_st_partition's inner loop). */
static int split_fragment(const tok_vocab *v, const char *text, frag f, int32_t id, frag_list *out) {
    const char *tt = tok__text(v, id);
    size_t tl = v->len[id];
    uint32_t attr = v->attr[id];
    size_t off = f.off, len = f.len;
    for (;;) {
        const char *hit = len >= tl ? memmem(text + off, len, tt, tl) : NULL;
        if (!hit) return len == 0 || frag_push(out, TOK_NULL, off, len);
        size_t match = (size_t)(hit - text);
        size_t left = match - off;
        if (attr & TOK_ATTR_LSTRIP)
            while (left > 0 && ascii_space(text[off + left - 1])) left--;
        if (left > 0 && !frag_push(out, TOK_NULL, off, left)) return 0;
        if (!frag_push(out, id, 0, 0)) return 0;
        size_t right_off = match + tl, right_len = off + len - right_off;
        if (attr & TOK_ATTR_RSTRIP)
            while (right_len > 0 && ascii_space(text[right_off])) right_off++, right_len--;
        off = right_off;
        len = right_len;
    }
}

static hf_status partition(const tok_vocab *v, const char *text, size_t len, int parse_special, frag_list *list,
                           hf_err *err) {
    if (len > 0 && !frag_push(list, TOK_NULL, 0, len)) goto oom;
    for (size_t s = 0; s < v->n_special; s++) {
        int32_t id = v->special[s];
        if (!parse_special && (v->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN))) continue;
        frag_list next = {0};
        for (size_t i = 0; i < list->n; i++) {
            int ok = list->v[i].token != TOK_NULL ? frag_push(&next, list->v[i].token, 0, 0)
                                                  : split_fragment(v, text, list->v[i], id, &next);
            if (!ok) {
                free(next.v);
                goto oom;
            }
        }
        free(list->v);
        *list = next;
    }
    return HF_OK;
oom:
    return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory partitioning %zu bytes", len);
}

/* SPM: optional leading space, then every ' ' becomes U+2581. */
static hf_status spm_fragment(const tok_vocab *v, const char *text, size_t len, int prefix_space, tok_ids *out,
                              hf_err *err) {
    char *buf = malloc(3 * (len + 1));
    if (!buf) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < len + (size_t)prefix_space; i++) {
        char c = prefix_space ? (i == 0 ? ' ' : text[i - 1]) : text[i];
        if (c == ' ') {
            memcpy(buf + n, "\xe2\x96\x81", 3);
            n += 3;
        } else {
            buf[n++] = c;
        }
    }
    hf_status st = tok_spm_encode(v, buf, n, out, err);
    free(buf);
    return st;
}

static hf_status encode_fragments(const tok_vocab *v, const char *text, const frag_list *list, tok_ids *out,
                                  hf_err *err) {
    int prev_special = 1; /* SPM: the first fragment gets the space prefix */
    for (size_t i = 0; i < list->n; i++) {
        const frag *f = &list->v[i];
        if (f->token != TOK_NULL) {
            tok_ids_push(out, f->token);
            prev_special = 1;
            continue;
        }
        hf_status st = v->model == TOK_MODEL_SPM
                           ? spm_fragment(v, text + f->off, f->len, v->add_space_prefix && prev_special, out, err)
                           : tok_bpe_encode(v, text + f->off, f->len, out, err);
        if (st != HF_OK) return st;
        prev_special = 0;
    }
    return HF_OK;
}

hf_status tok_encode(const tok_vocab *v, const char *text, size_t len, int add_special, int parse_special,
                     int32_t **ids, size_t *n_ids, hf_err *err) {
    *ids = NULL;
    *n_ids = 0;
    if (!text && len) return hf_fail(err, HF_ERR_ARG, "tok_encode: NULL text with length %zu", len);
    /* working buffers take up to 8 bytes per input byte (escaped, re-encoded text) */
    if (len > SIZE_MAX / 16) return hf_fail(err, HF_ERR_RANGE, "tok_encode: text of %zu bytes is too long", len);
    tok_ids out = {0};
    frag_list list = {0};
    hf_status st = partition(v, text, len, parse_special, &list, err);
    if (st == HF_OK && add_special && v->add_bos) tok_ids_push(&out, v->bos);
    if (st == HF_OK) st = encode_fragments(v, text, &list, &out, err);
    if (st == HF_OK && add_special && v->add_eos) tok_ids_push(&out, v->eos);
    free(list.v);
    if (st == HF_OK && out.oom) st = hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory for the token ids");
    if (st != HF_OK) {
        free(out.v);
        return st;
    }
    *ids = out.v;
    *n_ids = out.n;
    return HF_OK;
}

/* ==== Pieces ==== */

/* Output that counts every byte but stores only what fits (callers learn the needed size). */
typedef struct sink {
    char *buf;
    size_t cap, n;
} sink;

static void put(sink *o, const char *src, size_t k) {
    if (o->buf && o->n < o->cap) memcpy(o->buf + o->n, src, k < o->cap - o->n ? k : o->cap - o->n);
    o->n += k;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "<0xXX>" -> the byte (llama.cpp parses text[3..4] as hex). */
static void byte_piece(sink *o, const char *t, size_t len) {
    int hi = len >= 5 ? hex_digit(t[3]) : -1, lo = len >= 5 ? hex_digit(t[4]) : -1;
    char b = (char)(hi < 0 ? 0 : lo < 0 ? hi : hi * 16 + lo);
    put(o, &b, 1);
}

/* SPM normal token: U+2581 -> ' '. */
static void unescape_piece(sink *o, const char *t, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (i + 2 < len && memcmp(t + i, "\xe2\x96\x81", 3) == 0) {
            put(o, " ", 1);
            i += 2;
        } else {
            put(o, t + i, 1);
        }
    }
}

/* BPE normal token: each character of the GPT-2 alphabet back to its byte; other characters
 * become "[UNK_BYTE_0x<hex>" + token text + "]" as in llama.cpp's llama_decode_text. */
static void bpe_text_piece(sink *o, const char *t, size_t len) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len;) {
        size_t cl = tok_utf8_len((uint8_t)t[i]);
        if (cl > len - i) cl = len - i;
        int b = tok_unicode_to_byte(t + i, cl);
        if (b >= 0) {
            char c = (char)b;
            put(o, &c, 1);
        } else {
            put(o, "[UNK_BYTE_0x", 12);
            for (size_t j = 0; j < cl; j++) {
                char h[2] = {hex[(uint8_t)t[i + j] >> 4], hex[(uint8_t)t[i + j] & 15]};
                put(o, h, 2);
            }
            put(o, t, len);
            put(o, "]", 1);
        }
        i += cl;
    }
}

size_t tok_piece_ex(const tok_vocab *v, int32_t id, int special, char *buf, size_t cap) {
    if (id < 0 || id >= v->n) return 0;
    uint32_t attr = v->attr[id];
    const uint32_t special_attr = TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL;
    if (!special && (attr & special_attr)) return 0;
    const char *t = tok__text(v, id);
    size_t len = v->len[id];
    sink o = {buf, cap, 0};
    if (attr & (special_attr | TOK_ATTR_USER_DEFINED))
        put(&o, t, len);
    else if ((attr & TOK_ATTR_NORMAL) && v->model == TOK_MODEL_SPM)
        unescape_piece(&o, t, len);
    else if (attr & TOK_ATTR_NORMAL)
        bpe_text_piece(&o, t, len);
    else if (attr & TOK_ATTR_BYTE)
        byte_piece(&o, t, len);
    return o.n; /* UNUSED/undefined tokens render as nothing */
}

size_t tok_piece(const tok_vocab *v, int32_t id, char *buf, size_t cap) { return tok_piece_ex(v, id, 1, buf, cap); }

/* ==== Detokenize ==== */

/* llama.cpp's clean_up_tokenization_spaces passes over the joined text (in place). */
static size_t clean_spaces(char *t, size_t total) {
    size_t n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " ?", " !", " .", " ," */
        char x = t[i];
        if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) n--;
        t[n++] = x;
    }
    total = n;
    n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " ' " -> "'" */
        char x = t[i];
        if (x == '\'' && i + 1 < total && t[i - 1] == ' ' && t[i + 1] == ' ') {
            n--;
            t[++i] = '\0';
        }
        t[n++] = x;
    }
    total = n;
    n = total ? 1 : 0;
    for (size_t i = 1; i < total; i++) { /* " 's", " 'm", " 're", " 've" */
        char x = t[i];
        if (t[i - 1] == ' ' && x == '\'' && i + 1 < total) {
            char x1 = t[i + 1];
            if (x1 == 's' || x1 == 'm') n--;
            else if (i + 2 < total && ((x1 == 'r' && t[i + 2] == 'e') || (x1 == 'v' && t[i + 2] == 'e'))) n--;
        }
        t[n++] = x;
    }
    return n;
}

size_t tok_decode(const tok_vocab *v, const int32_t *ids, size_t n, int remove_special, int unparse_special,
                  char *buf, size_t cap) {
    int remove_space = v->add_space_prefix;
    if (remove_special && v->add_bos && n > 0 && ids[0] == v->bos) {
        remove_space = 0;
        ids++;
        n--;
    }
    if (remove_special && v->add_eos && n > 0 && ids[n - 1] == v->eos) n--;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += tok_piece_ex(v, ids[i], unparse_special, NULL, 0);
    char *tmp = malloc(total + 1);
    if (!tmp) return 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = tok_piece_ex(v, ids[i], unparse_special, tmp + at, total - at);
        if (i == 0 && remove_space && k > 0 && tmp[at] == ' ') { /* first piece only: drop one space */
            memmove(tmp + at, tmp + at + 1, k - 1);
            k--;
        }
        at += k;
    }
    if (v->clean_spaces) at = clean_spaces(tmp, at);
    sink o = {buf, cap, 0};
    put(&o, tmp, at);
    free(tmp);
    return at;
}
