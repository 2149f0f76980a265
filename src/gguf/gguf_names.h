/* gguf_names: the GGUF vocabulary hf2gguf writes and reads — tensor names, "{arch}.*"
 * hyper-parameter keys, and the QKV fusion rule. The converter, the runtime and the GGUF
 * tools all spell names through this header, so a name exists in exactly one place
 * (the strings are llama.cpp's, gguf-py/gguf/constants.py; docs/gguf-keys.md lists them).
 *
 * ==== Tensor names ====
 * A tensor is a gguf_tn (its base name, "blk.%d." prefixed for block tensors) plus a suffix
 * ".weight" or ".bias": gguf_tn_format(buf, cap, GGUF_TN_ATTN_Q, 3, GGUF_SFX_WEIGHT) gives
 * "blk.3.attn_q.weight". To add a tensor: a value in the enum and its row in gguf_names.c.
 *
 * ==== Keys ====
 * Per-architecture keys are suffixes (GGUF_KEY_*), prefixed with the architecture name by
 * gguf_arch_key: gguf_arch_key(buf, cap, "qwen2", GGUF_KEY_BLOCK_COUNT) = "qwen2.block_count".
 *
 * ==== QKV fusion ====
 * One rule decides, per layer, what --fuse-qkv in the converter and `hf2gguf fuse-qkv` fuse:
 * gguf_qkv_decide (below). */
#pragma once

#include <stddef.h>

typedef enum gguf_tn {
    GGUF_TN_TOKEN_EMBD = 0,
    GGUF_TN_OUTPUT_NORM,
    GGUF_TN_OUTPUT,
    /* block tensors (blk.N.) from here on */
    GGUF_TN_ATTN_NORM,
    GGUF_TN_ATTN_Q,
    GGUF_TN_ATTN_K,
    GGUF_TN_ATTN_V,
    GGUF_TN_ATTN_QKV,
    GGUF_TN_ATTN_OUT,
    GGUF_TN_ATTN_Q_NORM,
    GGUF_TN_ATTN_K_NORM,
    GGUF_TN_FFN_NORM,
    GGUF_TN_FFN_GATE,
    GGUF_TN_FFN_UP,
    GGUF_TN_FFN_DOWN,
    GGUF_TN_COUNT,
} gguf_tn;

typedef enum gguf_sfx {
    GGUF_SFX_WEIGHT = 0,
    GGUF_SFX_BIAS = 1,
} gguf_sfx;

/* Base name: "token_embd", "blk.%d.attn_q", ... (a printf pattern for block tensors). */
const char *gguf_tn_pattern(gguf_tn t);
/* The name without "blk.%d.": "attn_q". */
const char *gguf_tn_short(gguf_tn t);
/* 1 for blk.N.* tensors. */
int gguf_tn_is_block(gguf_tn t);
/* ".weight" / ".bias". */
const char *gguf_sfx_str(gguf_sfx s);
/* Full name into buf ("blk.3.attn_q.weight"; layer ignored for non-block tensors).
 * Returns buf; a name longer than cap is truncated (names are short: cap 96 suffices). */
char *gguf_tn_format(char *buf, size_t cap, gguf_tn t, long long layer, gguf_sfx s);

/* ==== "{arch}.*" keys (suffixes) ==== */
#define GGUF_KEY_VOCAB_SIZE "vocab_size"
#define GGUF_KEY_CONTEXT_LENGTH "context_length"
#define GGUF_KEY_EMBEDDING_LENGTH "embedding_length"
#define GGUF_KEY_BLOCK_COUNT "block_count"
#define GGUF_KEY_FEED_FORWARD_LENGTH "feed_forward_length"
#define GGUF_KEY_USE_PARALLEL_RESIDUAL "use_parallel_residual"
#define GGUF_KEY_HEAD_COUNT "attention.head_count"
#define GGUF_KEY_HEAD_COUNT_KV "attention.head_count_kv"
#define GGUF_KEY_KEY_LENGTH "attention.key_length"
#define GGUF_KEY_VALUE_LENGTH "attention.value_length"
#define GGUF_KEY_LAYERNORM_EPS "attention.layer_norm_epsilon"
#define GGUF_KEY_LAYERNORM_RMS_EPS "attention.layer_norm_rms_epsilon"
#define GGUF_KEY_CAUSAL "attention.causal"
#define GGUF_KEY_ROPE_DIMENSION_COUNT "rope.dimension_count"
#define GGUF_KEY_ROPE_FREQ_BASE "rope.freq_base"
#define GGUF_KEY_ROPE_FREQ_BASE_SWA "rope.freq_base_swa"
#define GGUF_KEY_ROPE_SCALING_TYPE "rope.scaling.type"
#define GGUF_KEY_ROPE_SCALING_FACTOR "rope.scaling.factor"
#define GGUF_KEY_ROPE_SCALING_ORIG_CTX "rope.scaling.original_context_length"
#define GGUF_KEY_EXPERT_USED_COUNT "expert_used_count"

/* "<arch>.<suffix>" into buf; returns buf (truncated to cap). */
char *gguf_arch_key(char *buf, size_t cap, const char *arch, const char *suffix);

/* ==== QKV fusion rule ==== */

/* Where a fused layer's Q/K/V biases go. */
typedef enum gguf_qkv_bias {
    GGUF_QKV_BIAS_FUSED = 0, /* blk.N.attn_qkv.bias (llama.cpp v0.5.0's converter --fuse-qkv) */
    GGUF_QKV_BIAS_SEPARATE,  /* blk.N.attn_q/k/v.bias beside the fused weight (the upstream PR's layout) */
} gguf_qkv_bias;

/* Parses "fused" / "separate"; -1 if neither. */
int gguf_qkv_bias_parse(const char *s);

typedef struct gguf_qkv_decision {
    int fuse_weights; /* attn_q/k/v.weight -> attn_qkv.weight */
    int fuse_biases;  /* attn_q/k/v.bias -> attn_qkv.bias */
} gguf_qkv_decision;

/* The per-layer rule of llama.cpp's prepare_qkv_fusion: a layer fuses when all three Q/K/V
 * weights exist and either none or all three of its Q/K/V biases do; a layer with only some
 * biases stays entirely unfused. n_weights / n_biases count those present (0..3). */
gguf_qkv_decision gguf_qkv_decide(int n_weights, int n_biases, gguf_qkv_bias mode);
