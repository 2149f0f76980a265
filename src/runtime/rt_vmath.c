/* The reference kernels of rt_vmath.h and the CPU dispatch. */
#include "runtime/rt_vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "quant/quant_dot.h"
#include "runtime/rt_vmath_consts.h"
#include "runtime/rt_vmath_isa.h"

static float pow2i(int32_t e) { /* 2^e for -126 <= e <= 127 */
    const uint32_t u = (uint32_t)(e + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float rt_expf(float x) {
    if (x != x) return x;
    if (x >= RT_EXP_HI) return INFINITY;
    if (x < RT_EXP_LO) return 0.0f;
    const float n = fmaf(x, RT_LOG2E, RT_ROUND_MAGIC) - RT_ROUND_MAGIC;
    float r = fmaf(n, -RT_LN2_HI, x);
    r = fmaf(n, -RT_LN2_LO, r);
    float p = RT_EXP_C7;
    p = fmaf(p, r, RT_EXP_C6);
    p = fmaf(p, r, RT_EXP_C5);
    p = fmaf(p, r, RT_EXP_C4);
    p = fmaf(p, r, RT_EXP_C3);
    p = fmaf(p, r, RT_EXP_C2);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    const int32_t ni = (int32_t)n, h = ni / 2;
    return (p * pow2i(h)) * pow2i(ni - h);
}

double rt_vmath_finish_sum(const double acc[8], float *x, int64_t from, int64_t n, float sub) {
    double s4[4];
    for (int j = 0; j < 4; j++) s4[j] = acc[j] + acc[j + 4];
    double s = (s4[0] + s4[2]) + (s4[1] + s4[3]);
    for (int64_t i = from; i < n; i++) {
        x[i] = rt_expf(x[i] - sub);
        s += (double)x[i];
    }
    return s;
}

static double exp_sum_ref(float *x, int64_t n, float sub) {
    double acc[8] = {0};
    const int64_t nl = n - n % 8;
    for (int64_t i = 0; i < nl; i++) {
        x[i] = rt_expf(x[i] - sub);
        acc[i % 8] += (double)x[i];
    }
    return rt_vmath_finish_sum(acc, x, nl, n, sub);
}

static void swiglu_ref(float *g, const float *u, int64_t n) {
    for (int64_t i = 0; i < n; i++) g[i] = (g[i] / (1.0f + rt_expf(-g[i]))) * u[i];
}

static const rt_vmath VMATH_REF = {"ref", exp_sum_ref, swiglu_ref, Q_ISA_REF};

const rt_vmath *rt_vmath_ref(void) { return &VMATH_REF; }

int rt_vmath_impls(const rt_vmath **out, int cap) {
    int n = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (n < cap && q_cpu_has_avx2_f16c()) out[n++] = rt_vmath_avx2();
#endif
    if (n < cap) out[n++] = &VMATH_REF;
    return n;
}

const rt_vmath *rt_vmath_best(void) { return rt_vmath_pick(Q_ISA_BEST); }

const rt_vmath *rt_vmath_pick(q_isa max_isa) {
    const rt_vmath *v[2];
    const int n = rt_vmath_impls(v, 2);
    for (int i = 0; i < n; i++)
        if (v[i]->isa <= max_isa) return v[i];
    return &VMATH_REF;
}
