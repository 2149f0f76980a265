/* quant_dot_isa: the SIMD instantiations of quant_dot.h's kernels (quant_dot_simd.h),
 * bit-identical to the scalar references in quant_dot.c (same lane structure, the same fused
 * multiply-adds, exact integer block sums). Internal to the quant module. */
#pragma once

#include "quant/quant_dot.h"

/* AVX2 traits for wtype, or NULL if there is no AVX2 kernel for it. The
 * caller must have checked q_cpu_has_avx2_f16c (AVX2, FMA, F16C). */
const q_dot_traits *q_dot_avx2(uint32_t wtype);
/* The same kernels built for AVX-512 (larger register blocks); the caller must have checked
 * q_cpu_has_avx512vnni. */
const q_dot_traits *q_dot_avx512(uint32_t wtype);
/* The BF16 pair-order kernels (vdpbf16ps), NULL for other types; the caller must have checked
 * q_cpu_has_avx512bf16 (its probe calls this only after checking CPUID). */
const q_dot_traits *q_dot_avx512bf16(uint32_t wtype);
