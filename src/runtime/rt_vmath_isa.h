/* rt_vmath_isa: the SIMD builds of rt_vmath.h's kernels; internal to rt_vmath. */
#pragma once

#include <stdint.h>

#include "runtime/rt_vmath.h"

/* AVX2 + FMA; the caller must have checked q_cpu_has_avx2_f16c. */
const rt_vmath *rt_vmath_avx2(void);

/* The end of exp_sum in every implementation: the 8 lane sums reduced in the documented
 * order, then elements [from, n) exponentiated and added one by one. */
double rt_vmath_finish_sum(const double acc[8], float *x, int64_t from, int64_t n, float sub);
