/* tokx_bpe: vocabularies from a HF tokenizer.json.
 *
 * Byte-level BPE (llama.cpp's _set_vocab_gpt2 / get_vocab_base): ids 0..vocab_size-1 where
 * vocab_size is config.json's vocab_size or the number of distinct tokens (model vocab +
 * added tokens); missing ids are "[PAD{i}]" UNUSED; an added token is CONTROL when special
 * or "looking special", else USER_DEFINED (with ▁ turned into a space); the rest NORMAL.
 * No scores. Then tokenizer.ggml.pre (tokx_pre.c) and SpecialVocab with merges.
 *
 * SentencePiece-style BPE with byte_fallback (LlamaHfVocab, model "llama"): the model vocab
 * in id order, score -1000, BYTE for "<0xXX>", CONTROL for the tokenizer's special tokens,
 * else NORMAL; then added tokens with ids past the model vocab (CONTROL if special, else
 * USER_DEFINED). pre "default"; SpecialVocab without merges.
 *
 * Assumption (documented): transformers round-trips non-normalized added tokens through
 * encode/decode; for the added tokens of real tokenizers that is the identity, and we keep
 * the text as it is. */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "tokx/tokx_internal.h"

/* model.vocab as id -> text (NULL for holes) plus the added tokens by id. */
typedef struct id_map {
    uint64_t n;              /* slots: max id + 1 */
    const char **text;       /* model vocab, then added tokens (added win, as in get_vocab) */
    const cJSON **added;     /* the added_tokens entry for an id, or NULL */
    uint64_t n_model;        /* entries in model.vocab */
    uint64_t n_distinct;     /* len(tokenizer.get_vocab()) */
} id_map;

static void id_map_free(id_map *m) {
    free(m->text);
    free(m->added);
}

static hf_status read_id(tokx_ctx *c, const cJSON *v, const char *what, const char *name, uint64_t *id, hf_err *err) {
    if (!json_is_integer(v) || v->valuedouble < 0 || v->valuedouble >= 4294967296.0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: %s '%s': expected a token id (integer >= 0), found %s",
                       c->tok_json_path, what, name, json_type_name(v));
    *id = (uint64_t)v->valuedouble;
    return HF_OK;
}

static hf_status id_map_build(tokx_ctx *c, id_map *m, hf_err *err) {
    const cJSON *vocab = json_get(json_get(c->tok_json, "model"), "vocab");
    const cJSON *added = json_get(c->tok_json, "added_tokens");
    uint64_t id = 0, max = 0;
    int any = 0;
    hf_status st;
    memset(m, 0, sizeof(*m));
    if (!cJSON_IsObject(vocab))
        return hf_fail(err, HF_ERR_FORMAT, "%s: model.vocab: expected an object of token -> id, found %s",
                       c->tok_json_path, json_type_name(vocab));
    if (added && !cJSON_IsArray(added))
        return hf_fail(err, HF_ERR_FORMAT, "%s: added_tokens: expected an array, found %s", c->tok_json_path,
                       json_type_name(added));
    for (const cJSON *it = vocab->child; it; it = it->next, m->n_model++) {
        if ((st = read_id(c, it, "model.vocab token", it->string, &id, err)) != HF_OK) return st;
        max = id > max ? id : max;
        any = 1;
    }
    for (const cJSON *it = added ? added->child : NULL; it; it = it->next) {
        const cJSON *content = json_get(it, "content");
        if (!cJSON_IsString(content))
            return hf_fail(err, HF_ERR_FORMAT, "%s: added_tokens: entry without a string 'content'", c->tok_json_path);
        if ((st = read_id(c, json_get(it, "id"), "added token", content->valuestring, &id, err)) != HF_OK) return st;
        max = id > max ? id : max;
        any = 1;
    }
    /* Bound the id -> text table before allocating it: llama.cpp requires every id below the
     * vocab size, which is config.json's vocab_size or at most the number of entries. */
    const cJSON *vs = tokx_hparam(c->config, "vocab_size");
    uint64_t n_added = (uint64_t)cJSON_GetArraySize(added), limit = m->n_model + n_added;
    if (json_is_integer(vs) && vs->valuedouble > (double)limit) limit = (uint64_t)vs->valuedouble;
    if (any && max >= limit)
        return hf_fail(err, HF_ERR_FORMAT, "%s: token id %llu is not below the vocab size (%llu)", c->tok_json_path,
                       (unsigned long long)max, (unsigned long long)limit);
    m->n = any ? max + 1 : 0;
    m->text = calloc(m->n + 1, sizeof(*m->text));
    m->added = calloc(m->n + 1, sizeof(*m->added));
    if (!m->text || !m->added) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->tok_json_path);
    for (const cJSON *it = vocab->child; it; it = it->next) m->text[(uint64_t)it->valuedouble] = it->string;
    m->n_distinct = m->n_model;
    for (const cJSON *it = added ? added->child : NULL; it; it = it->next) {
        const char *content = json_get(it, "content")->valuestring;
        id = (uint64_t)json_get(it, "id")->valuedouble;
        /* An added token that repeats its model-vocab entry adds no distinct token. */
        if (!m->text[id] || strcmp(m->text[id], content)) m->n_distinct++;
        m->text[id] = content;
        m->added[id] = it;
    }
    return HF_OK;
}

/* ==== Byte-level BPE ==== */

static hf_status bpe_vocab_size(tokx_ctx *c, const id_map *m, uint64_t *n, hf_err *err) {
    const cJSON *v = tokx_hparam(c->config, "vocab_size"); /* hparams.get("vocab_size", len(vocab)) */
    if (v && !cJSON_IsNull(v)) {
        if (!json_is_integer(v) || v->valuedouble < 0)
            return hf_fail(err, HF_ERR_FORMAT, "%s/config.json: key 'vocab_size': expected an integer, found %s",
                           c->dir, json_type_name(v));
        *n = (uint64_t)v->valuedouble;
    } else {
        *n = m->n_distinct;
    }
    if (m->n > *n)
        return hf_fail(err, HF_ERR_FORMAT, "%s: token id %llu is not below the vocab size %llu%s", c->tok_json_path,
                       (unsigned long long)(m->n - 1), (unsigned long long)*n,
                       v ? " (config.json vocab_size)" : " (number of distinct tokens)");
    return HF_OK;
}

static hf_status bpe_fill(tokx_ctx *c, const id_map *m, tokx_vocab *v, hf_err *err) {
    for (uint64_t i = 0; i < m->n; i++) {
        const char *t = m->text[i];
        if (!t) continue;
        uint64_t len = strlen(t);
        const cJSON *a = m->added[i];
        if (!a || strcmp(json_get(a, "content")->valuestring, t)) {
            v->types[i] = TOKX_NORMAL;
        } else if (cJSON_IsTrue(json_get(a, "special")) || tokx_looks_special(t, len)) {
            v->types[i] = TOKX_CONTROL;
        } else {
            t = tokx_unspace(c, t, len, &len);
            if (!t) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->tok_json_path);
            v->types[i] = TOKX_USER_DEFINED;
        }
        v->text[i] = t;
        v->len[i] = len;
    }
    return HF_OK;
}

hf_status tokx_bpe_export(tokx_ctx *c, const tokx_opts *opts, hf_err *err) {
    id_map m;
    tokx_vocab v;
    uint64_t n = 0;
    const char *pre = opts && opts->vocab_pre && opts->vocab_pre[0] ? opts->vocab_pre : NULL;
    hf_status st = id_map_build(c, &m, err);
    if (st == HF_OK) st = bpe_vocab_size(c, &m, &n, err);
    if (st == HF_OK && !pre) st = tokx_pre_detect(c, &pre, err);
    if (st == HF_OK) st = tokx_vocab_init(c, &v, n, 0, 0.0f, err);
    if (st == HF_OK) st = bpe_fill(c, &m, &v, err);
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.model", "gpt2", 4, err);
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.pre", pre, strlen(pre), err);
    if (st == HF_OK) st = tokx_vocab_stage(c, &v, err);
    if (st == HF_OK) st = tokx_special_export(c, 1, 0, err);
    id_map_free(&m);
    return st;
}

/* ==== SentencePiece-style BPE (LlamaHfVocab) ==== */

int tokx_llamahf_applies(const cJSON *tok_json) {
    const cJSON *model = json_get(tok_json, "model");
    const cJSON *type = json_get(model, "type"), *dec_type = json_get(json_get(tok_json, "decoder"), "type");
    const cJSON *bf = json_get(model, "byte_fallback");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE")) return 0;
    int byte_fallback = cJSON_IsBool(bf) ? cJSON_IsTrue(bf) : -1; /* -1: key absent */
    /* Llama 3 (ignore_merges, no byte fallback) goes to the byte-level path. */
    if (cJSON_IsTrue(json_get(model, "ignore_merges")) && byte_fallback == 0) return 0;
    return byte_fallback == 1 && cJSON_IsString(dec_type) && !strcmp(dec_type->valuestring, "Sequence");
}

/* A special token entry of tokenizer_config / special_tokens_map: string or {"content"}. */
static const char *special_text(const cJSON *v) {
    if (cJSON_IsObject(v)) v = json_get(v, "content");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Marks the ids of the tokenizer's special tokens (all_special_tokens: bos, eos, unk, sep,
 * pad, cls, mask and additional_special_tokens; special_tokens_map.json wins per key). */
static hf_status mark_specials(tokx_ctx *c, const id_map *m, const cJSON *vocab, unsigned char *is_special,
                               hf_err *err) {
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token", "additional_special_tokens"};
    cJSON *map = NULL;
    const char *map_path = tokx_path(c, "special_tokens_map.json");
    if (!map_path) return hf_fail(err, HF_ERR_NOMEM, "tokenizer export: out of memory");
    if (tokx_is_file(map_path)) {
        hf_status st = json_load_object(&map, map_path, err);
        if (st != HF_OK) return st;
    }
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const cJSON *v = json_get(map, keys[k]);
        if (!v) v = json_get(c->tok_cfg, keys[k]);
        const cJSON *list = cJSON_IsArray(v) ? v->child : v;
        for (const cJSON *it = list; it; it = cJSON_IsArray(v) ? it->next : NULL) {
            const char *t = special_text(it);
            const cJSON *id = t ? cJSON_GetObjectItemCaseSensitive(vocab, t) : NULL;
            uint64_t i = 0;
            int found = 0;
            if (json_is_integer(id)) {
                i = (uint64_t)id->valuedouble;
                found = 1;
            } else if (t) { /* an added token (get_vocab includes them) */
                for (i = 0; i < m->n && !found; i++) found = m->added[i] && !strcmp(m->text[i], t);
                i--;
            }
            if (found && i < m->n) is_special[i] = 1;
        }
    }
    cJSON_Delete(map);
    return HF_OK;
}

static int is_byte_piece(const char *t) {
    static const char hex[] = "0123456789abcdefABCDEF";
    return strlen(t) == 6 && !strncmp(t, "<0x", 3) && strchr(hex, t[3]) && strchr(hex, t[4]) && t[5] == '>';
}

hf_status tokx_llamahf_export(tokx_ctx *c, hf_err *err) {
    id_map m;
    tokx_vocab v;
    const cJSON *vocab = json_get(json_get(c->tok_json, "model"), "vocab");
    hf_status st = id_map_build(c, &m, err);
    unsigned char *special = st == HF_OK ? calloc(m.n + 1, 1) : NULL;
    if (st == HF_OK && !special) st = hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->tok_json_path);
    if (st == HF_OK) st = mark_specials(c, &m, vocab, special, err);
    uint64_t n = m.n_model;
    for (uint64_t i = m.n_model; st == HF_OK && i < m.n; i++) n += m.added[i] != NULL;
    if (st == HF_OK) st = tokx_vocab_init(c, &v, n, 1, -1000.0f, err);
    for (uint64_t i = 0, o = 0; st == HF_OK && i < m.n && o < n; i++) {
        if (i >= m.n_model && !m.added[i]) continue; /* added tokens are appended densely */
        if (!m.text[i]) {
            st = hf_fail(err, HF_ERR_FORMAT, "%s: model.vocab has no token with id %llu", c->tok_json_path,
                         (unsigned long long)i);
            break;
        }
        v.text[o] = m.text[i];
        v.len[o] = strlen(m.text[i]);
        v.scores[o] = -1000.0f;
        if (i < m.n_model && is_byte_piece(m.text[i])) v.types[o] = TOKX_BYTE;
        else if (special[i]) v.types[o] = TOKX_CONTROL;
        else v.types[o] = i < m.n_model ? TOKX_NORMAL : TOKX_USER_DEFINED;
        o++;
    }
    if (st == HF_OK && m.n < m.n_model)
        st = hf_fail(err, HF_ERR_FORMAT, "%s: model.vocab ids are not 0..%llu", c->tok_json_path,
                     (unsigned long long)(m.n_model - 1));
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.model", "llama", 5, err);
    if (st == HF_OK) st = tokx_kvs_set_str(&c->kvs, "tokenizer.ggml.pre", "default", 7, err);
    if (st == HF_OK) st = tokx_vocab_stage(c, &v, err);
    if (st == HF_OK) st = tokx_special_export(c, 0, v.n, err);
    free(special);
    id_map_free(&m);
    return st;
}
