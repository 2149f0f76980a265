/* rt_arch: the architectures the runtime executes, as data.
 *
 * An architecture is one rt_arch row: which norm, FFN, RoPE mode and layer wiring its
 * forward pass composes from the shared blocks of rt_forward.c, and its tensor table —
 * every GGUF tensor the loader resolves (besides the Q/K/V projection, which every
 * architecture loads the same way in any of the three QKV layouts, see rt_model.h), with
 * its shape in hyper-parameter units and whether it is required or optional.
 *
 * ==== How to add an architecture ====
 *   1. Write its tensor table in rt_arch.c (the ROW_* macros cover the usual tensors).
 *   2. Add its row to RT_ARCHES with the norm/FFN/RoPE/wiring it uses and any RT_A_* flags.
 *   3. Only if its layer is wired differently from the existing rt_wiring values (say,
 *      sandwich norms), add a wiring and a short composition in rt_forward.c; attention, FFN
 *      and kernels are shared, never copied. A genuinely new block (MoE, a recurrent mixer)
 *      is a new function in rt_forward.c/rt_kernels.c with its own unit test.
 * The "supported architectures" message is built from RT_ARCHES. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf_names.h"

typedef enum rt_rope_mode {
    RT_ROPE_NORMAL = 0, /* llama: rotate adjacent pairs (x[2i], x[2i+1]) */
    RT_ROPE_NEOX = 2,   /* gpt-neox/qwen2/phi2/...: rotate (x[i], x[i + n_rot/2]) */
} rt_rope_mode;

typedef enum rt_norm_kind {
    RT_NORM_RMS = 0, /* x / sqrt(mean(x^2) + eps) * w; eps from attention.layer_norm_rms_epsilon */
    RT_NORM_LAYER,   /* (x - mean) / sqrt(var + eps) * w + b; eps from attention.layer_norm_epsilon */
} rt_norm_kind;

typedef enum rt_ffn_kind {
    RT_FFN_SWIGLU = 0, /* down(silu(gate(x)) * up(x)) */
    RT_FFN_GELU,       /* down(gelu(up(x))): no gate */
} rt_ffn_kind;

typedef enum rt_wiring {
    /* x += attn(norm(x)); x += ffn(ffn_norm(x)). Without ffn_norm (StableLM's parallel
     * residual) the FFN reads the attention's normed input instead. */
    RT_WIRING_SEQUENTIAL = 0,
    /* h = norm(x); x += attn(h) + ffn(h) (Phi-2: one norm, attention and MLP side by side). */
    RT_WIRING_PARALLEL,
} rt_wiring;

/* Symbolic dimensions of a tensor shape. */
typedef enum rt_dim {
    RT_D_1 = 0, /* 1 (second dim of vectors) */
    RT_D_EMBD,  /* n_embd */
    RT_D_FF,    /* n_ff */
    RT_D_VOCAB, /* n_vocab */
    RT_D_Q,     /* n_head * head_dim */
    RT_D_HEAD,  /* head_dim */
    RT_D_NHEAD, /* n_head */
    RT_D_NHEAD_KV, /* n_head_kv */
} rt_dim;

typedef enum rt_need {
    RT_REQUIRED = 0,
    RT_OPTIONAL,
} rt_need;

/* Where a resolved tensor is stored: a field of rt_model or of rt_layer. */
typedef enum rt_owner { RT_IN_MODEL = 0, RT_IN_LAYER } rt_owner;

typedef struct rt_tensor_row {
    gguf_tn tn;
    gguf_sfx sfx;
    rt_owner owner;
    size_t offset;     /* offsetof the rt_tensor field in rt_model / rt_layer */
    rt_dim ne0, ne1;   /* GGUF shape; ne1 == RT_D_1 for vectors */
    int matrix;        /* 1: any weight type the matmul supports; 0: F32 */
    rt_need need;
} rt_tensor_row;

enum {
    RT_A_Q_PRESCALE = 1u << 0, /* scale Q by 1/sqrt(head_dim) before Q.K (phi2), instead of the scores */
};
/* Per-head Q/K norms need no flag: a layer has them when its tensor table resolves
 * attn_q_norm / attn_k_norm (required for qwen3, optional for stablelm). */

typedef struct rt_arch {
    const char *name; /* general.architecture */
    rt_rope_mode rope_mode;
    rt_norm_kind norm;
    rt_ffn_kind ffn;
    rt_wiring wiring;
    unsigned flags; /* RT_A_* */
    const rt_tensor_row *tensors;
    size_t n_tensors;
} rt_arch;

/* The row for general.architecture `name` (len bytes), or NULL. */
const rt_arch *rt_arch_find(const char *name, size_t len);
/* "llama, qwen2, ..." built from the table into buf (truncated to cap); returns buf. */
char *rt_arch_supported_list(char *buf, size_t cap);
/* The number of rows and row i (for tests and docs). */
size_t rt_arch_count(void);
const rt_arch *rt_arch_at(size_t i);
