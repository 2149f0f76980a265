/* tokx_spm: SentencePiece tokenizer.model reader and llama.cpp's SentencePiece vocabulary
 * rules (_create_vocab_sentencepiece / _set_vocab_sentencepiece).
 *
 * The protobuf subset we need:
 *   ModelProto     { repeated SentencePiece pieces = 1; trainer_spec = 2; normalizer_spec = 3; ... }
 *   SentencePiece  { string piece = 1; float score = 2; Type type = 3 [default = NORMAL]; }
 * Wire format: every field starts with a varint key (field << 3 | wire type); wire types
 * 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. Groups (3, 4) are not used by
 * sentencepiece and are rejected. Everything we do not need is skipped by wire type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmap.h"
#include "json/json.h"
#include "tokx/tokx_internal.h"

/* ==== Protobuf reading ==== */

typedef struct pb {
    const uint8_t *p, *end;
    const uint8_t *base; /* for offsets in messages */
    const char *name;
} pb;

static hf_status pb_fail(const pb *r, const uint8_t *at, hf_err *err, const char *what) {
    return hf_fail(err, HF_ERR_FORMAT, "%s: corrupt SentencePiece model at byte %zu: %s", r->name,
                   (size_t)(at - r->base), what);
}

static hf_status pb_varint(pb *r, uint64_t *out, hf_err *err) {
    const uint8_t *start = r->p;
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return pb_fail(r, start, err, "varint runs past the end of the data");
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1) return pb_fail(r, start, err, "varint longer than 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return HF_OK;
        }
    }
    return pb_fail(r, start, err, "varint longer than 10 bytes");
}

/* A length-delimited payload: [*sub, *sub + *n) inside the current message. */
static hf_status pb_bytes(pb *r, const uint8_t **sub, uint64_t *n, hf_err *err) {
    const uint8_t *at = r->p;
    uint64_t len;
    hf_status st = pb_varint(r, &len, err);
    if (st != HF_OK) return st;
    if (len > (uint64_t)(r->end - r->p)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "field length %llu exceeds the %llu bytes left", (unsigned long long)len,
                 (unsigned long long)(r->end - r->p));
        return pb_fail(r, at, err, msg);
    }
    *sub = r->p;
    *n = len;
    r->p += len;
    return HF_OK;
}

static hf_status pb_skip(pb *r, unsigned wire, const uint8_t *at, hf_err *err) {
    uint64_t v;
    const uint8_t *sub;
    switch (wire) {
    case 0: return pb_varint(r, &v, err);
    case 2: return pb_bytes(r, &sub, &v, err);
    case 1:
    case 5: {
        size_t n = wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n) return pb_fail(r, at, err, "fixed-size field runs past the end");
        r->p += n;
        return HF_OK;
    }
    default: {
        char msg[64];
        snprintf(msg, sizeof(msg), "unsupported wire type %u", wire);
        return pb_fail(r, at, err, msg);
    }
    }
}

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
static int utf8_valid(const uint8_t *s, uint64_t n) {
    uint64_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        int extra;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { extra = 1; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { extra = 2; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { extra = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i <= (uint64_t)extra) return 0;
        for (int k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += (uint64_t)extra + 1;
    }
    return 1;
}

static hf_status parse_piece(pb *outer, const uint8_t *msg, uint64_t n, uint64_t index, tokx_spm_piece *out,
                             hf_err *err) {
    pb r = {msg, msg + n, outer->base, outer->name};
    char what[160];
    out->text = NULL;
    out->len = 0;
    out->score = 0.0f;
    out->type = TOKX_NORMAL;
    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint64_t key;
        hf_status st = pb_varint(&r, &key, err);
        if (st != HF_OK) return st;
        unsigned wire = (unsigned)(key & 7);
        uint64_t field = key >> 3;
        if (field == 1 && wire == 2) {
            const uint8_t *s = NULL;
            uint64_t len = 0;
            if ((st = pb_bytes(&r, &s, &len, err)) != HF_OK) return st;
            out->text = (const char *)s;
            out->len = len;
        } else if (field == 2 && wire == 5) {
            if (r.end - r.p < 4) return pb_fail(&r, at, err, "piece score runs past the end");
            uint32_t bits = (uint32_t)r.p[0] | (uint32_t)r.p[1] << 8 | (uint32_t)r.p[2] << 16 |
                            (uint32_t)r.p[3] << 24;
            memcpy(&out->score, &bits, 4);
            r.p += 4;
        } else if (field == 3 && wire == 0) {
            uint64_t t;
            if ((st = pb_varint(&r, &t, err)) != HF_OK) return st;
            if (t < TOKX_NORMAL || t > TOKX_BYTE) {
                snprintf(what, sizeof(what), "piece %llu has type %llu, expected 1..6", (unsigned long long)index,
                         (unsigned long long)t);
                return pb_fail(&r, at, err, what);
            }
            out->type = (int)t;
        } else if (field >= 1 && field <= 3) {
            snprintf(what, sizeof(what), "piece %llu field %llu has wire type %u", (unsigned long long)index,
                     (unsigned long long)field, wire);
            return pb_fail(&r, at, err, what);
        } else if ((st = pb_skip(&r, wire, at, err)) != HF_OK) {
            return st;
        }
    }
    if (out->len == 0) {
        snprintf(what, sizeof(what), "piece %llu has an empty or missing text", (unsigned long long)index);
        return pb_fail(outer, msg, err, what);
    }
    if (!utf8_valid((const uint8_t *)out->text, out->len)) {
        snprintf(what, sizeof(what), "piece %llu is not valid UTF-8", (unsigned long long)index);
        return pb_fail(outer, (const uint8_t *)out->text, err, what);
    }
    return HF_OK;
}

static hf_status spm_push(tokx_spm *m, uint64_t *cap, const char *name, hf_err *err) {
    if (m->n < *cap) return HF_OK;
    uint64_t ncap = *cap ? *cap * 2 : 1024;
    tokx_spm_piece *p = realloc(m->pieces, ncap * sizeof(*p));
    if (!p) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory reading pieces", name);
    m->pieces = p;
    *cap = ncap;
    return HF_OK;
}

hf_status tokx_spm_parse(const uint8_t *buf, size_t len, const char *name, tokx_spm *out, hf_err *err) {
    pb r = {buf, buf + len, buf, name};
    tokx_spm m = {0};
    uint64_t cap = 0;
    hf_status st = HF_OK;
    while (r.p < r.end && st == HF_OK) {
        const uint8_t *at = r.p;
        uint64_t key;
        if ((st = pb_varint(&r, &key, err)) != HF_OK) break;
        unsigned wire = (unsigned)(key & 7);
        if (key >> 3 == 1) {
            const uint8_t *msg = NULL;
            uint64_t n = 0;
            if (wire != 2) {
                st = pb_fail(&r, at, err, "field 'pieces' is not length-delimited");
                break;
            }
            if ((st = pb_bytes(&r, &msg, &n, err)) != HF_OK) break;
            if ((st = spm_push(&m, &cap, name, err)) != HF_OK) break;
            st = parse_piece(&r, msg, n, m.n, &m.pieces[m.n], err);
            if (st == HF_OK) m.n++;
        } else {
            st = pb_skip(&r, wire, at, err);
        }
    }
    if (st == HF_OK && m.n == 0)
        st = hf_fail(err, HF_ERR_FORMAT, "%s: SentencePiece model has no pieces (not a tokenizer.model?)", name);
    if (st != HF_OK) {
        tokx_spm_free(&m);
        return st;
    }
    *out = m;
    return HF_OK;
}

void tokx_spm_free(tokx_spm *m) {
    if (!m) return;
    free(m->pieces);
    m->pieces = NULL;
    m->n = 0;
}

/* ==== llama.cpp's SentencePiece vocabulary ==== */

/* SentencePiece's IsUnknown/IsControl/IsUnused/IsByte, else NORMAL: user-defined pieces
 * become NORMAL because the converter does not ask IsUserDefined. */
static int32_t spm_gguf_type(int t) {
    switch (t) {
    case TOKX_UNKNOWN:
    case TOKX_CONTROL:
    case TOKX_UNUSED:
    case TOKX_BYTE: return t;
    default: return TOKX_NORMAL;
    }
}

/* added_tokens.json: {"text": id, ...} -> score -1000, USER_DEFINED (ids out of range ignored). */
static hf_status apply_added_tokens_json(tokx_ctx *c, tokx_vocab *v, hf_err *err) {
    const char *path = tokx_path(c, "added_tokens.json");
    if (!path) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if (!tokx_is_file(path)) return HF_OK;
    cJSON *j = NULL;
    hf_status st = json_load_object(&j, path, err);
    if (st != HF_OK) return st;
    for (const cJSON *it = j->child; it && st == HF_OK; it = it->next) {
        if (!json_is_integer(it) || it->valuedouble < 0) {
            st = hf_fail(err, HF_ERR_FORMAT, "%s: token '%s': expected a non-negative integer id, found %s", path,
                         it->string, json_type_name(it));
            break;
        }
        uint64_t id = (uint64_t)it->valuedouble;
        if (id >= v->n) continue;
        size_t len = strlen(it->string);
        const char *text = tokx_arena_dup(&c->arena, it->string, len);
        if (!text) st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", path);
        v->text[id] = text;
        v->len[id] = len;
        v->scores[id] = -1000.0f;
        v->types[id] = TOKX_USER_DEFINED;
    }
    cJSON_Delete(j);
    return st;
}

/* tokenizer_config.json added_tokens_decoder: {"id": {"content", "special", ...}}. */
static hf_status apply_added_tokens_decoder(tokx_ctx *c, tokx_vocab *v, hf_err *err) {
    const cJSON *dec = c->tok_cfg ? json_get(c->tok_cfg, "added_tokens_decoder") : NULL;
    if (!dec) return HF_OK;
    for (const cJSON *it = dec->child; it; it = it->next) {
        char *end = NULL;
        unsigned long long id = strtoull(it->string, &end, 10);
        const cJSON *content = json_get(it, "content");
        if (!end || *end || end == it->string || it->string[0] == '-')
            return hf_fail(err, HF_ERR_FORMAT, "%s: added_tokens_decoder key '%s' is not a token id", c->tok_cfg_path,
                           it->string);
        if (!cJSON_IsString(content))
            return hf_fail(err, HF_ERR_FORMAT, "%s: added_tokens_decoder['%s'].content: expected a string, found %s",
                           c->tok_cfg_path, it->string, json_type_name(content));
        if (id >= v->n) continue;
        const char *text = content->valuestring;
        uint64_t len = strlen(text);
        if (cJSON_IsTrue(json_get(it, "special")) || tokx_looks_special(text, len)) {
            v->types[id] = TOKX_CONTROL;
        } else {
            text = tokx_unspace(c, text, len, &len);
            if (!text) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->tok_cfg_path);
            v->types[id] = TOKX_USER_DEFINED;
        }
        v->scores[id] = -1000.0f;
        v->text[id] = text;
        v->len[id] = len;
    }
    return HF_OK;
}

static hf_status spm_build(tokx_ctx *c, const tokx_spm *m, tokx_vocab *v, hf_err *err) {
    uint64_t n;
    hf_status st = tokx_config_vocab_size(c, m->n, &n, err);
    if (st != HF_OK) return st;
    if ((st = tokx_vocab_init(c, v, n, 1, -10000.0f, err)) != HF_OK) return st;
    for (uint64_t i = 0; i < m->n && i < n; i++) { /* pieces past vocab_size are dropped */
        /* Copied: the pieces point into the mapping, which is closed before the KV flush. */
        v->text[i] = tokx_arena_dup(&c->arena, m->pieces[i].text, m->pieces[i].len);
        if (!v->text[i]) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
        v->len[i] = m->pieces[i].len;
        v->scores[i] = m->pieces[i].score;
        v->types[i] = spm_gguf_type(m->pieces[i].type);
    }
    if ((st = apply_added_tokens_json(c, v, err)) != HF_OK) return st;
    return apply_added_tokens_decoder(c, v, err);
}

hf_status tokx_spm_export(tokx_ctx *c, const char *model_path, hf_err *err) {
    hf_fmap map = {0};
    tokx_spm m = {0};
    tokx_vocab v = {0};
    hf_status st = hf_fmap_open(&map, model_path, err);
    if (st == HF_OK) st = tokx_spm_parse(map.data, map.size, model_path, &m, err);
    if (st == HF_OK) st = spm_build(c, &m, &v, err);
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.model", "llama", 5, err);
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.pre", "default", 7, err);
    if (st == HF_OK) st = tokx_vocab_stage(c, &v, err);
    if (st == HF_OK) st = tokx_special_export(c, 0, v.n, err);
    tokx_spm_free(&m);
    hf_fmap_close(&map);
    return st;
}
