/* The kernels of quant_dot.h compiled for AVX-512 (CMake, *_avx512.c: F, BW, VL, DQ, VNNI, the
 * subsets q_cpu_has_avx512vnni checks), used only after that probe. Same arithmetic as the AVX2
 * build; the float gemm keeps two rows' 8-lane accumulators in one 512-bit register
 * (QD_ZMM_PAIRS), and the 32 vector registers hold larger register blocks. Measured on the
 * 2-vCPU Zen 5 VM of 2026-12-03, pp512 at 1 thread, synth-f16 / qwen-f16 (t/s): 8-lane 4x5
 * blocks 345-390 / 105-115; paired 8x6 517-518 / 161-162, 8x5 472-511 / 148-158, 8x4 458-476 /
 * 141-149, 4x10 460-464 / 146-148. (On the Zen 4 VM earlier, 8-lane blocks: 4x3 195, 4x5 271,
 * 4x6 264, 5x5 255, 6x4 215, 3x8 219.) */
#include "quant/quant_dot_isa.h"

/* 8 rows x 6 tokens as 4 x 6 two-row accumulators + 4 weight vectors + 1 activation of 32. */
#define QD_IMPL "avx512"
#define QD_ISA Q_ISA_AVX512
#define QD_ZMM_PAIRS
#define QD_TILE_R 8
#define QD_TILE_C 6
#define QD_WSUM_OUT 6 /* weighted sums: 6 outputs x 4 vectors + 1 row vector of 32 */
#define QD_TABLE_FN q_dot_avx512
#include "quant/quant_dot_simd.h"
