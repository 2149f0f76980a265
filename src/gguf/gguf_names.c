/* gguf_names: the tensor-name table and the QKV fusion rule (contract: gguf_names.h). */
#include "gguf/gguf_names.h"

#include <stdio.h>
#include <string.h>

#define BLK "blk.%d."

/* Indexed by gguf_tn; every block tensor's pattern starts with BLK. */
static const char *const TN_PATTERNS[GGUF_TN_COUNT] = {
    [GGUF_TN_TOKEN_EMBD] = "token_embd",
    [GGUF_TN_OUTPUT_NORM] = "output_norm",
    [GGUF_TN_OUTPUT] = "output",
    [GGUF_TN_ATTN_NORM] = BLK "attn_norm",
    [GGUF_TN_ATTN_Q] = BLK "attn_q",
    [GGUF_TN_ATTN_K] = BLK "attn_k",
    [GGUF_TN_ATTN_V] = BLK "attn_v",
    [GGUF_TN_ATTN_QKV] = BLK "attn_qkv",
    [GGUF_TN_ATTN_OUT] = BLK "attn_output",
    [GGUF_TN_ATTN_Q_NORM] = BLK "attn_q_norm",
    [GGUF_TN_ATTN_K_NORM] = BLK "attn_k_norm",
    [GGUF_TN_FFN_NORM] = BLK "ffn_norm",
    [GGUF_TN_FFN_GATE] = BLK "ffn_gate",
    [GGUF_TN_FFN_UP] = BLK "ffn_up",
    [GGUF_TN_FFN_DOWN] = BLK "ffn_down",
};

const char *gguf_tn_pattern(gguf_tn t) { return (unsigned)t < GGUF_TN_COUNT ? TN_PATTERNS[t] : ""; }

int gguf_tn_is_block(gguf_tn t) { return !strncmp(gguf_tn_pattern(t), BLK, sizeof BLK - 1); }

const char *gguf_tn_short(gguf_tn t) {
    const char *p = gguf_tn_pattern(t);
    return gguf_tn_is_block(t) ? p + sizeof BLK - 1 : p;
}

const char *gguf_sfx_str(gguf_sfx s) { return s == GGUF_SFX_BIAS ? ".bias" : ".weight"; }

char *gguf_tn_format(char *buf, size_t cap, gguf_tn t, long long layer, gguf_sfx s) {
    if (gguf_tn_is_block(t)) snprintf(buf, cap, "blk.%lld.%s%s", layer, gguf_tn_short(t), gguf_sfx_str(s));
    else snprintf(buf, cap, "%s%s", gguf_tn_pattern(t), gguf_sfx_str(s));
    return buf;
}

char *gguf_arch_key(char *buf, size_t cap, const char *arch, const char *suffix) {
    snprintf(buf, cap, "%s.%s", arch, suffix);
    return buf;
}

int gguf_qkv_bias_parse(const char *s) {
    if (!strcmp(s, "fused")) return GGUF_QKV_BIAS_FUSED;
    if (!strcmp(s, "separate")) return GGUF_QKV_BIAS_SEPARATE;
    return -1;
}

gguf_qkv_decision gguf_qkv_decide(int n_weights, int n_biases, gguf_qkv_bias mode) {
    gguf_qkv_decision d = {0, 0};
    if (n_weights != 3 || (n_biases != 0 && n_biases != 3)) return d;
    d.fuse_weights = 1;
    d.fuse_biases = n_biases == 3 && mode == GGUF_QKV_BIAS_FUSED;
    return d;
}
