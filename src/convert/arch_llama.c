/* arch_llama: LlamaForCausalLM and MistralForCausalLM (llama.cpp's LlamaModel
 * handles both the same way). GGUF arch "llama", NORM RoPE, so HF's Q/K rows
 * are un-permuted; Q/K/V/O biases exist when config attention_bias is true and
 * MLP biases when mlp_bias is true. */
#include "convert/arch_rows.h"

static const char *const LLAMA_CLASSES[] = {"LlamaForCausalLM", "MistralForCausalLM", NULL};

enum { SW_ATTN_BIAS, SW_MLP_BIAS };
/* Absent: either way (llama.cpp converts what it finds). */
static const arch_switch LLAMA_SWITCHES[] = {{"attention_bias", -1}, {"mlp_bias", -1}};

static const arch_tensor LLAMA_TENSORS[] = {
    T_EMBED, T_NORM("model.norm", GGUF_TN_OUTPUT_NORM), T_LM_HEAD,
    T_NORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_IF_SW, SW_ATTN_BIAS),
    T_LIN("model.layers.%d.self_attn.o_proj", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_IF_SW, SW_ATTN_BIAS),
    T_NORM("model.layers.%d.post_attention_layernorm", GGUF_TN_FFN_NORM),
    T_LIN("model.layers.%d.mlp.gate_proj", GGUF_TN_FFN_GATE, DIM_FF, DIM_EMBD, NEED_IF_SW, SW_MLP_BIAS),
    T_LIN("model.layers.%d.mlp.up_proj", GGUF_TN_FFN_UP, DIM_FF, DIM_EMBD, NEED_IF_SW, SW_MLP_BIAS),
    T_LIN("model.layers.%d.mlp.down_proj", GGUF_TN_FFN_DOWN, DIM_EMBD, DIM_FF, NEED_IF_SW, SW_MLP_BIAS),
};

static hf_status llama_extra_kv(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *cfg_path,
                                const arch_hparams *hp, uint32_t file_type, hf_err *err) {
    (void)cfg;
    (void)cfg_path;
    (void)file_type;
    hf_status s = arch_put_u32(a, w, GGUF_KEY_VOCAB_SIZE, hp->n_vocab, err);
    /* head_dim from the config, else hidden_size // num_attention_heads: hp->head_dim already is that. */
    return s == HF_OK ? arch_put_u32(a, w, GGUF_KEY_ROPE_DIMENSION_COUNT, hp->head_dim, err) : s;
}

/* NORM RoPE in GGUF, rotate_half in HF: Q rows are un-permuted per head (n_head heads),
 * K rows per KV head, weights and biases alike. */
static void llama_xform(const arch_def *a, const arch_tensor *row, const arch_hparams *hp, arch_xform *x) {
    (void)a;
    if (row->role == ROLE_Q) x->permute_heads = hp->n_head;
    if (row->role == ROLE_K) x->permute_heads = hp->n_head_kv;
}

const arch_def arch_llama = {
    .gguf_arch = "llama",
    .hf_classes = LLAMA_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = LLAMA_TENSORS,
    .n_tensors = ARCH_N(LLAMA_TENSORS),
    .tie_default = 1, /* transformers' PretrainedConfig default */
    .switches = LLAMA_SWITCHES,
    .n_switches = ARCH_N(LLAMA_SWITCHES),
    .extra_kv = llama_extra_kv,
    .xform = llama_xform,
};
