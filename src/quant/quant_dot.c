/* Scalar reference dot products (see quant_dot.h for the summation order)
 * and the CPU dispatch (q_dot_best). */
#include "quant/quant_dot.h"

#include <math.h>
#include <stddef.h>

#include "base/f16.h"
#include "quant/quant_dot_avx2.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdatomic.h>
#endif

/* Reduction of the 8 lane sums in the documented order. */
static float reduce_lanes(const float acc[Q_DOT_LANES]) {
    float s4[4];
    for (int j = 0; j < 4; j++) s4[j] = acc[j] + acc[j + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

static inline float load_f32(const float *p) { return *p; }
static inline float load_f16(const uint16_t *p) { return hf_f16_to_f32(*p); }
static inline float load_bf16(const uint16_t *p) { return hf_bf16_to_f32(*p); }

/* The float-type dots differ only in how a weight element is widened to float (the
 * activations are floats already, q_act_from_f32); the products are exact for F16/BF16 pairs
 * and the order is the lane order documented in quant_dot.h. */
#define DEFINE_LANE_DOT(name, elem_t, load)                                          \
    static float name(const void *wv, const void *xv, int64_t k) {                   \
        const elem_t *w = wv;                                                        \
        const float *x = xv;                                                         \
        float acc[Q_DOT_LANES] = {0};                                                \
        const int64_t kl = k - k % Q_DOT_LANES;                                      \
        for (int64_t i = 0; i < kl; i += Q_DOT_LANES)                                \
            for (int l = 0; l < Q_DOT_LANES; l++) acc[l] = fmaf(load(w + i + l), x[i + l], acc[l]); \
        float s = reduce_lanes(acc);                                                 \
        for (int64_t i = kl; i < k; i++) s = fmaf(load(w + i), x[i], s);            \
        return s;                                                                    \
    }

DEFINE_LANE_DOT(dot_f32_ref, float, load_f32)
DEFINE_LANE_DOT(dot_f16_ref, uint16_t, load_f16)
DEFINE_LANE_DOT(dot_bf16_ref, uint16_t, load_bf16)

/* Per block the integer sum of the 32 products is exact (|isum| <= 32*128*127 < 2^24, so the
 * conversion to float is exact too); one accumulator takes the blocks in order. */
static float dot_q8_0_ref(const void *wv, const void *xv, int64_t k) {
    const q_block_q8_0 *w = wv, *x = xv;
    float acc = 0.0f;
    for (int64_t b = 0; b < k / Q8_0_BLOCK; b++) {
        const float d = hf_f16_to_f32(w[b].d) * hf_f16_to_f32(x[b].d);
        int32_t isum = 0;
        for (int j = 0; j < Q8_0_BLOCK; j++) isum += (int32_t)w[b].qs[j] * (int32_t)x[b].qs[j];
        acc = fmaf((float)isum, d, acc);
    }
    return acc;
}

/* The reference tile: one dot call per output. */
#define DEFINE_REF_GEMM(name, dot)                                                                         \
    static void name(const void *w, size_t ws, int64_t nr, const void *x, size_t xs, int64_t nt, int64_t k, \
                     float *y, int64_t ldy) {                                                              \
        for (int64_t r = 0; r < nr; r++)                                                                   \
            for (int64_t t = 0; t < nt; t++)                                                               \
                y[t * ldy + r] = dot((const uint8_t *)w + (size_t)r * ws, (const uint8_t *)x + (size_t)t * xs, k); \
    }
DEFINE_REF_GEMM(gemm_f32_ref, dot_f32_ref)
DEFINE_REF_GEMM(gemm_f16_ref, dot_f16_ref)
DEFINE_REF_GEMM(gemm_bf16_ref, dot_bf16_ref)
DEFINE_REF_GEMM(gemm_q8_0_ref, dot_q8_0_ref)

#define DEFINE_REF_AXPY(name, elem_t, load)                                   \
    static void name(float *y, float a, const void *xv, int64_t n) {          \
        const elem_t *x = xv;                                                 \
        for (int64_t i = 0; i < n; i++) y[i] = fmaf(a, load(x + i), y[i]);   \
    }
DEFINE_REF_AXPY(axpy_f32_ref, float, load_f32)
DEFINE_REF_AXPY(axpy_f16_ref, uint16_t, load_f16)
DEFINE_REF_AXPY(axpy_bf16_ref, uint16_t, load_bf16)

/* Rows indexed by weight type; a row with dot == NULL is unsupported. To add
 * a type: its activation type, a reference dot, and q_from_f32 support for the
 * activation type in quant.c. */
static const q_dot_traits DOT_REF[HF_TYPE_COUNT] = {
    [HF_TYPE_F32] = {HF_TYPE_F32, dot_f32_ref, "ref", gemm_f32_ref, axpy_f32_ref},
    [HF_TYPE_F16] = {HF_TYPE_F16, dot_f16_ref, "ref", gemm_f16_ref, axpy_f16_ref},
    [HF_TYPE_BF16] = {HF_TYPE_BF16, dot_bf16_ref, "ref", gemm_bf16_ref, axpy_bf16_ref},
    [HF_TYPE_Q8_0] = {HF_TYPE_Q8_0, dot_q8_0_ref, "ref", gemm_q8_0_ref, NULL},
};

const q_dot_traits *q_dot_ref(uint32_t wtype) {
    if (wtype >= HF_TYPE_COUNT || DOT_REF[wtype].dot == NULL) return NULL;
    return &DOT_REF[wtype];
}

/* F16 / BF16: through the type and back (the way back is exact), a stack buffer at a time. */
static void round_through(uint32_t type, const float *x, float *dst, int64_t k) {
    uint16_t tmp[256];
    for (int64_t i = 0; i < k; i += 256) {
        const int64_t n = k - i < 256 ? k - i : 256;
        q_from_f32(type, x + i, tmp, n);
        q_to_f32(type, tmp, dst + i, n);
    }
}

void q_act_from_f32(uint32_t act_type, const float *x, void *dst, int64_t k) {
    if (act_type == HF_TYPE_F16 || act_type == HF_TYPE_BF16) round_through(act_type, x, dst, k);
    else q_from_f32(act_type, x, dst, k);
}

size_t q_act_row_bytes(uint32_t act_type, int64_t k) {
    return act_type == HF_TYPE_Q8_0 ? (size_t)hf_row_size(HF_TYPE_Q8_0, k) : (size_t)k * sizeof(float);
}

/* ==== CPU feature probe ====
 * Why not __builtin_cpu_supports: its feature strings differ between
 * compilers (clang 14 rejects "f16c" at compile time), so the probe reads
 * CPUID directly, which both GCC and clang accept through <cpuid.h>.
 * Same rule as GCC's libgcc: AVX2 counts only if the OS saves the YMM state
 * (CPUID.1:ECX.OSXSAVE set and XCR0 bits 1|2 = SSE|AVX state enabled);
 * AVX2 is CPUID.7.0:EBX bit 5, F16C CPUID.1:ECX bit 29, FMA CPUID.1:ECX bit 12. The AVX-512
 * paths need every subset their files are compiled with (CMakeLists.txt, *_avx512.c):
 * CPUID.7.0 EBX bits 16 F, 17 DQ, 30 BW, 31 VL and ECX bit 11 VNNI, and XCR0 bits
 * 1|2|5|6|7 = SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM saved by the OS.
 * The answer is computed once and cached, as libgcc does (CPUID is slow and
 * traps in VMs); concurrent first calls compute the same value, so a relaxed
 * atomic is enough. */
#if defined(__x86_64__) || defined(__i386__)
static uint64_t read_xcr0(void) {
    uint32_t lo, hi; /* xgetbv with ECX=0; inline asm, so no -mxsave is needed */
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int probe_avx2_f16c(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned need1 = bit_OSXSAVE | bit_AVX | bit_F16C | bit_FMA;
    if ((c & need1) != need1) return 0;
    if ((read_xcr0() & 0x6) != 0x6) return 0; /* XMM and YMM state saved by the OS */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & bit_AVX2) != 0;
}

/* The subsets quant_pack_avx512.c is compiled with (F, BW, VL, DQ, VNNI) on top of AVX2 and
 * F16C, and the OS saving opmask and all ZMM state. */
static int probe_avx512vnni(void) {
    unsigned a, b, c, d;
    if (!probe_avx2_f16c()) return 0;
    if ((read_xcr0() & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned need_b = bit_AVX512F | bit_AVX512DQ | bit_AVX512BW | bit_AVX512VL;
    return (b & need_b) == need_b && (c & bit_AVX512VNNI) != 0;
}

static int cached_probe(atomic_int *cached, int (*probe)(void)) {
    int v = atomic_load_explicit(cached, memory_order_relaxed); /* -1: not probed yet */
    if (v < 0) {
        v = probe();
        atomic_store_explicit(cached, v, memory_order_relaxed);
    }
    return v;
}

int q_cpu_has_avx2_f16c(void) {
    static atomic_int cached = -1;
    return cached_probe(&cached, probe_avx2_f16c);
}

int q_cpu_has_avx512vnni(void) {
    static atomic_int cached = -1;
    return cached_probe(&cached, probe_avx512vnni);
}
#endif

#if !(defined(__x86_64__) || defined(__i386__))
int q_cpu_has_avx2_f16c(void) { return 0; }
int q_cpu_has_avx512vnni(void) { return 0; }
#endif

int q_dot_impls(uint32_t wtype, const q_dot_traits **out, int cap) {
    int n = 0;
    if (!q_dot_ref(wtype)) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (n < cap && q_cpu_has_avx512vnni() && q_dot_avx512(wtype)) out[n++] = q_dot_avx512(wtype);
    if (n < cap && q_cpu_has_avx2_f16c() && q_dot_avx2(wtype)) out[n++] = q_dot_avx2(wtype);
#endif
    if (n < cap) out[n++] = q_dot_ref(wtype);
    return n;
}

const q_dot_traits *q_dot_best(uint32_t wtype) {
    const q_dot_traits *t[1];
    return q_dot_impls(wtype, t, 1) ? t[0] : NULL;
}
