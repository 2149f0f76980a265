/* arch_rows: shorthands for the tensor rows of convert/arch_*.c (one place for the HF
 * names most families share). Only the arch_*.c files include this. */
#pragma once

#include "convert/arch.h"

#define ARCH_N(t) ((uint32_t)(sizeof t / sizeof t[0]))
#define NO_SW (-1)

/* A row: HF module, GGUF tensor, role, PyTorch shape, weight and bias needs, switch index. */
#define T_ROW(hf, tn, role, d0, d1, wneed, bneed, sw) {hf, tn, role, {d0, d1}, wneed, bneed, sw}

#define T_EMBED T_ROW("model.embed_tokens", GGUF_TN_TOKEN_EMBD, ROLE_OTHER, DIM_VOCAB, DIM_EMBD, NEED_ALWAYS, NEED_NEVER, NO_SW)
#define T_LM_HEAD T_ROW("lm_head", GGUF_TN_OUTPUT, ROLE_OTHER, DIM_VOCAB, DIM_EMBD, NEED_UNLESS_TIED, NEED_NEVER, NO_SW)
/* RMSNorm: a weight, no bias. */
#define T_NORM(hf, tn) T_ROW(hf, tn, ROLE_OTHER, DIM_EMBD, DIM_NONE, NEED_ALWAYS, NEED_NEVER, NO_SW)
/* LayerNorm: weight and bias. */
#define T_LNORM(hf, tn) T_ROW(hf, tn, ROLE_OTHER, DIM_EMBD, DIM_NONE, NEED_ALWAYS, NEED_ALWAYS, NO_SW)
/* A linear layer whose bias follows bneed (and switch sw). */
#define T_LIN(hf, tn, d0, d1, bneed, sw) T_ROW(hf, tn, ROLE_OTHER, d0, d1, NEED_ALWAYS, bneed, sw)
/* model.layers.N.self_attn.{q,k,v}_proj: all three, biases following bneed (and switch sw). */
#define T_QKV3(bneed, sw)                                          \
    T_QKV(ROLE_Q, "q_proj", GGUF_TN_ATTN_Q, DIM_Q, bneed, sw),     \
        T_QKV(ROLE_K, "k_proj", GGUF_TN_ATTN_K, DIM_KV, bneed, sw), \
        T_QKV(ROLE_V, "v_proj", GGUF_TN_ATTN_V, DIM_KV, bneed, sw)
/* One of model.layers.N.self_attn.{q,k,v}_proj. */
#define T_QKV(role, proj, tn, d0, bneed, sw) \
    T_ROW("model.layers.%d.self_attn." proj, tn, role, d0, DIM_EMBD, NEED_ALWAYS, bneed, sw)
