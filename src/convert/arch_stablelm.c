/* arch_stablelm: StableLmForCausalLM (GGUF stablelm), as llama.cpp's StableLMModel converts
 * it: its own KV list (partial NEOX RoPE, use_parallel_residual), LayerNorms with biases,
 * Q/K/V biases with use_qkv_bias, no post_attention_layernorm with use_parallel_residual, and
 * with qk_layernorm the per-head LayerNorms self_attn.{q,k}_layernorm.norms.H stacked into
 * attn_q_norm {head_dim, n_head} / attn_k_norm {head_dim, n_head_kv}. (llama.cpp v0.5.0's
 * converter means to stack them but fails with "Unprocessed norms"; its runtime loads the
 * stacked tensors, which is what we write.) */
#include "convert/arch_rows.h"
#include "json/json.h"

static const char *const STABLELM_CLASSES[] = {"StableLmForCausalLM", NULL};

enum { SW_QKV_BIAS, SW_QK_NORM, SW_PARALLEL };
/* StableLmConfig defaults. */
static const arch_switch STABLELM_SWITCHES[] = {
    {"use_qkv_bias", 0}, {"qk_layernorm", 0}, {"use_parallel_residual", 0}};

#define T_HEAD_NORM(role, which, tn)                                                                            \
    T_ROW("model.layers.%d.self_attn." which "_layernorm.norms.%d", tn, role, DIM_HEAD, DIM_NONE, NEED_IF_SW, \
          NEED_NEVER, SW_QK_NORM)

static const arch_tensor STABLELM_TENSORS[] = {
    T_EMBED, T_LNORM("model.norm", GGUF_TN_OUTPUT_NORM), T_LM_HEAD,
    T_LNORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_IF_SW, SW_QKV_BIAS),
    T_LIN("model.layers.%d.self_attn.o_proj", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_NEVER, NO_SW),
    T_HEAD_NORM(ROLE_STACK_Q, "q", GGUF_TN_ATTN_Q_NORM),
    T_HEAD_NORM(ROLE_STACK_K, "k", GGUF_TN_ATTN_K_NORM),
    T_ROW("model.layers.%d.post_attention_layernorm", GGUF_TN_FFN_NORM, ROLE_OTHER, DIM_EMBD, DIM_NONE,
          NEED_UNLESS_SW, NEED_UNLESS_SW, SW_PARALLEL),
    T_LIN("model.layers.%d.mlp.gate_proj", GGUF_TN_FFN_GATE, DIM_FF, DIM_EMBD, NEED_NEVER, NO_SW),
    T_LIN("model.layers.%d.mlp.up_proj", GGUF_TN_FFN_UP, DIM_FF, DIM_EMBD, NEED_NEVER, NO_SW),
    T_LIN("model.layers.%d.mlp.down_proj", GGUF_TN_FFN_DOWN, DIM_EMBD, DIM_FF, NEED_NEVER, NO_SW),
};

static const char *const K_CTX[] = {"max_position_embeddings", NULL};
static const char *const K_EMBD[] = {"hidden_size", NULL};
static const char *const K_FF[] = {"intermediate_size", NULL};
static const char *const K_HEAD[] = {"num_attention_heads", NULL};
static const char *const K_HEAD_KV[] = {"num_key_value_heads", NULL};
static const char *const K_EPS[] = {"layer_norm_eps", "norm_eps", NULL};

/* int(partial_rotary_factor * (hidden_size // num_attention_heads)), as Python computes it. */
static hf_status stablelm_rot_dims(const cJSON *cfg, const char *src, const arch_hparams *hp, int64_t *out,
                                   hf_err *err) {
    double pct;
    hf_status s = arch_cfg_rotary_factor(cfg, src, &pct, err);
    if (s == HF_OK) *out = (int64_t)(pct * (double)(hp->n_embd / hp->n_head));
    return s;
}

static hf_status stablelm_check(const arch_def *a, const cJSON *cfg, const char *src, const arch_hparams *hp,
                                hf_err *err) {
    (void)a;
    int64_t n_rot;
    hf_status s = stablelm_rot_dims(cfg, src, hp, &n_rot, err);
    return s == HF_OK ? arch_check_rot_dims(src, n_rot, hp, err) : s;
}

static hf_status put_cfg_u32(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *src,
                             const char *suffix, const char *const *keys, hf_err *err) {
    int64_t v;
    int f;
    hf_status s = arch_cfg_int(cfg, keys, src, 1, &v, &f, err);
    return s == HF_OK ? arch_put_u32(a, w, suffix, v, err) : s;
}

static hf_status stablelm_kv(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *src,
                             const arch_hparams *hp, uint32_t file_type, hf_err *err) {
    int64_t n_rot;
    double eps;
    int f;
    hf_status s = put_cfg_u32(a, w, cfg, src, GGUF_KEY_CONTEXT_LENGTH, K_CTX, err);
    if (s == HF_OK) s = put_cfg_u32(a, w, cfg, src, GGUF_KEY_EMBEDDING_LENGTH, K_EMBD, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_BLOCK_COUNT, hp->n_layer, err);
    if (s == HF_OK) s = put_cfg_u32(a, w, cfg, src, GGUF_KEY_FEED_FORWARD_LENGTH, K_FF, err);
    if (s == HF_OK) s = stablelm_rot_dims(cfg, src, hp, &n_rot, err);
    if (s == HF_OK) s = arch_put_u32(a, w, GGUF_KEY_ROPE_DIMENSION_COUNT, n_rot, err);
    if (s == HF_OK) s = put_cfg_u32(a, w, cfg, src, GGUF_KEY_HEAD_COUNT, K_HEAD, err);
    if (s == HF_OK) s = put_cfg_u32(a, w, cfg, src, GGUF_KEY_HEAD_COUNT_KV, K_HEAD_KV, err);
    /* llama.cpp writes true when the key is absent (unlike StableLmConfig's default). */
    const cJSON *par = json_get(cfg, "use_parallel_residual");
    if (s == HF_OK) s = arch_put_bool(a, w, GGUF_KEY_USE_PARALLEL_RESIDUAL, par ? cJSON_IsTrue(par) : 1, err);
    if (s == HF_OK) s = arch_cfg_num(cfg, K_EPS, src, 1, &eps, &f, err);
    if (s == HF_OK) s = arch_put_f32(a, w, GGUF_KEY_LAYERNORM_EPS, eps, err);
    if (s == HF_OK) s = gguf_w_add_u32(w, "general.file_type", file_type, err);
    return s;
}

const arch_def arch_stablelm = {
    .gguf_arch = "stablelm",
    .hf_classes = STABLELM_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = STABLELM_TENSORS,
    .n_tensors = ARCH_N(STABLELM_TENSORS),
    .tie_default = 0, /* StableLmConfig */
    .switches = STABLELM_SWITCHES,
    .n_switches = ARCH_N(STABLELM_SWITCHES),
    .own_kv = stablelm_kv,
    .check = stablelm_check,
};
