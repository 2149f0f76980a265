/* arch_starcoder2: Starcoder2ForCausalLM (GGUF starcoder2), as llama.cpp's StarCoder2Model
 * converts it: the generic KV pairs, LayerNorms with biases, GELU MLP c_fc/c_proj, and
 * biases on Q/K/V/O and the MLP when config use_bias (default true). NEOX RoPE, no permute. */
#include "convert/arch_rows.h"

static const char *const STARCODER2_CLASSES[] = {"Starcoder2ForCausalLM", NULL};

enum { SW_USE_BIAS };
static const arch_switch STARCODER2_SWITCHES[] = {{"use_bias", 1}}; /* Starcoder2Config default */

static const arch_tensor STARCODER2_TENSORS[] = {
    T_EMBED, T_LNORM("model.norm", GGUF_TN_OUTPUT_NORM), T_LM_HEAD,
    T_LNORM("model.layers.%d.input_layernorm", GGUF_TN_ATTN_NORM),
    T_QKV3(NEED_IF_SW, SW_USE_BIAS),
    T_LIN("model.layers.%d.self_attn.o_proj", GGUF_TN_ATTN_OUT, DIM_EMBD, DIM_Q, NEED_IF_SW, SW_USE_BIAS),
    T_LNORM("model.layers.%d.post_attention_layernorm", GGUF_TN_FFN_NORM),
    T_LIN("model.layers.%d.mlp.c_fc", GGUF_TN_FFN_UP, DIM_FF, DIM_EMBD, NEED_IF_SW, SW_USE_BIAS),
    T_LIN("model.layers.%d.mlp.c_proj", GGUF_TN_FFN_DOWN, DIM_EMBD, DIM_FF, NEED_IF_SW, SW_USE_BIAS),
};

const arch_def arch_starcoder2 = {
    .gguf_arch = "starcoder2",
    .hf_classes = STARCODER2_CLASSES,
    .flags = ARCH_FUSE_QKV,
    .tensors = STARCODER2_TENSORS,
    .n_tensors = ARCH_N(STARCODER2_TENSORS),
    .tie_default = 1, /* Starcoder2Config */
    .switches = STARCODER2_SWITCHES,
    .n_switches = ARCH_N(STARCODER2_SWITCHES),
};
