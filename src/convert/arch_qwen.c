/* arch_qwen: Qwen2ForCausalLM (GGUF qwen2) and Qwen3ForCausalLM (GGUF qwen3), as llama.cpp's
 * Qwen2Model / Qwen3Model convert them: the generic KV pairs only, no Q/K permutation (NEOX
 * RoPE), HF names as Llama's. Qwen2 always has Q/K/V biases (no O bias); Qwen3 has them only
 * with attention_bias, and per-head RMS q_norm/k_norm of head_dim (which may differ from
 * hidden_size / num_attention_heads). */
#include "convert/arch_rows.h"

#define T_SWIGLU_MLP                                                                                   \
    T_NORM("model.layers.%d.post_attention_layernorm", GGUF_TN_FFN_NORM),                             \
        T_LIN("model.layers.%d.mlp.gate_proj", GGUF_TN_FFN_GATE, DIM_FF, DIM_EMBD, NEED_NEVER, NO_SW), \
        T_LIN("model.layers.%d.mlp.up_proj", GGUF_TN_FFN_UP, DIM_FF, DIM_EMBD, NEED_NEVER, NO_SW),     \
        T_LIN("model.layers.%d.mlp.down_proj", GGUF_TN_FFN_DOWN, DIM_EMBD, DIM_FF, NEED_NEVER, NO_SW)

static const char *const QWEN2_CLASSES[] = {"Qwen2ForCausalLM", NULL};

static const arch_tensor QWEN2_TENSORS[] = {
    T_EMBED, T_NORM("model.norm", GGUF_TN_OUTPUT_NORM), T_LM_HEAD,
    T_NORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_ALWAYS, NO_SW),
    T_LIN("model.layers.%d.self_attn.o_proj", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_NEVER, NO_SW),
    T_SWIGLU_MLP,
};

const arch_def arch_qwen2 = {
    .gguf_arch = "qwen2",
    .hf_classes = QWEN2_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = QWEN2_TENSORS,
    .n_tensors = ARCH_N(QWEN2_TENSORS),
    .tie_default = 0, /* Qwen2Config */
};

static const char *const QWEN3_CLASSES[] = {"Qwen3ForCausalLM", NULL};

enum { SW_ATTN_BIAS };
static const arch_switch QWEN3_SWITCHES[] = {{"attention_bias", 0}}; /* Qwen3Config default */

static const arch_tensor QWEN3_TENSORS[] = {
    T_EMBED, T_NORM("model.norm", GGUF_TN_OUTPUT_NORM), T_LM_HEAD,
    T_NORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_IF_SW, SW_ATTN_BIAS),
    T_LIN("model.layers.%d.self_attn.o_proj", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_IF_SW, SW_ATTN_BIAS),
    T_ROW("model.layers.%d.self_attn.q_norm", GGUF_TN_ATTN_Q_NORM, ROLE_OTHER, DIM_HEAD, DIM_NONE, NEED_ALWAYS,
          NEED_NEVER, NO_SW),
    T_ROW("model.layers.%d.self_attn.k_norm", GGUF_TN_ATTN_K_NORM, ROLE_OTHER, DIM_HEAD, DIM_NONE, NEED_ALWAYS,
          NEED_NEVER, NO_SW),
    T_SWIGLU_MLP,
};

const arch_def arch_qwen3 = {
    .gguf_arch = "qwen3",
    .hf_classes = QWEN3_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = QWEN3_TENSORS,
    .n_tensors = ARCH_N(QWEN3_TENSORS),
    .tie_default = 0, /* Qwen3Config */
    .switches = QWEN3_SWITCHES,
    .n_switches = ARCH_N(QWEN3_SWITCHES),
};
