/* quant_dot: dot products between one weight row and one activation row, for
 * every weight type the runtime computes with (F32, F16, BF16, Q8_0).
 *
 * Like ggml, the activation row is first converted to the weight type's
 * "activation type" (F32 for F32, F16 for F16, BF16 for BF16, Q8_0 for Q8_0),
 * with exactly the rounding of quant.h (q_from_f32), then the dot product runs
 * on the pair. F16 and BF16 activations are rounded to that type but kept as floats
 * (q_act_from_f32): the rounding is what ggml does, and the kernels then load activation
 * vectors without converting them again for every weight row they meet.
 *   F32:  float products, float accumulation.
 *   F16:  activations rounded to F16 (RNE); products of two halves are exact
 *         in float (11+11 significant bits), accumulated in float.
 *   BF16: activations rounded to BF16 (ggml's rule); products exact in float
 *         (8+8 bits), accumulated in float.
 *   Q8_0: activations quantized with q_quantize_row_q8_0; per block the exact integer sum
 *         of the 32 products, times (d_w * d_x), added to one float accumulator, blocks in
 *         order (a fused multiply-add, as below). This is the order the packed 16-row kernels compute
 *         (quant_pack.h), which is how the runtime multiplies Q8_0 matrices; the row dot here
 *         serves rows outside whole groups and tests.
 *
 * ==== The fixed summation order (why results are reproducible) ====
 * For the float types the reference keeps Q_DOT_LANES (8) partial sums:
 * lane l accumulates elements i with i % 8 == l over the first k - k % 8
 * elements, each step one fused multiply-add (fmaf: the product is not rounded
 * before the add; the SIMD paths use the FMA instructions, which round the same way,
 * and the build's -ffp-contract=off keeps the compiler from fusing anything else). Why
 * fused: one instruction instead of two per step, which measured 23-33% faster F16
 * prompts here, and it is what ggml's SIMD paths do. The lanes are then reduced as
 *     s4[j] = acc[j] + acc[j+4]      (j < 4)
 *     s     = (s4[0] + s4[2]) + (s4[1] + s4[3])
 * and the tail elements are fused into s one by one. This is exactly the order
 * an 8-wide SIMD loop with the usual horizontal sum produces, so a fast path
 * can be bit-identical to the reference (tests compare them with memcmp).
 * The result depends only on the two rows, never on threads or on which other
 * rows share the matmul.
 *
 * ==== The BF16 pair order (Q_ORDER_BF16_PAIRS) ====
 * On CPUs with AVX512_BF16 the BF16 kernels use vdpbf16ps, which takes two products per lane
 * per instruction (twice the float FMA rate), in the arithmetic Intel's manual specifies and
 * this machine's AMD Zen 4 was measured to follow on 32M lanes: 16 lanes; per step of 32
 * elements lane l adds element 2l+1's product, then element 2l's, each one fused
 * multiply-add rounded to nearest, with denormal inputs read as zero and a denormal result
 * flushed to zero (signs kept; tiny as x86 decides it, below 2^-126 after rounding to 24 bits with an
 * unbounded exponent). A row is zero-padded to a multiple of 32; the lanes are
 * reduced as s8[j] = acc[j] + acc[j+8], then as the 8 lanes above. The activations are BF16
 * values (Q_ACT_BF16_BITS). A CPU is only given these kernels after they agree with the C
 * reference of this order on a probe set (q_cpu_has_avx512bf16), so the reference is the
 * order's definition on every CPU; CPUs without them keep the lane order. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "quant/quant.h"

#define Q_DOT_LANES 8
#define Q_DOT_PAIR_LANES 16 /* the BF16 pair order: 16 lanes of 2 elements per step */

/* The arithmetic an implementation computes (above); every fast path is bit-identical to the
 * reference of its order. */
typedef enum q_dot_order { Q_ORDER_LANES = 0, Q_ORDER_BF16_PAIRS = 1, Q_ORDER_COUNT } q_dot_order;

/* ==== Instruction-set tiers ====
 * Every kernel belongs to one tier, the instruction sets it is compiled for. The runtime takes
 * the best kernel of each kind that the CPU runs, or the best at or below a cap
 * (rt_ctx_params.max_isa, `--isa` of run and bench): one machine then runs the code an older
 * CPU would, to measure it or to check that it computes the same bits (the lane-order kernels
 * of every tier do). Tiers are not nested in hardware: an AVX-512 CPU without AVX-VNNI (Ice
 * Lake) simply has no kernel of that tier. */
typedef enum q_isa {
    Q_ISA_REF = 0, /* plain C */
    Q_ISA_AVX2,    /* AVX2, FMA and F16C (q_cpu_has_avx2_f16c) */
    Q_ISA_AVXVNNI, /* the AVX2 tier plus VEX vpdpbusd (q_cpu_has_avxvnni) */
    Q_ISA_AVX512,  /* AVX-512 F, BW, VL, DQ, VNNI (q_cpu_has_avx512vnni), BF16 where q_cpu_has_avx512bf16 */
    Q_ISA_COUNT
} q_isa;
#define Q_ISA_BEST ((q_isa)(Q_ISA_COUNT - 1)) /* no cap */

/* "ref", "avx2", "avxvnni", "avx512". */
const char *q_isa_name(q_isa isa);
/* The tier of a name above; 0 when the name is not one. */
int q_isa_parse(const char *name, q_isa *out);
/* Whether this CPU runs any kernel of the tier (REF: always). */
int q_cpu_has_isa(q_isa isa);
/* The highest tier at most max_isa that this CPU runs. */
q_isa q_cpu_top_isa(q_isa max_isa);

/* Activation representations beyond the weight types (q_act_from_f32): BF16 values as the
 * type's 16-bit words, which vdpbf16ps reads directly. */
#define Q_ACT_BF16_BITS 0x100u

/* Dot product of one weight row (type-specific layout) with one activation
 * row already converted by q_act_from_f32; k elements. */
typedef float (*q_dot_fn)(const void *w, const void *x, int64_t k);

/* A tile of a matmul: y[t * ldy + r] = dot(W row r, X row t) for r < n_rows, t < n_tok, where
 * row r starts at w + r * w_stride and row t at x + t * x_stride (k elements each). Every
 * output is computed in exactly the order of the type's dot, so a gemm is bit-identical to a
 * loop of dot calls (and to the reference); a fast path only computes several outputs at
 * once (SIMD lanes across outputs, weight rows reused across tokens, activations across rows). */
typedef void (*q_gemm_fn)(const void *w, size_t w_stride, int64_t n_rows, const void *x, size_t x_stride,
                          int64_t n_tok, int64_t k, float *y, int64_t ldy);

/* y[i] = fma(a, x[i], y[i]) for i < n, x a row of the weight type (element-wise, so every
 * width gives the same bits); for the float types (attention's V rows), NULL for
 * Q8_0. */
typedef void (*q_axpy_fn)(float *y, float a, const void *x, int64_t n);

/* For each output o < n_out (y_o = y + o * ldy, a_o = a + o * lda):
 * y_o[i] = fma(a_o[r], x_r[i], y_o[i]) for r = 0 .. n_rows-1 in order, x_r the row at
 * rows + r * row_stride (n elements of the weight type): the bits of n_rows axpy calls per
 * output, with the outputs kept in registers across the rows and each row loaded once for
 * several outputs (attention's weighted sums of V rows, several queries at once); NULL for
 * Q8_0. */
typedef void (*q_wsum_fn)(float *y, int64_t ldy, const float *a, int64_t lda, int64_t n_out, const void *rows,
                          size_t row_stride, int64_t n_rows, int64_t n);

/* ==== GEMV layouts ====
 * How a one-token matmul (generation) walks the weights: most fast kernels offer a layout with
 * few sequential streams per thread and one with more (rows or groups far apart in the matrix,
 * read in step). Which reads DRAM faster is a property of the machine, not of the arithmetic:
 * on the 2-vCPU Zen 4 VM of 2026-12-03 one or two streams did (F16 tg128 at 1 thread: 0.85 of
 * the read bandwidth against 0.61-0.68 with four), on the Zen 5 VM of the same day four did
 * (0.88-0.93 against 0.75). Every layout computes each output with the same bits, so the
 * runtime times them on the model's own matrices when a context is made (rt_tune.h). */
typedef enum q_gemv_layout { Q_GEMV_FEW = 0, Q_GEMV_MANY = 1, Q_GEMV_COUNT } q_gemv_layout;

/* "few", "many". */
const char *q_gemv_layout_name(q_gemv_layout layout);

typedef struct q_dot_traits {
    uint32_t act_type; /* activation type the weight row is multiplied with */
    q_dot_fn dot;      /* scalar reference or a bit-identical fast path */
    const char *impl;  /* "ref", "ref-pairs", "avx2", "avx512", "avx512bf16": for logs, benches */
    q_gemm_fn gemm;    /* the same products, several at a time (one token: gemv[Q_GEMV_FEW]) */
    q_axpy_fn axpy;
    q_wsum_fn wsum;
    q_dot_order order; /* the arithmetic: the reference it matches is q_dot_ref_order(wtype, order) */
    q_isa isa;         /* the tier it is built for */
    /* One token (n_tok 1) in each layout the kernel has: [Q_GEMV_FEW] always set, [Q_GEMV_MANY]
     * NULL where it has one; gemv_streams: the sequential streams each walks per row range. */
    q_gemm_fn gemv[Q_GEMV_COUNT];
    uint8_t gemv_streams[Q_GEMV_COUNT];
} q_dot_traits;

/* Plain C reference for a weight type in the lane order; NULL if the type is not supported. */
const q_dot_traits *q_dot_ref(uint32_t wtype);
/* The reference of an order (the BF16 pair order exists for BF16 only); NULL if none. */
const q_dot_traits *q_dot_ref_order(uint32_t wtype, q_dot_order order);

/* The implementation to use on this CPU (a bit-identical fast path when one
 * exists and the CPU has it, else the reference); NULL if unsupported. */
const q_dot_traits *q_dot_best(uint32_t wtype);
/* The best of q_dot_impls whose tier is at most max_isa (the reference at worst). */
const q_dot_traits *q_dot_pick(uint32_t wtype, q_isa max_isa);
/* Every implementation this CPU runs for wtype, best first, the lane-order reference last;
 * returns the count (0 if unsupported, at most 4). */
int q_dot_impls(uint32_t wtype, const q_dot_traits **out, int cap);

/* Whether this CPU (and OS) runs the AVX2+FMA+F16C paths: what q_dot_best decides on. */
int q_cpu_has_avx2_f16c(void);
/* Whether it also runs the AVX-512 (F, BW, VL, DQ) + VNNI paths (quant_pack.h). */
int q_cpu_has_avx512vnni(void);
/* Whether it runs the AVX2 paths and AVX-VNNI (VEX vpdpbusd; CPUID.7.1:EAX bit 4). */
int q_cpu_has_avxvnni(void);
/* Whether it also has AVX512_BF16 and its vdpbf16ps agrees with the pair-order reference on a
 * probe set (orders, denormals, cancellation, tails): what picks the pair-order kernels. */
int q_cpu_has_avx512bf16(void);
/* Whether CPUID and the OS list AVX512_BF16 (and the AVX-512 subsets above), before that probe:
 * for tests, which demand that such a CPU passes it. */
int q_cpu_lists_avx512bf16(void);

/* Converts k float activations to act_type's representation: Q8_0 blocks for Q8_0, floats
 * rounded to F16 / BF16 (q_from_f32's rounding) for F16 / BF16, the BF16 words for
 * Q_ACT_BF16_BITS, a copy for F32. */
void q_act_from_f32(uint32_t act_type, const float *x, void *dst, int64_t k);
/* Bytes of one activation row of k elements in that representation. */
size_t q_act_row_bytes(uint32_t act_type, int64_t k);
