/* arch_phi2: PhiForCausalLM (GGUF phi2), as llama.cpp's Phi2Model converts it: LayerNorms
 * with biases, biases on every projection and on lm_head, one norm per layer (attention and
 * MLP in parallel), GELU MLP fc1/fc2, partial NEOX RoPE. Phi2Model writes its own KV list
 * (not the generic one): FFN width 4*n_embd and KV heads = heads whatever the config says, so
 * a checkpoint that differs would give a file llama.cpp cannot run; we refuse it instead. */
#include <stdio.h>

#include "convert/arch_rows.h"
#include "json/json.h"

static const char *const PHI2_CLASSES[] = {"PhiForCausalLM", NULL};

static const arch_tensor PHI2_TENSORS[] = {
    T_EMBED,
    T_LNORM("model.final_layernorm", GGUF_TN_OUTPUT_NORM),
    T_ROW("lm_head", GGUF_TN_OUTPUT, ROLE_OTHER, DIM_VOCAB, DIM_EMBD, NEED_ALWAYS, NEED_ALWAYS, NO_SW),
    T_LNORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_ALWAYS, NO_SW),
    T_LIN("model.layers.%d.self_attn.dense", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_ALWAYS, NO_SW),
    T_LIN("model.layers.%d.mlp.fc1", GGUF_TN_FFN_UP, DIM_FF, DIM_EMBD, NEED_ALWAYS, NO_SW),
    T_LIN("model.layers.%d.mlp.fc2", GGUF_TN_FFN_DOWN, DIM_EMBD, DIM_FF, NEED_ALWAYS, NO_SW),
};

static const char *const K_CTX[] = {"n_positions", "max_position_embeddings", NULL};
static const char *const K_EMBD[] = {"hidden_size", "n_embd", NULL};
static const char *const K_HEAD[] = {"num_attention_heads", "n_head", NULL};
static const char *const K_EPS[] = {"layer_norm_epsilon", "layer_norm_eps", NULL};

/* int(partial_rotary_factor * n_embd) // n_head, as Python computes it. */
static hf_status phi2_rot_dims(const cJSON *cfg, const char *src, const arch_hparams *hp, int64_t *out, hf_err *err) {
    double pct;
    hf_status s = arch_cfg_rotary_factor(cfg, src, &pct, err);
    if (s != HF_OK) return s;
    *out = (int64_t)(pct * (double)hp->n_embd) / hp->n_head;
    return HF_OK;
}

static hf_status phi2_check(const arch_def *a, const cJSON *cfg, const char *src, const arch_hparams *hp,
                            hf_err *err) {
    (void)a;
    if (hp->n_ff != 4 * hp->n_embd)
        return hf_fail(err, HF_ERR_UNSUPPORTED,
                       "%s: key 'intermediate_size' = %lld: llama.cpp's phi2 requires 4 * hidden_size = %lld", src,
                       (long long)hp->n_ff, (long long)(4 * hp->n_embd));
    if (hp->n_head_kv != hp->n_head)
        return hf_fail(err, HF_ERR_UNSUPPORTED,
                       "%s: key 'num_key_value_heads' = %lld: llama.cpp's phi2 requires it to equal "
                       "num_attention_heads = %lld",
                       src, (long long)hp->n_head_kv, (long long)hp->n_head);
    int64_t n_rot;
    hf_status s = phi2_rot_dims(cfg, src, hp, &n_rot, err);
    return s == HF_OK ? arch_check_rot_dims(src, n_rot, hp, err) : s;
}

static hf_status phi2_kv(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *src,
                         const arch_hparams *hp, uint32_t file_type, hf_err *err) {
    int64_t v, n_rot;
    double eps;
    int f;
    hf_status s = arch_cfg_int(cfg, K_CTX, src, 1, &v, &f, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_CONTEXT_LENGTH, v, err);
    if (s == HF_OK) s = arch_cfg_int(cfg, K_EMBD, src, 1, &v, &f, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_EMBEDDING_LENGTH, v, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_FEED_FORWARD_LENGTH, 4 * hp->n_embd, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_BLOCK_COUNT, hp->n_layer, err);
    if (s == HF_OK) s = arch_cfg_int(cfg, K_HEAD, src, 1, &v, &f, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_HEAD_COUNT, v, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_HEAD_COUNT_KV, v, err);
    if (s == HF_OK) s = arch_cfg_num(cfg, K_EPS, src, 1, &eps, &f, err);
    if (s == HF_OK) s = arch_put_f32(a, w, GGUF_KEY_LAYERNORM_EPS, eps, err);
    if (s == HF_OK) s = phi2_rot_dims(cfg, src, hp, &n_rot, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_ROPE_DIMENSION_COUNT, n_rot, err);
    if (s == HF_OK) s = gguf_w_add_u32(w, "general.file_type", file_type, err);
    /* Phi2Model writes this here; the tokenizer files may later change its value in place. */
    if (s == HF_OK) s = gguf_w_add_bool(w, "tokenizer.ggml.add_bos_token", 0, err);
    return s;
}

const arch_def arch_phi2 = {
    .gguf_arch = "phi2",
    .hf_classes = PHI2_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = PHI2_TENSORS,
    .n_tensors = ARCH_N(PHI2_TENSORS),
    .tie_default = 0, /* PhiConfig */
    .own_kv = phi2_kv,
    .check = phi2_check,
};
