/* arch: the architecture table of the converter. One row (arch_def) per GGUF
 * architecture says which HF classes it covers, how HF tensor names map to
 * GGUF names, which shapes to expect, and which transforms apply.
 *
 * ==== How to add an architecture ====
 * Write src/convert/arch_<name>.c defining a `const arch_def arch_<name>` with
 *   - gguf_arch and the HF `architectures[0]` class names it accepts;
 *   - the tensor rows: HF module name with one optional "%d" (the layer), the
 *     GGUF name with the same "%d", the role (Q/K/V matter for permute and
 *     fusion), the expected PyTorch shape in hparam units, and whether the
 *     weight and the bias are required, optional or config-dependent;
 *   - flags (ARCH_PERMUTE_QK for NORM-RoPE archs stored in HF's NEOX layout,
 *     ARCH_FUSE_QKV when the GGUF arch accepts blk.N.attn_qkv);
 *   - an optional extra_kv hook for keys beyond the generic hparams (llama
 *     writes vocab_size and rope.dimension_count), and an optional
 *     tensor_hook for value transforms (e.g. Gemma's norm +1).
 * Then add its address to ARCHES in arch.c. Nothing else changes. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "gguf/gguf.h"

/* Hyper-parameters resolved from config.json, in the units shapes are written in. */
typedef struct arch_hparams {
    int64_t n_layer;
    int64_t n_embd;
    int64_t n_ff;
    int64_t n_head;
    int64_t n_head_kv;
    int64_t head_dim;
    int64_t n_vocab;
    int tie_embeddings;  /* tie_word_embeddings (default 1, as transformers' PretrainedConfig) */
    int tie_explicit;    /* the key was present */
    int attention_bias;  /* config attention_bias: 1, 0, or -1 when absent */
    int mlp_bias;        /* config mlp_bias: 1, 0, or -1 when absent */
} arch_hparams;

/* Symbolic dimension of an expected shape. */
typedef enum arch_dim {
    DIM_NONE = 0, /* end of shape */
    DIM_EMBD,     /* n_embd */
    DIM_FF,       /* n_ff */
    DIM_VOCAB,    /* n_vocab */
    DIM_Q,        /* n_head * head_dim */
    DIM_KV,       /* n_head_kv * head_dim */
} arch_dim;

typedef enum arch_role {
    ROLE_OTHER = 0,
    ROLE_Q,
    ROLE_K,
    ROLE_V,
} arch_role;

/* When a tensor (weight or bias) must be present. */
typedef enum arch_need {
    NEED_NEVER = 0,    /* must not be present (bias of a bias-free layer) */
    NEED_ALWAYS,       /* must be present */
    NEED_UNLESS_TIED,  /* present iff the config says the embeddings are untied (lm_head) */
    NEED_IF_ATTN_BIAS, /* present iff config attention_bias */
    NEED_IF_MLP_BIAS,  /* present iff config mlp_bias */
} arch_need;

typedef struct arch_tensor {
    const char *hf;       /* HF module name, e.g. "model.layers.%d.self_attn.q_proj" */
    const char *gguf;     /* GGUF name without suffix, e.g. "blk.%d.attn_q" */
    arch_role role;
    arch_dim shape[2];    /* PyTorch shape of the weight (rows, cols); 1-D weights use shape[0] */
    arch_need weight;
    arch_need bias;       /* bias shape is {shape[0]} */
} arch_tensor;

enum {
    ARCH_PERMUTE_QK = 1u << 0, /* undo HF's rotate_half layout of Q/K rows (NORM RoPE) */
    ARCH_FUSE_QKV = 1u << 1,   /* the GGUF arch accepts blk.N.attn_qkv */
};

typedef struct arch_def arch_def;

/* Writes arch-specific KV pairs after the generic hyper-parameters (and after
 * general.file_type, as llama.cpp's subclasses do after super()). */
typedef hf_status (*arch_kv_hook)(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *cfg_path,
                                  const arch_hparams *hp, hf_err *err);

struct arch_def {
    const char *gguf_arch;
    const char *const *hf_classes; /* NULL-terminated */
    unsigned flags;
    const arch_tensor *tensors;
    uint32_t n_tensors;
    arch_kv_hook extra_kv;        /* may be NULL */
};

/* The row whose hf_classes contains `hf_class`, or NULL. */
const arch_def *arch_find(const char *hf_class);
/* Comma-separated list of every supported HF class, for messages. */
const char *arch_supported_list(void);

/* Matches an HF tensor name (with its .weight/.bias suffix) against a row.
 * Returns the row index or -1; *layer gets the %d value (-1 when none) and
 * *is_bias whether the suffix was ".bias". */
int arch_match(const arch_def *a, const char *hf_name, int64_t *layer, int *is_bias);

/* Expected size of a symbolic dimension. */
int64_t arch_dim_value(arch_dim d, const arch_hparams *hp);

/* Whether a tensor with requirement `need` must be present under hp (1), must
 * be absent (0 with *forbidden = 1), or may be either (0). */
int arch_need_required(arch_need need, const arch_hparams *hp, int *forbidden);
