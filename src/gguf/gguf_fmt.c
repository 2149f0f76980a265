/* gguf_fmt: KV values as text, for the info and diff tools. */
#include "gguf/gguf.h"
#include "gguf/gguf_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *gguf_fmt_scalar(gguf_vtype t, const uint8_t *p, char *out, size_t out_size) {
    gguf_scalar v;
    if (!gguf_load_scalar(t, p, &v) || out_size == 0) {
        if (out_size) out[0] = 0;
        return out;
    }
    switch (t) {
    case GGUF_T_UINT8: snprintf(out, out_size, "%u", (unsigned)v.u8); break;
    case GGUF_T_INT8: snprintf(out, out_size, "%d", (int)v.i8); break;
    case GGUF_T_UINT16: snprintf(out, out_size, "%u", (unsigned)v.u16); break;
    case GGUF_T_INT16: snprintf(out, out_size, "%d", (int)v.i16); break;
    case GGUF_T_UINT32: snprintf(out, out_size, "%" PRIu32, v.u32); break;
    case GGUF_T_INT32: snprintf(out, out_size, "%" PRId32, v.i32); break;
    case GGUF_T_UINT64: snprintf(out, out_size, "%" PRIu64, v.u64); break;
    case GGUF_T_INT64: snprintf(out, out_size, "%" PRId64, v.i64); break;
    case GGUF_T_FLOAT32: snprintf(out, out_size, "%.9g", (double)v.f32); break;
    case GGUF_T_FLOAT64: snprintf(out, out_size, "%.17g", v.f64); break;
    case GGUF_T_BOOL: snprintf(out, out_size, "%s", v.u8 ? "true" : "false"); break;
    default: out[0] = 0; break;
    }
    return out;
}

/* Appends to a bounded buffer; once full, further appends are dropped. */
typedef struct sbuf {
    char *p;
    size_t cap, len;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->len + 1 >= b->cap) return;
    size_t room = b->cap - 1 - b->len;
    if (n > room) n = room;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_quoted(sbuf *b, const char *s, uint64_t len, uint64_t max_chars) {
    sb_put(b, "\"", 1);
    uint64_t n = len < max_chars ? len : max_chars;
    for (uint64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(b, esc, 2);
        } else if (c == '\n') {
            sb_put(b, "\\n", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            sb_str(b, esc);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, "\"", 1);
    if (n < len) sb_str(b, "...");
}

const char *gguf_fmt_value(const gguf_file *f, const gguf_kv *kv, uint64_t max_elems, uint64_t max_chars,
                           char *out, size_t out_size) {
    sbuf b = {out, out_size, 0};
    char num[64];
    if (out_size) out[0] = 0;
    if (kv->type == GGUF_T_STRING) {
        sb_quoted(&b, (const char *)kv->data, kv->nbytes, max_chars);
    } else if (kv->type != GGUF_T_ARRAY) {
        sb_str(&b, gguf_fmt_scalar(kv->type, kv->data, num, sizeof num));
    } else {
        snprintf(num, sizeof num, "[%s x %" PRIu64 "]", gguf_vtype_name(kv->arr_type), kv->n);
        sb_str(&b, num);
        uint64_t show = kv->n < max_elems ? kv->n : max_elems;
        size_t esz = gguf_vtype_size(kv->arr_type);
        for (uint64_t i = 0; i < show; i++) {
            sb_str(&b, i ? ", " : " ");
            if (kv->arr_type == GGUF_T_STRING) {
                gguf_str s = gguf_arr_str(f, kv, i);
                sb_quoted(&b, s.ptr, s.len, max_chars);
            } else {
                sb_str(&b, gguf_fmt_scalar(kv->arr_type, kv->data + i * esz, num, sizeof num));
            }
        }
        if (show < kv->n) sb_str(&b, ", ...");
    }
    return out;
}

int gguf_kv_equal(const gguf_kv *a, const gguf_kv *b) {
    return !strcmp(a->key, b->key) && a->type == b->type && a->arr_type == b->arr_type && a->n == b->n &&
           a->nbytes == b->nbytes && (a->nbytes == 0 || !memcmp(a->data, b->data, a->nbytes));
}
