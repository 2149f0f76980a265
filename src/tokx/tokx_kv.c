/* tokx_kv: the arena and the staged KV list of the tokenizer export (see tokx_internal.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokx/tokx_internal.h"

/* ==== Arena ==== */

struct tokx_arena_blk {
    tokx_arena_blk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

#define TOKX_ARENA_BLOCK ((size_t)1 << 20)

char *tokx_arena_alloc(tokx_arena *a, size_t n) {
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n) return NULL;
    tokx_arena_blk *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > TOKX_ARENA_BLOCK ? need : TOKX_ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    char *p = (char *)b->data + b->used;
    b->used += need;
    return p;
}

char *tokx_arena_dup(tokx_arena *a, const char *s, size_t n) {
    if (n == SIZE_MAX) return NULL;
    char *p = tokx_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void tokx_arena_free(tokx_arena *a) {
    tokx_arena_blk *b = a->head;
    while (b) {
        tokx_arena_blk *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ==== Staged KV list ==== */

static tokx_kv *kvs_slot(tokx_kvs *k, const char *key, hf_err *err) {
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->items[i].key, key)) {
            /* GGUFWriter's dict: a repeated key keeps its position, takes the new value. */
            memset(&k->items[i], 0, sizeof(k->items[i]));
            k->items[i].key = key;
            return &k->items[i];
        }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        tokx_kv *items = realloc(k->items, cap * sizeof(*items));
        if (!items) {
            hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory staging key '%s'", key);
            return NULL;
        }
        k->items = items;
        k->cap = cap;
    }
    tokx_kv *kv = &k->items[k->n++];
    memset(kv, 0, sizeof(*kv));
    kv->key = key;
    return kv;
}

hf_status tokx_kvs_set_u32(tokx_kvs *k, const char *key, uint32_t v, hf_err *err) {
    tokx_kv *kv = kvs_slot(k, key, err);
    if (!kv) return HF_ERR_NOMEM;
    kv->type = GGUF_T_UINT32;
    kv->u32 = v;
    return HF_OK;
}

hf_status tokx_kvs_set_bool(tokx_kvs *k, const char *key, int v, hf_err *err) {
    tokx_kv *kv = kvs_slot(k, key, err);
    if (!kv) return HF_ERR_NOMEM;
    kv->type = GGUF_T_BOOL;
    kv->u32 = v ? 1 : 0;
    return HF_OK;
}

hf_status tokx_kvs_set_str(tokx_kvs *k, const char *key, const char *s, uint64_t len, hf_err *err) {
    tokx_kv *kv = kvs_slot(k, key, err);
    if (!kv) return HF_ERR_NOMEM;
    kv->type = GGUF_T_STRING;
    kv->str = s;
    kv->str_len = len;
    return HF_OK;
}

/* GGUFWriter.add_array returns without writing anything for an empty list. */
hf_status tokx_kvs_set_arr(tokx_kvs *k, const char *key, gguf_vtype elem, const void *data, uint64_t n,
                           hf_err *err) {
    if (n == 0) return HF_OK;
    tokx_kv *kv = kvs_slot(k, key, err);
    if (!kv) return HF_ERR_NOMEM;
    kv->type = GGUF_T_ARRAY;
    kv->elem = elem;
    kv->arr = data;
    kv->n = n;
    return HF_OK;
}

hf_status tokx_kvs_set_strs(tokx_kvs *k, const char *key, const char *const *strs, const uint64_t *lens,
                            uint64_t n, hf_err *err) {
    if (n == 0) return HF_OK;
    tokx_kv *kv = kvs_slot(k, key, err);
    if (!kv) return HF_ERR_NOMEM;
    kv->type = GGUF_T_ARRAY;
    kv->elem = GGUF_T_STRING;
    kv->strs = strs;
    kv->lens = lens;
    kv->n = n;
    return HF_OK;
}

const tokx_kv *tokx_kvs_find(const tokx_kvs *k, const char *key) {
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->items[i].key, key)) return &k->items[i];
    return NULL;
}

void tokx_kvs_remove(tokx_kvs *k, const char *key) {
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->items[i].key, key)) {
            memmove(&k->items[i], &k->items[i + 1], (k->n - i - 1) * sizeof(k->items[0]));
            k->n--;
            return;
        }
}

static hf_status kv_flush_one(const tokx_kv *kv, gguf_writer *w, hf_err *err) {
    switch (kv->type) {
    case GGUF_T_UINT32: return gguf_w_add_u32(w, kv->key, kv->u32, err);
    /* An arch writer may have set it already (phi2's add_bos_token): gguf-py keeps its place. */
    case GGUF_T_BOOL: return gguf_w_set_bool(w, kv->key, (int)kv->u32, err);
    case GGUF_T_STRING: return gguf_w_add_str_n(w, kv->key, kv->str, kv->str_len, err);
    case GGUF_T_ARRAY:
        if (kv->elem == GGUF_T_STRING) return gguf_w_add_arr_str(w, kv->key, kv->strs, kv->lens, kv->n, err);
        return gguf_w_add_arr(w, kv->key, kv->elem, kv->arr, kv->n, err);
    default: return hf_fail(err, HF_ERR_ARG, "tokenizer export: key '%s' has an unstageable type", kv->key);
    }
}

hf_status tokx_kvs_flush(const tokx_kvs *k, gguf_writer *w, hf_err *err) {
    for (size_t i = 0; i < k->n; i++) {
        hf_status st = kv_flush_one(&k->items[i], w, err);
        if (st != HF_OK) return st;
    }
    return HF_OK;
}

void tokx_kvs_free(tokx_kvs *k) {
    free(k->items);
    k->items = NULL;
    k->n = k->cap = 0;
}

/* ==== Paths ==== */

const char *tokx_path(tokx_ctx *c, const char *name) {
    size_t a = strlen(c->dir), b = strlen(name);
    char *p = tokx_arena_alloc(&c->arena, a + b + 2);
    if (!p) return NULL;
    memcpy(p, c->dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

int tokx_is_file(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
