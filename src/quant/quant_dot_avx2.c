/* AVX2 kernels of quant_dot.h; compiled with -mavx2 -mfma -mf16c (CMake, *_avx2.c), used
 * only after q_dot_best has probed the CPU. */
#include "quant/quant_dot_isa.h"

/* 4 rows x 3 tokens = 12 accumulators + 3 activation vectors + 1 weight vector of 16. */
#define QD_IMPL "avx2"
#define QD_ISA Q_ISA_AVX2
#define QD_TILE_R 4
#define QD_TILE_C 3
#define QD_WSUM_OUT 3 /* weighted sums: 3 outputs x 4 vectors + 3 weights + 1 row vector of 16 */
#define QD_TABLE_FN q_dot_avx2
#include "quant/quant_dot_simd.h"
