/* rt_arch: the runtime's architecture table (contract and how to add a row: rt_arch.h).
 * Tensor lists follow llama.cpp v0.5.0's loader (src/llama-model.cpp, load_tensors) for
 * each architecture: what it requires, what it accepts when present. */
#include "runtime/rt_arch.h"

#include <stdio.h>
#include <string.h>

#include "runtime/rt_model.h"

/* ==== Rows shared by the tables ==== */
#define M(field) RT_IN_MODEL, offsetof(rt_model, field)
#define L(field) RT_IN_LAYER, offsetof(rt_layer, field)
#define W GGUF_SFX_WEIGHT
#define B GGUF_SFX_BIAS

#define ROW_TOK_EMBD {GGUF_TN_TOKEN_EMBD, W, M(tok_embd), RT_D_EMBD, RT_D_VOCAB, 1, RT_REQUIRED}
#define ROW_OUT_NORM {GGUF_TN_OUTPUT_NORM, W, M(output_norm), RT_D_EMBD, RT_D_1, 0, RT_REQUIRED}
#define ROW_OUT_NORM_B {GGUF_TN_OUTPUT_NORM, B, M(output_norm_b), RT_D_EMBD, RT_D_1, 0, RT_REQUIRED}
/* Optional output: absent means tied to token_embd. */
#define ROW_OUTPUT(need) {GGUF_TN_OUTPUT, W, M(output), RT_D_EMBD, RT_D_VOCAB, 1, need}
#define ROW_OUTPUT_B(need) {GGUF_TN_OUTPUT, B, M(output_b), RT_D_VOCAB, RT_D_1, 0, need}

#define ROW_ATTN_NORM {GGUF_TN_ATTN_NORM, W, L(attn_norm), RT_D_EMBD, RT_D_1, 0, RT_REQUIRED}
#define ROW_ATTN_NORM_B {GGUF_TN_ATTN_NORM, B, L(attn_norm_b), RT_D_EMBD, RT_D_1, 0, RT_REQUIRED}
#define ROW_WO {GGUF_TN_ATTN_OUT, W, L(wo), RT_D_Q, RT_D_EMBD, 1, RT_REQUIRED}
#define ROW_BO(need) {GGUF_TN_ATTN_OUT, B, L(bo), RT_D_EMBD, RT_D_1, 0, need}
#define ROW_FFN_NORM(need) {GGUF_TN_FFN_NORM, W, L(ffn_norm), RT_D_EMBD, RT_D_1, 0, need}
#define ROW_FFN_NORM_B(need) {GGUF_TN_FFN_NORM, B, L(ffn_norm_b), RT_D_EMBD, RT_D_1, 0, need}
#define ROW_GATE {GGUF_TN_FFN_GATE, W, L(w_gate), RT_D_EMBD, RT_D_FF, 1, RT_REQUIRED}
#define ROW_UP {GGUF_TN_FFN_UP, W, L(w_up), RT_D_EMBD, RT_D_FF, 1, RT_REQUIRED}
#define ROW_DOWN {GGUF_TN_FFN_DOWN, W, L(w_down), RT_D_FF, RT_D_EMBD, 1, RT_REQUIRED}
#define ROW_GATE_B(need) {GGUF_TN_FFN_GATE, B, L(b_gate), RT_D_FF, RT_D_1, 0, need}
#define ROW_UP_B(need) {GGUF_TN_FFN_UP, B, L(b_up), RT_D_FF, RT_D_1, 0, need}
#define ROW_DOWN_B(need) {GGUF_TN_FFN_DOWN, B, L(b_down), RT_D_EMBD, RT_D_1, 0, need}

#define N_ROWS(t) (sizeof t / sizeof t[0])

/* ==== Tables ==== */

/* llama: optional attn_output and MLP biases (attention_bias / mlp_bias finetunes). */
static const rt_tensor_row LLAMA[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUTPUT(RT_OPTIONAL),
    ROW_ATTN_NORM, ROW_WO, ROW_BO(RT_OPTIONAL), ROW_FFN_NORM(RT_REQUIRED),
    ROW_GATE, ROW_UP, ROW_DOWN, ROW_GATE_B(RT_OPTIONAL), ROW_UP_B(RT_OPTIONAL), ROW_DOWN_B(RT_OPTIONAL),
};

static const rt_tensor_row QWEN2[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUTPUT(RT_OPTIONAL), ROW_OUTPUT_B(RT_OPTIONAL),
    ROW_ATTN_NORM, ROW_WO, ROW_FFN_NORM(RT_REQUIRED), ROW_GATE, ROW_UP, ROW_DOWN,
};

static const rt_tensor_row QWEN3[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUTPUT(RT_OPTIONAL),
    ROW_ATTN_NORM, ROW_WO,
    {GGUF_TN_ATTN_Q_NORM, W, L(q_norm), RT_D_HEAD, RT_D_1, 0, RT_REQUIRED},
    {GGUF_TN_ATTN_K_NORM, W, L(k_norm), RT_D_HEAD, RT_D_1, 0, RT_REQUIRED},
    ROW_FFN_NORM(RT_REQUIRED), ROW_GATE, ROW_UP, ROW_DOWN,
};

/* phi2: one LayerNorm per layer feeding attention and MLP; biases everywhere, on the head too. */
static const rt_tensor_row PHI2[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUT_NORM_B, ROW_OUTPUT(RT_REQUIRED), ROW_OUTPUT_B(RT_REQUIRED),
    ROW_ATTN_NORM, ROW_ATTN_NORM_B, ROW_WO, ROW_BO(RT_REQUIRED),
    ROW_UP, ROW_UP_B(RT_REQUIRED), ROW_DOWN, ROW_DOWN_B(RT_REQUIRED),
};

static const rt_tensor_row STARCODER2[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUT_NORM_B, ROW_OUTPUT(RT_OPTIONAL),
    ROW_ATTN_NORM, ROW_ATTN_NORM_B, ROW_WO, ROW_BO(RT_REQUIRED),
    ROW_FFN_NORM(RT_REQUIRED), ROW_FFN_NORM_B(RT_REQUIRED),
    ROW_UP, ROW_UP_B(RT_REQUIRED), ROW_DOWN, ROW_DOWN_B(RT_REQUIRED),
};

/* stablelm: optional per-head Q/K LayerNorms (stacked {head_dim, heads}); no ffn_norm means
 * parallel residual (the MLP reads the attention's normed input). */
static const rt_tensor_row STABLELM[] = {
    ROW_TOK_EMBD, ROW_OUT_NORM, ROW_OUT_NORM_B, ROW_OUTPUT(RT_REQUIRED),
    ROW_ATTN_NORM, ROW_ATTN_NORM_B, ROW_WO,
    {GGUF_TN_ATTN_Q_NORM, W, L(q_norm), RT_D_HEAD, RT_D_NHEAD, 0, RT_OPTIONAL},
    {GGUF_TN_ATTN_K_NORM, W, L(k_norm), RT_D_HEAD, RT_D_NHEAD_KV, 0, RT_OPTIONAL},
    ROW_FFN_NORM(RT_OPTIONAL), ROW_FFN_NORM_B(RT_OPTIONAL), ROW_GATE, ROW_UP, ROW_DOWN,
};

/* ==== The architectures ==== */
static const rt_arch RT_ARCHES[] = {
    {"llama", RT_ROPE_NORMAL, RT_NORM_RMS, RT_FFN_SWIGLU, RT_WIRING_SEQUENTIAL, 0, LLAMA, N_ROWS(LLAMA)},
    {"qwen2", RT_ROPE_NEOX, RT_NORM_RMS, RT_FFN_SWIGLU, RT_WIRING_SEQUENTIAL, 0, QWEN2, N_ROWS(QWEN2)},
    {"qwen3", RT_ROPE_NEOX, RT_NORM_RMS, RT_FFN_SWIGLU, RT_WIRING_SEQUENTIAL, 0, QWEN3, N_ROWS(QWEN3)},
    {"phi2", RT_ROPE_NEOX, RT_NORM_LAYER, RT_FFN_GELU, RT_WIRING_PARALLEL, RT_A_Q_PRESCALE, PHI2, N_ROWS(PHI2)},
    {"starcoder2", RT_ROPE_NEOX, RT_NORM_LAYER, RT_FFN_GELU, RT_WIRING_SEQUENTIAL, 0, STARCODER2,
     N_ROWS(STARCODER2)},
    {"stablelm", RT_ROPE_NEOX, RT_NORM_LAYER, RT_FFN_SWIGLU, RT_WIRING_SEQUENTIAL, 0, STABLELM,
     N_ROWS(STABLELM)},
};

size_t rt_arch_count(void) { return N_ROWS(RT_ARCHES); }
const rt_arch *rt_arch_at(size_t i) { return i < N_ROWS(RT_ARCHES) ? &RT_ARCHES[i] : NULL; }

const rt_arch *rt_arch_find(const char *name, size_t len) {
    for (size_t i = 0; i < N_ROWS(RT_ARCHES); i++)
        if (strlen(RT_ARCHES[i].name) == len && !memcmp(RT_ARCHES[i].name, name, len)) return &RT_ARCHES[i];
    return NULL;
}

char *rt_arch_supported_list(char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; i < N_ROWS(RT_ARCHES) && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", RT_ARCHES[i].name);
    return buf;
}
