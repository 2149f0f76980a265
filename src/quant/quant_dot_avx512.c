/* The kernels of quant_dot.h compiled for AVX-512 (CMake, *_avx512.c: F, BW, VL, DQ, VNNI, the
 * subsets q_cpu_has_avx512vnni checks), used only after that probe. Same arithmetic as the AVX2 build; the 32
 * vector registers hold larger gemm register blocks (measured here on F16 pp512, 1 thread:
 * 4x3 195 t/s, 4x5 271, 4x6 264, 5x5 255, 6x4 215, 3x8 219). */
#include "quant/quant_dot_isa.h"

/* 4 rows x 5 tokens = 20 accumulators + 5 activation vectors + 1 weight vector of 32. */
#define QD_IMPL "avx512"
#define QD_ISA Q_ISA_AVX512
#define QD_TILE_R 4
#define QD_TILE_C 5
#define QD_TABLE_FN q_dot_avx512
#include "quant/quant_dot_simd.h"
