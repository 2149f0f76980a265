/* tok_map: the small data structures behind the tokenizers — an open-addressing hash map
 * from byte strings to int64, a binary heap, a growable id list — and llama.cpp's lenient
 * UTF-8 handling. Loading a 128k-token, 280k-merge vocab is two linear passes over these. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_int.h"

/* ==== Hash map ==== */

/* FNV-1a over the bytes (tokens are short), then murmur3's finalizer: FNV's low bits alone,
 * which pick the slot, cluster badly with linear probing on keys sharing long prefixes. */
static uint32_t hash_bytes(const void *key, size_t len) {
    const uint8_t *p = key;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

hf_status tok_map_init(tok_map *m, uint64_t expected, hf_err *err) {
    uint64_t cap = 16;
    while (cap < expected * 2 + 16) cap <<= 1;
    m->slots = calloc(cap, sizeof(tok_map_slot));
    if (!m->slots) return hf_fail(err, HF_ERR_NOMEM, "tokenizer: out of memory for a %llu-entry hash map",
                                  (unsigned long long)expected);
    m->cap = cap;
    m->n = 0;
    return HF_OK;
}

void tok_map_free(tok_map *m) {
    free(m->slots);
    m->slots = NULL;
    m->cap = m->n = 0;
}

static tok_map_slot *find_slot(const tok_map *m, const void *key, size_t len, uint32_t h) {
    uint64_t mask = m->cap - 1;
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        tok_map_slot *s = &m->slots[i];
        if (!s->key) return s;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) return s;
    }
}

static hf_status grow(tok_map *m, hf_err *err) {
    tok_map bigger;
    hf_status st = tok_map_init(&bigger, m->cap, err); /* doubles: cap >= 2*old cap */
    if (st != HF_OK) return st;
    for (uint64_t i = 0; i < m->cap; i++) {
        tok_map_slot *s = &m->slots[i];
        if (!s->key) continue;
        *find_slot(&bigger, s->key, s->len, s->hash) = *s;
    }
    bigger.n = m->n;
    free(m->slots);
    *m = bigger;
    return HF_OK;
}

hf_status tok_map_put(tok_map *m, const void *key, size_t len, int64_t val, int overwrite, hf_err *err) {
    if (len > UINT32_MAX) return hf_fail(err, HF_ERR_FORMAT, "tokenizer: a token of %zu bytes is too long", len);
    if ((m->n + 1) * 2 > m->cap) {
        hf_status st = grow(m, err);
        if (st != HF_OK) return st;
    }
    uint32_t h = hash_bytes(key, len);
    tok_map_slot *s = find_slot(m, key, len, h);
    if (s->key) {
        if (overwrite) s->val = val;
        return HF_OK;
    }
    /* An empty key still needs a non-NULL pointer to mark the slot used. */
    s->key = len ? key : (const uint8_t *)"";
    s->len = (uint32_t)len;
    s->hash = h;
    s->val = val;
    m->n++;
    return HF_OK;
}

int tok_map_get(const tok_map *m, const void *key, size_t len, int64_t *val) {
    if (!m->cap || len > UINT32_MAX) return 0;
    const tok_map_slot *s = find_slot(m, key, len, hash_bytes(key, len));
    if (!s->key) return 0;
    *val = s->val;
    return 1;
}

/* ==== Heap ==== */

static int pops_before(const tok_bigram *a, const tok_bigram *b) {
    return a->prio > b->prio || (a->prio == b->prio && a->left < b->left);
}

void tok_heap_free(tok_heap *h) {
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

int tok_heap_push(tok_heap *h, const tok_bigram *b) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        tok_bigram *v = realloc(h->v, cap * sizeof *v);
        if (!v) return 0;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) { /* sift up: move parents down until b's place is found */
        size_t parent = (i - 1) / 2;
        if (!pops_before(b, &h->v[parent])) break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = *b;
    return 1;
}

int tok_heap_pop(tok_heap *h, tok_bigram *out) {
    if (h->n == 0) return 0;
    *out = h->v[0];
    tok_bigram last = h->v[--h->n];
    size_t i = 0, n = h->n;
    for (;;) { /* sift down the former last element */
        size_t l = 2 * i + 1, best = l;
        if (l >= n) break;
        if (l + 1 < n && pops_before(&h->v[l + 1], &h->v[l])) best = l + 1;
        if (!pops_before(&h->v[best], &last)) break;
        h->v[i] = h->v[best];
        i = best;
    }
    if (n > 0) h->v[i] = last;
    return 1;
}

/* ==== Id list ==== */

void tok_ids_push(tok_ids *o, int32_t id) {
    if (o->oom) return;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        int32_t *v = realloc(o->v, cap * sizeof(int32_t));
        if (!v) {
            o->oom = 1;
            return;
        }
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = id;
}

/* ==== Symbol chains ==== */

size_t tok_syms_split(tok_sym *syms, const char *text, size_t len) {
    int index = 0;
    for (size_t off = 0; off < len;) {
        size_t n = tok_utf8_len((uint8_t)text[off]);
        if (n > len - off) n = len - off;
        tok_sym *y = &syms[index];
        y->text = text + off;
        y->n = n;
        off += n;
        y->prev = index - 1;
        y->next = off == len ? -1 : index + 1;
        index++;
    }
    return (size_t)index;
}

void tok_syms_merge(tok_sym *syms, int left, int right) {
    tok_sym *l = &syms[left], *r = &syms[right];
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0) syms[r->next].prev = left;
}

/* ==== UTF-8 ==== */

size_t tok_utf8_len(uint8_t lead) {
    static const size_t by_high_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return by_high_nibble[lead >> 4];
}

static int is_cont(uint8_t c) { return (c & 0xC0) == 0x80; }

/* One code point at *off, or -1 when the sequence is invalid (llama.cpp's checks: the lead
 * byte's class and the continuation bytes; overlong forms and surrogates pass). */
static int64_t decode_one(const uint8_t *s, size_t len, size_t *off) {
    size_t o = *off;
    uint8_t c = s[o];
    if (!(c & 0x80)) {
        *off = o + 1;
        return c;
    }
    if (!(c & 0x40)) return -1;
    if (!(c & 0x20)) {
        if (o + 1 >= len || !is_cont(s[o + 1])) return -1;
        *off = o + 2;
        return ((c & 0x1F) << 6) | (s[o + 1] & 0x3F);
    }
    if (!(c & 0x10)) {
        if (o + 2 >= len || !is_cont(s[o + 1]) || !is_cont(s[o + 2])) return -1;
        *off = o + 3;
        return ((c & 0x0F) << 12) | ((s[o + 1] & 0x3F) << 6) | (s[o + 2] & 0x3F);
    }
    if (!(c & 0x08)) {
        if (o + 3 >= len || !is_cont(s[o + 1]) || !is_cont(s[o + 2]) || !is_cont(s[o + 3])) return -1;
        *off = o + 4;
        return ((int64_t)(c & 0x07) << 18) | ((s[o + 1] & 0x3F) << 12) | ((s[o + 2] & 0x3F) << 6) |
               (s[o + 3] & 0x3F);
    }
    return -1;
}

int tok_utf8_decode(const char *text, size_t len, uint32_t **cps, size_t *n) {
    uint32_t *out = malloc((len ? len : 1) * sizeof(uint32_t));
    if (!out) return 0;
    const uint8_t *s = (const uint8_t *)text;
    size_t k = 0;
    for (size_t off = 0; off < len;) {
        int64_t cp = decode_one(s, len, &off);
        if (cp < 0) {
            cp = 0xFFFD;
            off++;
        }
        out[k++] = (uint32_t)cp;
    }
    *cps = out;
    *n = k;
    return 1;
}

size_t tok_utf8_put(uint32_t cp, char *buf) {
    uint8_t *b = (uint8_t *)buf;
    if (cp > 0x10FFFF) cp = 0xFFFD; /* llama.cpp throws here; we degrade to U+FFFD */
    if (cp <= 0x7F) {
        b[0] = (uint8_t)cp;
        return 1;
    }
    if (cp <= 0x7FF) {
        b[0] = (uint8_t)(0xC0 | (cp >> 6));
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp <= 0xFFFF) {
        b[0] = (uint8_t)(0xE0 | (cp >> 12));
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (uint8_t)(0xF0 | (cp >> 18));
    b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}
