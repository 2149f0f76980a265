/* conv_hparams: config.json -> hparams and the {arch}.* KV pairs, in the order
 * and with the value types of llama.cpp's TextModel.set_gguf_parameters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "convert/conv_internal.h"
#include "gguf/gguf_names.h"
#include "json/json.h"

/* HF key lists, first present wins (llama.cpp's find_hparam lists). */
static const char *const K_BLOCKS[] = {"n_layers", "num_hidden_layers", "n_layer", "num_layers", NULL};
static const char *const K_CTX[] = {"max_position_embeddings", "n_ctx", "n_positions", "max_length",
                                    "max_sequence_length", "model_max_length", NULL};
static const char *const K_EMBD[] = {"hidden_size", "n_embd", "dim", NULL};
static const char *const K_FF[] = {"prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size",
                                   "n_inner", "hidden_dim", NULL};
static const char *const K_HEAD[] = {"num_attention_heads", "n_head", "n_heads", NULL};
static const char *const K_HEAD_KV[] = {"num_key_value_heads", "n_kv_heads", NULL};
static const char *const K_THETA[] = {"global_rope_theta", "rope_global_theta", "rope_theta_global", "rope_theta",
                                      "rotary_emb_base", NULL};
static const char *const K_THETA_SWA[] = {"local_rope_theta", "rope_local_theta", "rope_theta_local",
                                          "swa_rope_theta", "rope_local_base_freq", NULL};
static const char *const K_RMS_EPS[] = {"rms_norm_eps", "norm_eps", NULL};
static const char *const K_LN_EPS[] = {"layer_norm_eps", "layer_norm_epsilon", "norm_epsilon", NULL};
static const char *const K_EXPERTS[] = {"num_local_experts", "num_experts", "n_routed_experts", NULL};
static const char *const K_EXPERTS_USED[] = {"num_experts_per_tok", "num_experts_per_token", "top_k_experts", NULL};

/* ---- typed lookups with messages naming the key (arch.h) ---- */

static hf_status first_int(const cJSON *cfg, const char *const *keys, const char *src, int required, int64_t *out,
                           int *found, hf_err *err) {
    return arch_cfg_int(cfg, keys, src, required, out, found, err);
}

static hf_status first_num(const cJSON *cfg, const char *const *keys, const char *src, double *out, int *found,
                           hf_err *err) {
    return arch_cfg_num(cfg, keys, src, 0, out, found, err);
}

static hf_status opt_flag(const cJSON *cfg, const char *key, const char *src, int *out, int dflt, hf_err *err) {
    int v = 0;
    int r = json_opt_bool(cfg, key, src, &v, err);
    if (r < 0) return (hf_status)(-r);
    *out = r ? v : dflt;
    return HF_OK;
}

hf_status conv_hparams_resolve(const arch_def *a, const cJSON *cfg, const char *src, arch_hparams *hp, hf_err *err) {
    memset(hp, 0, sizeof *hp);
    int f = 0;
    hf_status s;
    if ((s = first_int(cfg, K_BLOCKS, src, 1, &hp->n_layer, &f, err)) != HF_OK) return s;
    if ((s = first_int(cfg, K_EMBD, src, 1, &hp->n_embd, &f, err)) != HF_OK) return s;
    if ((s = first_int(cfg, K_FF, src, 1, &hp->n_ff, &f, err)) != HF_OK) return s;
    if ((s = first_int(cfg, K_HEAD, src, 1, &hp->n_head, &f, err)) != HF_OK) return s;
    if ((s = first_int(cfg, K_HEAD_KV, src, 0, &hp->n_head_kv, &f, err)) != HF_OK) return s;
    if (!f) hp->n_head_kv = hp->n_head;
    if (hp->n_head <= 0 || hp->n_head_kv <= 0 || hp->n_embd <= 0)
        return hf_fail(err, HF_ERR_FORMAT, "%s: hidden_size, num_attention_heads and num_key_value_heads must be > 0",
                       src);
    static const char *const K_HEAD_DIM[] = {"head_dim", NULL};
    if ((s = first_int(cfg, K_HEAD_DIM, src, 0, &hp->head_dim, &f, err)) != HF_OK) return s;
    if (!f) hp->head_dim = hp->n_embd / hp->n_head;
    if (hp->head_dim <= 0 || hp->head_dim % 2)
        return hf_fail(err, HF_ERR_FORMAT, "%s: head dimension %lld must be even and > 0 (RoPE pairs)", src,
                       (long long)hp->head_dim);
    static const char *const K_VOCAB[] = {"vocab_size", NULL};
    if ((s = first_int(cfg, K_VOCAB, src, 1, &hp->n_vocab, &f, err)) != HF_OK) return s;
    if ((s = opt_flag(cfg, "tie_word_embeddings", src, &hp->tie_embeddings, a->tie_default, err)) != HF_OK) return s;
    for (uint32_t i = 0; i < a->n_switches && i < ARCH_MAX_SWITCHES; i++)
        if ((s = opt_flag(cfg, a->switches[i].key, src, &hp->sw[i], a->switches[i].dflt, err)) != HF_OK) return s;
    const cJSON *experts = json_first(cfg, K_EXPERTS, NULL);
    if (experts && !cJSON_IsNull(experts))
        return hf_fail(err, HF_ERR_UNSUPPORTED, "%s: mixture-of-experts checkpoints are not supported yet", src);
    return a->check ? a->check(a, cfg, src, hp, err) : HF_OK;
}

/* ---- writing ---- */

typedef struct kv_ctx {
    gguf_writer *w;
    const char *arch;
    const char *src;
    hf_err *err;
} kv_ctx;

static hf_status put_u32(kv_ctx *c, const char *suffix, int64_t v) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c->arch, suffix);
    return gguf_w_add_u32(c->w, key, (uint32_t)v, c->err);
}

static hf_status put_f32(kv_ctx *c, const char *suffix, double v) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c->arch, suffix);
    return gguf_w_add_f32(c->w, key, (float)v, c->err);
}

static hf_status put_str(kv_ctx *c, const char *suffix, const char *v) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c->arch, suffix);
    return gguf_w_add_str(c->w, key, v, c->err);
}

/* An integer key list written as u32 when present. */
static hf_status put_first_u32(kv_ctx *c, const cJSON *cfg, const char *suffix, const char *const *keys) {
    int64_t v = 0;
    int f = 0;
    hf_status s = first_int(cfg, keys, c->src, 0, &v, &f, c->err);
    if (s != HF_OK || !f) return s;
    return put_u32(c, suffix, v);
}

static hf_status put_first_f32(kv_ctx *c, const cJSON *cfg, const char *suffix, const char *const *keys) {
    double v = 0;
    int f = 0;
    hf_status s = first_num(cfg, keys, c->src, &v, &f, c->err);
    if (s != HF_OK || !f) return s;
    return put_f32(c, suffix, v);
}

/* rope_parameters (or rope_scaling) as llama.cpp sees it: the "full_attention"
 * sub-object when present, else the object itself. Top-level rope_theta and
 * rope_scaling.type are mirrored into it only when it has no per-attention split. */
typedef struct rope_view {
    const cJSON *params; /* may be NULL */
    int split;           /* has full_attention/sliding_attention */
} rope_view;

static rope_view rope_params(const cJSON *cfg) {
    rope_view r = {NULL, 0};
    const cJSON *p = json_get(cfg, "rope_parameters");
    if (!p) p = json_get(cfg, "rope_scaling");
    if (!cJSON_IsObject(p)) return r;
    r.split = json_get(p, "full_attention") || json_get(p, "sliding_attention");
    const cJSON *full = json_get(p, "full_attention");
    r.params = cJSON_IsObject(full) ? full : p;
    return r;
}

static hf_status put_rope_scaling(kv_ctx *c, const cJSON *cfg, rope_view rv) {
    const cJSON *type = json_get(rv.params, "rope_type");
    if (!type && !rv.split) type = json_get(rv.params, "type");
    if (!type || cJSON_IsNull(type)) return HF_OK;
    if (!cJSON_IsString(type))
        return hf_fail(c->err, HF_ERR_FORMAT, "%s: rope scaling 'rope_type': expected a string, found %s", c->src,
                       json_type_name(type));
    const char *t = type->valuestring;
    double factor = 0;
    int has_factor = 0;
    const char *const K_FACTOR[] = {"factor", NULL};
    hf_status s = first_num(rv.params, K_FACTOR, c->src, &factor, &has_factor, c->err);
    if (s != HF_OK) return s;
    if (!strcmp(t, "linear") && has_factor) {
        if ((s = put_str(c, "rope.scaling.type", "linear")) != HF_OK) return s;
        return put_f32(c, "rope.scaling.factor", factor);
    }
    if (!strcmp(t, "yarn") && has_factor) {
        if ((s = put_str(c, "rope.scaling.type", "yarn")) != HF_OK) return s;
        if ((s = put_f32(c, "rope.scaling.factor", factor)) != HF_OK) return s;
        const char *const K_ORIG[] = {"original_max_position_embeddings", NULL};
        int64_t orig = 0;
        int f = 0;
        if ((s = first_int(rv.params, K_ORIG, c->src, 1, &orig, &f, c->err)) != HF_OK) return s;
        if ((s = put_u32(c, "rope.scaling.original_context_length", orig)) != HF_OK) return s;
        const char *const K_EXT[] = {"extrapolation_factor", NULL};
        const char *const K_ATTN[] = {"attention_factor", "attn_factor", NULL};
        const char *const K_BF[] = {"beta_fast", NULL};
        const char *const K_BS[] = {"beta_slow", NULL};
        if ((s = put_first_f32(c, rv.params, "rope.scaling.yarn_ext_factor", K_EXT)) != HF_OK) return s;
        if ((s = put_first_f32(c, rv.params, "rope.scaling.yarn_attn_factor", K_ATTN)) != HF_OK) return s;
        if ((s = put_first_f32(c, rv.params, "rope.scaling.yarn_beta_fast", K_BF)) != HF_OK) return s;
        return put_first_f32(c, rv.params, "rope.scaling.yarn_beta_slow", K_BS);
    }
    if (!strcmp(t, "su") || !strcmp(t, "longrope")) return put_str(c, "rope.scaling.type", "longrope");
    if (!strcasecmp(t, "llama3"))
        return hf_fail(c->err, HF_ERR_UNSUPPORTED,
                       "%s: rope_type \"llama3\" needs a generated rope_freqs tensor, which is not supported yet",
                       c->src);
    (void)cfg;
    return HF_OK; /* "dynamic" and unknown types write nothing, as llama.cpp (which only warns) */
}

static hf_status put_rope_bases(kv_ctx *c, const cJSON *cfg, rope_view rv) {
    double v = 0;
    int f = 0;
    const char *const K_RT[] = {"rope_theta", NULL};
    hf_status s = first_num(rv.params, K_RT, c->src, &v, &f, c->err);
    if (s == HF_OK && !f && !rv.split) s = first_num(cfg, K_THETA, c->src, &v, &f, c->err);
    if (s != HF_OK) return s;
    if (f && (s = put_f32(c, "rope.freq_base", v)) != HF_OK) return s;
    /* The SWA base lives in sliding_attention, or is mirrored there from the top level. */
    const cJSON *root = json_get(cfg, "rope_parameters");
    if (!root) root = json_get(cfg, "rope_scaling");
    const cJSON *swa = json_get(root, "sliding_attention");
    f = 0;
    if (swa) s = first_num(swa, K_RT, c->src, &v, &f, c->err);
    else if (!rv.split) s = first_num(cfg, K_THETA_SWA, c->src, &v, &f, c->err);
    if (s != HF_OK || !f) return s;
    return put_f32(c, "rope.freq_base_swa", v);
}

/* llama.cpp's TextModel.set_gguf_parameters: the generic keys, ending with general.file_type. */
static hf_status write_generic(gguf_writer *w, const arch_def *a, const cJSON *cfg, const char *src,
                               const arch_hparams *hp, uint32_t file_type, hf_err *err) {
    kv_ctx c = {w, a->gguf_arch, src, err};
    hf_status s;
    if ((s = put_u32(&c, GGUF_KEY_BLOCK_COUNT, hp->n_layer)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_CONTEXT_LENGTH, K_CTX)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_EMBEDDING_LENGTH, K_EMBD)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_FEED_FORWARD_LENGTH, K_FF)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_HEAD_COUNT, K_HEAD)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_HEAD_COUNT_KV, K_HEAD_KV)) != HF_OK) return s;
    const cJSON *causal = json_get(cfg, "is_causal");
    if (cJSON_IsFalse(causal) && (s = arch_put_bool(a, w, GGUF_KEY_CAUSAL, 0, err)) != HF_OK) return s;
    rope_view rv = rope_params(cfg);
    if ((s = put_rope_scaling(&c, cfg, rv)) != HF_OK) return s;
    if ((s = put_rope_bases(&c, cfg, rv)) != HF_OK) return s;
    if ((s = put_first_f32(&c, cfg, GGUF_KEY_LAYERNORM_RMS_EPS, K_RMS_EPS)) != HF_OK) return s;
    if ((s = put_first_f32(&c, cfg, GGUF_KEY_LAYERNORM_EPS, K_LN_EPS)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_EXPERT_USED_COUNT, K_EXPERTS_USED)) != HF_OK) return s;
    static const char *const K_HEAD_DIM[] = {"head_dim", NULL};
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_KEY_LENGTH, K_HEAD_DIM)) != HF_OK) return s;
    if ((s = put_first_u32(&c, cfg, GGUF_KEY_VALUE_LENGTH, K_HEAD_DIM)) != HF_OK) return s;
    return gguf_w_add_u32(w, "general.file_type", file_type, err);
}

hf_status conv_hparams_write(gguf_writer *w, const arch_def *a, const cJSON *cfg, const char *src,
                             const arch_hparams *hp, uint32_t file_type, hf_err *err) {
    if (a->own_kv) return a->own_kv(a, w, cfg, src, hp, file_type, err);
    hf_status s = write_generic(w, a, cfg, src, hp, file_type, err);
    if (s == HF_OK && a->extra_kv) s = a->extra_kv(a, w, cfg, src, hp, file_type, err);
    return s;
}
