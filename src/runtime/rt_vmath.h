/* rt_vmath: the transcendental element-wise kernels of the forward pass (softmax's
 * exponentials and their sum, SwiGLU's SiLU), as a plain C reference and SIMD paths that
 * give its bits, chosen once per context like the matmul kernels.
 *
 * Why not libm's expf: its result is not specified to the bit, and a SIMD loop cannot
 * reproduce it. rt_expf is one fixed sequence of float operations, so a vector path can:
 *   n = round-to-nearest-even(x * log2(e)) (one fused multiply-add onto 1.5 * 2^23),
 *   r = x - n * ln2 in two fused multiply-adds (ln2 as a float plus its remainder),
 *   p = the degree-7 Taylor polynomial of e^r by Horner, one fused multiply-add a step,
 *   e^x = (p * 2^h) * 2^(n-h), h = n/2 truncated (two exact power-of-two scalings, so a result
 *   below 2^-126 underflows gradually with one rounding);
 * x >= 88.72283935546875 (above log(FLT_MAX)) gives +inf, x < -103.972084 (e^x below half the
 * smallest denormal) gives +0, a NaN gives itself. Measured against exp() in double over
 * [-104, 88.7]: within 1 ulp for normal results (tests/test_kernels_vmath.c).
 *
 * Softmax's sum is taken in double, as ggml does, in a fixed order of 8 partial sums: lane l
 * adds the elements i with i % 8 == l over the first n - n % 8, the lanes reduced as
 * s4[j] = acc[j] + acc[j+4], s = (s4[0] + s4[2]) + (s4[1] + s4[3]), then the tail in order. */
#pragma once

#include <stdint.h>

#include "quant/quant_dot.h"

/* The reference exponential (above). */
float rt_expf(float x);

typedef struct rt_vmath {
    const char *impl; /* "ref" or "avx2" */
    /* x[i] = rt_expf(x[i] - sub) for i < n; returns their sum in the order above */
    double (*exp_sum)(float *x, int64_t n, float sub);
    /* g[i] = (g[i] / (1 + rt_expf(-g[i]))) * u[i] for i < n (SiLU(gate) * up) */
    void (*swiglu)(float *g, const float *u, int64_t n);
    q_isa isa; /* the tier it is built for (quant_dot.h) */
} rt_vmath;

/* The plain C reference. */
const rt_vmath *rt_vmath_ref(void);
/* The fastest implementation this CPU runs (bit-identical to the reference). */
const rt_vmath *rt_vmath_best(void);
/* The best of rt_vmath_impls whose tier is at most max_isa (the reference at worst). */
const rt_vmath *rt_vmath_pick(q_isa max_isa);
/* Every implementation this CPU runs, best first, the reference last; returns the count (<= 2). */
int rt_vmath_impls(const rt_vmath **out, int cap);
