/* arch_llama: LlamaForCausalLM and MistralForCausalLM (llama.cpp's LlamaModel
 * handles both the same way). GGUF arch "llama", NORM RoPE, so HF's Q/K rows
 * are un-permuted; Q/K/V/O biases exist when config attention_bias is true and
 * MLP biases when mlp_bias is true. */
#include "convert/arch.h"

#include <stdio.h>

static const char *const LLAMA_CLASSES[] = {"LlamaForCausalLM", "MistralForCausalLM", NULL};

static const arch_tensor LLAMA_TENSORS[] = {
    {"model.embed_tokens", "token_embd", ROLE_OTHER, {DIM_VOCAB, DIM_EMBD}, NEED_ALWAYS, NEED_NEVER},
    {"model.norm", "output_norm", ROLE_OTHER, {DIM_EMBD, DIM_NONE}, NEED_ALWAYS, NEED_NEVER},
    {"lm_head", "output", ROLE_OTHER, {DIM_VOCAB, DIM_EMBD}, NEED_UNLESS_TIED, NEED_NEVER},
    {"model.layers.%d.input_layernorm", "blk.%d.attn_norm", ROLE_OTHER, {DIM_EMBD, DIM_NONE}, NEED_ALWAYS,
     NEED_NEVER},
    {"model.layers.%d.self_attn.q_proj", "blk.%d.attn_q", ROLE_Q, {DIM_Q, DIM_EMBD}, NEED_ALWAYS,
     NEED_IF_ATTN_BIAS},
    {"model.layers.%d.self_attn.k_proj", "blk.%d.attn_k", ROLE_K, {DIM_KV, DIM_EMBD}, NEED_ALWAYS,
     NEED_IF_ATTN_BIAS},
    {"model.layers.%d.self_attn.v_proj", "blk.%d.attn_v", ROLE_V, {DIM_KV, DIM_EMBD}, NEED_ALWAYS,
     NEED_IF_ATTN_BIAS},
    {"model.layers.%d.self_attn.o_proj", "blk.%d.attn_output", ROLE_OTHER, {DIM_EMBD, DIM_Q}, NEED_ALWAYS,
     NEED_IF_ATTN_BIAS},
    {"model.layers.%d.post_attention_layernorm", "blk.%d.ffn_norm", ROLE_OTHER, {DIM_EMBD, DIM_NONE}, NEED_ALWAYS,
     NEED_NEVER},
    {"model.layers.%d.mlp.gate_proj", "blk.%d.ffn_gate", ROLE_OTHER, {DIM_FF, DIM_EMBD}, NEED_ALWAYS,
     NEED_IF_MLP_BIAS},
    {"model.layers.%d.mlp.up_proj", "blk.%d.ffn_up", ROLE_OTHER, {DIM_FF, DIM_EMBD}, NEED_ALWAYS, NEED_IF_MLP_BIAS},
    {"model.layers.%d.mlp.down_proj", "blk.%d.ffn_down", ROLE_OTHER, {DIM_EMBD, DIM_FF}, NEED_ALWAYS,
     NEED_IF_MLP_BIAS},
};

static hf_status llama_extra_kv(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *cfg_path,
                                const arch_hparams *hp, hf_err *err) {
    (void)cfg;
    (void)cfg_path;
    char key[128];
    snprintf(key, sizeof key, "%s.vocab_size", a->gguf_arch);
    hf_status s = gguf_w_add_u32(w, key, (uint32_t)hp->n_vocab, err);
    if (s != HF_OK) return s;
    /* head_dim from the config, else hidden_size // num_attention_heads: hp->head_dim already is that. */
    snprintf(key, sizeof key, "%s.rope.dimension_count", a->gguf_arch);
    return gguf_w_add_u32(w, key, (uint32_t)hp->head_dim, err);
}

const arch_def arch_llama = {
    .gguf_arch = "llama",
    .hf_classes = LLAMA_CLASSES,
    .flags = ARCH_PERMUTE_QK | ARCH_FUSE_QKV,
    .tensors = LLAMA_TENSORS,
    .n_tensors = sizeof LLAMA_TENSORS / sizeof LLAMA_TENSORS[0],
    .extra_kv = llama_extra_kv,
};
