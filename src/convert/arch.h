/* arch: the architecture table of the converter. One row (arch_def) per GGUF
 * architecture says which HF classes it covers, how HF tensor names map to
 * GGUF names, which shapes to expect, and which transforms apply.
 *
 * ==== How to add an architecture ====
 * Write src/convert/arch_<name>.c defining a `const arch_def arch_<name>` with
 *   - gguf_arch and the HF `architectures[0]` class names it accepts;
 *   - the tensor rows: HF module name with an optional "%d" (the layer; a second one
 *     for per-head tensors that are stacked), the GGUF tensor (gguf_names.h), the role
 *     (Q/K/V matter for permute and fusion), the expected PyTorch shape in hparam
 *     units, and whether the weight and the bias are required, optional or
 *     config-dependent;
 *   - the boolean config switches that decide which tensors exist (attention_bias,
 *     use_qkv_bias, ...) and the default of tie_word_embeddings, both as the arch's
 *     transformers config class has them;
 *   - flags (ARCH_FUSE_QKV when the GGUF arch accepts blk.N.attn_qkv);
 *   - KV hooks: none for archs whose llama.cpp class uses the generic writer, extra_kv
 *     for keys written after it (llama: vocab_size, rope.dimension_count), own_kv for
 *     classes that write their own list (phi2, stablelm);
 *   - an optional xform hook for per-tensor transforms applied while rows are converted
 *     (llama: undo HF's rotate_half layout of Q/K rows for NORM RoPE) and an optional
 *     check hook for hparams constraints of that arch.
 * Then add its address to ARCHES in arch.c. Nothing else changes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "gguf/gguf.h"
#include "gguf/gguf_names.h"

/* Most boolean config switches an architecture's tensors depend on (attention_bias, ...). */
#define ARCH_MAX_SWITCHES 4

/* Hyper-parameters resolved from config.json, in the units shapes are written in. */
typedef struct arch_hparams {
    int64_t n_layer;
    int64_t n_embd;
    int64_t n_ff;
    int64_t n_head;
    int64_t n_head_kv;
    int64_t head_dim;
    int64_t n_vocab;
    int tie_embeddings;  /* tie_word_embeddings (default: the arch's, as its transformers config class) */
    int sw[ARCH_MAX_SWITCHES]; /* the arch's switches (arch_def.switches): 1, 0, or -1 when absent without default */
} arch_hparams;

/* Symbolic dimension of an expected shape. */
typedef enum arch_dim {
    DIM_NONE = 0, /* end of shape */
    DIM_EMBD,     /* n_embd */
    DIM_FF,       /* n_ff */
    DIM_VOCAB,    /* n_vocab */
    DIM_Q,        /* n_head * head_dim */
    DIM_KV,       /* n_head_kv * head_dim */
    DIM_HEAD,     /* head_dim (per-head norms) */
} arch_dim;

typedef enum arch_role {
    ROLE_OTHER = 0,
    ROLE_Q,
    ROLE_K,
    ROLE_V,
    /* One of n_head (STACK_Q) or n_head_kv (STACK_K) per-head vectors whose HF name has a
     * second "%d" (the head); stacked in head order into one {shape, heads} GGUF tensor. */
    ROLE_STACK_Q,
    ROLE_STACK_K,
} arch_role;

/* When a tensor (weight or bias) must be present. */
typedef enum arch_need {
    NEED_NEVER = 0,    /* must not be present (bias of a bias-free layer) */
    NEED_ALWAYS,       /* must be present */
    NEED_UNLESS_TIED,  /* present iff the config says the embeddings are untied (lm_head) */
    NEED_IF_SW,        /* present iff the row's switch is on (either way when the switch is unknown) */
    NEED_UNLESS_SW,    /* present iff the row's switch is off */
} arch_need;

typedef struct arch_tensor {
    const char *hf;       /* HF module name, e.g. "model.layers.%d.self_attn.q_proj" */
    gguf_tn gguf;         /* GGUF tensor (gguf_names.h) */
    arch_role role;
    arch_dim shape[2];    /* PyTorch shape of the weight (rows, cols); 1-D weights use shape[0] */
    arch_need weight;
    arch_need bias;       /* bias shape is {shape[0]} */
    int sw;               /* index into arch_def.switches for NEED_IF_SW / NEED_UNLESS_SW */
} arch_tensor;

/* A boolean config.json key that decides which tensors exist. */
typedef struct arch_switch {
    const char *key;
    int dflt; /* value when absent: 1, 0, or -1 (unknown: the tensors it guards are optional) */
} arch_switch;

enum {
    ARCH_FUSE_QKV = 1u << 0, /* the GGUF arch accepts blk.N.attn_qkv */
};

typedef struct arch_def arch_def;

/* How one source tensor is converted, beyond type conversion (filled by arch_def.xform). */
typedef struct arch_xform {
    int64_t permute_heads; /* 0: rows copied in order; else undo HF's rotate_half layout per head of rows */
} arch_xform;

/* Writes KV pairs (see arch_def.own_kv / extra_kv). */
typedef hf_status (*arch_kv_hook)(const arch_def *a, gguf_writer *w, const cJSON *cfg, const char *cfg_path,
                                  const arch_hparams *hp, uint32_t file_type, hf_err *err);
/* The transform of the tensor of `row`; the default is none. */
typedef void (*arch_xform_hook)(const arch_def *a, const arch_tensor *row, const arch_hparams *hp, arch_xform *x);
/* Checks hparams the generic resolution cannot know about (e.g. phi2's fixed FFN width). */
typedef hf_status (*arch_check_hook)(const arch_def *a, const cJSON *cfg, const char *cfg_path,
                                     const arch_hparams *hp, hf_err *err);

struct arch_def {
    const char *gguf_arch;
    const char *const *hf_classes; /* NULL-terminated */
    unsigned flags;                /* ARCH_* */
    const arch_tensor *tensors;
    uint32_t n_tensors;
    int tie_default;               /* tie_word_embeddings when config.json lacks it */
    const arch_switch *switches;   /* the keys arch_tensor.sw indexes */
    uint32_t n_switches;           /* <= ARCH_MAX_SWITCHES */
    /* KV pairs: NULL own_kv means llama.cpp's generic TextModel.set_gguf_parameters (which
     * ends with general.file_type), then extra_kv when set (llama writes vocab_size and
     * rope.dimension_count after it). An arch whose converter class does not call the
     * generic writer (phi2, stablelm) sets own_kv, which writes everything incl. file_type. */
    arch_kv_hook own_kv;
    arch_kv_hook extra_kv;
    arch_xform_hook xform;         /* may be NULL */
    arch_check_hook check;         /* may be NULL */
};

/* The row whose hf_classes contains `hf_class`, or NULL. */
const arch_def *arch_find(const char *hf_class);
/* Comma-separated list of every supported HF class into buf (truncated to cap); returns buf. */
char *arch_supported_list(char *buf, size_t cap);
/* The number of rows and row i (for tests and docs). */
uint32_t arch_count(void);
const arch_def *arch_at(uint32_t i);

/* Matches an HF tensor name (with its .weight/.bias suffix) against a row.
 * Returns the row index or -1; *layer gets the first %d value (-1 when none), *sub the
 * second (the head of a stacked row, -1 when none) and *is_bias whether the suffix was ".bias". */
int arch_match(const arch_def *a, const char *hf_name, int64_t *layer, int64_t *sub, int *is_bias);

/* Expected size of a symbolic dimension. */
int64_t arch_dim_value(arch_dim d, const arch_hparams *hp);
/* How many parts a row stacks (n_head / n_head_kv), or 0 for unstacked rows. */
int64_t arch_stack_count(const arch_tensor *row, const arch_hparams *hp);

/* Whether a tensor of `row` with requirement `need` must be present under hp (1), must be
 * absent (0 with *forbidden = 1), or may be either (0). */
int arch_need_required(const arch_tensor *row, arch_need need, const arch_hparams *hp, int *forbidden);

/* ==== Helpers for own_kv / extra_kv hooks ==== */

/* "<arch>.<suffix>" = v. */
hf_status arch_put_u32(const arch_def *a, gguf_writer *w, const char *suffix, int64_t v, hf_err *err);
hf_status arch_put_f32(const arch_def *a, gguf_writer *w, const char *suffix, double v, hf_err *err);
hf_status arch_put_bool(const arch_def *a, gguf_writer *w, const char *suffix, int v, hf_err *err);
/* The first of keys present in cfg, as a non-negative integer / a number; *found = 0 when none
 * is (an error when required). Messages name cfg_path and the key. */
hf_status arch_cfg_int(const cJSON *cfg, const char *const *keys, const char *cfg_path, int required, int64_t *out,
                       int *found, hf_err *err);
hf_status arch_cfg_num(const cJSON *cfg, const char *const *keys, const char *cfg_path, int required, double *out,
                       int *found, hf_err *err);
/* partial_rotary_factor (or rope_pct / rope_percent, as llama.cpp mirrors them into
 * rope_parameters), required, in (0, 1]. */
hf_status arch_cfg_rotary_factor(const cJSON *cfg, const char *cfg_path, double *out, hf_err *err);
/* The rotary dimensions per head a partial_rotary_factor gave must be even (RoPE pairs) and
 * within head_dim; the error names the key. */
hf_status arch_check_rot_dims(const char *cfg_path, int64_t n_rot, const arch_hparams *hp, hf_err *err);
