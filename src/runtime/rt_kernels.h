/* rt_kernels: the numeric building blocks of the forward pass.
 *
 * Every kernel computes each output element with one fixed sequence of
 * float operations that depends only on that element's inputs, so results
 * are the same whatever the thread count or batch composition. The
 * operation orders follow ggml's CPU reference where that is cheap to do
 * (RMSNorm's double sum, RoPE's iterated theta, softmax's double sum), to
 * stay close to llama.cpp's numbers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/dtype.h"
#include "quant/quant_dot.h"
#include "quant/quant_pack.h"
#include "runtime/rt_model.h"
#include "runtime/rt_pool.h"
#include "runtime/rt_vmath.h"

/* ==== Matmul interface ====
 * Y[T x N] = X[T x K] . W^T for W with N rows of K elements (ggml's
 * mul_mat(W, X)): y[t*ldy + n] = dot(W row n, X row t).
 * The activations are converted once to the weight type's activation type
 * (quant_dot.h) by rt_acts_convert; one converted rt_acts may feed several
 * matmuls whose weights share that activation type (fused Q/K/V is one
 * matmul; separate Q/K/V and gate/up reuse the conversion). */
typedef struct rt_acts {
    uint32_t type;    /* activation type (F32, F16, BF16 or Q8_0) */
    const void *data; /* T rows of row_bytes */
    size_t row_bytes;
    int64_t n_rows;   /* T */
    int64_t k;        /* K */
    /* Q8_0 only: per row and block the scale as float and -128 * the sum of the quants, for
     * the packed kernels (qp_acts in quant_pack.h) */
    const float *bd;
    const int32_t *bnsum;
} rt_acts;

/* The dot-product kernels of each weight type, chosen once (when a context is created) from
 * the CPU's features, so no matmul probes or looks them up again. */
typedef struct rt_kernel_set {
    const q_dot_traits *dot[HF_TYPE_COUNT]; /* NULL for types the runtime cannot multiply */
    const qp_kernel *packed;                /* for Q8_0 matrices repacked at load (rt_repack.h) */
    const rt_vmath *vmath;                  /* softmax's exponentials, SwiGLU */
    /* The GEMV layout of one-token matmuls (quant_dot.h): per weight type for row matrices, and
     * for packed Q8_0 groups; Q_GEMV_FEW after a pick, a layout the kernel has (rt_tune.h). */
    q_gemv_layout gemv[HF_TYPE_COUNT];
    q_gemv_layout packed_gemv;
} rt_kernel_set;

/* The best bit-identical implementation per type on this CPU whose tier is at most max_isa
 * (q_dot_pick; Q_ISA_BEST: no cap), the packed Q8_0 kernel and the vector math likewise. */
void rt_kernels_pick(rt_kernel_set *ks, q_isa max_isa);
/* The plain C references of the orders q_dot_best computes (q_dot_ref_order): the same bits
 * as rt_kernels_pick's set, slowly; for tests and benches. */
void rt_kernels_pick_ref(rt_kernel_set *ks);

/* Bytes rt_acts_convert needs for T rows of K elements, any activation type. */
size_t rt_acts_max_bytes(int64_t t, int64_t k);
/* The activation representation ks's kernel for `w` multiplies with. */
uint32_t rt_act_type_for(const rt_kernel_set *ks, const rt_tensor *w);
/* Converts X[T x K] (row stride ldx floats) into buf as act_type rows. */
void rt_acts_convert(rt_pool *pool, uint32_t act_type, const float *x, int64_t ldx, int64_t t, int64_t k,
                     void *buf, rt_acts *out);
/* Y = X . W^T as above with ks's kernel for w->type (one token: in ks's GEMV layout); x->type
 * must be rt_act_type_for(w), x->k == w->ne0. */
void rt_matmul(rt_pool *pool, const rt_kernel_set *ks, const rt_tensor *w, const rt_acts *x, float *y, int64_t ldy);

/* ==== Element-wise and row kernels ==== */

/* y = x / sqrt(mean(x^2) + eps) * w over n elements (sum of squares in
 * double, like ggml_compute_forward_rms_norm_f32, then the weight multiply). */
void rt_rmsnorm(float *y, const float *x, const float *w, int64_t n, float eps);

/* LayerNorm: y = (x - mean) / sqrt(var + eps) * w (+ b when b != NULL), as
 * ggml_compute_forward_norm_f32: the sum in double rounded to float and divided in float,
 * the squared deviations summed in double (ggml sums SIMD lanes in float first, so its
 * variance can differ from ours in the last bits), then the weight multiply and the bias
 * add as separate steps (ggml_mul, ggml_add). */
void rt_layernorm(float *y, const float *x, const float *w, const float *b, int64_t n, float eps);

/* cos/sin table for one position: cs[2*i], cs[2*i+1] for i < n_rot/2, with
 * theta_i = pos * base^(-2i/n_rot) computed as ggml does (theta *= step). */
void rt_rope_cache(float *cs, int64_t pos, int64_t n_rot, float base, float freq_scale);
/* Rotates the first n_rot dims of each of n_heads vectors of head_dim floats. */
void rt_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, const float *cs, rt_rope_mode mode);

/* In place: g[i] = silu(g[i]) * u[i], with vm's exponential (rt_vmath.h). */
void rt_swiglu(const rt_vmath *vm, float *g, const float *u, int64_t n);

/* In place: x[i] = gelu(x[i]), ggml's CPU GELU: the tanh approximation evaluated on the
 * input rounded to f16 and rounded back to f16 (ggml's f16 GELU table, GGML_GELU_FP16),
 * identity above 10 and 0 below -10. */
void rt_gelu(float *x, int64_t n);

/* In place softmax over n scores (max-subtracted, vm's exponentials and their sum in double). */
void rt_softmax(const rt_vmath *vm, float *x, int64_t n);

/* Token embedding lookup: row `id` of a {n_embd, n_vocab} table, any type; a repacked Q8_0
 * table's rows come from its groups (so a lookup never touches the file mapping). */
void rt_get_row(const rt_tensor *table, int64_t id, float *out);
