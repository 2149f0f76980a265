/* tokx_merges: BPE merges as llama.cpp stores them, "left right" strings.
 *
 * tokenizer.json model.merges comes in two formats: strings "a b" (kept as they are) and,
 * since transformers 4.45, pairs ["a", "b"] (which allow spaces inside pieces). Pairs are
 * joined with one space after each literal space inside a piece is encoded as U+0120 ("Ġ",
 * the byte-level alphabet's space), as gguf-py does. Without merges in tokenizer.json,
 * merges.txt is read: a first line starting with '#' is a header, blank lines are skipped,
 * lines that do not split into exactly two fields are ignored. */
#include <stdlib.h>
#include <string.h>

#include "base/fmap.h"
#include "json/json.h"
#include "tokx/tokx_internal.h"

typedef struct merge_list {
    const char **s;
    uint64_t *len;
    uint64_t n;
} merge_list;

static hf_status list_alloc(tokx_ctx *c, merge_list *m, uint64_t n, hf_err *err) {
    m->n = 0;
    m->s = (const char **)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*m->s) + 1);
    m->len = (uint64_t *)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*m->len) + 1);
    return m->s && m->len ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %llu merges", c->dir,
                                            (unsigned long long)n);
}

/* Bytes a piece takes once its spaces are written as U+0120 (2 bytes each). */
static size_t spaced_len(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += *s == ' ' ? 2 : 1;
    return n;
}

static char *put_spaced(char *o, const char *s) {
    for (; *s; s++) {
        if (*s == ' ') {
            *o++ = (char)0xc4;
            *o++ = (char)0xa0;
        } else {
            *o++ = *s;
        }
    }
    return o;
}

static hf_status merges_from_json(tokx_ctx *c, const cJSON *merges, merge_list *m, hf_err *err) {
    int pairs = cJSON_IsArray(merges->child);
    uint64_t i = 0;
    hf_status st = list_alloc(c, m, (uint64_t)cJSON_GetArraySize(merges), err);
    for (const cJSON *it = merges->child; it && st == HF_OK; it = it->next, i++) {
        if (!pairs && cJSON_IsString(it)) {
            m->s[i] = it->valuestring; /* lives as long as tokenizer.json */
            m->len[i] = strlen(it->valuestring);
            continue;
        }
        const cJSON *a = cJSON_GetArrayItem(it, 0), *b = cJSON_GetArrayItem(it, 1);
        if (!pairs || cJSON_GetArraySize(it) != 2 || !cJSON_IsString(a) || !cJSON_IsString(b))
            return hf_fail(err, HF_ERR_FORMAT,
                           "%s: model.merges[%llu]: expected %s like merges[0], found %s", c->tok_json_path,
                           (unsigned long long)i, pairs ? "a pair of strings" : "a string", json_type_name(it));
        size_t len = spaced_len(a->valuestring) + 1 + spaced_len(b->valuestring);
        char *o = tokx_arena_alloc(&c->arena, len + 1);
        if (!o) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->tok_json_path);
        char *e = put_spaced(o, a->valuestring);
        *e++ = ' ';
        e = put_spaced(e, b->valuestring);
        *e = '\0';
        m->s[i] = o;
        m->len[i] = len;
    }
    m->n = i;
    return st;
}

static int is_ws(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Splits line[0..n) on whitespace into at most 3 fields; returns the field count. */
static int split_fields(const char *line, size_t n, const char **f, size_t *flen) {
    int k = 0;
    size_t i = 0;
    while (i < n && k < 3) {
        while (i < n && is_ws(line[i])) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && !is_ws(line[i])) i++;
        f[k] = line + start;
        flen[k++] = i - start;
    }
    return k;
}

static hf_status merges_from_txt(tokx_ctx *c, const char *path, merge_list *m, hf_err *err) {
    char *buf = NULL;
    size_t len = 0;
    hf_status st = hf_read_file(path, &buf, &len, err);
    if (st != HF_OK) return st;
    uint64_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    if ((st = list_alloc(c, m, lines, err)) != HF_OK) {
        free(buf);
        return st;
    }
    size_t pos = 0;
    int first = 1;
    while (pos < len && st == HF_OK) {
        size_t end = pos;
        while (end < len && buf[end] != '\n') end++;
        const char *f[3];
        size_t fl[3];
        int k = split_fields(buf + pos, end - pos, f, fl);
        int header = first && k > 0 && f[0][0] == '#';
        first = 0;
        if (!header && k == 2) {
            char *o = tokx_arena_alloc(&c->arena, fl[0] + fl[1] + 2);
            if (!o) st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
            else {
                memcpy(o, f[0], fl[0]);
                o[fl[0]] = ' ';
                memcpy(o + fl[0] + 1, f[1], fl[1]);
                o[fl[0] + fl[1] + 1] = '\0';
                m->s[m->n] = o;
                m->len[m->n++] = fl[0] + fl[1] + 1;
            }
        }
        pos = end + 1;
    }
    free(buf);
    return st;
}

hf_status tokx_load_merges(tokx_ctx *c, const char ***merges, uint64_t **lens, uint64_t *n, hf_err *err) {
    hf_status st = HF_OK;
    if (!c->merges_loaded) {
        merge_list m = {0};
        const cJSON *jm = json_get(json_get(c->tok_json, "model"), "merges");
        if (cJSON_IsArray(jm) && jm->child) {
            if (!cJSON_IsString(jm->child) &&
                !(cJSON_IsArray(jm->child) && cJSON_GetArraySize(jm->child) == 2 &&
                  cJSON_IsString(jm->child->child)))
                return hf_fail(err, HF_ERR_FORMAT, "%s: model.merges: unknown merges format (expected \"a b\" strings "
                               "or [\"a\", \"b\"] pairs)", c->tok_json_path);
            st = merges_from_json(c, jm, &m, err);
        } else {
            const char *txt = tokx_path(c, "merges.txt");
            if (!txt) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
            if (tokx_is_file(txt)) st = merges_from_txt(c, txt, &m, err);
        }
        if (st != HF_OK) return st;
        c->merges = m.s;
        c->merge_lens = m.len;
        c->n_merges = m.n;
        c->merges_loaded = 1;
    }
    *merges = c->merges;
    *lens = c->merge_lens;
    *n = c->n_merges;
    return HF_OK;
}
