/* tokx_vocab: the vocabulary arrays shared by every path, and llama.cpp's small text rules
 * (padding names, "looks special", user-defined spaces, vocab_size from config.json). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json/json.h"
#include "tokx/tokx_internal.h"

hf_status tokx_vocab_init(tokx_ctx *c, tokx_vocab *v, uint64_t n, int with_scores, float pad_score, hf_err *err) {
    memset(v, 0, sizeof(*v));
    if (n > (uint64_t)INT32_MAX) /* llama.cpp's token ids are int32 */
        return hf_fail(err, HF_ERR_RANGE, "%s: vocabulary size %llu is too large", c->dir, (unsigned long long)n);
    v->n = n;
    v->text = (const char **)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*v->text) + 1);
    v->len = (uint64_t *)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*v->len) + 1);
    v->types = (int32_t *)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*v->types) + 1);
    v->scores = with_scores ? (float *)tokx_arena_alloc(&c->arena, (size_t)n * sizeof(*v->scores) + 1) : NULL;
    if (!v->text || !v->len || !v->types || (with_scores && !v->scores))
        return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory for %llu tokens", c->dir, (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "[PAD%llu]", (unsigned long long)i);
        v->text[i] = tokx_arena_dup(&c->arena, buf, (size_t)len);
        if (!v->text[i]) return hf_fail(err, HF_ERR_NOMEM, "%s: out of memory", c->dir);
        v->len[i] = (uint64_t)len;
        v->types[i] = TOKX_UNUSED;
        if (v->scores) v->scores[i] = pad_score;
    }
    return HF_OK;
}

hf_status tokx_vocab_stage(tokx_ctx *c, const tokx_vocab *v, hf_err *err) {
    hf_status st = tokx_kvs_set_strs(&c->kvs, "tokenizer.ggml.tokens", v->text, v->len, v->n, err);
    if (st == HF_OK && v->scores)
        st = tokx_kvs_set_arr(&c->kvs, "tokenizer.ggml.scores", GGUF_T_FLOAT32, v->scores, v->n, err);
    if (st == HF_OK) st = tokx_kvs_set_arr(&c->kvs, "tokenizer.ggml.token_type", GGUF_T_INT32, v->types, v->n, err);
    return st;
}

static int has_prefix(const char *s, size_t len, const char *p) {
    size_t n = strlen(p);
    return len >= n && !memcmp(s, p, n);
}

static int has_suffix(const char *s, size_t len, const char *p) {
    size_t n = strlen(p);
    return len >= n && !memcmp(s + len - n, p, n);
}

/* Texts that some models add as non-special but that are control tokens (deepseek-coder,
 * gemma), and the bracket shapes llama.cpp treats the same way. */
int tokx_looks_special(const char *s, size_t len) {
    static const char *const names[] = {"<pad>", "<mask>", "<2mass>", "[@BOS@]"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (len == strlen(names[i]) && !memcmp(s, names[i], len)) return 1;
    if (has_prefix(s, len, "<|") && has_suffix(s, len, "|>")) return 1;
    if (has_prefix(s, len, "<\xef\xbd\x9c") && has_suffix(s, len, "\xef\xbd\x9c>")) return 1; /* <｜...｜> */
    if (has_prefix(s, len, "<unused") && has_suffix(s, len, ">")) return 1;
    return 0;
}

/* llama.cpp pre-normalizes user-defined tokens: "▁" (U+2581, e2 96 81) becomes " ". */
const char *tokx_unspace(tokx_ctx *c, const char *s, uint64_t len, uint64_t *out_len) {
    char *o = tokx_arena_alloc(&c->arena, (size_t)len + 1);
    if (!o) return NULL;
    uint64_t j = 0;
    for (uint64_t i = 0; i < len;) {
        if (len - i >= 3 && !memcmp(s + i, "\xe2\x96\x81", 3)) {
            o[j++] = ' ';
            i += 3;
        } else {
            o[j++] = s[i++];
        }
    }
    o[j] = '\0';
    *out_len = j;
    return o;
}

/* The config value of a hyper-parameter, as llama.cpp sees it after moving text_config's
 * members to the root (text_config wins). */
const cJSON *tokx_hparam(const cJSON *config, const char *key) {
    const cJSON *tc = json_get(config, "text_config");
    const cJSON *v = cJSON_IsObject(tc) ? json_get(tc, key) : NULL;
    return v ? v : json_get(config, key);
}

/* find_hparam(["vocab_size_per_layer_input", "vocab_size"], optional=True) or fallback:
 * the first key present wins even when its value is falsy (then the fallback is used). */
hf_status tokx_config_vocab_size(const tokx_ctx *c, uint64_t fallback, uint64_t *out, hf_err *err) {
    static const char *const keys[] = {"vocab_size_per_layer_input", "vocab_size"};
    *out = fallback;
    if (!c->config) return HF_OK;
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = tokx_hparam(c->config, keys[i]);
        if (!v) continue;
        if (cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsNumber(v) && v->valuedouble == 0)) return HF_OK;
        if (!json_is_integer(v) || v->valuedouble < 0)
            return hf_fail(err, HF_ERR_FORMAT, "%s/config.json: key '%s': expected a non-negative integer, found %s",
                           c->dir, keys[i], json_type_name(v));
        *out = (uint64_t)v->valuedouble;
        return HF_OK;
    }
    return HF_OK;
}
