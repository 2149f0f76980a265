/* The runtime's determinism contract, checked bit for bit (memcmp) on random
 * Llama-shaped models written by tests/rt_fixture.h:
 *  - logits are identical across 1, 2 and 3 threads and across micro-batch sizes;
 *  - identical across the three QKV layouts (separate, fused, fused weight +
 *    separate biases), with and without biases;
 *  - for every weight type (F32, F16, BF16, Q8_0), and for both KV cache types;
 * plus agreement with a naive double-precision forward pass (independent code
 * in this file) so that "deterministic" also means "right". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "rt_fixture.h"
#include "base/hugemem.h"
#include "quant/quant_pack.h"
#include "runtime/rt_forward.h"
#include "runtime/rt_kernels.h"
#include "runtime/rt_model.h"

#define N_PROMPT 12
#define N_GEN 4
#define N_ROWS (N_PROMPT + N_GEN)

static const uint32_t WTYPES[4] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16, HF_TYPE_Q8_0};
static const int32_t PROMPT[N_PROMPT + N_GEN] = {1, 5, 33, 17, 60, 4, 79, 2, 40, 41, 3, 12, 7, 70, 21, 9};


static uint32_t wtype_of(const rt_model *m) { return m->layers[0].wo.type; }

/* Logits of N_PROMPT prompt positions (one rt_decode call, micro-batches of
 * ubatch) followed by N_GEN single-token steps: N_ROWS x n_vocab floats. */
/* Whether p lies in m's copies of its vectors (rt_repack.h). */
static int in_copies(const rt_model *m, const void *p) {
    const uint8_t *b = p;
    return m->copied_mem && b >= m->copied_mem && b < m->copied_mem + m->copied_bytes;
}

/* After a load with repack, every vector the forward reads is a copy, not the mapping, and a
 * Q8_0 embedding table's lookups come from packed groups. */
static void check_forward_reads_no_mapping(const rt_model *m, const char *path) {
    if (m->tok_embd.type == HF_TYPE_Q8_0 && m->tok_embd.n_packed != m->tok_embd.ne1 - m->tok_embd.ne1 % QP_ROWS)
        fail_msg("%s: token lookups still read the embedding table through the mapping", path);
    if (m->n_copied_tensors == 0) fail_msg("%s: no norm or bias was copied out of the mapping", path);
    if (!in_copies(m, m->output_norm.data)) fail_msg("%s: output_norm still read through the mapping", path);
    for (int64_t il = 0; il < m->hp.n_layer; il++) {
        const rt_layer *ly = &m->layers[il];
        if (!in_copies(m, ly->attn_norm.data) || (ly->ffn_norm.data && !in_copies(m, ly->ffn_norm.data)))
            fail_msg("%s: layer %lld's norms still read through the mapping", path, (long long)il);
        if (ly->bqkv && !ly->bqkv_owned && !in_copies(m, ly->bqkv))
            fail_msg("%s: layer %lld's fused Q||K||V bias still read through the mapping", path, (long long)il);
    }
}

/* Whether p lies in m's copies of its unpacked matrices. */
static int in_matrix_copies(const rt_model *m, const void *p) {
    const uint8_t *b = p;
    return m->matrix_mem && b >= m->matrix_mem && b < m->matrix_mem + m->matrix_bytes;
}

/* A matrix the forward multiplies with: packed into groups, or (copy ALWAYS) a copy. */
static int matrix_placed(const rt_model *m, const rt_tensor *t) { return t->packed || in_matrix_copies(m, t->data); }

/* After a load with every matrix copy asked for, no matrix is read through the mapping, and
 * a tied token table reads the head's copy. */
static void check_matrices_placed(const rt_model *m, const char *path) {
    if (m->matrices != RT_MATRICES_HUGE_PAGES && m->matrices != RT_MATRICES_COPIED && m->matrices != RT_MATRICES_NONE)
        fail_msg("%s: matrices %s although a copy was asked for", path, rt_matrix_place_text(m->matrices));
    if (!matrix_placed(m, &m->output)) fail_msg("%s: the output head is still read through the mapping", path);
    if (m->output_tied && m->tok_embd.data != m->output.data)
        fail_msg("%s: a tied token table does not read the head's rows", path);
    for (int64_t il = 0; il < m->hp.n_layer; il++) {
        const rt_layer *ly = &m->layers[il];
        const rt_tensor *qkv[3] = {ly->qkv_fused ? &ly->wqkv : &ly->wq, ly->qkv_fused ? &ly->wqkv : &ly->wk,
                                   ly->qkv_fused ? &ly->wqkv : &ly->wv};
        const rt_tensor *rest[4] = {&ly->wo, &ly->w_gate, &ly->w_up, &ly->w_down};
        for (int i = 0; i < 3; i++)
            if (!matrix_placed(m, qkv[i])) fail_msg("%s: layer %lld's Q/K/V still read through the mapping", path, (long long)il);
        for (int i = 0; i < 4; i++)
            if (rest[i]->data && !matrix_placed(m, rest[i]))
                fail_msg("%s: layer %lld's %s still read through the mapping", path, (long long)il, rest[i]->name);
    }
}

/* The context's GEMV layouts are what its pick asks for: FEW everywhere, MANY wherever the kernel
 * has it, or (timed) a layout the kernel has, timed where it has two. */
static void check_gemv_report(const rt_ctx *c, rt_gemv_pick pick, const char *path) {
    const rt_kernel_set *ks = rt_ctx_kernels(c);
    const rt_gemv_report *g = rt_ctx_gemv(c);
    for (uint32_t k = 0; k < RT_GEMV_KINDS; k++) {
        const rt_gemv_choice *ch = &g->kind[k];
        if (!ch->present) continue;
        const int has_many = k == RT_GEMV_PACKED ? ks->packed->gemv[Q_GEMV_MANY] != NULL : ks->dot[k]->gemv[Q_GEMV_MANY] != NULL;
        const q_gemv_layout used = k == RT_GEMV_PACKED ? ks->packed_gemv : ks->gemv[k];
        const int streams = k == RT_GEMV_PACKED ? ks->packed->gemv_streams[used] : ks->dot[k]->gemv_streams[used];
        if (used != ch->layout || streams != ch->streams) fail_msg("%s: GEMV report disagrees with the kernel set", path);
        if (pick == RT_GEMV_FEW && used != Q_GEMV_FEW) fail_msg("%s: --gemv few not followed", path);
        if (pick == RT_GEMV_MANY && has_many && used != Q_GEMV_MANY) fail_msg("%s: --gemv many not followed", path);
        if (ch->timed != (pick == RT_GEMV_TIMED && has_many)) fail_msg("%s: GEMV timed %d with pick %d", path, ch->timed, pick);
        if (ch->timed && !(ch->ms[0] > 0 && ch->ms[1] > 0 && ch->bytes > 0)) fail_msg("%s: GEMV timings missing", path);
    }
}

/* The packed groups are what a decode streams: their allocation starts on a 2 MiB boundary
 * (where a huge page can back it) and is reported in huge pages exactly when the kernel's
 * transparent huge page mode grants them. */
static void check_groups_in_huge_pages(const rt_model *m, const char *path) {
    if ((uintptr_t)m->packed_mem % (2u << 20) != 0) fail_msg("%s: packed groups not 2 MiB aligned", path);
    if (m->packed_huge != hf_thp_usable(hf_thp_mode_now()))
        fail_msg("%s: packed groups reported %s with the THP mode %d", path, rt_packed_pages_text(m), (int)hf_thp_mode_now());
}

static float *eval_logits_gemv(const char *path, int threads, int64_t ubatch, uint32_t kv_type, int repack,
                               rt_copy_matrices copy, q_isa max_isa, rt_gemv_pick gemv) {
    hf_err err = {0};
    rt_model *m;
    rt_model_params mp = rt_model_default_params();
    mp.repack = repack;
    mp.copy_matrices = copy;
    if (rt_model_load_with(&m, path, &mp, &err) != HF_OK) fail_msg("load %s: %s", path, err.msg);
    if (repack && copy == RT_COPY_ALWAYS) check_matrices_placed(m, path);
    if ((!repack || copy == RT_COPY_NEVER) && m->n_matrix_copies != 0)
        fail_msg("%s: matrices copied although asked not to", path);
    if (repack && wtype_of(m) == HF_TYPE_Q8_0 && m->n_packed_tensors == 0) fail_msg("%s: nothing was repacked", path);
    if (m->n_packed_tensors > 0) check_groups_in_huge_pages(m, path);
    if (!repack && (m->n_packed_tensors != 0 || m->n_copied_tensors != 0))
        fail_msg("%s: repacked or copied although asked not to", path);
    if (repack) check_forward_reads_no_mapping(m, path);
    rt_ctx_params p = rt_ctx_default_params();
    p.n_threads = threads;
    p.n_ubatch = ubatch;
    p.kv_type = kv_type;
    p.max_isa = max_isa;
    p.gemv = gemv;
    rt_ctx *c;
    if (rt_ctx_new(&c, m, &p, &err) != HF_OK) fail_msg("ctx: %s", err.msg);
    check_gemv_report(c, gemv, path);
    if (rt_ctx_kernels(c)->packed->isa != q_cpu_top_isa(max_isa))
        fail_msg("%s: a context capped at %s runs the packed kernel %s", path, q_isa_name(max_isa),
                 rt_ctx_kernels(c)->packed->impl);
    const int64_t V = m->hp.n_vocab;
    float *out = malloc((size_t)(N_ROWS * V) * sizeof(float));
    assert_int_equal(rt_decode(c, PROMPT, N_PROMPT, out, 1, &err), HF_OK);
    for (int i = 0; i < N_GEN; i++)
        assert_int_equal(rt_decode(c, &PROMPT[N_PROMPT + i], 1, out + (N_PROMPT + i) * V, 0, &err), HF_OK);
    rt_ctx_free(c);
    rt_model_free(m);
    return out;
}

static float *eval_logits_copy(const char *path, int threads, int64_t ubatch, uint32_t kv_type, int repack,
                               rt_copy_matrices copy, q_isa max_isa) {
    return eval_logits_gemv(path, threads, ubatch, kv_type, repack, copy, max_isa, RT_GEMV_TIMED);
}

/* Every matrix copied, whatever this machine's huge pages: the bit-identity checks below then
 * hold for copies too (a copy with the default policy is the same copy). */
static float *eval_logits_with(const char *path, int threads, int64_t ubatch, uint32_t kv_type, int repack,
                               q_isa max_isa) {
    return eval_logits_copy(path, threads, ubatch, kv_type, repack, RT_COPY_ALWAYS, max_isa);
}

static float *eval_logits(const char *path, int threads, int64_t ubatch, uint32_t kv_type) {
    return eval_logits_with(path, threads, ubatch, kv_type, 1, Q_ISA_BEST);
}

static size_t logits_bytes(const fx_spec *s) { return (size_t)(N_ROWS * s->n_vocab) * sizeof(float); }

static void assert_same_bits(const float *a, const float *b, size_t bytes, const char *what) {
    if (memcmp(a, b, bytes) != 0) {
        size_t i = 0;
        while (i < bytes / 4 && memcmp(&a[i], &b[i], 4) == 0) i++;
        fail_msg("%s: logits differ at element %zu (%.9g vs %.9g)", what, i, (double)a[i], (double)b[i]);
    }
}

/* For one weight type: 3 layouts x {1,2,3 threads} x {ubatch 512, 5, 1}. */
static void check_type_all_layouts(uint32_t wtype, int biases, uint32_t kv_type) {
    static const fx_layout layouts[3] = {FX_SEPARATE, FX_FUSED, FX_FUSED_SEP_BIAS};
    static const int64_t ubatches[3] = {512, 5, 1};
    float *ref = NULL;
    fx_spec s0 = fx_default(wtype, FX_SEPARATE, biases);
    for (int li = 0; li < (biases ? 3 : 2); li++) {
        fx_spec s = fx_default(wtype, layouts[li], biases);
        char name[64];
        snprintf(name, sizeof name, "m_%u_%d_%d.gguf", wtype, (int)layouts[li], biases);
        const char *path = fx_write_tmp(&s, name);
        for (int threads = 1; threads <= 3; threads++)
            for (int ui = 0; ui < 3; ui++) {
                if (ui > 0 && threads != 2) continue; /* ubatch sweep once is enough */
                float *l = eval_logits(path, threads, ubatches[ui], kv_type);
                if (!ref) ref = l;
                else {
                    char what[160];
                    snprintf(what, sizeof what, "type %s biases %d layout %d threads %d ubatch %lld kv %s",
                             hf_type_info(wtype)->name, biases, (int)layouts[li], threads, (long long)ubatches[ui],
                             hf_type_info(kv_type)->name);
                    assert_same_bits(ref, l, logits_bytes(&s0), what);
                    free(l);
                }
            }
    }
    free(ref);
}

static void logits_identical_across_threads_ubatch_and_layouts_for_every_weight_type(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) {
        check_type_all_layouts(WTYPES[i], 1, HF_TYPE_F32);
        check_type_all_layouts(WTYPES[i], 0, HF_TYPE_F32);
    }
}

static void f16_kv_cache_is_deterministic_too(void **state) {
    (void)state;
    for (int i = 0; i < 4; i++) check_type_all_layouts(WTYPES[i], 1, HF_TYPE_F16);
}

static void untied_output_with_the_same_values_gives_the_same_logits(void **state) {
    (void)state;
    fx_spec tied = fx_default(HF_TYPE_Q8_0, FX_FUSED, 1), untied = tied;
    untied.untied = 1;
    float *a = eval_logits(fx_write_tmp(&tied, "tied.gguf"), 2, 512, HF_TYPE_F32);
    float *b = eval_logits(fx_write_tmp(&untied, "untied.gguf"), 2, 512, HF_TYPE_F32);
    assert_same_bits(a, b, logits_bytes(&tied), "tied vs untied");
    free(a);
    free(b);
}

/* Q8_0 matrices repacked into 16-row groups (the default) and read row by row from the
 * mapping give the same bits, also where groups end inside a matrix (a 90-row head) and
 * where a fused Q||K||V group spans K and V rows that the separate layout leaves unpacked
 * (8-row K and V: head_dim 8, one KV head); token lookups unpack their rows from the groups
 * of the embedding table, or of the output head it is tied to (the untied file's head has the
 * embedding's values, so all four files give the same logits). */
static void repacked_q8_0_matrices_give_the_row_by_row_logits(void **state) {
    (void)state;
    float *ref = NULL;
    static const fx_layout layouts[2] = {FX_SEPARATE, FX_FUSED};
    for (int fi = 0; fi < 4; fi++) {
        const int li = fi % 2;
        fx_spec s = fx_default(HF_TYPE_Q8_0, layouts[li], 1);
        s.n_head = 8;
        s.n_head_kv = 1;
        s.n_vocab = 90;
        s.untied = fi < 2;
        char name[64];
        snprintf(name, sizeof name, "packed_%d.gguf", fi);
        const char *path = fx_write_tmp(&s, name);
        static const int64_t ubatches[3] = {512, 5, 1};
        for (int repack = 0; repack <= 1; repack++)
            for (int ui = 0; ui < 3; ui++) {
                const int64_t ub = ubatches[ui];
                float *l = eval_logits_with(path, 2, ub, HF_TYPE_F32, repack, Q_ISA_BEST);
                if (!ref) {
                    ref = l;
                    continue;
                }
                char what[96];
                snprintf(what, sizeof what, "layout %d untied %d repack %d ubatch %lld", li, s.untied, repack, (long long)ub);
                assert_same_bits(ref, l, (size_t)(N_ROWS * s.n_vocab) * sizeof(float), what);
                free(l);
            }
    }
    free(ref);
}

/* F32/F16/BF16 matrices copied into huge pages (ALWAYS, and AUTO as this machine decides),
 * read through the mapping (NEVER) and loaded without any repacking give the same bits, in
 * both QKV layouts, with the output head tied to the token table (whose lookups then read
 * the head's copy) or not. */
static void copied_float_matrices_give_the_mapped_logits(void **state) {
    (void)state;
    static const uint32_t types[3] = {HF_TYPE_F32, HF_TYPE_F16, HF_TYPE_BF16};
    static const fx_layout layouts[2] = {FX_SEPARATE, FX_FUSED};
    for (int ti = 0; ti < 3; ti++)
        for (int fi = 0; fi < 4; fi++) {
            fx_spec s = fx_default(types[ti], layouts[fi % 2], 1);
            s.untied = fi >= 2;
            char name[64];
            snprintf(name, sizeof name, "copies_%d_%d.gguf", ti, fi);
            const char *path = fx_write_tmp(&s, name);
            float *ref = eval_logits_copy(path, 2, 5, HF_TYPE_F32, 0, RT_COPY_NEVER, Q_ISA_BEST);
            static const rt_copy_matrices modes[3] = {RT_COPY_NEVER, RT_COPY_AUTO, RT_COPY_ALWAYS};
            for (int mi = 0; mi < 3; mi++) {
                float *l = eval_logits_copy(path, 2, 5, HF_TYPE_F32, 1, modes[mi], Q_ISA_BEST);
                char what[96];
                snprintf(what, sizeof what, "type %s layout %d untied %d copy mode %d", hf_type_info(types[ti])->name,
                         fi % 2, s.untied, (int)modes[mi]);
                assert_same_bits(ref, l, logits_bytes(&s), what);
                free(l);
            }
            free(ref);
        }
}

/* A context capped at a tier (rt_ctx_params.max_isa) runs that tier's kernels, and every tier
 * this CPU runs gives the plain C kernels' bits, for every weight type and both KV cache
 * types, prompt and generation (what an older CPU computes is what this one does). The BF16
 * pair order (vdpbf16ps) is its own arithmetic and is compared with its reference in
 * test_kernels_dot instead. */
static void every_kernel_tier_the_cpu_runs_gives_the_plain_c_logits(void **state) {
    (void)state;
    static const uint32_t kv_types[2] = {HF_TYPE_F32, HF_TYPE_F16};
    for (int i = 0; i < 4; i++)
        for (int kv = 0; kv < 2; kv++) {
            fx_spec s = fx_default(WTYPES[i], FX_FUSED, 1);
            char name[64];
            snprintf(name, sizeof name, "tiers_%u.gguf", WTYPES[i]);
            const char *path = fx_write_tmp(&s, name);
            float *ref = eval_logits_with(path, 2, 5, kv_types[kv], 1, Q_ISA_REF);
            for (int t = Q_ISA_REF + 1; t < Q_ISA_COUNT; t++) {
                if (!q_cpu_has_isa((q_isa)t)) continue;
                rt_kernel_set ks;
                rt_kernels_pick(&ks, (q_isa)t);
                if (ks.packed->isa != (q_isa)t)
                    fail_msg("tier %s: packed Q8_0 kernel %s", q_isa_name((q_isa)t), ks.packed->impl);
                for (uint32_t w = 0; w < HF_TYPE_COUNT; w++)
                    if (ks.dot[w] && ks.dot[w]->isa > (q_isa)t)
                        fail_msg("tier %s: %s kernel %s is above it", q_isa_name((q_isa)t), hf_type_info(w)->name,
                                 ks.dot[w]->impl);
                if (ks.dot[WTYPES[i]]->order != Q_ORDER_LANES) continue;
                float *l = eval_logits_with(path, 2, 5, kv_types[kv], 1, (q_isa)t);
                char what[96];
                snprintf(what, sizeof what, "type %s kv %s tier %s vs ref", hf_type_info(WTYPES[i])->name,
                         hf_type_info(kv_types[kv])->name, q_isa_name((q_isa)t));
                assert_same_bits(ref, l, logits_bytes(&s), what);
                free(l);
            }
            free(ref);
        }
}

/* Both GEMV layouts (few and many streams, quant_dot.h) and the timed choice give the same bits
 * for every weight type, packed Q8_0 groups and rows read through the mapping, in both QKV
 * layouts, at 1 and 2 threads, with every matmul a GEMV (micro-batches of one token). */
static void every_gemv_layout_gives_the_same_logits(void **state) {
    (void)state;
    static const rt_gemv_pick picks[3] = {RT_GEMV_FEW, RT_GEMV_MANY, RT_GEMV_TIMED};
    for (int i = 0; i < 4; i++)
        for (int fused = 0; fused <= 1; fused++) {
            fx_spec s = fx_default(WTYPES[i], fused ? FX_FUSED : FX_SEPARATE, 1);
            char name[64];
            snprintf(name, sizeof name, "gemv_%u_%d.gguf", WTYPES[i], fused);
            const char *path = fx_write_tmp(&s, name);
            float *ref = eval_logits_gemv(path, 1, 1, HF_TYPE_F32, 1, RT_COPY_ALWAYS, Q_ISA_BEST, RT_GEMV_FEW);
            for (int repack = 0; repack <= 1; repack++)
                for (int threads = 1; threads <= 2; threads++)
                    for (int pi = 0; pi < 3; pi++) {
                        float *l = eval_logits_gemv(path, threads, 1, HF_TYPE_F32, repack, RT_COPY_ALWAYS, Q_ISA_BEST,
                                                    picks[pi]);
                        char what[96];
                        snprintf(what, sizeof what, "type %s fused %d repack %d threads %d gemv %s",
                                 hf_type_info(WTYPES[i])->name, fused, repack, threads, rt_gemv_pick_name(picks[pi]));
                        assert_same_bits(ref, l, logits_bytes(&s), what);
                        free(l);
                    }
            free(ref);
        }
}

/* Logits of every position of an n-token prompt of pseudo-random ids, in micro-batches of ubatch. */
static float *long_prompt_logits(const rt_model *m, int64_t n, int threads, int64_t ubatch, uint32_t kv_type) {
    hf_err err = {0};
    int32_t ids[64];
    assert_true(n <= 64);
    for (int64_t i = 0; i < n; i++) ids[i] = (int32_t)((i * 37 + 11) % m->hp.n_vocab);
    rt_ctx_params p = rt_ctx_default_params();
    p.n_threads = threads;
    p.n_ubatch = ubatch;
    p.kv_type = kv_type;
    rt_ctx *c;
    if (rt_ctx_new(&c, m, &p, &err) != HF_OK) fail_msg("ctx: %s", err.msg);
    float *out = malloc((size_t)(n * m->hp.n_vocab) * sizeof(float));
    assert_int_equal(rt_decode(c, ids, n, out, 1, &err), HF_OK);
    rt_ctx_free(c);
    return out;
}

/* A prompt longer than an attention tile (up to 24 queries, rt_forward.c) gives the same bits
 * in one batch (tiles of 24, 24 and a remainder), in batches of 29 (a full tile and a short
 * one each) and token by token (one query per tile), at 1 and 2 threads, with both KV cache
 * types: each query's scores and weighted V sum do not depend on the tile it shares. */
static void long_prompts_do_not_depend_on_the_attention_tiles(void **state) {
    (void)state;
    static const int64_t ubatches[3] = {64, 29, 1};
    static const uint32_t kv_types[2] = {HF_TYPE_F32, HF_TYPE_F16};
    const int64_t n = 61;
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 1);
    assert_true(s.n_ctx >= n);
    hf_err err = {0};
    rt_model *m;
    if (rt_model_load(&m, fx_write_tmp(&s, "long_prompt.gguf"), &err) != HF_OK) fail_msg("load: %s", err.msg);
    for (int k = 0; k < 2; k++) {
        float *ref = long_prompt_logits(m, n, 1, ubatches[0], kv_types[k]);
        for (int threads = 1; threads <= 2; threads++)
            for (int u = 0; u < 3; u++) {
                if (threads == 1 && u == 0) continue;
                float *l = long_prompt_logits(m, n, threads, ubatches[u], kv_types[k]);
                char what[96];
                snprintf(what, sizeof what, "%lld-token prompt, kv %s, threads %d, ubatch %lld", (long long)n,
                         hf_type_info(kv_types[k])->name, threads, (long long)ubatches[u]);
                assert_same_bits(ref, l, (size_t)(n * m->hp.n_vocab) * sizeof(float), what);
                free(l);
            }
        free(ref);
    }
    rt_model_free(m);
}

/* A context given an earlier one's GEMV report (rt_ctx_params.gemv_from) follows its layouts
 * without timing, for the same file and for its twin in the other QKV layout, and still gives
 * the twins' shared logits. The earlier context is made with --gemv many, which timing on this
 * machine need not choose, so a context that timed instead of reusing shows up in the layouts
 * as well as in the reused flag. */
static void a_reused_gemv_report_is_followed_untimed(void **state) {
    (void)state;
    hf_err err = {0};
    for (int i = 0; i < 4; i++) {
        rt_model *m[2];
        for (int fused = 0; fused <= 1; fused++) {
            fx_spec s = fx_default(WTYPES[i], fused ? FX_FUSED : FX_SEPARATE, 1);
            char name[64];
            snprintf(name, sizeof name, "gemv_from_%u_%d.gguf", WTYPES[i], fused);
            if (rt_model_load(&m[fused], fx_write_tmp(&s, name), &err) != HF_OK) fail_msg("load: %s", err.msg);
        }
        rt_ctx_params p = rt_ctx_default_params();
        p.n_threads = 2;
        p.n_ubatch = 1;
        p.gemv = RT_GEMV_MANY;
        rt_ctx *first;
        if (rt_ctx_new(&first, m[0], &p, &err) != HF_OK) fail_msg("ctx: %s", err.msg);
        p.gemv = RT_GEMV_TIMED;
        p.gemv_from = rt_ctx_gemv(first);
        float *logits[2];
        for (int fused = 0; fused <= 1; fused++) {
            rt_ctx *c;
            if (rt_ctx_new(&c, m[fused], &p, &err) != HF_OK) fail_msg("ctx: %s", err.msg);
            const rt_kernel_set *ks = rt_ctx_kernels(c), *ks0 = rt_ctx_kernels(first);
            int kinds = 0;
            for (uint32_t k = 0; k < RT_GEMV_KINDS; k++) {
                const rt_gemv_choice *ch = &rt_ctx_gemv(c)->kind[k], *ch0 = &rt_ctx_gemv(first)->kind[k];
                if (!ch->present) continue;
                kinds++;
                const q_gemv_layout used = k == RT_GEMV_PACKED ? ks->packed_gemv : ks->gemv[k];
                const q_gemv_layout used0 = k == RT_GEMV_PACKED ? ks0->packed_gemv : ks0->gemv[k];
                if (!ch0->present || !ch->reused || ch->timed || used != used0 || ch->layout != used ||
                    ch->streams != ch0->streams)
                    fail_msg("type %s fused %d kind %u: reused %d timed %d layout %d, earlier context %d",
                             hf_type_info(WTYPES[i])->name, fused, k, ch->reused, ch->timed, (int)used, (int)used0);
            }
            assert_true(kinds > 0);
            const int64_t V = m[fused]->hp.n_vocab;
            logits[fused] = malloc((size_t)V * sizeof(float));
            assert_int_equal(rt_decode(c, PROMPT, N_PROMPT, logits[fused], 0, &err), HF_OK);
            rt_ctx_free(c);
        }
        assert_same_bits(logits[0], logits[1], (size_t)m[0]->hp.n_vocab * sizeof(float), "twins with a reused report");
        free(logits[0]);
        free(logits[1]);
        rt_ctx_free(first);
        rt_model_free(m[0]);
        rt_model_free(m[1]);
    }
}

/* ==== Naive double-precision reference (independent of rt_forward.c) ==== */

static double *dequant_rows(const rt_tensor *t) {
    double *d = malloc((size_t)(t->ne0 * t->ne1) * sizeof(double));
    float *row = malloc((size_t)t->ne0 * sizeof(float));
    for (int64_t r = 0; r < t->ne1; r++) {
        q_to_f32(t->type, (const uint8_t *)t->data + (size_t)r * t->row_bytes, row, t->ne0);
        for (int64_t i = 0; i < t->ne0; i++) d[r * t->ne0 + i] = row[i];
    }
    free(row);
    return d;
}

/* y[n] = sum_k W[n][k] x[k] for rows [r0, r0+n) of W. */
static void naive_matvec(double *y, const double *w, int64_t r0, int64_t n, int64_t k, const double *x) {
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int64_t j = 0; j < k; j++) s += w[(r0 + i) * k + j] * x[j];
        y[i] = s;
    }
}

static void naive_rmsnorm(double *y, const double *x, const float *w, int64_t n, double eps) {
    double ss = 0;
    for (int64_t i = 0; i < n; i++) ss += x[i] * x[i];
    const double sc = 1.0 / sqrt(ss / (double)n + eps);
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * sc * w[i];
}

/* Rotation of pair (a, b) of each head by pos * base^(-2i/n_rot). */
static void naive_rope(double *v, int64_t n_heads, int64_t hd, int64_t n_rot, int64_t pos, double base, int neox) {
    for (int64_t h = 0; h < n_heads; h++)
        for (int64_t i = 0; i < n_rot / 2; i++) {
            const double th = (double)pos * pow(base, -2.0 * (double)i / (double)n_rot);
            double *x = v + h * hd;
            const int64_t a = neox ? i : 2 * i, b = neox ? i + n_rot / 2 : 2 * i + 1;
            const double x0 = x[a], x1 = x[b];
            x[a] = x0 * cos(th) - x1 * sin(th);
            x[b] = x0 * sin(th) + x1 * cos(th);
        }
}

static double *naive_logits(const rt_model *m, const int32_t *toks, int64_t n) {
    const rt_hparams *hp = &m->hp;
    const int64_t E = hp->n_embd, hd = hp->head_dim, nq = rt_n_q(hp), nkv = rt_n_kv(hp), F = hp->n_ff;
    const int64_t V = hp->n_vocab, L = hp->n_layer;
    double *K = calloc((size_t)(L * n * nkv), sizeof(double)), *Vc = calloc((size_t)(L * n * nkv), sizeof(double));
    double *out = malloc((size_t)(n * V) * sizeof(double));
    double *x = malloc((size_t)E * sizeof(double)), *xn = malloc((size_t)E * sizeof(double));
    double *qkv = malloc((size_t)(nq + 2 * nkv) * sizeof(double)), *att = malloc((size_t)nq * sizeof(double));
    double *tmp = malloc((size_t)E * sizeof(double)), *g = malloc((size_t)F * sizeof(double));
    double *u = malloc((size_t)F * sizeof(double)), *sc = malloc((size_t)n * sizeof(double));
    double *emb = dequant_rows(&m->tok_embd), *outw = dequant_rows(&m->output);
    for (int64_t t = 0; t < n; t++) {
        for (int64_t i = 0; i < E; i++) x[i] = emb[toks[t] * E + i];
        for (int64_t il = 0; il < L; il++) {
            const rt_layer *ly = &m->layers[il];
            naive_rmsnorm(xn, x, ly->attn_norm.data, E, hp->norm_eps);
            if (ly->qkv_fused) {
                double *w = dequant_rows(&ly->wqkv);
                naive_matvec(qkv, w, 0, nq + 2 * nkv, E, xn);
                free(w);
            } else {
                const rt_tensor *ws[3] = {&ly->wq, &ly->wk, &ly->wv};
                const int64_t off[3] = {0, nq, nq + nkv};
                for (int i = 0; i < 3; i++) {
                    double *w = dequant_rows(ws[i]);
                    naive_matvec(qkv + off[i], w, 0, ws[i]->ne1, E, xn);
                    free(w);
                }
            }
            for (int64_t i = 0; ly->bqkv && i < nq + 2 * nkv; i++) qkv[i] += ly->bqkv[i];
            const int neox = hp->rope_mode == RT_ROPE_NEOX;
            naive_rope(qkv, hp->n_head, hd, hp->n_rot, t, hp->rope_base, neox);
            naive_rope(qkv + nq, hp->n_head_kv, hd, hp->n_rot, t, hp->rope_base, neox);
            memcpy(K + (il * n + t) * nkv, qkv + nq, (size_t)nkv * sizeof(double));
            memcpy(Vc + (il * n + t) * nkv, qkv + nq + nkv, (size_t)nkv * sizeof(double));
            for (int64_t h = 0; h < hp->n_head; h++) {
                const int64_t kvh = h / (hp->n_head / hp->n_head_kv);
                double mx = -INFINITY, sum = 0;
                for (int64_t p = 0; p <= t; p++) {
                    double d = 0;
                    for (int64_t i = 0; i < hd; i++) d += qkv[h * hd + i] * K[(il * n + p) * nkv + kvh * hd + i];
                    sc[p] = d / sqrt((double)hd);
                    mx = fmax(mx, sc[p]);
                }
                for (int64_t p = 0; p <= t; p++) sum += (sc[p] = exp(sc[p] - mx));
                for (int64_t i = 0; i < hd; i++) {
                    double a = 0;
                    for (int64_t p = 0; p <= t; p++) a += sc[p] / sum * Vc[(il * n + p) * nkv + kvh * hd + i];
                    att[h * hd + i] = a;
                }
            }
            double *wo = dequant_rows(&ly->wo), *wg = dequant_rows(&ly->w_gate);
            double *wu = dequant_rows(&ly->w_up), *wd = dequant_rows(&ly->w_down);
            naive_matvec(tmp, wo, 0, E, nq, att);
            for (int64_t i = 0; i < E; i++) x[i] += tmp[i];
            naive_rmsnorm(xn, x, ly->ffn_norm.data, E, hp->norm_eps);
            naive_matvec(g, wg, 0, F, E, xn);
            naive_matvec(u, wu, 0, F, E, xn);
            for (int64_t i = 0; i < F; i++) g[i] = g[i] / (1.0 + exp(-g[i])) * u[i];
            naive_matvec(tmp, wd, 0, E, F, g);
            for (int64_t i = 0; i < E; i++) x[i] += tmp[i];
            free(wo), free(wg), free(wu), free(wd);
        }
        naive_rmsnorm(xn, x, m->output_norm.data, E, hp->norm_eps);
        naive_matvec(out + t * V, outw, 0, V, E, xn);
    }
    free(K), free(Vc), free(x), free(xn), free(qkv), free(att), free(tmp), free(g), free(u), free(sc), free(emb),
        free(outw);
    return out;
}

/* Max |ours - naive| over all rows, relative to the logits' scale. */
static double max_rel_diff(const char *path, uint32_t kv_type) {
    hf_err err = {0};
    rt_model *m;
    assert_int_equal(rt_model_load(&m, path, &err), HF_OK);
    float *ours = eval_logits(path, 2, 512, kv_type);
    double *ref = naive_logits(m, PROMPT, N_ROWS);
    double maxdiff = 0, scale = 0;
    for (int64_t i = 0; i < N_ROWS * m->hp.n_vocab; i++) {
        maxdiff = fmax(maxdiff, fabs((double)ours[i] - ref[i]));
        scale = fmax(scale, fabs(ref[i]));
    }
    rt_model_free(m);
    free(ours);
    free(ref);
    return maxdiff / scale;
}

static void f32_forward_matches_a_naive_double_precision_forward(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_FUSED_SEP_BIAS, 1);
    double d = max_rel_diff(fx_write_tmp(&s, "naive_llama.gguf"), HF_TYPE_F32);
    printf("llama f32: max relative logit difference vs naive double forward %.3g\n", d);
    assert_true(d < 1e-5);
}

static void neox_rope_arch_matches_the_naive_forward(void **state) {
    (void)state;
    fx_spec s = fx_default(HF_TYPE_F32, FX_FUSED, 1);
    s.arch = "qwen2";
    double d = max_rel_diff(fx_write_tmp(&s, "naive_qwen2.gguf"), HF_TYPE_F32);
    printf("qwen2 (neox rope) f32: max relative difference %.3g\n", d);
    assert_true(d < 1e-5);
}

/* The reduced-precision types round activations (F16/BF16) or quantize them
 * (Q8_0) like ggml, so they differ from exact math, but boundedly. */
static void reduced_precision_types_stay_close_to_the_naive_forward(void **state) {
    (void)state;
    static const double tol[4] = {1e-5, 1e-3, 1e-2, 1e-2};
    for (int i = 0; i < 4; i++) {
        fx_spec s = fx_default(WTYPES[i], FX_SEPARATE, 1);
        char name[64];
        snprintf(name, sizeof name, "naive_%u.gguf", WTYPES[i]);
        double d = max_rel_diff(fx_write_tmp(&s, name), HF_TYPE_F32);
        printf("%s: max relative difference %.3g (tolerance %.0e)\n", hf_type_info(WTYPES[i])->name, d, tol[i]);
        assert_true(d < tol[i]);
    }
    fx_spec s = fx_default(HF_TYPE_F32, FX_SEPARATE, 1);
    double d = max_rel_diff(fx_write_tmp(&s, "naive_kv16.gguf"), HF_TYPE_F16);
    printf("f32 weights, f16 kv cache: max relative difference %.3g\n", d);
    assert_true(d < 5e-3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logits_identical_across_threads_ubatch_and_layouts_for_every_weight_type),
        cmocka_unit_test(f16_kv_cache_is_deterministic_too),
        cmocka_unit_test(untied_output_with_the_same_values_gives_the_same_logits),
        cmocka_unit_test(repacked_q8_0_matrices_give_the_row_by_row_logits),
        cmocka_unit_test(copied_float_matrices_give_the_mapped_logits),
        cmocka_unit_test(every_kernel_tier_the_cpu_runs_gives_the_plain_c_logits),
        cmocka_unit_test(every_gemv_layout_gives_the_same_logits),
        cmocka_unit_test(a_reused_gemv_report_is_followed_untimed),
        cmocka_unit_test(long_prompts_do_not_depend_on_the_attention_tiles),
        cmocka_unit_test(f32_forward_matches_a_naive_double_precision_forward),
        cmocka_unit_test(neox_rope_arch_matches_the_naive_forward),
        cmocka_unit_test(reduced_precision_types_stay_close_to_the_naive_forward),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
