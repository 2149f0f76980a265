/* Scalar reference dot products (see quant_dot.h for the summation order)
 * and the CPU dispatch (q_dot_best). */
#include "quant/quant_dot.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "base/f16.h"
#include "quant/quant_dot_isa.h"

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

#define DEFINE_REF_WSUM(name, axpy)                                                                     \
    static void name(float *y, int64_t ldy, const float *a, int64_t lda, int64_t n_out, const void *rows,  \
                     size_t rs, int64_t nr, int64_t n) {                                                \
        for (int64_t o = 0; o < n_out; o++)                                                             \
            for (int64_t r = 0; r < nr; r++)                                                            \
                axpy(y + o * ldy, a[o * lda + r], (const uint8_t *)rows + (size_t)r * rs, n);           \
    }
DEFINE_REF_WSUM(wsum_f32_ref, axpy_f32_ref)
DEFINE_REF_WSUM(wsum_f16_ref, axpy_f16_ref)
DEFINE_REF_WSUM(wsum_bf16_ref, axpy_bf16_ref)

/* ==== The BF16 pair order (quant_dot.h) ==== */

/* A BF16 word as vdpbf16ps reads it: a denormal is zero of the same sign. */
static inline float bf16_daz(uint16_t v) {
    if ((v & 0x7f80u) == 0) v &= 0x8000u;
    return hf_bf16_to_f32(v);
}

/* One step of a lane: the exact product added with one rounding, a tiny result flushed to zero
 * of its sign. x86 calls a result tiny when, rounded to 24 bits with an unbounded exponent, it is
 * below 2^-126; fmaf rounds with gradual underflow instead, which differs only where the exact
 * value lies in [2^-126 - 2^-150, 2^-126 - 2^-151): fmaf gives 2^-126 there, the instruction 0
 * (measured on Zen 4). The double fma decides that case exactly: the product of two BF16 values
 * has 16 significant bits and acc is 0 or at least 2^-126, so the double's rounding (2^-180 here)
 * cannot cross the boundary. */
static inline float pair_step(float acc, uint16_t w, uint16_t x) {
    const float a = bf16_daz(w), b = bf16_daz(x), r = fmaf(a, b, acc);
    if (fpclassify(r) == FP_SUBNORMAL) return copysignf(0.0f, r);
    if (fabsf(r) == FLT_MIN && fabs(fma((double)a, (double)b, (double)acc)) < (double)FLT_MIN - 0x1p-151)
        return copysignf(0.0f, r);
    return r;
}

/* Element i of a row zero-padded past k. */
static inline uint16_t padded(const uint16_t *p, int64_t i, int64_t k) { return i < k ? p[i] : 0; }

static float dot_bf16_pairs_ref(const void *wv, const void *xv, int64_t k) {
    const uint16_t *w = wv, *x = xv;
    float acc[Q_DOT_PAIR_LANES] = {0};
    for (int64_t i = 0; i < k; i += 2 * Q_DOT_PAIR_LANES)
        for (int l = 0; l < Q_DOT_PAIR_LANES; l++) {
            const int64_t odd = i + 2 * l + 1, even = i + 2 * l;
            acc[l] = pair_step(acc[l], padded(w, odd, k), padded(x, odd, k));
            acc[l] = pair_step(acc[l], padded(w, even, k), padded(x, even, k));
        }
    float s8[Q_DOT_LANES];
    for (int j = 0; j < Q_DOT_LANES; j++) s8[j] = acc[j] + acc[j + Q_DOT_LANES];
    return reduce_lanes(s8);
}
DEFINE_REF_GEMM(gemm_bf16_pairs_ref, dot_bf16_pairs_ref)

/* A reference has one GEMV layout: its gemm, row after row (one stream). */
#define REF_GEMV(gemm) {gemm, NULL}, {1, 0}

/* Rows indexed by order and weight type; a row with dot == NULL is unsupported. To add
 * a type: its activation type, a reference dot, and q_from_f32 support for the
 * activation type in quant.c. The axpy and wsum are element-wise, so the same in every order. */
static const q_dot_traits DOT_REF[Q_ORDER_COUNT][HF_TYPE_COUNT] = {
    [Q_ORDER_LANES] =
        {
            [HF_TYPE_F32] = {HF_TYPE_F32, dot_f32_ref, "ref", gemm_f32_ref, axpy_f32_ref, wsum_f32_ref, Q_ORDER_LANES, Q_ISA_REF, REF_GEMV(gemm_f32_ref)},
            [HF_TYPE_F16] = {HF_TYPE_F16, dot_f16_ref, "ref", gemm_f16_ref, axpy_f16_ref, wsum_f16_ref, Q_ORDER_LANES, Q_ISA_REF, REF_GEMV(gemm_f16_ref)},
            [HF_TYPE_BF16] = {HF_TYPE_BF16, dot_bf16_ref, "ref", gemm_bf16_ref, axpy_bf16_ref, wsum_bf16_ref,
                              Q_ORDER_LANES, Q_ISA_REF, REF_GEMV(gemm_bf16_ref)},
            [HF_TYPE_Q8_0] = {HF_TYPE_Q8_0, dot_q8_0_ref, "ref", gemm_q8_0_ref, NULL, NULL, Q_ORDER_LANES, Q_ISA_REF, REF_GEMV(gemm_q8_0_ref)},
        },
    [Q_ORDER_BF16_PAIRS] =
        {
            [HF_TYPE_BF16] = {Q_ACT_BF16_BITS, dot_bf16_pairs_ref, "ref-pairs", gemm_bf16_pairs_ref, axpy_bf16_ref,
                              wsum_bf16_ref, Q_ORDER_BF16_PAIRS, Q_ISA_REF, REF_GEMV(gemm_bf16_pairs_ref)},
        },
};

const q_dot_traits *q_dot_ref_order(uint32_t wtype, q_dot_order order) {
    if (wtype >= HF_TYPE_COUNT || (unsigned)order >= Q_ORDER_COUNT || DOT_REF[order][wtype].dot == NULL) return NULL;
    return &DOT_REF[order][wtype];
}

const q_dot_traits *q_dot_ref(uint32_t wtype) { return q_dot_ref_order(wtype, Q_ORDER_LANES); }

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
    else if (act_type == Q_ACT_BF16_BITS) q_from_f32(HF_TYPE_BF16, x, dst, k);
    else q_from_f32(act_type, x, dst, k);
}

size_t q_act_row_bytes(uint32_t act_type, int64_t k) {
    if (act_type == HF_TYPE_Q8_0) return (size_t)hf_row_size(HF_TYPE_Q8_0, k);
    if (act_type == Q_ACT_BF16_BITS) return (size_t)k * sizeof(uint16_t);
    return (size_t)k * sizeof(float);
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

/* A probe word: random sign and mantissa, an exponent field in [lo, lo + span), and now and
 * then a denormal or zero. */
static uint16_t probe_word(uint32_t *s, uint32_t lo, uint32_t span) {
    *s = *s * 1664525u + 1013904223u;
    uint16_t v = (uint16_t)(((*s >> 31) << 15) | ((lo + (*s >> 8) % span) << 7) | ((*s >> 16) & 0x7fu));
    if ((*s >> 4) % 17 == 0) v &= 0x807fu;
    return v;
}

/* Rows on which another order, a missing or partial DAZ/FTZ or a different tail would show:
 * values near 1 with exactly cancelling pairs, and products straddling the smallest normal
 * (2^-126), at lengths with and without a tail. */
static int pairs_kernel_agrees_with_reference(void) {
    const q_dot_traits *fast = q_dot_avx512bf16(HF_TYPE_BF16), *ref = q_dot_ref_order(HF_TYPE_BF16, Q_ORDER_BF16_PAIRS);
    enum { K = 200 };
    uint16_t w[K], x[K];
    /* the flush boundary: lane 0 ends at 2^-126 - 2^-150 (tiny), lane 1 at 2^-126 - 2^-151 (not) */
    static const uint16_t bw[4] = {0x1a00, 0x2000, 0x1a00, 0x2000}, bx[4] = {0x9a00, 0x2000, 0x9980, 0x2000};
    for (int k = 2; k <= 4; k += 2) {
        const float a = ref->dot(bw, bx, k), b = fast->dot(bw, bx, k);
        if (memcmp(&a, &b, sizeof a) != 0) return 0;
    }
    uint32_t s = 12345u;
    for (int rep = 0; rep < 64; rep++) {
        const int tiny = rep % 2;
        for (int i = 0; i < K; i++) {
            w[i] = probe_word(&s, tiny ? 1 : 112, tiny ? 40 : 30);
            x[i] = probe_word(&s, tiny ? 88 : 112, tiny ? 40 : 30);
            if (i % 2 && rep % 3 == 1) { /* odd element cancels the even one's product */
                w[i] = w[i - 1];
                x[i] = (uint16_t)(x[i - 1] ^ 0x8000u);
            }
        }
        for (int k = K - rep % 40; k > 0; k -= 61) {
            const float a = ref->dot(w, x, k), b = fast->dot(w, x, k);
            if (memcmp(&a, &b, sizeof a) != 0) return 0;
        }
    }
    return 1;
}

static int probe_avxvnni(void) {
    unsigned a, b, c, d;
    return probe_avx2_f16c() && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4));
}

int q_cpu_has_avxvnni(void) {
    static atomic_int cached = -1;
    return cached_probe(&cached, probe_avxvnni);
}

/* AVX512_BF16 is CPUID.7.1:EAX bit 5, on top of everything quant_dot_avx512bf16.c is built for. */
static int probe_avx512bf16_cpuid(void) {
    unsigned a, b, c, d;
    return probe_avx512vnni() && __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5));
}

static int probe_avx512bf16(void) { return probe_avx512bf16_cpuid() && pairs_kernel_agrees_with_reference(); }

int q_cpu_lists_avx512bf16(void) {
    static atomic_int cached = -1;
    return cached_probe(&cached, probe_avx512bf16_cpuid);
}

int q_cpu_has_avx512bf16(void) {
    static atomic_int cached = -1;
    return cached_probe(&cached, probe_avx512bf16);
}
#endif

#if !(defined(__x86_64__) || defined(__i386__))
int q_cpu_has_avx2_f16c(void) { return 0; }
int q_cpu_has_avx512vnni(void) { return 0; }
int q_cpu_has_avx512bf16(void) { return 0; }
int q_cpu_lists_avx512bf16(void) { return 0; }
int q_cpu_has_avxvnni(void) { return 0; }
#endif

int q_dot_impls(uint32_t wtype, const q_dot_traits **out, int cap) {
    int n = 0;
    if (!q_dot_ref(wtype)) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (n < cap && q_cpu_has_avx512bf16() && q_dot_avx512bf16(wtype)) out[n++] = q_dot_avx512bf16(wtype);
    if (n < cap && q_cpu_has_avx512vnni() && q_dot_avx512(wtype)) out[n++] = q_dot_avx512(wtype);
    if (n < cap && q_cpu_has_avx2_f16c() && q_dot_avx2(wtype)) out[n++] = q_dot_avx2(wtype);
#endif
    if (n < cap) out[n++] = q_dot_ref(wtype);
    return n;
}

const q_dot_traits *q_dot_best(uint32_t wtype) { return q_dot_pick(wtype, Q_ISA_BEST); }

const q_dot_traits *q_dot_pick(uint32_t wtype, q_isa max_isa) {
    const q_dot_traits *t[4];
    const int n = q_dot_impls(wtype, t, 4);
    for (int i = 0; i < n; i++)
        if (t[i]->isa <= max_isa) return t[i];
    return NULL;
}

const char *q_gemv_layout_name(q_gemv_layout layout) {
    static const char *const NAMES[Q_GEMV_COUNT] = {"few", "many"};
    return (unsigned)layout < Q_GEMV_COUNT ? NAMES[layout] : "?";
}

/* ==== Tiers ==== */

static const char *const ISA_NAMES[Q_ISA_COUNT] = {"ref", "avx2", "avxvnni", "avx512"};

const char *q_isa_name(q_isa isa) { return (unsigned)isa < Q_ISA_COUNT ? ISA_NAMES[isa] : "?"; }

int q_isa_parse(const char *name, q_isa *out) {
    for (int i = 0; i < Q_ISA_COUNT; i++)
        if (!strcmp(name, ISA_NAMES[i])) {
            *out = (q_isa)i;
            return 1;
        }
    return 0;
}

int q_cpu_has_isa(q_isa isa) {
    switch (isa) {
    case Q_ISA_REF: return 1;
    case Q_ISA_AVX2: return q_cpu_has_avx2_f16c();
    case Q_ISA_AVXVNNI: return q_cpu_has_avxvnni();
    case Q_ISA_AVX512: return q_cpu_has_avx512vnni();
    default: return 0;
    }
}

q_isa q_cpu_top_isa(q_isa max_isa) {
    int i = (unsigned)max_isa < Q_ISA_COUNT ? (int)max_isa : (int)Q_ISA_BEST;
    while (i > 0 && !q_cpu_has_isa((q_isa)i)) i--;
    return (q_isa)i;
}
