/* rt_model: a GGUF file loaded for inference.
 *
 * rt_model_load opens the file read-only with mmap (gguf_open), reads the
 * hyper-parameters from the "{arch}.*" keys and resolves every tensor the
 * architecture needs, checking its type and shape against the
 * hyper-parameters. Weights point into the mapping: nothing is copied, except
 * the concatenated Q||K||V bias in one of the fused layouts (below) and, unless
 * rt_model_params.repack is 0, the matrices and vectors rt_repack.h places.
 *
 * ==== QKV layouts (all three load) ====
 *   separate:        blk.N.attn_q/k/v.weight (+ optional attn_q/k/v.bias)
 *   fused:           blk.N.attn_qkv.weight {n_embd, n_q+2*n_kv} (+ optional attn_qkv.bias)
 *   fused, separate biases: attn_qkv.weight + attn_q/k/v.bias; the three biases
 *                    are concatenated once here, so the forward pass adds one
 *                    Q||K||V bias after the fused matmul either way.
 * A layer with separate weights exposes them as three row ranges of one
 * logical [n_q+2*n_kv] output (see rt_layer.qkv), so the forward pass writes
 * Q, K and V into the same buffer whichever layout the file has.
 *
 * ==== Errors ====
 * Unsupported architecture, missing or unknown tensor, wrong shape or type,
 * bad hyper-parameter: HF_ERR_UNSUPPORTED / HF_ERR_FORMAT with a message
 * naming the file, the tensor or key, and the expected and actual values.
 * Structural damage (truncated data section, bad offsets) is caught by
 * gguf_open. Every tensor in the file must be used (as llama.cpp requires). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "gguf/gguf.h"
#include "runtime/rt_arch.h"

/* A view of one tensor in the mapping. 1-D tensors have ne1 == 1. */
typedef struct rt_tensor {
    const char *name;  /* the GGUF tensor name (owned by the gguf_file) */
    const void *data;  /* NULL when absent (optional tensors) */
    uint32_t type;     /* ggml type id */
    int64_t ne0, ne1;  /* ne0 = row length (contiguous), ne1 = number of rows */
    size_t row_bytes;  /* bytes of one row of ne0 elements */
    /* Q8_0 matrices after rt_model_repack: rows [0, n_packed) in 16-row groups (quant_pack.h);
     * NULL / 0 when not packed (the rows are then read from data). */
    const uint8_t *packed;
    int64_t n_packed;
} rt_tensor;

typedef struct rt_hparams {
    int64_t n_vocab;
    int64_t n_embd;
    int64_t n_layer;
    int64_t n_head;
    int64_t n_head_kv;
    int64_t head_dim;    /* key_length == value_length (checked) */
    int64_t n_ff;
    int64_t n_ctx_train;
    int64_t n_rot;       /* rotated dims per head (<= head_dim, even) */
    float rope_base;
    float rope_freq_scale; /* 1 / linear scaling factor; 1 if none */
    float norm_eps;        /* of the arch's norm kind (RMS or LayerNorm epsilon) */
    rt_rope_mode rope_mode;
} rt_hparams;

/* Optional tensors the file lacks have data == NULL. */
typedef struct rt_layer {
    rt_tensor attn_norm;  /* [n_embd] F32 */
    rt_tensor attn_norm_b; /* [n_embd] F32, LayerNorm archs */
    /* Q||K||V projection: either one fused weight (qkv_fused) or three
     * separate ones (q, k, v); outputs n_q, n_kv, n_kv rows respectively. */
    int qkv_fused;
    rt_tensor wqkv;       /* fused: {n_embd, n_q + 2*n_kv} */
    rt_tensor wq, wk, wv; /* separate: {n_embd, n_q}, {n_embd, n_kv}, {n_embd, n_kv} */
    const float *bqkv;    /* [n_q + 2*n_kv] F32 bias in Q||K||V order, or NULL */
    float *bqkv_owned;    /* set when bqkv was concatenated at load (freed with the model) */
    rt_tensor wo;         /* {n_q, n_embd} */
    rt_tensor bo;         /* [n_embd] F32, optional (attention_bias finetunes) */
    rt_tensor q_norm, k_norm; /* {head_dim} or {head_dim, n_head(_kv)} F32, when the arch table has them */
    rt_tensor ffn_norm;   /* [n_embd] F32; absent for parallel-residual StableLM */
    rt_tensor ffn_norm_b; /* [n_embd] F32, LayerNorm archs */
    rt_tensor w_gate;     /* {n_embd, n_ff}; SwiGLU only */
    rt_tensor w_up;       /* {n_embd, n_ff} */
    rt_tensor w_down;     /* {n_ff, n_embd} */
    rt_tensor b_gate, b_up; /* [n_ff] F32, optional (mlp_bias) */
    rt_tensor b_down;     /* [n_embd] F32, optional (mlp_bias) */
} rt_layer;

/* The matmul weights of a layer, in the order a decode multiplies them (absent ones included,
 * data NULL): an initializer for an array of RT_LAYER_MATRICES pointers, const or not, so every
 * walk over a layer's matrices (rt_repack, rt_tune) reads this one list. */
#define RT_LAYER_MATRICES 8
#define RT_LAYER_MATRIX_LIST(ly) \
    {&(ly)->wqkv, &(ly)->wq, &(ly)->wk, &(ly)->wv, &(ly)->wo, &(ly)->w_gate, &(ly)->w_up, &(ly)->w_down}

/* Whether rt_model_repack copies the matrices it does not pack (F32/F16/BF16 and the few Q8_0
 * ones with fewer than 16 rows) out of the mapping into memory of huge pages. */
typedef enum rt_copy_matrices {
    RT_COPY_AUTO = 0, /* where the kernel offers transparent huge pages and they take at most half
                         of the available memory (rt_repack.c says why) */
    RT_COPY_NEVER,
    RT_COPY_ALWAYS,   /* whatever the machine (tests) */
} rt_copy_matrices;

/* Where a loaded model's unpacked matrices are read from. */
typedef enum rt_matrix_place {
    RT_MATRICES_NONE = 0,     /* not repacked (rt_model_params.repack 0), or every matrix is packed */
    RT_MATRICES_HUGE_PAGES,   /* copied, the allocation advised to huge pages */
    RT_MATRICES_COPIED,       /* copied, the advice refused (small pages) */
    RT_MATRICES_MAPPED_ASKED, /* mapped: RT_COPY_NEVER */
    RT_MATRICES_MAPPED_NO_THP, /* mapped: transparent huge pages are off or unknown */
    RT_MATRICES_MAPPED_MEMORY, /* mapped: a copy would take more than half of the available memory */
} rt_matrix_place;

/* "copied into huge pages", "read through the mapping (why)", ...: for logs. */
const char *rt_matrix_place_text(rt_matrix_place p);

typedef struct rt_model {
    gguf_file *file;
    const char *arch;     /* "llama", ... (static string from the arch table) */
    const rt_arch *arch_row;
    rt_hparams hp;
    rt_tensor tok_embd;   /* {n_embd, n_vocab}, any supported type */
    rt_tensor output_norm;/* [n_embd] F32 */
    rt_tensor output_norm_b; /* [n_embd] F32, LayerNorm archs */
    rt_tensor output;     /* {n_embd, n_vocab}; == tok_embd when tied */
    rt_tensor output_b;   /* [n_vocab] F32, optional (phi2) */
    int output_tied;
    rt_layer *layers;     /* [n_layer] */
    uint8_t *packed_mem;  /* rt_model_repack's groups (freed with the model), or NULL */
    size_t packed_bytes;
    int64_t n_packed_tensors;
    int packed_huge;      /* the groups' allocation is advised to huge pages and the kernel's
                             transparent huge page mode grants them (madvise or always) */
    uint8_t *copied_mem;  /* rt_model_repack's copies of the vectors (freed with the model), or NULL */
    size_t copied_bytes;
    int64_t n_copied_tensors;
    uint8_t *matrix_mem;  /* rt_model_repack's copies of the other matrices (freed with the model), or NULL */
    size_t matrix_bytes;
    int64_t n_matrix_copies;
    rt_matrix_place matrices; /* where those matrices are read from, and why */
} rt_model;

/* How a model is loaded. */
typedef struct rt_model_params {
    int repack; /* copy Q8_0 matrices into the packed kernels' groups, the vectors into aligned
                   memory and the other matrices into huge pages (rt_repack.h); default 1.
                   0: read everything through the mapping */
    rt_copy_matrices copy_matrices; /* with repack: whether the other matrices are copied */
} rt_model_params;

rt_model_params rt_model_default_params(void);

/* "in huge pages" or "in small pages (...)": where m's packed Q8_0 groups are, for logs. */
const char *rt_packed_pages_text(const rt_model *m);

/* Loads path with the default parameters; on success *out owns the mapping. */
hf_status rt_model_load(rt_model **out, const char *path, hf_err *err);
hf_status rt_model_load_with(rt_model **out, const char *path, const rt_model_params *p, hf_err *err);
/* Same from an already opened file, without repacking; takes ownership of f (closed on
 * failure too). */
hf_status rt_model_from_gguf(rt_model **out, gguf_file *f, hf_err *err);
void rt_model_free(rt_model *m); /* NULL is a no-op */

/* Rows of the Q||K||V output: n_q = n_head*head_dim, n_kv = n_head_kv*head_dim. */
static inline int64_t rt_n_q(const rt_hparams *hp) { return hp->n_head * hp->head_dim; }
static inline int64_t rt_n_kv(const rt_hparams *hp) { return hp->n_head_kv * hp->head_dim; }

/* Can the runtime multiply with weights of this type? (F32, F16, BF16, Q8_0) */
int rt_weight_type_supported(uint32_t type);
