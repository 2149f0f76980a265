/* Packed Q8_0 kernel for AVX-VNNI (the VEX vpdpbusd of Alder Lake and later, and of CPUs with
 * AVX-512 that also have it); compiled with -mavx2 -mfma -mf16c -mavxvnni (CMake, *_avxvnni.c),
 * used only after q_cpu_has_avxvnni. One vpdpbusd multiplies the stored unsigned bytes (q + 128)
 * by the activation word and adds the 4 products of each lane exactly, in place of the AVX2
 * kernel's four instructions; the block sum starts at -128 * sum(x), as the AVX-512 kernel's. */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

typedef __m256i qpy_word;

static inline qpy_word qpy_prep(__m256i stored) { return stored; }

static inline __m256i qpy_mac(__m256i isum, qpy_word w, __m256i xv) { return _mm256_dpbusd_avx_epi32(isum, w, xv); }

static inline __m256i qpy_isum0(int32_t nsum) { return _mm256_set1_epi32(nsum); }

#define QPY_MAX_TOK 4 /* 8 accumulators + 4 integer sums + a weight and an activation word of 16 */
#define QPY_IMPL "avxvnni"
#define QPY_ISA Q_ISA_AVXVNNI
#define QPY_KERNEL_FN qp_kernel_avxvnni
#include "quant/quant_pack_ymm.h"
