/* Packed Q8_0 kernel for AVX-512 VNNI; compiled with -mavx512f/bw/vl/dq/vnni (CMake, *_avx512.c),
 * used only after q_cpu_has_avx512vnni. Each __m512 holds the 16 outputs of one group for one
 * token: vpdpbusd adds 4 products per lane exactly, the rest is the reference's fused
 * multiply-add (bit-identity with quant_pack.c is the contract). */
#include <immintrin.h>

#include "quant/quant_pack_simd.h"

#define MAX_TOK 8 /* tokens per tile: 8 weight + 8 accumulator + 8 integer-sum registers of 32 */
#define UNROLL _Pragma("GCC unroll 8")

/* One group against n_tok (constant after inlining) tokens starting at t0. */
static inline __attribute__((always_inline)) void group_tile(const uint8_t *wp, const qp_acts *x, int64_t t0,
                                                              const int n_tok, float *y, int64_t ldy) {
    const int64_t nb = x->nb;
    qp_token tk[MAX_TOK];
    __m512 acc[MAX_TOK];
    UNROLL for (int c = 0; c < n_tok; c++) {
        tk[c] = qp_token_at(x, t0 + c);
        acc[c] = _mm512_setzero_ps();
    }
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *q = qp_block_at(wp, b);
        __m512i w[8];
        UNROLL for (int j = 0; j < 8; j++) w[j] = _mm512_loadu_si512((const void *)(q + 64 * j));
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)qp_block_scales(q)));
        UNROLL for (int c = 0; c < n_tok; c++) {
            const int8_t *qs = tk[c].a[b].qs;
            /* two half sums (words 0-3, 4-7): shorter dependency chains, the same exact integer */
            __m512i lo = _mm512_set1_epi32(tk[c].nsum[b]), hi = _mm512_setzero_si512();
            UNROLL for (int j = 0; j < 4; j++) {
                lo = _mm512_dpbusd_epi32(lo, w[j], _mm512_set1_epi32(qp_load_word(qs + 4 * j)));
                hi = _mm512_dpbusd_epi32(hi, w[j + 4], _mm512_set1_epi32(qp_load_word(qs + 4 * j + 16)));
            }
            const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(tk[c].d[b]));
            acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(lo, hi)), d, acc[c]);
        }
    }
    UNROLL for (int c = 0; c < n_tok; c++) _mm512_storeu_ps(y + c * ldy, acc[c]);
}

QP_DEFINE_TILE(1)
QP_DEFINE_TILE(2)
QP_DEFINE_TILE(3)
QP_DEFINE_TILE(4)
QP_DEFINE_TILE(5)
QP_DEFINE_TILE(6)
QP_DEFINE_TILE(7)
QP_DEFINE_TILE(8)
static const qp_tile_fn TILES[MAX_TOK + 1] = {NULL, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6, tile_7, tile_8};

/* One token (generation): the groups one after another through tile_1, so the whole matrix is
 * one sequential stream, with no software prefetch; this kernel has that GEMV layout only
 * (quant_dot.h, q_gemv_layout). Why: on the 2-vCPU Zen 4 VM of 2026-12-03, Qwen2.5-0.5B's shape
 * in q8_0, tg128 alternating builds: 43-49 t/s at 1 thread (0.90-0.99 of the bracketing read
 * bandwidth) against 26-30 (0.52-0.63) with four streams (regions of the matrix read in step)
 * prefetching 3 blocks ahead, and 55-62 against 36-42 at 2 threads; a harness over the same 500
 * MiB of groups put four streams without hints at 0.67 of the read bandwidth and one stream with
 * hints 3 or 8 blocks ahead at 0.83 and 0.92. On the Zen 5 VM of the same day four streams
 * without hints timed 7-12% faster than one in rt_tune's passes, yet whole decodes ran 0.66-0.93x
 * with them (synth-q8_0 153-171 against 258-259 t/s, alternating): this kernel issues its loads
 * fast enough for the hardware prefetchers to keep one stream busy, and more streams only compete
 * with them in a decode, so the tuner is not offered them. */
static void gemv_in_order(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                          int64_t ldy) {
    (void)n_tok, (void)ldy;
    const size_t gb = qp_group_bytes(x->nb * Q8_0_BLOCK);
    for (int64_t g = 0; g < n_groups; g++) tile_1(wp + (size_t)g * gb, x, t0, y + g * QP_ROWS, 0);
}

static void gemm_avx512vnni(const uint8_t *wp, int64_t n_groups, const qp_acts *x, int64_t t0, int64_t n_tok, float *y,
                            int64_t ldy) {
    qp_gemm_by_tiles(TILES, MAX_TOK, wp, n_groups, x, t0, n_tok, y, ldy);
}

static const qp_kernel KERNEL = {gemm_avx512vnni, "avx512vnni", Q_ISA_AVX512, {gemv_in_order, NULL}, {1, 0}};

const qp_kernel *qp_kernel_avx512vnni(void) { return &KERNEL; }
