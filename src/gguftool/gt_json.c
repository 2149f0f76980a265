/* gt_json: a GGUF file as JSON (`hf2gguf info --json`; format in docs/gguf.md; contract gt.h). */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dtype.h"
#include "gguftool/gt.h"


typedef struct jbuf {
    char *p;
    size_t len, cap;
    int oom;
} jbuf;

static void jb_put(jbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void jb_codepoint(jbuf *b, uint32_t cp) {
    char u[8];
    if (cp < 0x20) {
        static const char *named[] = {['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t"};
        if (cp < sizeof named / sizeof named[0] && named[cp]) {
            jb_put(b, named[cp], 2);
        } else {
            snprintf(u, sizeof u, "\\u%04x", (unsigned)cp);
            jb_put(b, u, 6);
        }
    } else if (cp == '"' || cp == '\\') {
        u[0] = '\\';
        u[1] = (char)cp;
        jb_put(b, u, 2);
    } else if (cp < 0x80) {
        u[0] = (char)cp;
        jb_put(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        jb_put(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        jb_put(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        jb_put(b, u, 4);
    }
}

/* A GGUF string as a JSON string literal. Bytes are decoded as UTF-8 the way the WHATWG
 * decoder (JavaScript's TextDecoder) does it, so invalid sequences become U+FFFD exactly as
 * an independent JavaScript parser would show them. */
static void jb_string(jbuf *b, const char *s, uint64_t len) {
    uint32_t cp = 0, need = 0, seen = 0;
    uint8_t lo = 0x80, hi = 0xBF;
    jb_put(b, "\"", 1);
    for (uint64_t i = 0; i < len;) {
        uint8_t c = (uint8_t)s[i];
        if (need == 0) {
            i++;
            if (c < 0x80) {
                jb_codepoint(b, c);
            } else if (c >= 0xC2 && c <= 0xDF) {
                need = 1, cp = c & 0x1F;
            } else if (c >= 0xE0 && c <= 0xEF) {
                lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF, need = 2, cp = c & 0xF;
            } else if (c >= 0xF0 && c <= 0xF4) {
                lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF, need = 3, cp = c & 0x7;
            } else {
                jb_codepoint(b, 0xFFFD);
            }
            continue;
        }
        if (c < lo || c > hi) { /* bad continuation: replace the partial sequence, reread c */
            need = seen = 0, lo = 0x80, hi = 0xBF;
            jb_codepoint(b, 0xFFFD);
            continue;
        }
        i++;
        lo = 0x80, hi = 0xBF, cp = (cp << 6) | (c & 0x3F);
        if (++seen == need) {
            jb_codepoint(b, cp);
            need = seen = 0;
        }
    }
    if (need) jb_codepoint(b, 0xFFFD);
    jb_put(b, "\"", 1);
}

/* A numeric/bool element as JSON: integers beyond 2^53 and non-finite floats as strings. */
static void jb_scalar(jbuf *b, gguf_vtype t, const uint8_t *p) {
    char num[64];
    gguf_fmt_scalar(t, p, num, sizeof num);
    int quote = 0;
    if (t == GGUF_T_UINT64) {
        uint64_t v;
        memcpy(&v, p, 8);
        quote = v > (1ull << 53);
    } else if (t == GGUF_T_INT64) {
        int64_t v;
        memcpy(&v, p, 8);
        quote = v > (1ll << 53) || v < -(1ll << 53);
    } else if (t == GGUF_T_FLOAT32 || t == GGUF_T_FLOAT64) {
        quote = strpbrk(num, "ni") != NULL; /* "nan", "inf", "-inf": not JSON numbers */
    }
    if (quote) jb_put(b, "\"", 1);
    jb_put(b, num, strlen(num));
    if (quote) jb_put(b, "\"", 1);
}

static cJSON *raw_value(const gguf_file *f, const gguf_kv *kv, jbuf *b) {
    b->len = 0;
    if (kv->type == GGUF_T_STRING) {
        jb_string(b, (const char *)kv->data, kv->nbytes);
    } else if (kv->type != GGUF_T_ARRAY) {
        jb_scalar(b, kv->type, kv->data);
    } else {
        size_t esz = gguf_vtype_size(kv->arr_type);
        jb_put(b, "[", 1);
        for (uint64_t i = 0; i < kv->n; i++) {
            if (i) jb_put(b, ",", 1);
            if (kv->arr_type == GGUF_T_STRING) {
                gguf_str s = gguf_arr_str(f, kv, i);
                jb_string(b, s.ptr, s.len);
            } else {
                jb_scalar(b, kv->arr_type, kv->data + i * esz);
            }
        }
        jb_put(b, "]", 1);
    }
    return b->oom ? NULL : cJSON_CreateRaw(b->p);
}

static cJSON *json_kv(const gguf_file *f, const gguf_kv *kv, jbuf *b) {
    cJSON *o = cJSON_CreateObject();
    b->len = 0;
    jb_string(b, kv->key, strlen(kv->key));
    cJSON_AddItemToObject(o, "key", cJSON_CreateRaw(b->p));
    cJSON_AddStringToObject(o, "type", gguf_vtype_name(kv->type));
    if (kv->type == GGUF_T_ARRAY) {
        cJSON_AddStringToObject(o, "elem", gguf_vtype_name(kv->arr_type));
        cJSON_AddNumberToObject(o, "count", (double)kv->n);
    }
    cJSON *v = raw_value(f, kv, b);
    if (!v) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddItemToObject(o, "value", v);
    return o;
}

static cJSON *json_tensor(const gguf_tensor *t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "type", hf_type_info(t->type)->name);
    cJSON_AddNumberToObject(o, "type_id", t->type);
    cJSON *ne = cJSON_AddArrayToObject(o, "ne");
    for (uint32_t d = 0; d < t->n_dims; d++) cJSON_AddItemToArray(ne, cJSON_CreateNumber((double)t->ne[d]));
    cJSON_AddNumberToObject(o, "offset", (double)t->offset);
    cJSON_AddNumberToObject(o, "nbytes", (double)t->nbytes);
    return o;
}

hf_status gt_info_json(const gguf_file *f, char **out, hf_err *err) {
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory formatting JSON", gguf_path(f));
    cJSON_AddNumberToObject(root, "version", gguf_version(f));
    cJSON_AddNumberToObject(root, "alignment", (double)gguf_alignment(f));
    cJSON_AddNumberToObject(root, "data_offset", (double)gguf_data_offset(f));
    cJSON *kvs = cJSON_AddArrayToObject(root, "kv");
    jbuf b = {0};
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        cJSON *o = json_kv(f, gguf_kv_at(f, i), &b);
        if (!o) {
            free(b.p);
            cJSON_Delete(root);
            return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory formatting KV '%s'", gguf_path(f),
                           gguf_kv_at(f, i)->key);
        }
        cJSON_AddItemToArray(kvs, o);
    }
    free(b.p);
    cJSON *ts = cJSON_AddArrayToObject(root, "tensors");
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) cJSON_AddItemToArray(ts, json_tensor(gguf_tensor_at(f, i)));
    *out = cJSON_Print(root);
    cJSON_Delete(root);
    return *out ? HF_OK : hf_fail(err, HF_ERR_NOMEM, "%s: out of memory printing JSON", gguf_path(f));
}
